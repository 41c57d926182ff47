from typing import Any

from django.db import models
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from credits import filters
from credits.selectors import credits_ledger_list, user_statistics_list
from credits.serializers import (
    AppStoreNotificationSerializer,
    CreditsLedgerSerializer,
    PurchaseSerializer,
    UserKeySerializer,
    UserStatisticsSerializer,
)
from credits.services import (
    credits_app_store_notification,
    credits_purchase,
    ledger_claim_first_clip,
    ledger_register,
)
from directorstudio.api import OwnedRowViewSet, OwnedViewRowViewSet
from directorstudio.openapi import WRITE_ERRORS, error_responses, owned_row_schema


@owned_row_schema(
    CreditsLedgerSerializer,
    rows="credits ledger rows",
    create=extend_schema(
        summary="Register an Apple-account key in your credits ledger",
        description="A new row for `user_key`, with no credits (201). Registering a key you already registered, or "
        "repeating the create with the same `id`, returns your row (200); a key or id of somebody else is a 409 "
        "that shows nothing of it. Balances are never set by the client: they change only through the credits "
        "business actions.",
        responses={201: CreditsLedgerSerializer, 200: CreditsLedgerSerializer, **error_responses(*WRITE_ERRORS)},
    ),
    claim_first_clip=extend_schema(
        summary="Claim a key and its free first clip",
        description="Binds the ledger row of `user_key` to you: creates it, or takes a row the app wrote before "
        "sign-in (`user_id` empty). The first claim of a key grants its free first clip (1 credit, "
        "`first_clip_granted`, `granted_at`), once per key ever; repeated or concurrent claims answer the same row. "
        "A key that belongs to somebody else is a 409 that shows nothing of it.",
        request=UserKeySerializer,
        responses={200: CreditsLedgerSerializer, **error_responses(*WRITE_ERRORS)},
    ),
    purchases=extend_schema(
        summary="Credit an App Store purchase",
        description="Verifies the StoreKit 2 signed transaction with Apple's certificates and adds its credit pack to "
        "your row for `user_key` (201). A transaction credits once, ever: repeating it answers the row unchanged "
        "(200). A transaction of another app or environment, of an unknown product, or revoked is a 400 on "
        "`signed_transaction`; one that already credited somebody else's key is a 409.",
        request=PurchaseSerializer,
        responses={
            201: CreditsLedgerSerializer,
            200: OpenApiResponse(CreditsLedgerSerializer, description="The same transaction again: nothing added."),
            **error_responses(*WRITE_ERRORS, 404),
        },
    ),
)
class CreditsLedgerViewSet(OwnedRowViewSet):
    """The signed-in user's ledger rows, one per registered Apple-account `user_key`.

    Balances (`credits`, the first-clip flags, `granted_at`) belong to the server: they change only
    through the credits business actions (grants, purchases, clip jobs), so rows have no update or delete.
    """

    rows = staticmethod(credits_ledger_list)
    serializer_class = CreditsLedgerSerializer
    filterset_class = filters.CreditsLedgerFilter
    http_method_names = ["get", "post", "head", "options"]

    def perform_create_row(self, values: dict[str, Any]) -> tuple[models.Model, bool]:
        return ledger_register(user_id=self.request.user.pk, user_key=values["user_key"], ledger_id=values.get("id"))

    @action(detail=False, methods=["post"], serializer_class=UserKeySerializer, filterset_class=None)
    def claim_first_clip(self, request: Request) -> Response:
        claim = UserKeySerializer(data=request.data)
        claim.is_valid(raise_exception=True)
        ledger = ledger_claim_first_clip(user_id=request.user.pk, **claim.validated_data)
        return Response(CreditsLedgerSerializer(ledger).data)

    @action(detail=False, methods=["post"], serializer_class=PurchaseSerializer, filterset_class=None)
    def purchases(self, request: Request) -> Response:
        purchase = PurchaseSerializer(data=request.data)
        purchase.is_valid(raise_exception=True)
        ledger, credited = credits_purchase(user_id=request.user.pk, **purchase.validated_data)
        return Response(
            CreditsLedgerSerializer(ledger).data, status=status.HTTP_201_CREATED if credited else status.HTTP_200_OK
        )


class AppStoreNotificationApi(APIView):
    """App Store Server Notifications V2: Apple's signature is the only credential, checked on every call."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["app_store"],
        operation_id="app_store_notifications",
        summary="Receive an App Store Server Notification V2",
        description="Set this URL as the App Store Server Notifications V2 URL in App Store Connect. The signed "
        "payload is verified with Apple's certificates; a REFUND or REVOKE takes the purchase's credits back "
        "(what is left, never below zero). Every other verified notification is acknowledged and changes nothing.",
        request=AppStoreNotificationSerializer,
        responses={200: OpenApiResponse(description="Verified and applied."), **error_responses(400, 413, 415)},
    )
    def post(self, request: Request) -> Response:
        notification = AppStoreNotificationSerializer(data=request.data)
        notification.is_valid(raise_exception=True)
        credits_app_store_notification(signed_payload=notification.validated_data["signedPayload"])
        return Response(status=status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(
        summary="Read your statistics",
        description="A single row: credits summed over your ledger rows, scene drafts, screenplays, completed "
        "clips and your latest activity.",
        responses={200: UserStatisticsSerializer(many=True), **error_responses(400, 401)},
    )
)
class UserStatisticsViewSet(OwnedViewRowViewSet):
    rows = staticmethod(user_statistics_list)
    serializer_class = UserStatisticsSerializer

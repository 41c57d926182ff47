from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema, extend_schema_view

from credits import filters
from credits.selectors import credits_ledger_list, user_statistics_list
from credits.serializers import CreditsLedgerSerializer, UserStatisticsSerializer
from credits.services import ledger_register
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

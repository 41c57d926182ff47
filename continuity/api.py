from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema, extend_schema_view

from continuity import filters, selectors
from continuity.engine import PERFORMANCE_BANDS
from continuity.serializers import (
    ContinuityLogSerializer,
    DailyAnalyticsSerializer,
    RecentValidationSerializer,
    SceneStateSerializer,
    TelemetryPerformanceSerializer,
    TelemetrySerializer,
)
from continuity.services import telemetry_create, telemetry_update
from directorstudio.api import OwnedRowViewSet, OwnedViewRowViewSet
from directorstudio.openapi import WRITE_ERRORS, error_responses, owned_row_schema


@owned_row_schema(
    SceneStateSerializer,
    rows="scene states",
    list=extend_schema(
        summary="List your scene states",
        description="Ordered by `id`, the app's scene number.",
        responses={200: SceneStateSerializer(many=True), **error_responses(400, 401)},
    ),
    create=extend_schema(
        summary="Create one of your scene states",
        description="`id` is the app's scene number, unique per user and required. Repeating a create with an `id` "
        "you already stored returns that row unchanged (200).",
        responses={201: SceneStateSerializer, 200: SceneStateSerializer, **error_responses(*WRITE_ERRORS)},
    ),
)
class SceneStateViewSet(OwnedRowViewSet):
    """The signed-in user's scene states, addressed by the app's scene number, which cannot change."""

    rows = staticmethod(selectors.scene_state_list)
    serializer_class = SceneStateSerializer
    filterset_class = filters.SceneStateFilter
    lookup_field = "id"


@owned_row_schema(
    ContinuityLogSerializer,
    rows="continuity logs",
    list=extend_schema(
        summary="List your continuity logs",
        description="Newest `timestamp` first.",
        responses={200: ContinuityLogSerializer(many=True), **error_responses(400, 401)},
    ),
)
class ContinuityLogViewSet(OwnedRowViewSet):
    """The signed-in user's continuity validations: history, so they are created and deleted but never changed.

    `timestamp` defaults to the time of the create; `passed` is stored as the app reports it.
    """

    rows = staticmethod(selectors.continuity_log_list)
    serializer_class = ContinuityLogSerializer
    filterset_class = filters.ContinuityLogFilter
    http_method_names = ["get", "post", "delete", "head", "options"]


@owned_row_schema(
    TelemetrySerializer,
    rows="telemetry rows",
    create=extend_schema(
        summary="Create one of your telemetry rows",
        description="`rate` is computed as successes / attempts (0 while attempts is 0). A create for an element "
        "you already have returns that row unchanged (200); change its counts with PATCH.",
        responses={201: TelemetrySerializer, 200: TelemetrySerializer, **error_responses(*WRITE_ERRORS)},
    ),
)
class TelemetryViewSet(OwnedRowViewSet):
    """The signed-in user's telemetry, one row per prompt element, addressed by the URL-encoded element.

    `element` cannot change; `rate` is recomputed from the counts on every change.
    """

    rows = staticmethod(selectors.telemetry_list)
    serializer_class = TelemetrySerializer
    filterset_class = filters.TelemetryFilter
    key_fields = ("element",)
    lookup_field = "element"
    # Every element is addressable, "/" included; PostgreSQL text cannot hold NUL.
    lookup_value_regex = r"[^\x00]+"

    def perform_create_row(self, values: dict[str, Any]) -> tuple[models.Model, bool]:
        return telemetry_create(user_id=self.request.user.pk, values=values)

    def perform_update(self, serializer) -> None:
        serializer.instance = telemetry_update(telemetry=serializer.instance, values=serializer.validated_data)


@extend_schema_view(
    list=extend_schema(
        summary="List your daily continuity analytics",
        description="One row per UTC day with validations, newest first: counts and confidence statistics.",
        responses={200: DailyAnalyticsSerializer(many=True), **error_responses(400, 401)},
    )
)
class DailyAnalyticsViewSet(OwnedViewRowViewSet):
    rows = staticmethod(selectors.daily_analytics_list)
    serializer_class = DailyAnalyticsSerializer
    filterset_class = filters.DailyAnalyticsFilter


@extend_schema_view(
    list=extend_schema(
        summary="List your continuity validations of the last 7 days",
        description="Newest first, with `issue_count` the number of issues.",
        responses={200: RecentValidationSerializer(many=True), **error_responses(400, 401)},
    )
)
class RecentValidationViewSet(OwnedViewRowViewSet):
    rows = staticmethod(selectors.recent_validation_list)
    serializer_class = RecentValidationSerializer
    filterset_class = filters.RecentValidationFilter


def _performance_bands_text() -> str:
    """The performance bands in words, best first: "excellent (rate ≥ 0.8), good (≥ 0.5) or poor"."""
    *ranked, lowest = PERFORMANCE_BANDS
    reached = [
        f"{band.name} ({'rate ' if index == 0 else ''}≥ {band.lowest_rate:g})" for index, band in enumerate(ranked)
    ]
    return f"{', '.join(reached)} or {lowest.name}"


@extend_schema_view(
    list=extend_schema(
        summary="List your telemetry with performance categories",
        description=f"`performance_category` is {_performance_bands_text()}. Ordered by `element`.",
        responses={200: TelemetryPerformanceSerializer(many=True), **error_responses(400, 401)},
    )
)
class TelemetryPerformanceViewSet(OwnedViewRowViewSet):
    rows = staticmethod(selectors.telemetry_performance_list)
    serializer_class = TelemetryPerformanceSerializer
    filterset_class = filters.TelemetryPerformanceFilter

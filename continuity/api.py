from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from continuity import filters, selectors
from continuity.engine import NEVER_TRIED_RATE, PERFORMANCE_BANDS
from continuity.serializers import (
    ContinuityLogSerializer,
    DailyAnalyticsSerializer,
    EnhancedPromptSerializer,
    EnhancePromptSerializer,
    RecentValidationSerializer,
    SceneInputSerializer,
    SceneStateSerializer,
    TelemetryPerformanceSerializer,
    TelemetryRecordListSerializer,
    TelemetryRecordSerializer,
    TelemetrySerializer,
    ValidateBatchSerializer,
    ValidationResultSerializer,
)
from continuity.services import scene_states_validate, telemetry_create, telemetry_record, telemetry_update
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
    record=extend_schema(
        summary="Record whether prompt elements showed up in a clip",
        description='A body of one `{"element", "appeared"}` or a list of them (at most 1000). Each record adds '
        "one attempt, and one success when `appeared`, to your row of the element (created when missing), and "
        "`rate` is recomputed, in one statement per element: concurrent records lose no count. Answers the rows "
        "of the elements recorded. Counters past 2147483647 are a 409 (`telemetry_full`).",
        request=TelemetryRecordSerializer(many=True),
        responses={200: TelemetrySerializer(many=True), **error_responses(*WRITE_ERRORS)},
    ),
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

    @action(detail=False, methods=["post"], filterset_class=None)
    def record(self, request: Request) -> Response:
        records = TelemetryRecordListSerializer(
            data={"records": request.data if isinstance(request.data, list) else [request.data]}
        )
        records.is_valid(raise_exception=True)
        rows = telemetry_record(user_id=request.user.pk, records=records.validated_data["records"])
        return Response(TelemetrySerializer(rows, many=True).data)

    @extend_schema(exclude=True)
    @record.mapping.get
    @record.mapping.put
    @record.mapping.patch
    @record.mapping.delete
    def element_named_record(self, request: Request, *args, **kwargs) -> Response:
        """Serve the row of the element "record", whose item path the record action's path shadows."""
        self.kwargs[self.lookup_field] = "record"
        handlers = {"GET": self.retrieve, "PUT": self.update, "PATCH": self.partial_update, "DELETE": self.destroy}
        return handlers[request.method](request, *args, **kwargs)


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


# The engine's actions conflict with nothing stored: a scene state is replaced under the caller's own number.
ENGINE_ERRORS = (400, 401, 413, 415)
VALIDATION_RULES = (
    "Confidence starts at 1.0 and is multiplied by 0.7 for each prop of the previous scene missing, by 0.5 for each "
    "character of the previous scene missing when both share the location, and by 0.6 when the tones' VADER "
    "sentiments differ by more than 0.8; the scene passes at 0.6 or more, below that `ask_human` is true. Names "
    "compare without case or extra whitespace. The scene is stored as your scene state (replacing the one with its "
    '`id`) and every validation is a `continuity_logs` row. `enhanced_prompt` appends ", CLEARLY SHOWING <prop>" '
    f'for each prop whose telemetry rate is below 0.5 (never tried: {NEVER_TRIED_RATE}) and ", <character> with same '
    'appearance as previous scene" for each character of the previous scene.'
)


@extend_schema_view(
    validate=extend_schema(
        summary="Validate a scene against the previous one",
        description=f"Compared with `previous_id`, by default with your scene state of the greatest id below `id`. "
        f"{VALIDATION_RULES}",
        request=SceneInputSerializer,
        responses={200: ValidationResultSerializer, **error_responses(*ENGINE_ERRORS)},
    ),
    validate_batch=extend_schema(
        summary="Validate an ordered sequence of scenes",
        description="Each scene is compared with its `previous_id` or else the scene before it in `scenes` (at most "
        "500); the first with your scene state of the greatest id below its own, or with nothing when "
        f"`opens_sequence`. All scenes and logs are stored, or none (one transaction). {VALIDATION_RULES}",
        request=ValidateBatchSerializer,
        responses={200: ValidationResultSerializer(many=True), **error_responses(*ENGINE_ERRORS)},
    ),
    enhance_prompt=extend_schema(
        summary="Enhance a scene's prompt with your telemetry",
        description="Applies the enhancement rules (see validate) without storing anything. The previous scene is "
        "`previous_id`, else your scene state of the greatest id below `id`, else none.",
        request=EnhancePromptSerializer,
        responses={200: EnhancedPromptSerializer, **error_responses(*ENGINE_ERRORS)},
    ),
)
class ContinuityViewSet(viewsets.ViewSet):
    """The continuity engine on the server: validation of scenes and prompt enhancement for the signed-in user."""

    @action(detail=False, methods=["post"])
    def validate(self, request: Request) -> Response:
        scene = SceneInputSerializer(data=request.data)
        scene.is_valid(raise_exception=True)
        results = scene_states_validate(user_id=request.user.pk, scenes=[scene.validated_data])
        return Response(ValidationResultSerializer(results[0]).data)

    @action(detail=False, methods=["post"])
    def validate_batch(self, request: Request) -> Response:
        batch = ValidateBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        results = scene_states_validate(user_id=request.user.pk, **batch.validated_data)
        return Response(ValidationResultSerializer(results, many=True).data)

    @action(detail=False, methods=["post"])
    def enhance_prompt(self, request: Request) -> Response:
        scene = EnhancePromptSerializer(data=request.data)
        scene.is_valid(raise_exception=True)
        values = dict(scene.validated_data)
        prompt = selectors.prompt_enhanced(
            user_id=request.user.pk, previous_id=values.pop("previous_id", None), scene=values
        )
        return Response({"enhanced_prompt": prompt})

"""Reads of scene states, continuity logs, telemetry and the continuity views, always within one user's rows."""

import uuid

from django.db.models import QuerySet

from continuity.models import (
    ContinuityLog,
    DailyAnalytics,
    RecentValidation,
    SceneState,
    Telemetry,
    TelemetryPerformance,
)


def scene_state_list(*, user_id: uuid.UUID | None) -> QuerySet[SceneState]:
    """The user's scene states, by the app's scene number."""
    return SceneState.objects.owned_by(user_id).order_by("id")


def continuity_log_list(*, user_id: uuid.UUID | None) -> QuerySet[ContinuityLog]:
    """The user's continuity validations, newest first."""
    return ContinuityLog.objects.owned_by(user_id).order_by("-timestamp", "id")


def telemetry_list(*, user_id: uuid.UUID | None) -> QuerySet[Telemetry]:
    """The user's telemetry, one row per prompt element, by element."""
    return Telemetry.objects.owned_by(user_id).order_by("element")


def daily_analytics_list(*, user_id: uuid.UUID | None) -> QuerySet[DailyAnalytics]:
    """The user's validations per UTC day, newest day first."""
    return DailyAnalytics.objects.owned_by(user_id).order_by("-validation_date")


def recent_validation_list(*, user_id: uuid.UUID | None) -> QuerySet[RecentValidation]:
    """The user's validations of the last seven days, newest first."""
    return RecentValidation.objects.owned_by(user_id).order_by("-timestamp", "scene_id")


def telemetry_performance_list(*, user_id: uuid.UUID | None) -> QuerySet[TelemetryPerformance]:
    """The user's telemetry with its performance category, by element."""
    return TelemetryPerformance.objects.owned_by(user_id).order_by("element")

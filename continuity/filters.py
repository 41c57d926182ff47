from django_filters import rest_framework as filters

from continuity.engine import PERFORMANCE_CATEGORIES
from continuity.models import (
    ContinuityLog,
    DailyAnalytics,
    RecentValidation,
    SceneState,
    Telemetry,
    TelemetryPerformance,
)
from directorstudio.filters import RowFilterSet


class SceneStateFilter(RowFilterSet):
    class Meta:
        model = SceneState
        fields = {"updated_at": ["gte", "lte"]}


class ContinuityLogFilter(RowFilterSet):
    class Meta:
        model = ContinuityLog
        fields = {"scene_id": ["exact"], "passed": ["exact"], "timestamp": ["gte", "lte"]}


class TelemetryFilter(RowFilterSet):
    element = filters.CharFilter(max_length=500)

    class Meta:
        model = Telemetry
        fields: list[str] = []


class DailyAnalyticsFilter(RowFilterSet):
    class Meta:
        model = DailyAnalytics
        fields = {"validation_date": ["gte", "lte"]}


class RecentValidationFilter(RowFilterSet):
    class Meta:
        model = RecentValidation
        fields = {"scene_id": ["exact"], "passed": ["exact"]}


class TelemetryPerformanceFilter(RowFilterSet):
    element = filters.CharFilter(max_length=500)
    performance_category = filters.ChoiceFilter(choices=[(category, category) for category in PERFORMANCE_CATEGORIES])

    class Meta:
        model = TelemetryPerformance
        fields: list[str] = []

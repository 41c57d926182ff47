from django import forms
from django.contrib import admin
from django.http import HttpRequest

from continuity.engine import PERFORMANCE_CATEGORIES
from continuity.models import (
    ContinuityLog,
    DailyAnalytics,
    RecentValidation,
    SceneState,
    Telemetry,
    TelemetryPerformance,
)
from continuity.services import telemetry_update
from directorstudio.admin import DatabaseViewAdmin, DirectorStudioModelAdmin, json_summary


@admin.register(SceneState)
class SceneStateAdmin(DirectorStudioModelAdmin):
    list_display = ("id", "location", "characters_summary", "props_summary", "tone", "user_id", "timestamp")
    list_display_links = ("id", "location")
    search_fields = ("=user_id", "=id", "location", "prompt")
    list_filter = ("timestamp", "updated_at")
    date_hierarchy = "timestamp"
    ordering = ("user_id", "id")
    readonly_fields = ("created_at", "updated_at")
    fields = (
        "user_id",
        "id",
        "location",
        "characters",
        "props",
        "prompt",
        "tone",
        "timestamp",
        "created_at",
        "updated_at",
    )

    @admin.display(description="characters")
    def characters_summary(self, obj: SceneState) -> str:
        return json_summary(obj.characters)

    @admin.display(description="props")
    def props_summary(self, obj: SceneState) -> str:
        return json_summary(obj.props)


@admin.register(ContinuityLog)
class ContinuityLogAdmin(DirectorStudioModelAdmin):
    list_display = ("scene_id", "confidence", "passed", "issues_summary", "user_id", "timestamp")
    list_display_links = ("scene_id", "confidence")
    search_fields = ("=id", "=user_id", "=scene_id")
    list_filter = ("passed", "timestamp")
    date_hierarchy = "timestamp"
    ordering = ("-timestamp",)  # newest first, from continuity_logs_timestamp_idx
    readonly_fields = ("id", "created_at")
    fields = ("id", "user_id", "scene_id", "confidence", "passed", "issues", "timestamp", "created_at")

    @admin.display(description="issues")
    def issues_summary(self, obj: ContinuityLog) -> str:
        return json_summary(obj.issues)


@admin.register(Telemetry)
class TelemetryAdmin(DirectorStudioModelAdmin):
    list_display = ("element", "attempts", "successes", "rate", "user_id", "updated_at")
    search_fields = ("=user_id", "element")
    list_filter = ("updated_at", "timestamp")
    date_hierarchy = "updated_at"
    ordering = ("user_id", "element")
    readonly_fields = ("rate", "created_at", "updated_at")
    fields = ("user_id", "element", "attempts", "successes", "rate", "timestamp", "created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: Telemetry, form: forms.ModelForm, change: bool) -> None:
        """Save through the service, which computes the rate from the counts."""
        telemetry_update(telemetry=obj, values={})


@admin.register(DailyAnalytics)
class DailyAnalyticsAdmin(DatabaseViewAdmin):
    list_display = (
        "validation_date",
        "user_id",
        "total_scenes",
        "scenes_passed",
        "scenes_failed",
        "avg_confidence",
        "min_confidence",
        "max_confidence",
        "confidence_stddev",
    )
    search_fields = ("=user_id",)
    list_filter = ("validation_date",)
    date_hierarchy = "validation_date"


@admin.register(RecentValidation)
class RecentValidationAdmin(DatabaseViewAdmin):
    list_display = ("scene_id", "confidence", "passed", "issue_count", "user_id", "timestamp")
    search_fields = ("=user_id", "=scene_id")
    list_filter = ("passed", "timestamp")
    date_hierarchy = "timestamp"


class PerformanceCategoryFilter(admin.SimpleListFilter):
    """Filter telemetry performance by its category, without scanning the view for distinct values."""

    title = "performance category"
    parameter_name = "performance_category"

    def lookups(self, request, model_admin):
        return [(category, category) for category in PERFORMANCE_CATEGORIES]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(performance_category=self.value())
        return queryset


@admin.register(TelemetryPerformance)
class TelemetryPerformanceAdmin(DatabaseViewAdmin):
    list_display = ("element", "performance_category", "rate", "attempts", "successes", "user_id", "last_updated")
    search_fields = ("=user_id", "element")
    list_filter = (PerformanceCategoryFilter, "last_updated")
    date_hierarchy = "last_updated"

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from continuity.engine import PERFORMANCE_BANDS, RULES, issues_from_json
from continuity.models import (
    ContinuityLog,
    DailyAnalytics,
    RecentValidation,
    SceneState,
    Telemetry,
    TelemetryPerformance,
)
from continuity.services import telemetry_update
from directorstudio.admin import DatabaseViewAdmin, DirectorStudioModelAdmin, ReadOnlyModelAdmin, json_summary


class PerformanceCategoryFilter(admin.SimpleListFilter):
    """Filter telemetry (the table or the view) by performance category: the rate's band, no scan for values."""

    title = "performance category"
    parameter_name = "performance_category"

    def lookups(self, request, model_admin):
        return [(band.name, band.name) for band in PERFORMANCE_BANDS]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        ceiling = None
        for band in PERFORMANCE_BANDS:
            if band.name == self.value():
                within = queryset.filter(rate__gte=band.lowest_rate) if band is not PERFORMANCE_BANDS[-1] else queryset
                return within.filter(rate__lt=ceiling) if ceiling is not None else within
            ceiling = band.lowest_rate
        return queryset


@admin.register(SceneState)
class SceneStateAdmin(DirectorStudioModelAdmin):
    list_display = ("id", "location", "characters_summary", "props_summary", "tone", "owner", "timestamp")
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


class IssueRuleFilter(admin.SimpleListFilter):
    """Filter validations by a rule among their issues, stored as objects or as the app's plain messages."""

    title = "issue rule"
    parameter_name = "rule"
    # How each rule's message reads when the app stored the message alone.
    LEGACY_WORDS = {"prop_persistence": "disappeared (was in scene", "character_location": "vanished from"}

    def lookups(self, request, model_admin):
        return [(rule, rule.replace("_", " ")) for rule in RULES]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() not in RULES:
            return queryset
        legacy = self.LEGACY_WORDS.get(self.value(), "Tone jumped:")
        return queryset.filter(Q(issues__contains=[{"rule": self.value()}]) | Q(issues__icontains=legacy))


@admin.register(ContinuityLog)
class ContinuityLogAdmin(ReadOnlyModelAdmin):
    """The validations the continuity engine recorded, read-only."""

    no_delete_reason = (
        "Continuity logs are the validations the continuity engine recorded: they are never added, changed or "
        "deleted by hand, so each scene's history and the analytics show what was checked."
    )
    list_display = ("scene_id", "confidence", "passed", "issues_summary", "owner", "timestamp")
    list_display_links = ("scene_id", "confidence")
    search_fields = ("=id", "=user_id", "=scene_id")
    list_filter = ("passed", IssueRuleFilter, "timestamp")
    date_hierarchy = "timestamp"
    ordering = ("-timestamp",)  # newest first, from continuity_logs_timestamp_idx
    readonly_fields = ("id", "issue_list", "created_at")
    fields = ("id", "user_id", "scene_id", "confidence", "passed", "issue_list", "issues", "timestamp", "created_at")

    @admin.display(description="issues")
    def issues_summary(self, obj: ContinuityLog) -> str:
        return json_summary([issue.message for issue in issues_from_json(obj.issues)] or obj.issues)

    @admin.display(description="issues found")
    def issue_list(self, obj: ContinuityLog) -> str:
        """The issues one a line, with rule and severity, whichever shape they were stored in."""
        issues = issues_from_json(obj.issues)
        return (
            format_html_join(
                "\n", "<div>{} <small>({}, {})</small></div>", ((i.message, i.rule, i.severity or "—") for i in issues)
            )
            or "—"
        )


@admin.register(Telemetry)
class TelemetryAdmin(DirectorStudioModelAdmin):
    list_display = ("element", "attempts", "successes", "rate", "owner", "updated_at")
    search_fields = ("=user_id", "element")
    list_filter = (PerformanceCategoryFilter, "updated_at", "timestamp")
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
        "owner",
        "total_scenes",
        "scenes_passed",
        "scenes_failed",
        "avg_confidence",
    )
    search_fields = ("=user_id",)
    list_filter = ("validation_date",)
    date_hierarchy = "validation_date"


@admin.register(RecentValidation)
class RecentValidationAdmin(DatabaseViewAdmin):
    list_display = ("scene_id", "confidence", "passed", "issue_count", "owner", "timestamp")
    search_fields = ("=user_id", "=scene_id")
    list_filter = ("passed", "timestamp")
    date_hierarchy = "timestamp"


@admin.register(TelemetryPerformance)
class TelemetryPerformanceAdmin(DatabaseViewAdmin):
    list_display = ("element", "category", "rate", "attempts", "owner", "last_updated")
    search_fields = ("=user_id", "element")
    list_filter = (PerformanceCategoryFilter, "last_updated")
    date_hierarchy = "last_updated"

    @admin.display(description="category", ordering="performance_category")
    def category(self, obj: TelemetryPerformance) -> str:
        return obj.performance_category

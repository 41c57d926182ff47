from typing import Any

from rest_framework import serializers

from continuity.models import (
    ContinuityLog,
    DailyAnalytics,
    RecentValidation,
    SceneState,
    Telemetry,
    TelemetryPerformance,
)
from directorstudio.serializers import INTEGER_MAX, OwnedRowSerializer, RowSerializer


class TextItemField(serializers.CharField):
    """A string inside a JSON array; numbers and other JSON types are refused rather than turned into text."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def text_list_field(*, help_text: str) -> serializers.ListField:
    """A JSON array of non-empty strings: the engine's character names, props and issue messages."""
    return serializers.ListField(
        child=TextItemField(max_length=500), max_length=1000, help_text=help_text, allow_empty=True
    )


class SceneStateSerializer(RowSerializer):
    """A scene state; `id` is the app's own scene number, chosen on create and fixed afterwards."""

    id = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX, help_text="The app's scene number.")
    location = serializers.CharField(max_length=500, allow_blank=True)
    characters = text_list_field(help_text="Names of the characters in the scene.")
    props = text_list_field(help_text="Props in the scene.")
    prompt = serializers.CharField(max_length=4000, allow_blank=True)
    tone = serializers.CharField(max_length=200, allow_blank=True, help_text="A mood word or phrase.")

    class Meta:
        model = SceneState
        fields = [
            "id",
            "location",
            "characters",
            "props",
            "prompt",
            "tone",
            "timestamp",
            "user_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["user_id", "created_at", "updated_at"]
        extra_kwargs = {"timestamp": {"required": False}}

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if isinstance(self.instance, SceneState):
            fields["id"].read_only = True
        return fields


class ContinuityLogSerializer(OwnedRowSerializer):
    """One validation result of a scene; `timestamp` defaults to the time of the create."""

    scene_id = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX)
    confidence = serializers.FloatField(min_value=0, max_value=1)
    issues = text_list_field(help_text="The issues found, one message each.")

    class Meta:
        model = ContinuityLog
        fields = ["id", "scene_id", "confidence", "issues", "passed", "timestamp", "user_id", "created_at"]
        read_only_fields = ["user_id", "created_at"]
        extra_kwargs = {"timestamp": {"required": False}}


class TelemetrySerializer(RowSerializer):
    """How often a prompt element showed up; `rate` is computed by the server from the two counts."""

    element = serializers.CharField(max_length=500, help_text="A prop or character word.")
    attempts = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX, required=False)
    successes = serializers.IntegerField(
        min_value=0, max_value=INTEGER_MAX, required=False, help_text="At most `attempts`."
    )

    class Meta:
        model = Telemetry
        fields = ["element", "attempts", "successes", "rate", "timestamp", "user_id", "created_at", "updated_at"]
        read_only_fields = ["rate", "user_id", "created_at", "updated_at"]
        extra_kwargs = {"timestamp": {"required": False}}

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if isinstance(self.instance, Telemetry):
            fields["element"].read_only = True
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attempts = attrs.get("attempts", getattr(self.instance, "attempts", 0))
        successes = attrs.get("successes", getattr(self.instance, "successes", 0))
        if successes > attempts:
            raise serializers.ValidationError({"successes": ["Cannot be more than attempts."]})
        return attrs


class DailyAnalyticsSerializer(RowSerializer):
    class Meta:
        model = DailyAnalytics
        fields = [
            "user_id",
            "validation_date",
            "total_scenes",
            "avg_confidence",
            "scenes_passed",
            "scenes_failed",
            "min_confidence",
            "max_confidence",
            "confidence_stddev",
        ]


class RecentValidationSerializer(RowSerializer):
    class Meta:
        model = RecentValidation
        fields = ["user_id", "scene_id", "confidence", "passed", "issue_count", "timestamp"]


class TelemetryPerformanceSerializer(RowSerializer):
    class Meta:
        model = TelemetryPerformance
        fields = ["user_id", "element", "attempts", "successes", "rate", "performance_category", "last_updated"]

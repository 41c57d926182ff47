from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from continuity import engine
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


# Bounds of one scene in a validation: a scene lists at most this many characters and props.
SCENE_LIST_MAX = 200
BATCH_MAX = 500
TELEMETRY_RECORDS_MAX = 1000

ISSUE_SCHEMA = {
    "type": "object",
    "properties": {
        "rule": {"type": "string", "description": f"One of {', '.join(engine.RULES)}."},
        "element": {"type": "string", "description": "The prop, character or tone the issue is about."},
        "message": {"type": "string"},
        "severity": {"type": "string", "description": "high, medium or low."},
    },
    "required": ["rule", "element", "message", "severity"],
}


@extend_schema_field({"oneOf": [{"type": "string", "maxLength": 500}, ISSUE_SCHEMA]})
class IssueItemField(serializers.Field):
    """One stored issue: an object `{"rule", "element", "message", "severity"}`, or a message as older apps wrote."""

    default_error_messages = {"invalid": "Must be a message or an object of rule, element, message and severity."}
    ISSUE_KEYS = frozenset(ISSUE_SCHEMA["properties"])

    def to_internal_value(self, data: Any) -> str | dict[str, str]:
        texts = [data] if isinstance(data, str) else list(data.values()) if isinstance(data, dict) else [None]
        if isinstance(data, dict) and (set(data) != self.ISSUE_KEYS or not data["message"]):
            self.fail("invalid")
        if not texts[0] or not all(isinstance(text, str) and len(text) <= 500 and "\x00" not in text for text in texts):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


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
    issues = serializers.ListField(
        child=IssueItemField(),
        max_length=1000,
        help_text="The issues found: objects of the engine (`rule`, `element`, `message`, `severity`), or messages.",
    )

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


class SceneInputSerializer(serializers.Serializer):
    """A scene to validate: the app's scene number and the scene's state, optionally the state to compare it with."""

    id = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX, help_text="The app's scene number.")
    location = serializers.CharField(max_length=500, allow_blank=True)
    characters = serializers.ListField(child=TextItemField(max_length=500), max_length=SCENE_LIST_MAX)
    props = serializers.ListField(child=TextItemField(max_length=500), max_length=SCENE_LIST_MAX)
    prompt = serializers.CharField(max_length=4000, allow_blank=True)
    tone = serializers.CharField(max_length=200, allow_blank=True, help_text="A mood word or phrase.")
    previous_id = serializers.IntegerField(
        min_value=0,
        max_value=INTEGER_MAX,
        required=False,
        help_text="The id of your scene state to compare with; by default your state of the greatest id below `id` "
        "(in a batch: the scene before it).",
    )


class ValidateBatchSerializer(serializers.Serializer):
    """An ordered sequence of scenes, validated together."""

    scenes = serializers.ListField(child=SceneInputSerializer(), min_length=1, max_length=BATCH_MAX)
    opens_sequence = serializers.BooleanField(
        default=False,
        help_text="True when the first scene opens the sequence (compared with nothing, like a project's first scene).",
    )


@extend_schema_field(ISSUE_SCHEMA)
class IssueField(serializers.Field):
    """An issue the engine found, as an object."""

    def to_representation(self, value: engine.Issue) -> dict[str, str]:
        return value.as_json()


class ValidationResultSerializer(serializers.Serializer):
    """A scene's validation: confidence, pass or fail, whether to ask the writer, issues and the enhanced prompt."""

    scene_id = serializers.IntegerField()
    confidence = serializers.FloatField(source="validation.confidence")
    passed = serializers.BooleanField(source="validation.passed")
    ask_human = serializers.BooleanField(source="validation.ask_human")
    issues = serializers.ListField(child=IssueField(), source="validation.issues")
    enhanced_prompt = serializers.CharField()


class TelemetryRecordSerializer(serializers.Serializer):
    """Whether a prompt element showed up in a generated clip."""

    element = serializers.CharField(max_length=500, help_text="A prop or character word.")
    appeared = serializers.BooleanField()


class TelemetryRecordListSerializer(serializers.Serializer):
    """The records of one call (a body of one record or a list of them)."""

    records = serializers.ListField(child=TelemetryRecordSerializer(), min_length=1, max_length=TELEMETRY_RECORDS_MAX)


class EnhancePromptSerializer(SceneInputSerializer):
    """A scene whose prompt to enhance; without `id` or `previous_id` no previous scene is considered."""

    id = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX, required=False)
    location = serializers.CharField(max_length=500, allow_blank=True, required=False)
    tone = serializers.CharField(max_length=200, allow_blank=True, required=False)
    characters = serializers.ListField(child=TextItemField(max_length=500), max_length=SCENE_LIST_MAX, required=False)


class EnhancedPromptSerializer(serializers.Serializer):
    enhanced_prompt = serializers.CharField()

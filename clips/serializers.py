from rest_framework import serializers

from clips.models import ClipJob, ProjectOverview, SceneDraft, VideoUpload
from directorstudio.serializers import INTEGER_MAX, OwnedRowSerializer, RowSerializer

PROJECT_ID_MAX = 200
PROMPT_MAX = 4000
LABEL_MAX = 50
FILENAME_MAX = 1024
USER_KEY_MAX = 200
REORDER_MAX = 10_000


def _positive(value: float) -> None:
    if value <= 0:
        raise serializers.ValidationError("Must be greater than zero.")


class SceneDraftSerializer(OwnedRowSerializer):
    """A scene draft row."""

    project_id = serializers.CharField(max_length=PROJECT_ID_MAX)
    order_index = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX)
    prompt_text = serializers.CharField(max_length=PROMPT_MAX)
    duration = serializers.FloatField(validators=[_positive], help_text="Seconds, greater than zero.")
    scene_type = serializers.CharField(max_length=LABEL_MAX, required=False, allow_null=True, allow_blank=True)
    shot_type = serializers.CharField(max_length=LABEL_MAX, required=False, allow_null=True, allow_blank=True)

    class Meta:
        model = SceneDraft
        fields = [
            "id",
            "user_id",
            "project_id",
            "order_index",
            "prompt_text",
            "duration",
            "scene_type",
            "shot_type",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["user_id", "created_at", "updated_at"]


class SceneDraftReorderSerializer(serializers.Serializer):
    """A project and all of its scene draft ids in their new order."""

    project_id = serializers.CharField(max_length=PROJECT_ID_MAX)
    ids = serializers.ListField(
        child=serializers.UUIDField(),
        allow_empty=False,
        max_length=REORDER_MAX,
        help_text="Every scene draft id of the project exactly once, in the new order.",
    )


class ClipJobSerializer(OwnedRowSerializer):
    """A clip job row; the server owns its status and results."""

    user_key = serializers.CharField(
        max_length=USER_KEY_MAX,
        required=False,
        help_text="The ledger key whose credit pays for the clip; may be left out when you have exactly one.",
    )
    prompt = serializers.CharField(max_length=PROMPT_MAX)

    class Meta:
        model = ClipJob
        fields = [
            "id",
            "user_id",
            "user_key",
            "prompt",
            "status",
            "submitted_at",
            "completed_at",
            "download_url",
            "error_message",
        ]
        read_only_fields = ["user_id", "status", "submitted_at", "completed_at", "download_url", "error_message"]


class VideoUploadSerializer(OwnedRowSerializer):
    """A video upload row."""

    project_id = serializers.CharField(max_length=PROJECT_ID_MAX, required=False, allow_null=True, allow_blank=True)
    order_index = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX, required=False, allow_null=True)
    filename = serializers.CharField(max_length=FILENAME_MAX, required=False, allow_null=True, allow_blank=True)

    class Meta:
        model = VideoUpload
        fields = ["id", "project_id", "order_index", "filename", "uploaded_at", "user_id"]
        read_only_fields = ["uploaded_at", "user_id"]


class ProjectOverviewSerializer(RowSerializer):
    """A project_overview row: one project's scene count, total duration and dates."""

    class Meta:
        model = ProjectOverview
        fields = ["project_id", "user_id", "scene_count", "total_duration", "project_created_at", "last_updated"]

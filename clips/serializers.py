from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clips import downloads
from clips.models import SCENE_DURATION_MAX, ClipJob, FilmExport, ProjectOverview, SceneDraft, VideoUpload
from directorstudio.serializers import INTEGER_MAX, OffsetDateTimeField, OwnedRowSerializer, RowSerializer

PROJECT_ID_MAX = 200
PROMPT_MAX = 4000
LABEL_MAX = 50
FILENAME_MAX = 1024
USER_KEY_MAX = 200
REORDER_MAX = 10_000


def _duration_in_range(value: float) -> None:
    if not 0 < value <= SCENE_DURATION_MAX:  # also refuses NaN
        raise serializers.ValidationError(f"Must be greater than zero and at most {SCENE_DURATION_MAX} seconds.")


class SceneDraftSerializer(OwnedRowSerializer):
    """A scene draft row."""

    project_id = serializers.CharField(max_length=PROJECT_ID_MAX)
    order_index = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX)
    prompt_text = serializers.CharField(max_length=PROMPT_MAX)
    duration = serializers.FloatField(
        validators=[_duration_in_range], help_text=f"Seconds, greater than zero and at most {SCENE_DURATION_MAX}."
    )
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


class VideoUploadReorderSerializer(SceneDraftReorderSerializer):
    """A project and all of its video upload ids in their new order."""


class ProjectClipsSubmitSerializer(serializers.Serializer):
    """A project whose scenes without a clip get one each, and optionally the ledger key that pays."""

    project_id = serializers.CharField(max_length=PROJECT_ID_MAX)
    user_key = serializers.CharField(max_length=USER_KEY_MAX, required=False)


class SceneClipSubmitSerializer(serializers.Serializer):
    """Optionally the ledger key that pays for a scene's clip (left out: your only ledger row)."""

    user_key = serializers.CharField(max_length=USER_KEY_MAX, required=False)


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


class VideoUploadFileSerializer(serializers.Serializer):
    """A multipart upload: the video file, its project and optionally its place."""

    file = serializers.FileField(help_text="The video; probed with ffmpeg and stored as an MP4.")
    project_id = serializers.CharField(max_length=PROJECT_ID_MAX)
    order_index = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX, required=False)


class SceneClipJobSerializer(ClipJobSerializer):
    """A scene's latest clip job, with its scene, its poster's URL and when its current run started."""

    scene_draft_id = serializers.UUIDField(source="scene_link.scene_draft_id", read_only=True)
    poster_url = serializers.SerializerMethodField()
    started_at = OffsetDateTimeField(
        source="run.started_at", read_only=True, allow_null=True, help_text="When its current or last run started."
    )

    class Meta(ClipJobSerializer.Meta):
        fields = [*ClipJobSerializer.Meta.fields, "scene_draft_id", "poster_url", "started_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_poster_url(self, job: ClipJob) -> str | None:
        if job.status != ClipJob.Status.COMPLETED:
            return None
        return downloads.clip_poster_url(clip_job_id=job.id, user_id=job.user_id)


class FilmExportSerializer(RowSerializer):
    """A film export: its state, progress and, once completed, the signed URL of the MP4."""

    missing = serializers.ChoiceField(
        choices=FilmExport.Missing.choices,
        default=FilmExport.Missing.SKIP,
        help_text="A scene without a finished clip: skip it, or show its prompt as a title card.",
    )
    project_id = serializers.CharField(max_length=PROJECT_ID_MAX)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = FilmExport
        fields = [
            "id",
            "project_id",
            "missing",
            "status",
            "progress",
            "duration",
            "error_message",
            "created_at",
            "completed_at",
            "download_url",
        ]
        read_only_fields = ["id", "status", "progress", "duration", "error_message", "created_at", "completed_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, export: FilmExport) -> str | None:
        if export.status != FilmExport.Status.COMPLETED:
            return None
        return downloads.film_download_url(film_export_id=export.id, user_id=export.user_id)


class VideoUploadWithUrlSerializer(VideoUploadSerializer):
    """A video upload with the signed URL of the MP4 this server stored for it (null for the app's own files)."""

    video_url = serializers.SerializerMethodField()

    class Meta(VideoUploadSerializer.Meta):
        fields = [*VideoUploadSerializer.Meta.fields, "video_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_video_url(self, upload: VideoUpload) -> str | None:
        if upload.filename != downloads.clip_file_name(clip_job_id=upload.id, kind=downloads.UPLOAD):
            return None
        return downloads.video_upload_url(video_upload_id=upload.id, user_id=upload.user_id)


class LedgerBalanceSerializer(serializers.Serializer):
    """One of your ledger rows' key and balance."""

    user_key = serializers.CharField()
    credits = serializers.IntegerField()


class ProjectStateSerializer(serializers.Serializer):
    """What changes on a project's timeline by itself: the scenes' latest clips, credits, uploads and the export."""

    project_id = serializers.CharField()
    credits = serializers.IntegerField(help_text="The sum of your ledger rows' balances.")
    ledger = LedgerBalanceSerializer(many=True)
    clip_jobs = serializers.SerializerMethodField(help_text="The latest clip job of each scene that has one.")
    video_uploads = VideoUploadWithUrlSerializer(many=True)
    film_export = FilmExportSerializer(allow_null=True, help_text="The project's latest film export, if any.")

    @extend_schema_field(SceneClipJobSerializer(many=True))
    def get_clip_jobs(self, state) -> list[dict]:
        return SceneClipJobSerializer(list(state.clip_jobs.values()), many=True).data


class ProjectOverviewSerializer(RowSerializer):
    """A project_overview row: one project's scene count, total duration and dates."""

    class Meta:
        model = ProjectOverview
        fields = ["project_id", "user_id", "scene_count", "total_duration", "project_created_at", "last_updated"]

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Now, Upper
from django.utils import timezone

from directorstudio.fields import UTCTimestampField
from directorstudio.querysets import OwnedQuerySet

# The longest scene draft (seconds): ten minutes, enforced by the API and by a check constraint.
SCENE_DURATION_MAX = 600


class SceneDraft(models.Model):
    """One scene of a project's timeline; a project is the set of drafts sharing `project_id`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    user_id = models.UUIDField(help_text="Supabase auth user id of the owner.")
    project_id = models.TextField(help_text="The project this scene belongs to (a UUID string in the app).")
    order_index = models.IntegerField(help_text="0-based position on the project's timeline.")
    prompt_text = models.TextField()
    duration = models.FloatField(help_text="Seconds, greater than zero and at most 600.")
    scene_type = models.TextField(null=True, blank=True, help_text="For example INT or EXT.")
    shot_type = models.TextField(null=True, blank=True, help_text="For example wide, medium or close-up.")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(default=timezone.now, db_default=Now())

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "scene_drafts"
        ordering = ["project_id", "order_index"]
        indexes = [
            models.Index(fields=["user_id", "project_id", "order_index"], name="scene_drafts_project_order_idx"),
            models.Index(fields=["created_at"], name="scene_drafts_created_idx"),
            # The admin's prompt search is UPPER(prompt_text) LIKE '%…%': a trigram index answers it.
            GinIndex(OpClass(Upper("prompt_text"), name="gin_trgm_ops"), name="scene_drafts_prompt_trgm_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(duration__gt=0), name="scene_drafts_duration_positive"),
            models.CheckConstraint(
                condition=models.Q(duration__lte=SCENE_DURATION_MAX), name="scene_drafts_duration_at_most_600"
            ),
            models.CheckConstraint(condition=models.Q(order_index__gte=0), name="scene_drafts_order_index_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} #{self.order_index}"


class ClipJobStatus(models.TextChoices):
    """A clip job's life: queued when its credit is taken, then processing, then an end state."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ClipJob(models.Model):
    """A request to the AI video service for one clip, paid for with one credit."""

    Status = ClipJobStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    user_id = models.UUIDField(help_text="Supabase auth user id of the owner.")
    user_key = models.TextField(help_text="The ledger key whose credit pays for this job.")
    prompt = models.TextField()
    status = models.TextField(choices=Status.choices, default=Status.QUEUED, db_default=Status.QUEUED)
    submitted_at = models.DateTimeField(default=timezone.now, db_default=Now())
    completed_at = models.DateTimeField(null=True, blank=True)
    download_url = models.TextField(null=True, blank=True)
    error_message = models.TextField(null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "clip_jobs"
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["user_id", "-submitted_at"], name="clip_jobs_user_submitted_idx"),
            models.Index(fields=["user_key"], name="clip_jobs_user_key_idx"),
            # Status and completion ride along, so the operations page's figures of recent jobs read the index only.
            models.Index(fields=["submitted_at"], include=["status", "completed_at"], name="clip_jobs_submitted_idx"),
            models.Index(fields=["status"], name="clip_jobs_status_idx"),
            GinIndex(OpClass(Upper("prompt"), name="gin_trgm_ops"), name="clip_jobs_prompt_trgm_idx"),
            # The task worker's queue: only unfinished jobs, so it stays small (the status for the operations page).
            models.Index(
                fields=["submitted_at"],
                include=["status"],
                name="clip_jobs_unfinished_idx",
                condition=models.Q(status__in=[ClipJobStatus.QUEUED, ClipJobStatus.PROCESSING]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ClipJobStatus.values),
                name="clip_jobs_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status}: {self.prompt[:40]}"


class VideoUpload(models.Model):
    """A video file a user attached to a project, placed by `order_index`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    project_id = models.TextField(null=True, blank=True)
    order_index = models.IntegerField(null=True, blank=True)
    filename = models.TextField(null=True, blank=True, help_text="The stored object's name.")
    uploaded_at = UTCTimestampField(null=True, blank=True, default=timezone.now, db_default=Now())
    user_id = models.UUIDField(null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "video_uploads"
        ordering = ["project_id", "order_index"]
        indexes = [
            models.Index(fields=["user_id", "project_id", "order_index"], name="video_uploads_project_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(order_index__gte=0) | models.Q(order_index__isnull=True),
                name="video_uploads_order_index_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return self.filename or str(self.id)


class ProjectOverview(models.Model):
    """Per user and project: scene count, total duration, first creation and last update (a view)."""

    # Views are read-only; the key only identifies a row, so its parts are declared NOT NULL
    # here even though a view column is always nullable in PostgreSQL.

    pk = models.CompositePrimaryKey("user_id", "project_id")
    project_id = models.TextField()
    user_id = models.UUIDField()
    scene_count = models.BigIntegerField(null=True)
    total_duration = models.FloatField(null=True)
    project_created_at = models.DateTimeField(null=True)
    last_updated = models.DateTimeField(null=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "project_overview"
        ordering = ["-last_updated"]
        verbose_name = "project overview"
        verbose_name_plural = "project overviews"

    def __str__(self) -> str:
        return self.project_id or ""


class ClipJobRun(models.Model):
    """The server's bookkeeping of a clip job's runs (clip_jobs has no column for it): attempts and the last start."""

    # No database constraint: the app may delete clip_jobs rows through Supabase, which must not be refused.
    clip_job = models.OneToOneField(
        ClipJob,
        primary_key=True,
        on_delete=models.CASCADE,
        db_column="clip_job_id",
        db_constraint=False,
        related_name="run",
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Times a worker has started the job.")
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the current or last attempt started.")

    class Meta:
        db_table = "clip_job_runs"
        indexes = [models.Index(fields=["started_at"], name="clip_job_runs_started_idx")]

    def __str__(self) -> str:
        return f"{self.clip_job_id}: attempt {self.attempts}"


class SceneClipJob(models.Model):
    """The server's link from a scene draft to a clip job submitted for it (clip_jobs has no scene column)."""

    # No database constraints: the app may delete scene_drafts or clip_jobs rows through Supabase.
    clip_job = models.OneToOneField(
        ClipJob,
        primary_key=True,
        on_delete=models.CASCADE,
        db_column="clip_job_id",
        db_constraint=False,
        related_name="scene_link",
    )
    scene_draft = models.ForeignKey(
        SceneDraft, on_delete=models.CASCADE, db_column="scene_draft_id", db_constraint=False, related_name="clip_links"
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = "scene_clip_jobs"
        indexes = [models.Index(fields=["scene_draft", "-created_at"], name="scene_clip_jobs_scene_idx")]

    def __str__(self) -> str:
        return f"{self.scene_draft_id} -> {self.clip_job_id}"


class FilmExportStatus(models.TextChoices):
    """A film export's life: queued, processing, then completed or failed."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class FilmExportMissing(models.TextChoices):
    """What a film export does with a scene that has no finished clip."""

    SKIP = "skip"
    TITLE_CARD = "title_card"


class FilmExport(models.Model):
    """The server's record of one project's film export: its finished clips joined into one MP4 by a worker."""

    Status = FilmExportStatus
    Missing = FilmExportMissing

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    user_id = models.UUIDField()
    project_id = models.TextField()
    missing = models.TextField(choices=Missing.choices, default=Missing.SKIP)
    status = models.TextField(choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0, help_text="0 to 1 while it runs.")
    duration = models.FloatField(null=True, blank=True, help_text="Seconds of the finished film.")
    error_message = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "film_exports"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user_id", "project_id", "-created_at"], name="film_exports_project_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=FilmExportStatus.values), name="film_exports_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(missing__in=FilmExportMissing.values), name="film_exports_missing_known"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=1), name="film_exports_progress_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.status}"


class StorageObject(models.Model):
    """A file the app keeps in one of its Storage buckets (/storage/v1): its owner, name and metadata.

    Each user has their own names in a bucket (`<project>/<id>.mp4`), as Storage's row-level security
    keeps users apart; the bytes live in Django's default storage under `stored_name`, a name of their own,
    so a move renames the row and a replacement commits with its row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    user_id = models.UUIDField(help_text="Supabase auth user id of the owner.")
    bucket_id = models.TextField()
    name = models.TextField(help_text="The object's key in the bucket, e.g. `<project>/<id>.mp4`.")
    stored_name = models.TextField(unique=True, help_text="Where the default storage keeps the bytes.")
    size = models.BigIntegerField()
    mimetype = models.TextField()
    cache_control = models.TextField(default="no-cache")
    user_metadata = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(default=timezone.now, db_default=Now())
    last_accessed_at = models.DateTimeField(default=timezone.now, db_default=Now())

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "storage_objects"
        ordering = ["bucket_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user_id", "bucket_id", "name"], name="storage_objects_owner_name_unique"),
            models.CheckConstraint(condition=models.Q(size__gte=0), name="storage_objects_size_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.bucket_id}/{self.name}"

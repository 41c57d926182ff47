"""Reads of scene drafts, clip jobs, video uploads and project overviews, always within one user's rows."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db.models import Aggregate, Count, F, FloatField, Func, Min, Q, QuerySet, Value
from django.db.models.functions import Lower, StrIndex, Substr
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateWorker

from clips.models import ClipJob, FilmExport, ProjectOverview, SceneClipJob, SceneDraft, StorageObject, VideoUpload
from credits.models import CreditsLedger
from credits.selectors import credits_ledger_list
from directorstudio.errors import NotFound


def scene_draft_list(*, user_id: uuid.UUID | None) -> QuerySet[SceneDraft]:
    """The user's scene drafts, by project and `order_index`."""
    return SceneDraft.objects.owned_by(user_id).order_by("project_id", "order_index", "id")


def clip_job_list(*, user_id: uuid.UUID | None) -> QuerySet[ClipJob]:
    """The user's clip jobs, newest first."""
    return ClipJob.objects.owned_by(user_id).order_by("-submitted_at", "id")


def clip_jobs_stalled(*, now: datetime | None = None) -> QuerySet[ClipJob]:
    """Every user's jobs left in processing past CLIP_JOB_PROCESSING_TIMEOUT_SECONDS (a killed worker's)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.CLIP_JOB_PROCESSING_TIMEOUT_SECONDS)
    return (
        ClipJob.objects.filter(status=ClipJob.Status.PROCESSING)
        .filter(Q(run__started_at__lt=cutoff) | Q(run__isnull=True, submitted_at__lt=cutoff))
        .order_by("submitted_at")
    )


class PercentilesCont(Aggregate):
    """PostgreSQL's continuous percentiles of a value, from one sort: percentile_cont(ARRAY[fractions]) WITHIN
    GROUP (ORDER BY value), an array of them in the fractions' order (NULL over no rows).
    """

    function = "percentile_cont"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())

    def __init__(self, expression, fractions: tuple[float, ...], **extra) -> None:
        super().__init__(expression, fractions=", ".join(str(float(fraction)) for fraction in fractions), **extra)


@dataclass(frozen=True)
class ClipJobTimings:
    """How the jobs submitted since a moment fared: finished, failed, and submission to completion in seconds."""

    completed: int
    failed: int
    median_seconds: float | None
    p95_seconds: float | None

    @property
    def failure_rate(self) -> float | None:
        finished = self.completed + self.failed
        return self.failed / finished if finished else None


UNFINISHED_STATUSES = [ClipJob.Status.QUEUED, ClipJob.Status.PROCESSING]


def clip_jobs_by_status(*, finished_since: datetime) -> dict[str, int]:
    """Every user's clip jobs by status, every status listed: all unfinished ones, the rest submitted since then.

    Each count reads an index only: the unfinished jobs' index, and the submission index's recent part.
    """
    unfinished = ClipJob.objects.filter(status__in=UNFINISHED_STATUSES)
    finished = ClipJob.objects.filter(submitted_at__gte=finished_since).exclude(status__in=UNFINISHED_STATUSES)
    counts = {}
    for jobs in (unfinished, finished):
        counts.update(jobs.order_by().values_list("status").annotate(count=Count("*")))
    return {status: counts.get(status, 0) for status in ClipJob.Status.values}


def clip_job_queue_head() -> dict:
    """The queue's depth and the submission time of its oldest job (from the unfinished jobs' index)."""
    return ClipJob.objects.filter(status=ClipJob.Status.QUEUED).aggregate(depth=Count("*"), oldest=Min("submitted_at"))


def clip_job_timings(*, since: datetime) -> ClipJobTimings:
    """How the jobs submitted since `since` fared, from the submission index alone (it carries the rest)."""
    seconds = Func(F("completed_at") - F("submitted_at"), template="EXTRACT(EPOCH FROM %(expressions)s)")
    completed = Q(status=ClipJob.Status.COMPLETED, completed_at__isnull=False)
    figures = ClipJob.objects.filter(submitted_at__gte=since).aggregate(
        completed=Count("status", filter=completed),
        failed=Count("status", filter=Q(status=ClipJob.Status.FAILED)),
        percentiles=PercentilesCont(seconds, (0.5, 0.95), filter=completed),
    )
    median_seconds, p95_seconds = figures.pop("percentiles") or (None, None)
    return ClipJobTimings(**figures, median_seconds=median_seconds, p95_seconds=p95_seconds)


def clip_job_latest_failures(*, limit: int) -> QuerySet[ClipJob]:
    """The latest failed jobs of every user, newest first, with their messages."""
    return ClipJob.objects.filter(status=ClipJob.Status.FAILED).order_by("-submitted_at")[:limit]


def clip_job_workers() -> QuerySet[ProcrastinateWorker]:
    """The task workers Procrastinate has seen, the latest heartbeat first."""
    return ProcrastinateWorker.objects.order_by("-last_heartbeat")


def video_upload_list(*, user_id: uuid.UUID | None) -> QuerySet[VideoUpload]:
    """The user's video uploads, by project and `order_index`."""
    return VideoUpload.objects.owned_by(user_id).order_by("project_id", "order_index", "id")


def project_overview_list(*, user_id: uuid.UUID | None) -> QuerySet[ProjectOverview]:
    """The user's projects as the project_overview view sums them up, most recently changed first."""
    return ProjectOverview.objects.owned_by(user_id).order_by("-last_updated", "project_id")


def scene_draft_latest_clip_jobs(*, user_id: uuid.UUID | None, project_id: str) -> dict[uuid.UUID, ClipJob]:
    """The latest clip job submitted for each of the user's scene drafts of the project, by scene id (one query)."""
    links = (
        SceneClipJob.objects.filter(
            scene_draft__in=SceneDraft.objects.owned_by(user_id).filter(project_id=project_id),
            clip_job__in=ClipJob.objects.owned_by(user_id),
        )
        .select_related("clip_job__run")
        .order_by("scene_draft_id", "-created_at")
        .distinct("scene_draft_id")
    )
    return {link.scene_draft_id: link.clip_job for link in links}


def project_poster_clip_jobs(*, user_id: uuid.UUID | None, project_ids: list[str]) -> dict[str, ClipJob]:
    """For each of the projects, the latest completed clip of its first scene that has one (one query)."""
    links = (
        SceneClipJob.objects.filter(
            scene_draft__in=SceneDraft.objects.owned_by(user_id).filter(project_id__in=project_ids),
            clip_job__in=ClipJob.objects.owned_by(user_id).filter(status=ClipJob.Status.COMPLETED),
        )
        .select_related("clip_job", "scene_draft")
        .order_by("scene_draft__project_id", "scene_draft__order_index", "-created_at")
        .distinct("scene_draft__project_id")
    )
    return {link.scene_draft.project_id: link.clip_job for link in links}


def video_upload_project_list(*, user_id: uuid.UUID | None, project_id: str) -> QuerySet[VideoUpload]:
    """The user's video uploads of one project, in `order_index` order."""
    return video_upload_list(user_id=user_id).filter(project_id=project_id)


def film_export_list(*, user_id: uuid.UUID | None) -> QuerySet[FilmExport]:
    """The user's film exports, newest first."""
    return FilmExport.objects.owned_by(user_id).order_by("-created_at", "id")


@dataclass
class ProjectState:
    """What changes on a project's timeline by itself: clips, credits, uploads and the latest film export."""

    project_id: str
    clip_jobs: dict[uuid.UUID, ClipJob]
    credits: int
    ledger: list[CreditsLedger]
    video_uploads: list[VideoUpload]
    film_export: FilmExport | None


def project_state_get(*, user_id: uuid.UUID | None, project_id: str) -> ProjectState:
    """The project's state for the timeline's poll, in a fixed number of queries whatever its size."""
    ledger = list(credits_ledger_list(user_id=user_id).order_by("-credits", "user_key"))
    return ProjectState(
        project_id=project_id,
        clip_jobs=scene_draft_latest_clip_jobs(user_id=user_id, project_id=project_id),
        credits=sum(row.credits for row in ledger),
        ledger=ledger,
        video_uploads=list(video_upload_project_list(user_id=user_id, project_id=project_id)),
        film_export=film_export_list(user_id=user_id).filter(project_id=project_id).first(),
    )


def project_scene_drafts(*, user_id: uuid.UUID | None, project_id: str) -> list[SceneDraft]:
    """The project's scene drafts in order; NotFound when the user has none there (a project exists by its scenes)."""
    scenes = list(scene_draft_list(user_id=user_id).filter(project_id=project_id))
    if not scenes:
        raise NotFound("No such project.")
    return scenes


def storage_object_list(*, user_id: uuid.UUID | None, bucket_id: str) -> QuerySet[StorageObject]:
    """The user's objects of one Storage bucket, by name."""
    return StorageObject.objects.owned_by(user_id).filter(bucket_id=bucket_id).order_by("name")


def storage_object_get(*, user_id: uuid.UUID | None, bucket_id: str, name: str) -> StorageObject:
    """The user's object `name` of the bucket; NotFound when they have none of that name."""
    obj = storage_object_list(user_id=user_id, bucket_id=bucket_id).filter(name=name).first()
    if obj is None:
        raise NotFound("Object not found")
    return obj


def _storage_objects_below(*, user_id: uuid.UUID | None, bucket_id: str, prefix: str, search: str) -> QuerySet:
    """The user's objects whose names start with `prefix + search` (any case), with `slash`: where the first `/`
    after the prefix is (0 for an object directly in the prefix's folder).
    """
    return (
        storage_object_list(user_id=user_id, bucket_id=bucket_id)
        .filter(name__istartswith=prefix + search)
        .annotate(slash=StrIndex(Substr("name", len(prefix) + 1), Value("/")))
    )


def storage_object_folders(*, user_id: uuid.UUID | None, bucket_id: str, prefix: str, search: str) -> list[str]:
    """The names of the folders directly in `prefix` holding the user's objects that start with `prefix + search`."""
    rows = _storage_objects_below(user_id=user_id, bucket_id=bucket_id, prefix=prefix, search=search)
    folders = rows.filter(slash__gt=0).annotate(folder=Substr("name", len(prefix) + 1, F("slash") - 1))
    return list(folders.order_by("folder").values_list("folder", flat=True).distinct())


def storage_object_files(
    *,
    user_id: uuid.UUID | None,
    bucket_id: str,
    prefix: str,
    search: str,
    sort_column: str,
    descending: bool,
    limit: int,
) -> list[StorageObject]:
    """The first `limit` of the user's objects directly in `prefix` that start with `prefix + search`, ordered by
    `sort_column` (a name, `created_at`, `updated_at` or `last_accessed_at`; names compared in lower case), then name.
    """
    rows = _storage_objects_below(user_id=user_id, bucket_id=bucket_id, prefix=prefix, search=search)
    key = Lower("name") if sort_column == "name" else F(sort_column)
    order = [key.desc() if descending else key.asc(), "-name" if descending else "name"]
    return list(rows.filter(slash=0).order_by(*order)[:limit])

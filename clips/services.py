import pathlib
import re
import subprocess
import tempfile
import time
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone
from procrastinate.contrib.django import app as procrastinate_app
from procrastinate.contrib.django.models import ProcrastinateJob

from clips import downloads, providers
from clips.models import ClipJob, ClipJobRun, FilmExport, SceneClipJob, SceneDraft, StorageObject, VideoUpload
from clips.providers import media
from clips.providers.local import LocalClipProvider
from clips.selectors import (
    clip_jobs_stalled,
    scene_draft_latest_clip_jobs,
    scene_draft_list,
    storage_object_get,
    storage_object_list,
)
from credits.selectors import credits_ledger_list
from credits.services import credits_refund_for_clip_job, credits_spend_for_clip_job
from directorstudio import workdirs
from directorstudio.errors import Conflict, IdTaken, InsufficientCredits, InvalidInput, NotFound, ServiceUnavailable

# Names of the worker's tasks (clips/tasks.py), fixed so queued jobs survive a refactoring.
CLIP_JOB_RUN_TASK = "clips.clip_job_run"
CLIP_JOBS_SWEEP_TASK = "clips.clip_jobs_sweep"
CLIP_JOBS_WORKER_LOST_TASK = "clips.clip_jobs_worker_lost"
CLIP_QUEUE = "clips"
FILM_EXPORT_RUN_TASK = "clips.film_export_run"
CLIP_SECONDS = 4
TIMED_OUT_MESSAGE = "The video could not be generated in time."
FILM_WORKER_LOST_MESSAGE = "The film could not be made: its worker stopped, again and again."
# Prefixes of the temporary folders a clip job, an upload and a film export work in.
CLIP_JOB_WORKDIR, VIDEO_UPLOAD_WORKDIR, FILM_EXPORT_WORKDIR = "clip-job-", "video-upload-", "film-export-"


class ClipJobNotCancellable(Conflict):
    """Only a queued clip job can be cancelled."""

    code = "not_cancellable"
    message = "Only a queued clip job can be cancelled."


def _project_rows_reorder(
    *, model: type[models.Model], user_id: uuid.UUID, project_id: str, ids: list[uuid.UUID], what: str
) -> list:
    """Give a project's rows of `model` `order_index` 0..n-1 in the order of `ids`, which names each exactly once."""
    with transaction.atomic():
        rows = {
            row.id: row for row in model.objects.select_for_update().owned_by(user_id).filter(project_id=project_id)
        }
        if not rows:
            raise InvalidInput({"project_id": [f"You have no {what} in this project."]})
        if len(ids) != len(set(ids)) or set(ids) != rows.keys():
            raise InvalidInput({"ids": [f"Must list each of the project's {what} exactly once."]})
        now = timezone.now()
        ordered = [rows[row_id] for row_id in ids]
        fields = ["order_index", *(["updated_at"] if hasattr(model, "updated_at") else [])]
        for order_index, row in enumerate(ordered):
            row.order_index = order_index
            if "updated_at" in fields:
                row.updated_at = now
        model.objects.bulk_update(ordered, fields, batch_size=len(ordered))
    return ordered


def scene_drafts_reorder(*, user_id: uuid.UUID, project_id: str, ids: list[uuid.UUID]) -> list[SceneDraft]:
    """Give a project's scene drafts `order_index` 0..n-1 in the order of `ids`, which must name each exactly once."""
    return _project_rows_reorder(model=SceneDraft, user_id=user_id, project_id=project_id, ids=ids, what="scene drafts")


def video_uploads_reorder(*, user_id: uuid.UUID, project_id: str, ids: list[uuid.UUID]) -> list[VideoUpload]:
    """Give a project's video uploads `order_index` 0..n-1 in the order of `ids`, which must name each exactly once."""
    return _project_rows_reorder(model=VideoUpload, user_id=user_id, project_id=project_id, ids=ids, what="uploads")


def _clip_job_user_key(*, user_id: uuid.UUID) -> str:
    """The user's only ledger key, for a job submitted without one; InvalidInput when there is not exactly one."""
    keys = list(credits_ledger_list(user_id=user_id).values_list("user_key", flat=True)[:2])
    if len(keys) != 1:
        problem = "You have no credits ledger row." if not keys else "You have more than one credits ledger row."
        raise InvalidInput({"user_key": [f"{problem} Name the user_key that pays for the clip."]})
    return keys[0]


def _clip_job_defer_run(*, clip_job_id: uuid.UUID) -> None:
    """Queue a worker run of the job in the caller's transaction (Procrastinate writes through Django's connection)."""
    procrastinate_app.configure_task(name=CLIP_JOB_RUN_TASK, queue=CLIP_QUEUE).defer(clip_job_id=str(clip_job_id))


def clip_job_submit(
    *, user_id: uuid.UUID, prompt: str, user_key: str | None = None, id: uuid.UUID | None = None
) -> tuple[ClipJob, bool]:
    """Queue a clip job paid with one credit of the user's ledger row for `user_key`; created is False on a repeat.

    Without `user_key` the user's only ledger row pays. The job, its credit and its worker run are
    written in one transaction: a job exists exactly when its credit was taken. A create repeated
    with the same client `id` returns the first job and takes no second credit: the job is inserted
    before the credit is taken, so a repeat stops at the job's key (a concurrent one waits there for
    the first to commit) and its transaction takes nothing.
    """
    if not user_key:
        user_key = _clip_job_user_key(user_id=user_id)
    try:
        with transaction.atomic():
            job = ClipJob.objects.create(
                user_id=user_id, user_key=user_key, prompt=prompt, **({"id": id} if id is not None else {})
            )
            credits_spend_for_clip_job(user_id=user_id, user_key=user_key, clip_job_id=job.id)
            _clip_job_defer_run(clip_job_id=job.id)
            return job, True
    except IntegrityError:
        if id is None:
            raise
        job = ClipJob.objects.owned_by(user_id).filter(id=id).first()
        if job is None:
            raise IdTaken() from None
        return job, False


def scene_draft_clip_submit(*, user_id: uuid.UUID, scene_draft_id: uuid.UUID, user_key: str | None = None) -> ClipJob:
    """Submit a clip job for the user's scene draft's prompt (one credit) and link it to the scene, atomically."""
    with transaction.atomic():
        scene = scene_draft_list(user_id=user_id).filter(pk=scene_draft_id).first()
        if scene is None:
            raise NotFound("No such scene draft.")
        job, _ = clip_job_submit(user_id=user_id, prompt=scene.prompt_text, user_key=user_key)
        SceneClipJob.objects.create(scene_draft=scene, clip_job=job)
    return job


def project_clips_submit(*, user_id: uuid.UUID, project_id: str, user_key: str | None = None) -> list[ClipJob]:
    """Submit a clip job for every scene of the project whose latest clip is neither finished nor on its way.

    All or nothing: when the credits do not cover every scene, InsufficientCredits and nothing is submitted.
    """
    with transaction.atomic():
        latest = scene_draft_latest_clip_jobs(user_id=user_id, project_id=project_id)
        busy = {ClipJob.Status.QUEUED, ClipJob.Status.PROCESSING, ClipJob.Status.COMPLETED}
        scenes = [
            scene
            for scene in scene_draft_list(user_id=user_id).filter(project_id=project_id)
            if scene.id not in latest or latest[scene.id].status not in busy
        ]
        user_key = user_key or _clip_job_user_key(user_id=user_id)
        balance = credits_ledger_list(user_id=user_id).filter(user_key=user_key).values_list("credits", flat=True)
        credits = balance.first() or 0
        if credits < len(scenes):
            raise InsufficientCredits(
                credits=credits, message=f"{len(scenes)} clips cost {len(scenes)} credits; this key has {credits}."
            )
        return [
            scene_draft_clip_submit(user_id=user_id, scene_draft_id=scene.id, user_key=user_key) for scene in scenes
        ]


def _clip_job_locked(*, clip_job_id: uuid.UUID, user_id: uuid.UUID | None = None) -> ClipJob:
    """The job's row, locked until the caller's transaction ends (only the owner's when `user_id` is given)."""
    jobs = ClipJob.objects.select_for_update()
    if user_id is not None:
        jobs = jobs.owned_by(user_id)
    job = jobs.filter(pk=clip_job_id).first()
    if job is None:
        raise NotFound()
    return job


def _clip_job_is_current_attempt(*, clip_job_id: uuid.UUID, attempt: int) -> bool:
    """Whether `attempt` is still the job's latest start (the sweep may have started it again meanwhile)."""
    return ClipJobRun.objects.filter(clip_job_id=clip_job_id, attempts=attempt).exists()


def _clip_job_fail_locked(*, job: ClipJob, error_message: str) -> ClipJob:
    """Mark a locked, unfinished job failed and give its credit back, in the caller's transaction."""
    job.status = ClipJob.Status.FAILED
    job.error_message = error_message
    job.save(update_fields=["status", "error_message"])
    credits_refund_for_clip_job(clip_job_id=job.id)
    return job


def clip_job_start(*, clip_job_id: uuid.UUID) -> tuple[ClipJob, int] | None:
    """Move a queued job to processing and count the start; its attempt number, or None when it is not queued."""
    with transaction.atomic():
        job = _clip_job_locked(clip_job_id=clip_job_id)
        if job.status != ClipJob.Status.QUEUED:
            return None
        job.status = ClipJob.Status.PROCESSING
        job.save(update_fields=["status"])
        run, _ = ClipJobRun.objects.get_or_create(clip_job=job)
        run.attempts += 1
        run.started_at = timezone.now()
        run.save(update_fields=["attempts", "started_at"])
    return job, run.attempts


def clip_job_complete(*, clip_job_id: uuid.UUID, attempt: int, download_url: str) -> ClipJob:
    """Mark attempt `attempt` of a processing job completed with its clip's URL; a stale attempt changes nothing."""
    with transaction.atomic():
        job = _clip_job_locked(clip_job_id=clip_job_id)
        if job.status == ClipJob.Status.PROCESSING and _clip_job_is_current_attempt(
            clip_job_id=clip_job_id, attempt=attempt
        ):
            job.status = ClipJob.Status.COMPLETED
            job.download_url = download_url
            job.completed_at = timezone.now()
            job.error_message = None
            job.save(update_fields=["status", "download_url", "completed_at", "error_message"])
    return job


def clip_job_fail(*, clip_job_id: uuid.UUID, error_message: str, attempt: int | None = None) -> ClipJob:
    """Fail an unfinished job (only while it is processing `attempt`, its latest start, when given) and refund its
    credit once."""
    with transaction.atomic():
        job = _clip_job_locked(clip_job_id=clip_job_id)
        if attempt is None:
            unfinished = job.status in (ClipJob.Status.QUEUED, ClipJob.Status.PROCESSING)
        else:  # an attempt handed back (queued again) by its stopping worker no longer decides the job
            unfinished = job.status == ClipJob.Status.PROCESSING and _clip_job_is_current_attempt(
                clip_job_id=clip_job_id, attempt=attempt
            )
        if unfinished:
            _clip_job_fail_locked(job=job, error_message=error_message)
    return job


def clip_job_retry_later(*, clip_job_id: uuid.UUID, attempt: int, error_message: str) -> bool:
    """Put a job whose attempt met a transient failure back in the queue; after the last attempt, fail and refund it.

    True when the job is queued again and the caller should run it later.
    """
    with transaction.atomic():
        job = _clip_job_locked(clip_job_id=clip_job_id)
        if job.status != ClipJob.Status.PROCESSING or not _clip_job_is_current_attempt(
            clip_job_id=clip_job_id, attempt=attempt
        ):
            return False
        if attempt >= settings.CLIP_JOB_MAX_ATTEMPTS:
            _clip_job_fail_locked(job=job, error_message=error_message)
            return False
        job.status = ClipJob.Status.QUEUED
        job.save(update_fields=["status"])
    return True


def clip_job_cancel(*, user_id: uuid.UUID, clip_job_id: uuid.UUID) -> ClipJob:
    """Cancel the user's queued job and refund it once; a cancelled job is returned unchanged, any other conflicts."""
    with transaction.atomic():
        job = _clip_job_locked(clip_job_id=clip_job_id, user_id=user_id)
        if job.status == ClipJob.Status.CANCELLED:
            return job
        if job.status != ClipJob.Status.QUEUED:
            raise ClipJobNotCancellable()
        job.status = ClipJob.Status.CANCELLED
        job.save(update_fields=["status"])
        credits_refund_for_clip_job(clip_job_id=job.id)
    return job


class ClipJobNotRequeueable(Conflict):
    """Only a failed clip job can be queued again."""

    code = "not_requeueable"
    message = "Only a failed clip job can be queued again."


def clip_job_requeue(*, clip_job_id: uuid.UUID) -> ClipJob:
    """Queue a failed job again (staff, once its cause is fixed) for a new attempt by a worker, taking no credit.

    Its failure gave the credit back, and a job is paid once and refunded once, ever: the new attempt is
    free, and a second failure refunds nothing.
    """
    with transaction.atomic():
        job = _clip_job_locked(clip_job_id=clip_job_id)
        if job.status != ClipJob.Status.FAILED:
            raise ClipJobNotRequeueable()
        job.status = ClipJob.Status.QUEUED
        job.error_message = None
        job.save(update_fields=["status", "error_message"])
        _clip_job_defer_run(clip_job_id=job.id)
    return job


def clip_job_staff_cancel(*, clip_job_id: uuid.UUID, note: str, staff_user_id: uuid.UUID | None) -> ClipJob:
    """Cancel a queued job, or one stalled in processing, for staff, and refund it once with their reason.

    A worker still holding a stalled job finds it cancelled and completes nothing.
    """
    if not note.strip():
        raise InvalidInput({"note": ["Say why the job is cancelled."]})
    with transaction.atomic():
        job = _clip_job_locked(clip_job_id=clip_job_id)
        if job.status != ClipJob.Status.QUEUED and not clip_jobs_stalled().filter(pk=job.pk).exists():
            raise ClipJobNotCancellable("Only a queued clip job, or one stalled in processing, can be cancelled.")
        job.status = ClipJob.Status.CANCELLED
        job.save(update_fields=["status"])
        credits_refund_for_clip_job(clip_job_id=job.id, note=note.strip(), staff_user_id=staff_user_id)
    return job


def clip_job_run(*, clip_job_id: uuid.UUID) -> ClipJob | None:
    """Make a queued job's clip with the configured provider and store it; None when the job is no longer queued.

    A permanent provider failure fails the job and refunds it. A transient one (ServiceUnavailable, a full
    disk's StorageFull included) puts the job back in the queue and is raised again for the worker to retry
    later, until the last attempt, which fails and refunds the job instead.
    """
    started = clip_job_start(clip_job_id=clip_job_id)
    if started is None:
        return None
    job, attempt = started
    try:
        with tempfile.TemporaryDirectory(prefix=CLIP_JOB_WORKDIR) as workdir:
            provider = providers.get_provider()
            clip = provider.generate(prompt=job.prompt, seconds=CLIP_SECONDS, workdir=pathlib.Path(workdir))
            downloads.clip_files_save(clip_job_id=job.id, video_path=clip.video_path, poster_path=clip.poster_path)
    except providers.ClipGenerationFailed as error:
        return clip_job_fail(clip_job_id=job.id, error_message=error.message, attempt=attempt)
    except ServiceUnavailable as error:
        if clip_job_retry_later(clip_job_id=job.id, attempt=attempt, error_message=error.message):
            raise
        return ClipJob.objects.get(pk=job.id)
    except Exception:
        # A bug or a broken installation: retrying cannot help, so the writer gets the credit back now.
        clip_job_fail(clip_job_id=job.id, error_message=providers.ClipGenerationFailed.message, attempt=attempt)
        raise
    url = downloads.clip_download_url(clip_job_id=job.id, user_id=job.user_id)
    return clip_job_complete(clip_job_id=job.id, attempt=attempt, download_url=url)


def _clip_job_runs_waiting() -> models.QuerySet:
    """The ids of the clip jobs a worker run waits for or works on (Procrastinate keeps a retry waiting as todo)."""
    return (
        ProcrastinateJob.objects.filter(task_name=CLIP_JOB_RUN_TASK, status__in=["todo", "doing"])
        .annotate(clip_job_id=Cast(KeyTextTransform("clip_job_id", "args"), models.UUIDField()))
        .values("clip_job_id")
    )


def _clip_job_requeue_or_fail_locked(*, job: ClipJob) -> bool:
    """Queue a locked job a dead worker left in processing again, or after its last attempt fail and refund it; True
    when it is queued again."""
    run = getattr(job, "run", None)
    if run is not None and run.attempts >= settings.CLIP_JOB_MAX_ATTEMPTS:
        _clip_job_fail_locked(job=job, error_message=TIMED_OUT_MESSAGE)
        return False
    job.status = ClipJob.Status.QUEUED
    job.save(update_fields=["status"])
    return True


def clip_job_worker_lost(*, clip_job_id: uuid.UUID) -> ClipJob | None:
    """Queue again, or after its last attempt fail and refund once, a job in processing whose worker stopped sending
    heartbeats (its Procrastinate job is retried by the caller); None when the job is not in processing."""
    with transaction.atomic():
        job = (
            ClipJob.objects.select_for_update(of=("self",))
            .select_related("run")
            .filter(pk=clip_job_id, status=ClipJob.Status.PROCESSING)
            .first()
        )
        if job is not None:
            _clip_job_requeue_or_fail_locked(job=job)
    return job


def film_export_worker_lost(*, film_export_id: uuid.UUID, attempt: int) -> FilmExport | None:
    """Queue again, or at attempt CLIP_JOB_MAX_ATTEMPTS fail, an export in processing whose worker stopped (its
    Procrastinate job is retried by the caller); None when the export is not in processing."""
    with transaction.atomic():
        processing = FilmExport.objects.select_for_update().filter(status=FilmExport.Status.PROCESSING)
        export = processing.filter(pk=film_export_id).first()
        if export is None:
            return None
        if attempt < settings.CLIP_JOB_MAX_ATTEMPTS:
            export.status, export.progress = FilmExport.Status.QUEUED, 0
        else:
            export.status, export.error_message = FilmExport.Status.FAILED, FILM_WORKER_LOST_MESSAGE
        export.save(update_fields=["status", "progress", "error_message"])
    return export


def run_worker_lost(*, task_name: str, task_kwargs: dict[str, Any], attempt: int) -> str | None:
    """Hand back the clip job or film export a stopped worker was making (killed, or out of its grace at shutdown):
    queued again, or after its last attempt failed (a clip job refunded once). Its new status; None when it was
    not in processing (finished meanwhile, or not a run this app hands back)."""
    if task_name == CLIP_JOB_RUN_TASK:
        row = clip_job_worker_lost(clip_job_id=uuid.UUID(task_kwargs["clip_job_id"]))
    elif task_name == FILM_EXPORT_RUN_TASK:
        row = film_export_worker_lost(film_export_id=uuid.UUID(task_kwargs["film_export_id"]), attempt=attempt)
    else:
        return None
    return None if row is None else row.status


def clip_jobs_sweep(*, now: datetime | None = None) -> list[ClipJob]:
    """Take jobs stuck in processing past the timeout (a killed worker): queue them again, or after the last attempt
    fail and refund them; and give queued jobs that no worker run waits for (rows written straight to the database,
    by the app or the demo) a run. Returns the jobs changed.
    """
    with transaction.atomic():
        stuck = list(clip_jobs_stalled(now=now).select_for_update(skip_locked=True, of=("self",)).select_related("run"))
        for job in stuck:
            if _clip_job_requeue_or_fail_locked(job=job):
                _clip_job_defer_run(clip_job_id=job.id)
        orphans = list(
            ClipJob.objects.select_for_update(skip_locked=True)
            .filter(status=ClipJob.Status.QUEUED)
            .exclude(id__in=_clip_job_runs_waiting())
            .order_by("submitted_at")
        )
        for job in orphans:
            _clip_job_defer_run(clip_job_id=job.id)
    return stuck + orphans


def workdirs_purge() -> int:
    """Delete this machine's work folders (a killed process's) untouched for the processing timeout; how many."""
    return workdirs.workdirs_purge(
        prefixes=(CLIP_JOB_WORKDIR, VIDEO_UPLOAD_WORKDIR, FILM_EXPORT_WORKDIR),
        stale_seconds=settings.CLIP_JOB_PROCESSING_TIMEOUT_SECONDS,
    )


class VideoUnplayable(InvalidInput):
    """An uploaded file is not a video ffmpeg can read, with a picture."""

    def __init__(self, reason: str) -> None:
        super().__init__({"file": [f"This file is not a video that can be played: {reason}"]})


def _video_size_check(size: int | None) -> None:
    """InvalidInput when an uploaded video is larger than VIDEO_UPLOAD_MAX_BYTES (or of unknown size)."""
    limit = settings.VIDEO_UPLOAD_MAX_BYTES
    if size is None or size > limit:
        raise InvalidInput({"file": [f"The file is larger than the {limit / 1_000_000:g} MB an upload may be."]})


def _video_probe(path: pathlib.Path) -> media.VideoInfo:
    """ffmpeg's reading of a video file; ClipGenerationFailed (or ServiceUnavailable) when it has no picture."""
    info = media.probe(path)
    if info.duration_seconds <= 0 or not info.width:
        raise providers.ClipGenerationFailed("The video file has no picture.")
    return info


def video_upload_create(
    *, user_id: uuid.UUID, project_id: str, upload: File, order_index: int | None = None
) -> VideoUpload:
    """Store an uploaded video of the project as a fast-start MP4 with its `video_uploads` row (`filename` names it).

    The file must be at most VIDEO_UPLOAD_MAX_BYTES and a video ffmpeg can read (probed, not judged by its name);
    otherwise InvalidInput, and neither a row nor a stored file is left; so too on a full disk (StorageFull).
    Without `order_index` it goes last.
    """
    _video_size_check(upload.size)
    upload_id = uuid.uuid4()
    name = downloads.clip_file_name(clip_job_id=upload_id, kind=downloads.UPLOAD)
    # A web host runs no sweep: each upload deletes the folders that killed uploads left.
    with workdirs.workdir(
        prefix=VIDEO_UPLOAD_WORKDIR, stale_seconds=settings.CLIP_JOB_PROCESSING_TIMEOUT_SECONDS
    ) as workdir:
        source, target = workdir / "source", workdir / "video.mp4"
        with downloads.no_space_as_storage_full(), source.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        try:
            media.normalise(source, target, _video_probe(source))
        except (providers.ClipGenerationFailed, ServiceUnavailable) as error:
            raise VideoUnplayable(error.message) from error
        try:
            with transaction.atomic():
                if order_index is None:
                    last = (
                        VideoUpload.objects.owned_by(user_id)
                        .filter(project_id=project_id)
                        .aggregate(Max("order_index"))
                    )
                    order_index = 0 if last["order_index__max"] is None else last["order_index__max"] + 1
                row = VideoUpload.objects.create(
                    id=upload_id, user_id=user_id, project_id=project_id, order_index=order_index, filename=name
                )
                downloads.stored_file_save(name=name, path=target)
        except BaseException:
            default_storage.delete(name)
            raise
    return row


def video_upload_delete(*, user_id: uuid.UUID, video_upload_id: uuid.UUID) -> None:
    """Delete the user's video upload and, once that is committed, the file this server stored for it."""
    with transaction.atomic():
        row = VideoUpload.objects.owned_by(user_id).filter(pk=video_upload_id).first()
        if row is None:
            raise NotFound()
        own_name = downloads.clip_file_name(clip_job_id=row.id, kind=downloads.UPLOAD)
        row.delete()
        if row.filename == own_name:  # a name the app chose (its own bucket) is not this server's to delete
            transaction.on_commit(lambda: default_storage.delete(own_name))


# The app's own video files in its Storage (/storage/v1), and the folder of the default storage objects' bytes are in.
VIDEOS_BUCKET = "videos"
STORAGE_OBJECTS_FOLDER = "storage"


def _stored_name_new(*, bucket_id: str, name: str) -> str:
    """A new default-storage name for the bytes of the object `name`: every upload or copy writes a file of its own,
    with the object's extension, from which a store such as S3 tells the content type it serves.
    """
    extension = pathlib.PurePosixPath(name).suffix.lower()
    extension = extension if re.fullmatch(r"\.[a-z0-9]{1,8}", extension) else ""
    return f"{STORAGE_OBJECTS_FOLDER}/{bucket_id}/{uuid.uuid4()}{extension}"


def _stored_files_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _storage_object_put(
    *,
    user_id: uuid.UUID,
    bucket_id: str,
    name: str,
    stored_name: str,
    size: int,
    mimetype: str,
    cache_control: str,
    user_metadata: dict | None,
    upsert: bool,
) -> StorageObject:
    """Make the stored file `stored_name` the user's object `name`: a new object, or when `upsert` the new bytes of
    the one of that name (its old file deleted once committed); Conflict when it exists without `upsert`.

    On any failure the stored file is deleted, so a file is kept exactly when its row is.
    """
    now = timezone.now()
    values = {
        "stored_name": stored_name,
        "size": size,
        "mimetype": mimetype,
        "cache_control": cache_control,
        "user_metadata": user_metadata,
        "updated_at": now,
        "last_accessed_at": now,
    }
    try:
        with transaction.atomic():
            objects = storage_object_list(user_id=user_id, bucket_id=bucket_id).select_for_update()
            obj = objects.filter(name=name).first()
            if obj is None:
                obj = StorageObject.objects.create(
                    user_id=user_id, bucket_id=bucket_id, name=name, created_at=now, **values
                )
            elif not upsert:
                raise Conflict("The resource already exists")
            else:
                replaced = [obj.stored_name]
                for field, value in values.items():
                    setattr(obj, field, value)
                obj.save(update_fields=list(values))
                transaction.on_commit(lambda: _stored_files_delete(replaced), robust=True)
    except IntegrityError:  # a concurrent upload of the same name committed first
        default_storage.delete(stored_name)
        raise Conflict("The resource already exists") from None
    except BaseException:
        default_storage.delete(stored_name)
        raise
    return obj


def video_object_upload(
    *,
    user_id: uuid.UUID,
    name: str,
    path: pathlib.Path,
    mimetype: str,
    cache_control: str,
    user_metadata: dict | None = None,
    upsert: bool = False,
) -> StorageObject:
    """Store a video the app uploads to its `videos` bucket as its object `name`, replacing one only when `upsert`.

    Bounded and probed as the timeline's uploads are (VIDEO_UPLOAD_MAX_BYTES, then ffmpeg: InvalidInput, or
    VideoUnplayable for a file with no picture), and neither leaves an object; the bytes are kept as uploaded.
    """
    size = path.stat().st_size
    _video_size_check(size)
    try:
        _video_probe(path)
    except (providers.ClipGenerationFailed, ServiceUnavailable) as error:
        raise VideoUnplayable(error.message) from error
    stored_name = _stored_name_new(bucket_id=VIDEOS_BUCKET, name=name)
    downloads.stored_file_save(name=stored_name, path=path)
    return _storage_object_put(
        user_id=user_id,
        bucket_id=VIDEOS_BUCKET,
        name=name,
        stored_name=stored_name,
        size=size,
        mimetype=mimetype,
        cache_control=cache_control,
        user_metadata=user_metadata,
        upsert=upsert,
    )


def storage_objects_remove(*, user_id: uuid.UUID, bucket_id: str, names: list[str]) -> list[StorageObject]:
    """Delete the user's objects of the bucket that `names` names (other names are passed over) and, once that is
    committed, their files; the objects deleted.
    """
    with transaction.atomic():
        objects = storage_object_list(user_id=user_id, bucket_id=bucket_id).select_for_update()
        removed = list(objects.filter(name__in=names))
        StorageObject.objects.filter(pk__in=[obj.pk for obj in removed]).delete()
        stored_names = [obj.stored_name for obj in removed]
        transaction.on_commit(lambda: _stored_files_delete(stored_names), robust=True)
    return removed


def storage_object_move(*, user_id: uuid.UUID, bucket_id: str, source: str, destination: str) -> StorageObject:
    """Rename the user's object `source` to `destination` (its bytes stay where they are); NotFound without the
    source, Conflict when the destination is taken.
    """
    try:
        with transaction.atomic():
            objects = storage_object_list(user_id=user_id, bucket_id=bucket_id)
            obj = objects.select_for_update().filter(name=source).first()
            if obj is None:
                raise NotFound("Object not found")
            if destination != source:
                if objects.filter(name=destination).exists():
                    raise Conflict("The resource already exists")
                obj.name, obj.updated_at = destination, timezone.now()
                obj.save(update_fields=["name", "updated_at"])
    except IntegrityError:  # a concurrent upload took the destination first
        raise Conflict("The resource already exists") from None
    return obj


def storage_object_copy(
    *, user_id: uuid.UUID, bucket_id: str, source: str, destination: str, upsert: bool = False
) -> StorageObject:
    """Copy the user's object `source` to `destination`, with its metadata, replacing one there only when `upsert`."""
    obj = storage_object_get(user_id=user_id, bucket_id=bucket_id, name=source)
    stored_name = _stored_name_new(bucket_id=bucket_id, name=destination)
    try:
        with default_storage.open(obj.stored_name, "rb") as handle:
            saved = default_storage.save(stored_name, File(handle, name=pathlib.PurePath(stored_name).name))
    except FileNotFoundError as error:
        raise NotFound("Object not found") from error
    except BaseException:
        default_storage.delete(stored_name)
        raise
    return _storage_object_put(
        user_id=user_id,
        bucket_id=bucket_id,
        name=destination,
        stored_name=saved,
        size=obj.size,
        mimetype=obj.mimetype,
        cache_control=obj.cache_control,
        user_metadata=obj.user_metadata,
        upsert=upsert,
    )


def film_export_start(*, user_id: uuid.UUID, project_id: str, missing: str) -> FilmExport:
    """Queue a worker export of the project's finished clips, in order, as one MP4; `missing` says what to do
    with a scene without a clip (skip it, or show a title card).
    """
    if missing not in FilmExport.Missing.values:
        raise InvalidInput({"missing": ["Choose skip or title_card."]})
    with transaction.atomic():
        scenes = scene_draft_list(user_id=user_id).filter(project_id=project_id)
        if not scenes.exists():
            raise InvalidInput({"project_id": ["You have no scene drafts in this project."]})
        latest = scene_draft_latest_clip_jobs(user_id=user_id, project_id=project_id)
        if missing == FilmExport.Missing.SKIP and not any(
            job.status == ClipJob.Status.COMPLETED for job in latest.values()
        ):
            raise InvalidInput(
                {"missing": ["No scene has a finished clip yet: generate one, or export with title cards."]}
            )
        export = FilmExport.objects.create(user_id=user_id, project_id=project_id, missing=missing)
        procrastinate_app.configure_task(name=FILM_EXPORT_RUN_TASK, queue=CLIP_QUEUE).defer(
            film_export_id=str(export.id)
        )
    return export


def _film_export_update(*, film_export_id: uuid.UUID, **values) -> None:
    """Write some columns of a film export (its progress, its end state)."""
    FilmExport.objects.filter(pk=film_export_id).update(**values)


def _film_part_fetch(*, clip_job_id: uuid.UUID, path: pathlib.Path) -> pathlib.Path | None:
    """Copy a finished clip's stored MP4 to `path`; None when the store has no such file.

    Opened rather than checked first: a store that is down raises StorageUnavailable here, where an existence
    check on a failing local disk would only answer False and the film would leave the scene out.
    """
    name = downloads.clip_file_name(clip_job_id=clip_job_id, kind=downloads.VIDEO)
    try:
        with default_storage.open(name, "rb") as stored, path.open("wb") as local:
            for chunk in iter(lambda: stored.read(1024 * 1024), b""):
                local.write(chunk)
    except FileNotFoundError:
        return None
    return path


def _film_parts(*, export: FilmExport, workdir: pathlib.Path) -> list[tuple[pathlib.Path, float]]:
    """The project's clips in order as local files with their durations, title cards made where the export asks."""
    scenes = list(scene_draft_list(user_id=export.user_id).filter(project_id=export.project_id))
    latest = scene_draft_latest_clip_jobs(user_id=export.user_id, project_id=export.project_id)
    parts = []
    for index, scene in enumerate(scenes):
        job = latest.get(scene.id)
        path = None
        if job and job.status == ClipJob.Status.COMPLETED:
            path = _film_part_fetch(clip_job_id=job.id, path=workdir / f"part-{index}.mp4")
        if path is None and export.missing == FilmExport.Missing.TITLE_CARD:
            seconds = min(max(round(scene.duration), 1), 60)
            path = (
                LocalClipProvider()
                .generate(prompt=scene.prompt_text, seconds=seconds, workdir=workdir / f"card-{index}")
                .video_path
            )
        if path is None:
            continue
        parts.append((path, media.probe(path).duration_seconds))
        _film_export_update(film_export_id=export.id, progress=0.5 * (index + 1) / len(scenes))
    return parts


def _film_concat(*, export_id: uuid.UUID, parts: list[tuple[pathlib.Path, float]], target: pathlib.Path) -> None:
    """Join the parts into one H.264 MP4 with ffmpeg's concat demuxer, re-encoded to one format, reporting progress."""
    listing = target.with_suffix(".txt")
    listing.write_text("".join(f"file '{path.resolve()}'\n" for path, _ in parts))
    total = sum(seconds for _, seconds in parts) or 1.0
    fit = (
        f"scale={media.TARGET_WIDTH}:{media.TARGET_HEIGHT}:force_original_aspect_ratio=decrease,"
        f"pad={media.TARGET_WIDTH}:{media.TARGET_HEIGHT}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=24"
    )
    command = [media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
    command += ["-vf", fit, "-an", *media.H264_OUTPUT_ARGS, "-progress", "pipe:1", "-nostats", str(target)]
    reported = time.monotonic()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:  # noqa: S603
        for line in process.stdout:
            key, _, value = line.strip().partition("=")
            if key == "out_time_us" and value.isdigit() and time.monotonic() - reported > 0.5:
                reported = time.monotonic()
                done = min(int(value) / 1_000_000 / total, 1.0)
                _film_export_update(film_export_id=export_id, progress=0.5 + 0.5 * done)
    if process.returncode != 0:
        raise providers.ClipGenerationFailed("The clips could not be joined into one film.")


def film_export_run(*, film_export_id: uuid.UUID, attempt: int = 1) -> FilmExport | None:
    """Make a queued film export's MP4 and store it; None when the export is no longer queued.

    As a clip job's run does, a store or disk unavailable (ServiceUnavailable) puts the export back in the queue
    and is raised again for the worker to retry later, until attempt CLIP_JOB_MAX_ATTEMPTS, which fails it.
    """
    with transaction.atomic():
        export = FilmExport.objects.select_for_update().filter(pk=film_export_id).first()
        if export is None or export.status != FilmExport.Status.QUEUED:
            return None
        export.status = FilmExport.Status.PROCESSING
        export.save(update_fields=["status"])
    try:
        with tempfile.TemporaryDirectory(prefix=FILM_EXPORT_WORKDIR) as workdir:
            parts = _film_parts(export=export, workdir=pathlib.Path(workdir))
            if not parts:
                raise providers.ClipGenerationFailed("No scene has a finished clip to put in the film.")
            film = pathlib.Path(workdir) / "film.mp4"
            _film_concat(export_id=export.id, parts=parts, target=film)
            duration = media.probe(film).duration_seconds
            downloads.stored_file_save(
                name=downloads.clip_file_name(clip_job_id=export.id, kind=downloads.FILM), path=film
            )
    except ServiceUnavailable as error:
        if attempt < settings.CLIP_JOB_MAX_ATTEMPTS:
            _film_export_update(film_export_id=export.id, status=FilmExport.Status.QUEUED, progress=0)
            raise
        _film_export_update(film_export_id=export.id, status=FilmExport.Status.FAILED, error_message=error.message)
    except providers.ClipGenerationFailed as error:
        _film_export_update(film_export_id=export.id, status=FilmExport.Status.FAILED, error_message=error.message)
    except Exception:
        _film_export_update(
            film_export_id=export.id, status=FilmExport.Status.FAILED, error_message="The film could not be made."
        )
        raise
    else:
        _film_export_update(
            film_export_id=export.id,
            status=FilmExport.Status.COMPLETED,
            progress=1,
            duration=duration,
            completed_at=timezone.now(),
        )
    return FilmExport.objects.get(pk=export.id)

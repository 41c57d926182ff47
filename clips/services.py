import pathlib
import tempfile
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from procrastinate.contrib.django import app as procrastinate_app

from clips import downloads, providers
from clips.models import ClipJob, ClipJobRun, SceneDraft
from credits.selectors import credits_ledger_list
from credits.services import credits_refund_for_clip_job, credits_spend_for_clip_job
from directorstudio.errors import Conflict, IdTaken, InvalidInput, NotFound, ServiceUnavailable

# Names of the worker's tasks (clips/tasks.py), fixed so queued jobs survive a refactoring.
CLIP_JOB_RUN_TASK = "clips.clip_job_run"
CLIP_JOBS_SWEEP_TASK = "clips.clip_jobs_sweep"
CLIP_QUEUE = "clips"
CLIP_SECONDS = 4
TIMED_OUT_MESSAGE = "The video could not be generated in time."


class ClipJobNotCancellable(Conflict):
    """Only a queued clip job can be cancelled."""

    code = "not_cancellable"
    message = "Only a queued clip job can be cancelled."


def scene_drafts_reorder(*, user_id: uuid.UUID, project_id: str, ids: list[uuid.UUID]) -> list[SceneDraft]:
    """Give a project's scene drafts `order_index` 0..n-1 in the order of `ids`, which must name each exactly once."""
    with transaction.atomic():
        scenes = {
            scene.id: scene
            for scene in SceneDraft.objects.select_for_update().owned_by(user_id).filter(project_id=project_id)
        }
        if not scenes:
            raise InvalidInput({"project_id": ["You have no scene drafts in this project."]})
        if len(ids) != len(set(ids)) or set(ids) != scenes.keys():
            raise InvalidInput({"ids": ["Must list each of the project's scene drafts exactly once."]})
        now = timezone.now()
        ordered = [scenes[scene_id] for scene_id in ids]
        for order_index, scene in enumerate(ordered):
            scene.order_index = order_index
            scene.updated_at = now
        SceneDraft.objects.bulk_update(ordered, ["order_index", "updated_at"], batch_size=len(ordered))
    return ordered


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
    """Fail an unfinished job (only while `attempt` is its latest start, when given) and refund its credit once."""
    with transaction.atomic():
        job = _clip_job_locked(clip_job_id=clip_job_id)
        unfinished = job.status in (ClipJob.Status.QUEUED, ClipJob.Status.PROCESSING)
        if unfinished and (attempt is None or _clip_job_is_current_attempt(clip_job_id=clip_job_id, attempt=attempt)):
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


def clip_job_run(*, clip_job_id: uuid.UUID) -> ClipJob | None:
    """Make a queued job's clip with the configured provider and store it; None when the job is no longer queued.

    A permanent provider failure fails the job and refunds it. A transient one (ServiceUnavailable)
    puts the job back in the queue and is raised again for the worker to retry later, until the
    last attempt, which fails and refunds the job instead.
    """
    started = clip_job_start(clip_job_id=clip_job_id)
    if started is None:
        return None
    job, attempt = started
    try:
        with tempfile.TemporaryDirectory(prefix="clip-job-") as workdir:
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


def clip_jobs_sweep(*, now: datetime | None = None) -> list[ClipJob]:
    """Take jobs stuck in processing past the timeout (a killed worker): queue them again, or after the last attempt
    fail and refund them; returns the jobs changed.
    """
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.CLIP_JOB_PROCESSING_TIMEOUT_SECONDS)
    with transaction.atomic():
        stuck = list(
            ClipJob.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("run")
            .filter(status=ClipJob.Status.PROCESSING)
            .filter(Q(run__started_at__lt=cutoff) | Q(run__isnull=True, submitted_at__lt=cutoff))
            .order_by("submitted_at")
        )
        for job in stuck:
            run = getattr(job, "run", None)
            if run is not None and run.attempts >= settings.CLIP_JOB_MAX_ATTEMPTS:
                _clip_job_fail_locked(job=job, error_message=TIMED_OUT_MESSAGE)
            else:
                job.status = ClipJob.Status.QUEUED
                job.save(update_fields=["status"])
                _clip_job_defer_run(clip_job_id=job.id)
    return stuck

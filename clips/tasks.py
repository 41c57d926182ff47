"""The worker's tasks (Procrastinate): run one clip job, sweep jobs a killed worker left, export a project's film."""

import time
import uuid

from django.conf import settings
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from clips.metrics import CLIP_JOB_RUN_SECONDS, CLIP_JOB_RUNS
from clips.services import (
    CLIP_JOB_RUN_TASK,
    CLIP_JOBS_SWEEP_TASK,
    CLIP_QUEUE,
    FILM_EXPORT_RUN_TASK,
    clip_job_run,
    clip_jobs_sweep,
    film_export_run,
    workdirs_purge,
)
from directorstudio.errors import ServiceUnavailable


@app.task(
    name=CLIP_JOB_RUN_TASK,
    queue=CLIP_QUEUE,
    # Waits 10 s, then 100 s, ... between tries; clip_job_run fails the job itself after its last attempt.
    retry=RetryStrategy(
        max_attempts=settings.CLIP_JOB_MAX_ATTEMPTS, exponential_wait=10, retry_exceptions={ServiceUnavailable}
    ),
)
def clip_job_run_task(clip_job_id: str) -> None:
    """Run one clip job: make its clip and store it, or fail and refund it; counted and timed by provider."""
    provider, outcome, started = settings.CLIP_PROVIDER, "error", time.perf_counter()
    try:
        job = clip_job_run(clip_job_id=uuid.UUID(clip_job_id))
        outcome = job.status if job else "not_queued"
    except ServiceUnavailable:  # the job is queued again for a later try (a provider, a store or a disk unavailable)
        outcome = "retry"
        raise
    finally:
        CLIP_JOB_RUNS.labels(provider, outcome).inc()
        if outcome != "not_queued":
            CLIP_JOB_RUN_SECONDS.labels(provider).observe(time.perf_counter() - started)


@app.periodic(cron="* * * * *", periodic_id="every_minute")
@app.task(name=CLIP_JOBS_SWEEP_TASK, queue=CLIP_QUEUE)
def clip_jobs_sweep_task(timestamp: int) -> None:
    """Requeue, or after the last attempt fail and refund, jobs stuck in processing past the timeout; delete the
    work folders that killed runs left on this machine."""
    clip_jobs_sweep()
    workdirs_purge()


@app.task(name=FILM_EXPORT_RUN_TASK, queue=CLIP_QUEUE)
def film_export_run_task(film_export_id: str) -> None:
    """Join a project's finished clips into one MP4 and store it, or mark the export failed."""
    film_export_run(film_export_id=uuid.UUID(film_export_id))

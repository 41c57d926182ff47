"""The worker's tasks (Procrastinate): run one clip job, hand a dead worker's jobs to another, sweep jobs a killed
worker left, export a project's film."""

import time
import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from clips.metrics import CLIP_JOB_RUN_SECONDS, CLIP_JOB_RUNS
from clips.services import (
    CLIP_JOB_RUN_TASK,
    CLIP_JOBS_SWEEP_TASK,
    CLIP_JOBS_WORKER_LOST_TASK,
    CLIP_QUEUE,
    FILM_EXPORT_RUN_TASK,
    clip_job_run,
    clip_jobs_sweep,
    film_export_run,
    run_worker_lost,
    workdirs_purge,
)
from directorstudio.errors import ServiceUnavailable

# A run that met a provider, store or disk unavailable (ServiceUnavailable) is tried again after 10 s, then 100 s, ...;
# the service fails the clip job or film export itself after its last attempt.
RETRY_WHILE_UNAVAILABLE = RetryStrategy(
    max_attempts=settings.CLIP_JOB_MAX_ATTEMPTS, exponential_wait=10, retry_exceptions={ServiceUnavailable}
)
# The checks that hand a dead worker's jobs back run before every clip job queued (Procrastinate takes the highest
# priority first): behind a backlog they waited for it to drain, and the dead worker's job with them (the fleet drill).
RECOVERY_PRIORITY = 100


@app.task(name=CLIP_JOB_RUN_TASK, queue=CLIP_QUEUE, retry=RETRY_WHILE_UNAVAILABLE)
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


# Every 15 seconds (croniter's sixth field): a dead worker's job runs again at most CLIP_JOB_STALLED_SECONDS plus
# 15 s after its last heartbeat.
@app.periodic(cron="* * * * * */15", periodic_id="every_15_seconds")
@app.task(name=CLIP_JOBS_WORKER_LOST_TASK, queue=CLIP_QUEUE, priority=RECOVERY_PRIORITY, pass_context=True)
async def clip_jobs_worker_lost_task(context: JobContext, timestamp: int) -> None:
    """Retry the clip job and film export runs of workers that stopped sending heartbeats (killed, frozen, cut off):
    queued again, or after the last attempt failed (a clip job refunded)."""
    job_manager = context.app.job_manager
    for task_name in (CLIP_JOB_RUN_TASK, FILM_EXPORT_RUN_TASK):
        stalled = await job_manager.get_stalled_jobs(
            task_name=task_name, seconds_since_heartbeat=settings.CLIP_JOB_STALLED_SECONDS
        )
        for stalled_job in stalled:
            await sync_to_async(run_worker_lost)(
                task_name=task_name, task_kwargs=stalled_job.task_kwargs, attempt=stalled_job.attempts + 1
            )
            await job_manager.retry_job(stalled_job)


@app.periodic(cron="* * * * *", periodic_id="every_minute")
@app.task(name=CLIP_JOBS_SWEEP_TASK, queue=CLIP_QUEUE, priority=RECOVERY_PRIORITY)
def clip_jobs_sweep_task(timestamp: int) -> None:
    """Requeue, or after the last attempt fail and refund, jobs stuck in processing past the timeout; delete the
    work folders that killed runs left on this machine."""
    clip_jobs_sweep()
    workdirs_purge()


@app.task(name=FILM_EXPORT_RUN_TASK, queue=CLIP_QUEUE, retry=RETRY_WHILE_UNAVAILABLE, pass_context=True)
def film_export_run_task(context: JobContext, film_export_id: str) -> None:
    """Join a project's finished clips into one MP4 and store it, or mark the export failed."""
    film_export_run(film_export_id=uuid.UUID(film_export_id), attempt=context.job.attempts + 1)

"""How every Procrastinate worker of the project stops: sent SIGTERM, it takes no new job and gives the clip jobs and
film exports it runs CLIP_WORKER_SHUTDOWN_SECONDS to finish; a run still going then is handed back as a dead
worker's is (queued again, or after its last attempt failed, a clip job refunded once), and the worker exits.
A second SIGTERM ends it at once (Procrastinate restores the default handler after the first): its jobs then wait
for the heartbeat check."""

import asyncio
import os
import sys
import threading
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from procrastinate import App, JobContext
from procrastinate.job_context import AbortReason
from procrastinate.middleware import AsyncCallNext
from procrastinate.worker import Worker

from clips.metrics import CLIP_JOB_RUNS
from clips.models import ClipJob, FilmExport
from clips.services import CLIP_JOB_RUN_TASK, FILM_EXPORT_RUN_TASK, run_worker_lost
from directorstudio.errors import ServiceUnavailable

HANDED_BACK_MESSAGE = "The worker stopped before the run ended; it is queued again."
HANDED_BACK_TASKS = frozenset({CLIP_JOB_RUN_TASK, FILM_EXPORT_RUN_TASK})


def procrastinate_app_ready(app: App) -> None:
    """Give every worker of the app the grace period at shutdown, and the hand-back of clip jobs after it."""
    app.worker_defaults["shutdown_graceful_timeout"] = settings.CLIP_WORKER_SHUTDOWN_SECONDS
    app.worker_defaults["worker_middleware"] = [
        *app.worker_defaults.get("worker_middleware", []),
        runs_handed_back_at_shutdown,
    ]


async def runs_handed_back_at_shutdown(call_next: AsyncCallNext, context: JobContext, worker: Worker) -> Any:
    """Run a job; hand a clip job or film export run back when the stopping worker's grace period ends before it."""
    job = context.job
    if job.task_name not in HANDED_BACK_TASKS:
        return await call_next()
    run = asyncio.ensure_future(call_next())
    # When the grace period ends Procrastinate only marks a sync job's abort reason and waits on: the thread that
    # runs it (a provider call, ffmpeg) cannot be stopped from outside.
    while not run.done() and context.abort_reason() != AbortReason.SHUTDOWN:
        await asyncio.wait({run}, timeout=0.25)
    if run.done():
        return run.result()
    status = await sync_to_async(run_worker_lost)(
        task_name=job.task_name, task_kwargs=job.task_kwargs, attempt=job.attempts + 1
    )
    _exit_once_stopped(worker)
    if status is None:  # it finished (or was cancelled) meanwhile: nothing to hand back
        return None
    queued = status in (ClipJob.Status.QUEUED, FilmExport.Status.QUEUED)
    if job.task_name == CLIP_JOB_RUN_TASK:
        CLIP_JOB_RUNS.labels(settings.CLIP_PROVIDER, "handed_back" if queued else status).inc()
    if queued:
        raise ServiceUnavailable(HANDED_BACK_MESSAGE)  # the task's retry strategy runs it again, on another worker
    return None


def _exit_once_stopped(worker: Worker) -> None:
    """End this process once the worker has stopped (every job's state saved, itself unregistered), without waiting
    for the thread of a run handed back: its outcome can no longer change the job (a stale attempt)."""

    def exit_when_stopped() -> None:
        while worker.worker_id is not None:
            time.sleep(0.1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    threading.Thread(target=exit_when_stopped, name="exit-once-stopped", daemon=True).start()

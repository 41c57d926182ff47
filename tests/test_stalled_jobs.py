"""A worker SIGKILLed mid-job: its clip jobs run again on another worker (or, past their attempts, fail and are
refunded once) through Procrastinate's heartbeats, long before the processing timeout."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from clips.models import ClipJob, ClipJobRun
from clips.services import TIMED_OUT_MESSAGE, clip_job_submit
from clips.tasks import clip_jobs_sweep_task, clip_jobs_worker_lost_task
from credits.models import CreditsLedger, MovementReason
from tests.test_clip_jobs_pipeline import PROCRASTINATE_TABLES
from tests.test_faults import movements

pytestmark = pytest.mark.django_db(transaction=True)

REPO_DIR = Path(__file__).resolve().parent.parent
USER_KEY = "w" * 64
STALLED_SECONDS = 12  # above the workers' 10-second heartbeat


@pytest.fixture(autouse=True)
def _empty_queue():
    """Procrastinate's tables are not Django-managed, so the flush between tests leaves them: empty them here."""
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {PROCRASTINATE_TABLES} CASCADE")


@contextlib.contextmanager
def worker(tmp_path: Path, **environment: str) -> Iterator[subprocess.Popen]:
    """A real `manage.py worker` on the test database, two jobs at a time, its output in tmp_path's worker.log;
    stopped when left running."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@/{db['NAME']}?host={db['HOST']}&port={db['PORT']}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CLIP_JOB_MAX_ATTEMPTS": "2",
        "CLIP_JOB_STALLED_SECONDS": str(STALLED_SECONDS),
        "CLIP_WORKER_SHUTDOWN_SECONDS": "1",  # below the stalled seconds less a heartbeat (settings.py checks)
        **environment,
    }
    with open(tmp_path / "worker.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--concurrency", "2"],
            cwd=REPO_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def wait_for(condition, *, seconds: float) -> None:
    """Poll `condition` until it holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def statuses(*jobs: ClipJob) -> list[str]:
    return [ClipJob.objects.get(pk=job.pk).status for job in jobs]


def test_a_killed_workers_jobs_run_again_or_fail_and_are_refunded_once(alice, tmp_path):
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=2)
    again, last = (
        clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt=prompt)[0] for prompt in ("Again", "Last try")
    )
    ClipJobRun.objects.create(clip_job=last, attempts=1)  # its next start is its last (CLIP_JOB_MAX_ATTEMPTS=2)

    with socket.socket() as silent:  # a video service that accepts and never answers: the renders hang
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        hanging = {
            "CLIP_PROVIDER": "pollo",
            "POLLO_API_KEY": "test-key",
            "POLLO_BASE_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
        }
        with worker(tmp_path, **hanging) as first:
            wait_for(lambda: statuses(again, last) == ["processing", "processing"], seconds=60)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)

    with worker(tmp_path, CLIP_PROVIDER="local"):
        wait_for(lambda: statuses(again, last) == ["completed", "failed"], seconds=90)

    again.refresh_from_db()
    last.refresh_from_db()
    assert again.download_url and ClipJobRun.objects.get(clip_job=again).attempts == 2
    assert movements(again) == [MovementReason.CLIP_JOB]  # one spend, no refund
    assert last.error_message == TIMED_OUT_MESSAGE
    assert movements(last) == [MovementReason.CLIP_JOB, MovementReason.CLIP_JOB_REFUND]
    assert CreditsLedger.objects.get(user_key=USER_KEY).credits == 1


def test_the_checks_for_dead_workers_run_before_a_backlog_of_clip_jobs(alice):
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=3)
    for prompt in ("one", "two", "three"):
        clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt=prompt)
    clip_jobs_worker_lost_task.defer(timestamp=0)
    clip_jobs_sweep_task.defer(timestamp=0)

    with connection.cursor() as cursor:  # the order in which Procrastinate's fetch_job hands jobs to a worker
        cursor.execute("SELECT task_name FROM procrastinate_jobs WHERE status = 'todo' ORDER BY priority DESC, id")
        order = [row[0] for row in cursor.fetchall()]

    assert order[:2] == ["clips.clip_jobs_worker_lost", "clips.clip_jobs_sweep"]
    assert order[2:] == ["clips.clip_job_run"] * 3

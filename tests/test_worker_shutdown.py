"""A worker sent SIGTERM (a deploy, a scale-in) finishes its clip job within CLIP_WORKER_SHUTDOWN_SECONDS, or hands
it back to the queue and exits; the job completes once, on this worker or another, and is paid for once."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import call_command

from clips.models import ClipJob, ClipJobRun
from clips.services import clip_job_fail, clip_job_start, clip_job_submit, clip_job_worker_lost
from credits.models import CreditsLedger, MovementReason
from credits.services import ledger_claim_first_clip
from tests.fake_pollo import GENERATION_PREFIX, FakePollo
from tests.test_faults import movements
from tests.test_stalled_jobs import REPO_DIR, _empty_queue, statuses, wait_for, worker  # noqa: F401 - autouse

pytestmark = pytest.mark.django_db(transaction=True)

USER_KEY = hashlib.sha256(b"worker shutdown").hexdigest()
POLL_SECONDS = 0.25


@pytest.fixture
def paid_job(alice) -> ClipJob:
    """A clip job paid with the one credit of alice's first clip (a ledger with its movement: reconcilable)."""
    ledger_claim_first_clip(user_id=alice.pk, user_key=USER_KEY)
    return clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="A lighthouse at dawn")[0]


def pollo_env(pollo: FakePollo, **environment: str) -> dict[str, str]:
    return {
        "CLIP_PROVIDER": "pollo",
        "POLLO_API_KEY": pollo.api_key,
        "POLLO_BASE_URL": pollo.base_url,
        "POLLO_POLL_INTERVAL_SECONDS": str(POLL_SECONDS),
        **environment,
    }


def stopped(process: subprocess.Popen, *, seconds: float) -> float:
    """Send SIGTERM and wait for the process to exit; how long it took."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=seconds)
    return time.monotonic() - started


def assert_paid_once(job: ClipJob) -> None:
    out = StringIO()
    call_command("credits_reconcile", stdout=out)
    assert "Every ledger row matches" in out.getvalue()
    assert movements(job) == [MovementReason.CLIP_JOB]  # one spend, no refund
    assert CreditsLedger.objects.get(user_key=USER_KEY).credits == 0


def test_a_job_that_ends_within_the_grace_period_completes_on_the_stopping_worker(paid_job, tmp_path):
    # About 3 s of rendering (12 polls), SIGTERM about 1 s in, 20 s of grace.
    with FakePollo(polls_until_done=12) as pollo:
        env = pollo_env(pollo, CLIP_WORKER_SHUTDOWN_SECONDS="20", CLIP_JOB_STALLED_SECONDS="40")
        with worker(tmp_path, **env) as first:
            wait_for(lambda: statuses(paid_job) == ["processing"], seconds=60)
            time.sleep(1)
            took = stopped(first, seconds=30)
        generations = len(pollo.calls("POST", GENERATION_PREFIX))

    paid_job.refresh_from_db()
    assert paid_job.status == ClipJob.Status.COMPLETED and paid_job.download_url
    assert first.returncode == 0 and took < 15
    assert generations == 1 and ClipJobRun.objects.get(clip_job=paid_job).attempts == 1
    assert_paid_once(paid_job)


def test_a_job_still_running_when_the_grace_period_ends_is_handed_back_and_completes_on_another_worker(
    paid_job, tmp_path
):
    with FakePollo(outcome="never") as pollo:  # renders that never end
        env = pollo_env(pollo, CLIP_WORKER_SHUTDOWN_SECONDS="2", CLIP_JOB_STALLED_SECONDS="15")
        with worker(tmp_path, **env) as first:
            wait_for(lambda: statuses(paid_job) == ["processing"], seconds=60)
            took = stopped(first, seconds=20)

        # Exited after its 2 s of grace (not when the render ends: never), the job queued again at once.
        assert first.returncode == 0 and took < 10, (tmp_path / "worker.log").read_text()[-3000:]
        assert statuses(paid_job) == ["queued"]

        pollo.outcome = "succeed"
        with worker(tmp_path, **env):
            wait_for(lambda: statuses(paid_job) == ["completed"], seconds=60)
        generations = len(pollo.calls("POST", GENERATION_PREFIX))

    paid_job.refresh_from_db()
    assert paid_job.download_url and paid_job.error_message is None
    assert generations == 2 and ClipJobRun.objects.get(clip_job=paid_job).attempts == 2
    assert_paid_once(paid_job)


def test_the_end_of_an_attempt_handed_back_changes_nothing(paid_job):
    _, attempt = clip_job_start(clip_job_id=paid_job.pk)
    clip_job_worker_lost(clip_job_id=paid_job.pk)  # handed back: queued again

    # The stopping worker's thread, which nothing can stop, then meets a provider failure.
    clip_job_fail(clip_job_id=paid_job.pk, error_message="The render failed.", attempt=attempt)

    assert statuses(paid_job) == ["queued"]
    assert_paid_once(paid_job)


def test_a_grace_period_that_outlasts_the_heartbeat_check_is_refused_at_start(tmp_path):
    # A stopping worker sends no heartbeat: past CLIP_JOB_STALLED_SECONDS less one heartbeat, another worker
    # would start the job while it still runs.
    env = {**os.environ, "CLIP_JOB_STALLED_SECONDS": "60", "CLIP_WORKER_SHUTDOWN_SECONDS": "50"}
    checked = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=60
    )

    assert checked.returncode != 0
    assert "CLIP_WORKER_SHUTDOWN_SECONDS must stay 10 below CLIP_JOB_STALLED_SECONDS" in checked.stderr

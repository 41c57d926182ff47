"""The clip job pipeline: submit, the Procrastinate queue, a real worker, refunds, cancel and the sweep."""

import os
import pathlib
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob

from clips import providers
from clips.models import ClipJob, ClipJobRun
from clips.providers.base import ClipGenerationFailed, GeneratedClip
from clips.services import (
    CLIP_JOB_RUN_TASK,
    clip_job_cancel,
    clip_job_fail,
    clip_job_run,
    clip_job_submit,
    clip_jobs_sweep,
)
from clips.tasks import clip_jobs_sweep_task
from credits.models import CreditsLedger
from directorstudio.errors import InsufficientCredits, ServiceUnavailable
from tests.fake_pollo import sample_mp4

pytestmark = pytest.mark.django_db(transaction=True)

CLIP_JOBS = "/api/v1/clip_jobs/"
USER_KEY = "k" * 64
REPO_DIR = pathlib.Path(__file__).resolve().parent.parent
PROCRASTINATE_TABLES = "procrastinate_periodic_defers, procrastinate_events, procrastinate_jobs, procrastinate_workers"


@pytest.fixture(autouse=True)
def _empty_queue_and_media(settings, tmp_path):
    """Procrastinate's tables are not Django-managed, so the flush between tests leaves them: empty them here."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CLIP_JOB_MAX_ATTEMPTS = 3
    settings.CLIP_JOB_PROCESSING_TIMEOUT_SECONDS = 900
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {PROCRASTINATE_TABLES} CASCADE")


class QuickProvider:
    """Writes a tiny real MP4 and a poster at once, so a test need not render a clip."""

    def generate(self, *, prompt: str, seconds: int, workdir: pathlib.Path) -> GeneratedClip:
        workdir.mkdir(parents=True, exist_ok=True)
        video, poster = workdir / "clip.mp4", workdir / "poster.jpg"
        video.write_bytes(sample_mp4(160, 90, 0.5))
        poster.write_bytes(b"\xff\xd8\xff\xd9")
        return GeneratedClip(video_path=video, poster_path=poster, duration_seconds=0.5)


class FailingProvider:
    """Fails every clip with `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def generate(self, *, prompt: str, seconds: int, workdir: pathlib.Path) -> GeneratedClip:
        self.calls += 1
        raise self.error


def use_provider(monkeypatch, provider) -> None:
    monkeypatch.setattr(providers, "get_provider", lambda: provider)


def run_worker() -> None:
    """Run a real Procrastinate worker, on its own connections to the test database, until the queue is empty."""
    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(wait=False, install_signal_handlers=False, listen_notify=False, concurrency=1)


def balance(user_key: str = USER_KEY) -> int:
    return CreditsLedger.objects.get(user_key=user_key).credits


def run_jobs(**filters) -> list[ProcrastinateJob]:
    return list(ProcrastinateJob.objects.filter(task_name=CLIP_JOB_RUN_TASK, **filters))


@pytest.fixture
def ledger(alice) -> CreditsLedger:
    return CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=1)


# --- submit and run ------------------------------------------------------------------------------


def test_a_submitted_job_is_deferred_in_the_same_transaction(alice, ledger):
    with pytest.raises(RuntimeError), transaction.atomic():
        clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Rolled back")
        assert len(run_jobs()) == 1  # visible inside the transaction ...
        raise RuntimeError

    assert run_jobs() == []  # ... and gone with it, like the job and the spend
    assert not ClipJob.objects.exists()
    assert balance() == 1

    job, created = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Kept")
    with pytest.raises(InsufficientCredits):
        clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="No credit left")

    assert created
    assert [(j.status, j.queue_name, j.args) for j in run_jobs()] == [("todo", "clips", {"clip_job_id": str(job.id)})]


def test_the_worker_runs_a_job_end_to_end_with_the_local_provider(as_alice, alice, ledger, settings):
    settings.CLIP_PROVIDER = "local"
    submitted = as_alice.post(CLIP_JOBS, {"user_key": USER_KEY, "prompt": "Rain on a neon diner window"}, format="json")
    assert submitted.status_code == 201, submitted.content
    url = f"{CLIP_JOBS}{submitted.json()['id']}/"
    assert as_alice.get(url).json()["status"] == "queued"

    run_worker()

    body = as_alice.get(url).json()
    assert body["status"] == "completed", body
    assert body["download_url"].startswith("http") and body["completed_at"]
    assert body["error_message"] is None
    assert (settings.MEDIA_ROOT / "clips" / f"{body['id']}.mp4").stat().st_size > 10_000
    assert [j.status for j in run_jobs()] == ["succeeded"]
    assert ClipJobRun.objects.get(clip_job_id=body["id"]).attempts == 1
    assert balance() == 0


def test_manage_py_procrastinate_worker_runs_the_queue(alice, ledger, tmp_path):
    job, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="A worker of its own")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@/{db['NAME']}?host={db['HOST']}&port={db['PORT']}"

    worker = subprocess.run(
        [sys.executable, "manage.py", "procrastinate", "worker", "--one-shot", "--no-listen-notify"],
        cwd=REPO_DIR,
        env={**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(tmp_path), "CLIP_PROVIDER": "local"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert worker.returncode == 0, worker.stderr
    job.refresh_from_db()
    assert job.status == "completed", worker.stderr
    assert (tmp_path / "clips" / f"{job.id}.mp4").exists()


def test_a_permanent_provider_failure_fails_the_job_and_refunds_it_once(as_alice, alice, ledger, monkeypatch):
    use_provider(monkeypatch, FailingProvider(ClipGenerationFailed("The prompt was refused.")))
    job, _ = clip_job_submit(user_id=alice.pk, prompt="Refused")
    assert balance() == 0

    run_worker()

    body = as_alice.get(f"{CLIP_JOBS}{job.id}/").json()
    assert (body["status"], body["error_message"], body["download_url"]) == ("failed", "The prompt was refused.", None)
    assert balance() == 1
    # A repeated failure (a retried task, a late worker) refunds nothing more.
    clip_job_fail(clip_job_id=job.id, error_message="Again")
    assert clip_job_run(clip_job_id=job.id) is None
    assert balance() == 1
    assert ClipJob.objects.get(pk=job.id).error_message == "The prompt was refused."


def test_a_transient_failure_is_retried_then_fails_and_refunds_after_the_last_attempt(alice, ledger, monkeypatch):
    provider = FailingProvider(ServiceUnavailable("Pollo is down."))
    use_provider(monkeypatch, provider)
    job, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Later")

    run_worker()  # the first attempt: back in the queue, the task retried later with backoff

    assert ClipJob.objects.get(pk=job.id).status == "queued"
    [retried] = run_jobs()
    assert (retried.status, retried.attempts) == ("todo", 1)
    assert retried.scheduled_at > timezone.now()
    assert balance() == 0

    with pytest.raises(ServiceUnavailable):  # the worker's retry, without waiting for the backoff
        clip_job_run(clip_job_id=job.id)
    assert ClipJob.objects.get(pk=job.id).status == "queued"
    clip_job_run(clip_job_id=job.id)  # the third and last attempt

    job.refresh_from_db()
    assert (job.status, job.error_message, provider.calls) == ("failed", "Pollo is down.", 3)
    assert balance() == 1
    assert clip_job_run(clip_job_id=job.id) is None
    assert balance() == 1


# --- cancel --------------------------------------------------------------------------------------


def test_cancelling_a_queued_job_refunds_it_once(as_alice, alice, ledger, monkeypatch):
    provider = FailingProvider(AssertionError("a cancelled job must not run"))
    use_provider(monkeypatch, provider)
    job, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Changed my mind")

    first = as_alice.post(f"{CLIP_JOBS}{job.id}/cancel/")
    again = as_alice.post(f"{CLIP_JOBS}{job.id}/cancel/", {}, format="json")
    run_worker()

    assert first.status_code == 200, first.content
    assert first.json()["status"] == "cancelled"
    assert again.status_code == 200
    assert again.json() == first.json()
    assert balance() == 1
    assert provider.calls == 0
    assert as_alice.get(f"{CLIP_JOBS}{job.id}/").json()["status"] == "cancelled"


@pytest.mark.parametrize("status", ["processing", "completed", "failed"])
def test_a_job_that_is_not_queued_cannot_be_cancelled(as_alice, alice, ledger, status):
    job, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Too late")
    ClipJob.objects.filter(pk=job.id).update(status=status)

    response = as_alice.post(f"{CLIP_JOBS}{job.id}/cancel/")

    assert response.status_code == 409
    assert response.json()["code"] == "not_cancellable"
    assert ClipJob.objects.get(pk=job.id).status == status
    assert balance() == 0


def test_somebody_elses_job_cannot_be_cancelled(as_bob, alice, ledger):
    job, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Alice's")

    assert as_bob.post(f"{CLIP_JOBS}{job.id}/cancel/").status_code == 404
    assert as_bob.post(f"{CLIP_JOBS}not-a-uuid/cancel/").status_code == 404
    assert ClipJob.objects.get(pk=job.id).status == "queued"
    assert balance() == 0


def test_cancel_is_refunded_once_under_concurrent_repeats(alice, ledger):
    job, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Twice")

    in_threads(lambda: clip_job_cancel(user_id=alice.pk, clip_job_id=job.id), count=6)

    assert ClipJob.objects.get(pk=job.id).status == "cancelled"
    assert balance() == 1


# --- the sweep -----------------------------------------------------------------------------------


def leave_processing(job: ClipJob, *, attempts: int, minutes_ago: int = 20) -> None:
    """What a worker killed mid-job leaves behind."""
    ClipJob.objects.filter(pk=job.id).update(status="processing")
    ClipJobRun.objects.update_or_create(
        clip_job_id=job.id,
        defaults={"attempts": attempts, "started_at": timezone.now() - timedelta(minutes=minutes_ago)},
    )


def test_the_sweep_recovers_a_job_left_in_processing(alice, ledger, monkeypatch):
    use_provider(monkeypatch, QuickProvider())
    job, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Killed worker")
    with connection.cursor() as cursor:  # a worker took the job and was killed
        cursor.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE task_name = %s", [CLIP_JOB_RUN_TASK])
    leave_processing(job, attempts=1)

    clip_jobs_sweep_task.defer(timestamp=0)
    run_worker()  # the sweep requeues the job, the same worker run then makes it

    job.refresh_from_db()
    assert job.status == "completed", job.error_message
    assert job.download_url
    assert ClipJobRun.objects.get(clip_job_id=job.id).attempts == 2
    assert balance() == 0


def test_the_sweep_gives_a_queued_job_written_straight_to_the_database_a_run(alice, ledger, monkeypatch):
    use_provider(monkeypatch, QuickProvider())
    submitted, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Through the API")
    orphan = ClipJob.objects.create(user_id=alice.pk, user_key=USER_KEY, prompt="Written by the app")

    swept = clip_jobs_sweep()
    again = clip_jobs_sweep()
    run_worker()

    assert [job.id for job in swept] == [orphan.id]  # the submitted job has its run already
    assert again == []
    assert set(ClipJob.objects.values_list("status", flat=True)) == {"completed"}
    assert submitted.id in {job.id for job in ClipJob.objects.filter(status="completed")}


def test_the_sweep_leaves_a_job_that_is_still_within_the_timeout(alice, ledger):
    job, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Slow but alive")
    leave_processing(job, attempts=1, minutes_ago=5)

    assert clip_jobs_sweep() == []
    assert ClipJob.objects.get(pk=job.id).status == "processing"
    assert len(run_jobs()) == 1


def test_the_sweep_fails_and_refunds_a_job_after_its_last_attempt_once(alice, ledger):
    job, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Always killed")
    leave_processing(job, attempts=3)

    swept = clip_jobs_sweep()
    clip_jobs_sweep()

    assert [j.id for j in swept] == [job.id]
    job.refresh_from_db()
    assert (job.status, job.error_message) == ("failed", "The video could not be generated in time.")
    assert balance() == 1
    assert len(run_jobs()) == 1  # nothing queued again


# --- concurrency and user_key --------------------------------------------------------------------


def in_threads(work, *, count: int) -> list:
    """Run `work` in `count` threads at once, each on its own database connection; what each returned or raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_n_credits_and_5n_concurrent_submissions_give_exactly_n_jobs(alice):
    credits = 4
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=credits)

    results = in_threads(
        lambda: clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="Rush hour"), count=5 * credits
    )

    accepted = [result for result in results if isinstance(result, tuple)]
    refused = [result for result in results if isinstance(result, InsufficientCredits)]
    assert (len(accepted), len(refused)) == (credits, 4 * credits), results
    assert ClipJob.objects.count() == credits
    assert balance() == 0
    assert sorted(j.args["clip_job_id"] for j in run_jobs()) == sorted(str(job.id) for job, _ in accepted)


def test_user_key_may_be_left_out_with_exactly_one_ledger_row(as_alice, alice, ledger):
    one = as_alice.post(CLIP_JOBS, {"prompt": "Which key?"}, format="json")
    CreditsLedger.objects.create(user_id=alice.pk, user_key="second-key", credits=5)
    two = as_alice.post(CLIP_JOBS, {"prompt": "Which key?"}, format="json")

    assert one.status_code == 201, one.content
    assert one.json()["user_key"] == USER_KEY
    assert two.status_code == 400
    assert "user_key" in two.json()
    assert ClipJob.objects.count() == 1
    assert (balance(), balance("second-key")) == (0, 5)


def test_user_key_left_out_without_any_ledger_row_is_refused(as_alice):
    response = as_alice.post(CLIP_JOBS, {"prompt": "No ledger"}, format="json")

    assert response.status_code == 400
    assert "user_key" in response.json()
    assert run_jobs() == []

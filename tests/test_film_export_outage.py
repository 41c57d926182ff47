"""A film export that meets a store outage, or whose worker dies, on both backends (local files and SeaweedFS), through
a real worker: queued again and retried later, completed when the store is back or on another worker; failed after
its last attempt."""

import pytest
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from clips.models import FilmExport
from clips.services import FILM_EXPORT_RUN_TASK, FILM_WORKER_LOST_MESSAGE
from clips.tasks import clip_jobs_worker_lost_task
from directorstudio.errors import StorageUnavailable
from tests.test_clip_jobs_pipeline import PROCRASTINATE_TABLES, run_worker
from tests.test_storage import project_of_finished_clips

pytestmark = pytest.mark.django_db(transaction=True)

EXPORTS = "/api/v1/film_exports/"


@pytest.fixture(autouse=True)
def _empty_queue(settings):
    """Procrastinate's tables are not Django-managed, so the flush between tests leaves them: empty them here."""
    settings.CLIP_JOB_MAX_ATTEMPTS = 3
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {PROCRASTINATE_TABLES} CASCADE")


@pytest.fixture
def export_id(as_alice, alice, store, monkeypatch) -> str:
    """A queued export of a project with two finished clips, stored while the store was up."""
    project_of_finished_clips(user_id=alice.pk, monkeypatch=monkeypatch)
    started = as_alice.post(EXPORTS, {"project_id": "film", "missing": "skip"}, format="json")
    assert started.status_code == 201, started.content
    return started.json()["id"]


def export_runs() -> list[ProcrastinateJob]:
    return list(ProcrastinateJob.objects.filter(task_name=FILM_EXPORT_RUN_TASK))


def test_a_film_export_that_meets_a_store_outage_is_retried_and_completes_when_the_store_is_back(
    as_alice, store, export_id
):
    with store.down():
        run_worker()

    export = as_alice.get(f"{EXPORTS}{export_id}/").json()
    assert (export["status"], export["error_message"], export["download_url"]) == ("queued", None, None)
    [retry] = export_runs()
    assert (retry.status, retry.attempts) == ("todo", 1)
    assert retry.scheduled_at > timezone.now()  # with the task's backoff
    assert f"films/{export_id}.mp4" not in store.names()

    ProcrastinateJob.objects.filter(pk=retry.pk).update(scheduled_at=timezone.now())  # the backoff has passed
    run_worker()

    export = as_alice.get(f"{EXPORTS}{export_id}/").json()
    assert (export["status"], export["progress"]) == ("completed", 1), export
    assert export["download_url"] and f"films/{export_id}.mp4" in store.names()
    assert [(run.status, run.attempts) for run in export_runs()] == [("succeeded", 2)]  # two runs in all


def test_a_film_export_fails_when_the_store_is_still_down_at_its_last_attempt(as_alice, store, export_id, settings):
    settings.CLIP_JOB_MAX_ATTEMPTS = 1

    with store.down():
        run_worker()

    export = as_alice.get(f"{EXPORTS}{export_id}/").json()
    assert (export["status"], export["error_message"]) == ("failed", StorageUnavailable.message)
    assert [run.status for run in export_runs()] == ["succeeded"]


def worker_died_mid_export(*, attempts: int = 0) -> None:
    """The state a SIGKILLed worker leaves: the export processing, its run `doing` with no living worker."""
    FilmExport.objects.update(status=FilmExport.Status.PROCESSING, progress=0.5)
    ProcrastinateJob.objects.filter(task_name=FILM_EXPORT_RUN_TASK).update(
        status="doing", worker_id=None, attempts=attempts
    )


def test_a_dead_workers_film_export_is_queued_again_and_completes_on_another_worker(as_alice, store, export_id):
    worker_died_mid_export()

    clip_jobs_worker_lost_task.defer(timestamp=0)
    run_worker()

    export = as_alice.get(f"{EXPORTS}{export_id}/").json()
    assert (export["status"], export["progress"]) == ("completed", 1), export
    assert f"films/{export_id}.mp4" in store.names()
    assert [(run.status, run.attempts) for run in export_runs()] == [("succeeded", 2)]  # the dead run, then this


def test_a_film_export_whose_worker_died_at_its_last_attempt_fails_and_says_why(as_alice, store, export_id, settings):
    worker_died_mid_export(attempts=settings.CLIP_JOB_MAX_ATTEMPTS - 1)

    clip_jobs_worker_lost_task.defer(timestamp=0)
    run_worker()

    export = as_alice.get(f"{EXPORTS}{export_id}/").json()
    assert (export["status"], export["error_message"]) == ("failed", FILM_WORKER_LOST_MESSAGE)
    assert f"films/{export_id}.mp4" not in store.names()

"""The admin as an operator runs the service from: finding a person by email, requeueing and refunding clip jobs."""

import html
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from clips.models import ClipJob, ClipJobRun, SceneDraft
from clips.services import CLIP_JOB_RUN_TASK, clip_job_fail, clip_job_start
from continuity.models import ContinuityLog
from credits.models import CreditMovement, CreditsLedger, MovementReason
from credits.services import credits_grant
from directorstudio.accounts.models import User
from screenplays.models import Screenplay, ScreenplaySection
from tests.tokens import signed_in

pytestmark = pytest.mark.django_db

WRITER_EMAIL = "writer@directorstudio.local"
CLIP_JOBS = "/api/v1/clip_jobs/"


@pytest.fixture
def staff_client(client):
    staff = User.objects.create_superuser("staff@example.com", "password")
    client.force_login(staff)
    client.staff = staff
    return client


@pytest.fixture
def writer() -> User:
    return User.objects.create_user(WRITER_EMAIL)


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_page(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def rows_of(user_id: uuid.UUID, n: int = 0) -> dict[type, object]:
    """One row of each user-owned table for `user_id` (the movement through a grant on their ledger row)."""
    ledger = CreditsLedger.objects.create(user_id=user_id, user_key=f"{user_id.hex}{n:032x}")
    credits_grant(ledger_id=ledger.pk, amount=3, note="welcome")
    screenplay = Screenplay.objects.create(user_id=user_id, title=f"Night Shift {n}", content="INT. DINER")
    return {
        CreditsLedger: ledger,
        CreditMovement: ledger.movements.get(),
        ClipJob: ClipJob.objects.create(user_id=user_id, user_key=ledger.user_key, prompt=f"Rain on a window {n}"),
        Screenplay: screenplay,
        ScreenplaySection: ScreenplaySection.objects.create(screenplay=screenplay, heading="INT. DINER", order_index=0),
        SceneDraft: SceneDraft.objects.create(
            user_id=user_id, project_id="film", order_index=n, prompt_text="Maya waits", duration=4
        ),
        ContinuityLog: ContinuityLog.objects.create(
            user_id=user_id, scene_id=n, confidence=0.5, issues=[], passed=True
        ),
    }


# --- An admin finds a person -------------------------------------------------------------------


@pytest.mark.parametrize("model", [CreditsLedger, CreditMovement, ClipJob])
def test_search_by_email_finds_a_persons_rows_and_the_list_shows_their_email(staff_client, writer, model):
    theirs = rows_of(writer.pk)[model]
    somebody_elses = rows_of(User.objects.create_user("other@example.com").pk, 1)[model]

    response = staff_client.get(changelist(model), {"q": WRITER_EMAIL})

    assert list(response.context["cl"].result_list) == [theirs]
    assert WRITER_EMAIL in response.text
    everyone = staff_client.get(changelist(model))
    assert {theirs, somebody_elses} == set(everyone.context["cl"].result_list)
    assert "other@example.com" in everyone.text


@pytest.mark.parametrize("model", [Screenplay, ScreenplaySection, SceneDraft, ContinuityLog])
def test_every_user_owned_table_is_searched_by_part_of_an_email(staff_client, writer, model):
    theirs = rows_of(writer.pk)[model]
    rows_of(User.objects.create_user("other@example.com").pk, 1)

    response = staff_client.get(changelist(model), {"q": "writer@directorstudio"})

    assert list(response.context["cl"].result_list) == [theirs]
    assert WRITER_EMAIL in response.text


@pytest.mark.parametrize("model", [CreditsLedger, CreditMovement, ClipJob, Screenplay, ScreenplaySection])
def test_a_change_page_shows_the_owners_email_beside_the_owner(staff_client, writer, model):
    row = rows_of(writer.pk)[model]

    response = staff_client.get(change_page(row))

    assert response.status_code == 200
    fields = [name for _, options in response.context["adminform"].fieldsets for name in options["fields"]]
    owner = "ledger" if model is CreditMovement else "screenplay" if model is ScreenplaySection else "user_id"
    assert fields[fields.index(owner) + 1] == "owner_email"
    assert WRITER_EMAIL in response.text


@pytest.mark.parametrize("model", [CreditsLedger, CreditMovement, ClipJob, ScreenplaySection])
def test_a_changelist_reads_its_owners_emails_in_one_query_whatever_the_rows(staff_client, model):
    def queries_for_a_page() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(changelist(model))
        assert response.status_code == 200
        user_queries = [q["sql"] for q in queries if 'FROM "accounts_user"' in q["sql"]]
        return len(queries), len(user_queries)

    rows_of(User.objects.create_user("first@example.com").pk)
    one_row = queries_for_a_page()
    for n in range(1, 30):
        rows_of(User.objects.create_user(f"person{n}@example.com").pk, n)
    thirty_rows = queries_for_a_page()

    assert one_row == thirty_rows
    # The session's user, and the page's emails.
    assert thirty_rows[1] == 2


def test_a_users_admin_page_links_to_their_ledger_jobs_and_screenplays(staff_client, writer):
    theirs = rows_of(writer.pk)
    rows_of(User.objects.create_user("other@example.com").pk, 1)

    page = staff_client.get(change_page(writer))

    links = re.findall(r'href="([^"]+__exact=[^"]+)"', page.text)
    for model in (CreditsLedger, ClipJob, Screenplay, CreditMovement):
        link = next(html.unescape(href) for href in links if href.startswith(f"{changelist(model)}?"))
        listed = staff_client.get(link)
        assert listed.status_code == 200, link
        assert list(listed.context["cl"].result_list) == [theirs[model]]


# --- Requeue and refund clip jobs ----------------------------------------------------------------


@pytest.fixture
def ledger(writer) -> CreditsLedger:
    ledger = CreditsLedger.objects.create(user_id=writer.pk, user_key="k" * 64)
    return credits_grant(ledger_id=ledger.pk, amount=5, note="welcome")


def submitted(writer, ledger, prompt: str = "Rain on a neon diner window") -> ClipJob:
    """A job the app submits: one credit taken, a worker run deferred."""
    response = signed_in(writer).post(CLIP_JOBS, {"prompt": prompt, "user_key": ledger.user_key}, format="json")
    assert response.status_code == 201, response.content
    return ClipJob.objects.get(pk=response.json()["id"])


def failed(writer, ledger, prompt: str = "Rain on a neon diner window") -> ClipJob:
    """A job a worker started and the provider failed: its credit given back."""
    job = submitted(writer, ledger, prompt)
    clip_job_start(clip_job_id=job.pk)
    return clip_job_fail(clip_job_id=job.pk, error_message="The provider refused the key.")


def job_movements(job: ClipJob) -> list[tuple[str, int]]:
    return list(
        CreditMovement.objects.filter(clip_job_id=job.pk).order_by("created_at").values_list("reason", "amount")
    )


def runs_deferred(job: ClipJob) -> int:
    return ProcrastinateJob.objects.filter(task_name=CLIP_JOB_RUN_TASK, args__clip_job_id=str(job.pk)).count()


def act(staff_client, action: str, jobs: list[ClipJob], **form) -> object:
    selected = {"action": action, "_selected_action": [str(job.pk) for job in jobs]}
    return staff_client.post(changelist(ClipJob), {**selected, **form}, follow=True)


def test_requeue_asks_for_a_reason_then_queues_a_failed_job_again_without_a_second_spend(staff_client, writer, ledger):
    job = failed(writer, ledger)
    assert CreditsLedger.objects.get(pk=ledger.pk).credits == 5

    form_page = act(staff_client, "requeue", [job])
    no_reason = act(staff_client, "requeue", [job], apply="1", note=" ")
    done = act(staff_client, "requeue", [job], apply="1", note="Provider key fixed")

    assert "Apply to 1 row" in form_page.text and "Apply to 1 rows" not in form_page.text
    assert "This field is required" in no_reason.text
    assert "Queued again: Provider key fixed (1 row)." in done.text
    job.refresh_from_db()
    assert (job.status, job.error_message) == (ClipJob.Status.QUEUED, None)
    assert runs_deferred(job) == 2
    assert job_movements(job) == [(MovementReason.CLIP_JOB, -1), (MovementReason.CLIP_JOB_REFUND, 1)]
    assert CreditsLedger.objects.get(pk=ledger.pk).credits == 5
    assert "Queued again: Provider key fixed" in LogEntry.objects.get(object_id=str(job.pk)).get_change_message()


def test_a_requeued_job_that_fails_again_is_not_refunded_twice(staff_client, writer, ledger):
    job = failed(writer, ledger)
    act(staff_client, "requeue", [job], apply="1", note="Provider key fixed")

    _, attempt = clip_job_start(clip_job_id=job.pk)
    clip_job_fail(clip_job_id=job.pk, error_message="Refused again.", attempt=attempt)

    assert attempt == 2
    assert job_movements(job) == [(MovementReason.CLIP_JOB, -1), (MovementReason.CLIP_JOB_REFUND, 1)]
    assert CreditsLedger.objects.get(pk=ledger.pk).credits == 5


def test_a_bulk_requeue_is_all_or_nothing(staff_client, writer, ledger):
    first, queued = failed(writer, ledger, "first"), submitted(writer, ledger, "second")

    refused = act(staff_client, "requeue", [first, queued], apply="1", note="Provider key fixed")

    assert "Nothing was changed" in refused.text and "Only a failed clip job can be queued again." in refused.text
    first.refresh_from_db()
    assert first.status == ClipJob.Status.FAILED
    assert runs_deferred(first) == 1
    assert not LogEntry.objects.exists()


def test_cancel_and_refund_a_queued_job_once_with_the_reason_on_the_movement(staff_client, writer, ledger):
    job = submitted(writer, ledger)

    done = act(staff_client, "cancel_and_refund", [job], apply="1", note="Stuck behind an outage")
    again = act(staff_client, "cancel_and_refund", [job], apply="1", note="Twice")

    assert "Cancelled and refunded: Stuck behind an outage (1 row)." in done.text
    assert "Nothing was changed" in again.text
    job.refresh_from_db()
    assert job.status == ClipJob.Status.CANCELLED
    refund = CreditMovement.objects.get(clip_job_id=job.pk, reason=MovementReason.CLIP_JOB_REFUND)
    assert (refund.amount, refund.note, refund.staff_user_id) == (1, "Stuck behind an outage", staff_client.staff.pk)
    assert CreditsLedger.objects.get(pk=ledger.pk).credits == 5


def test_cancel_and_refund_takes_a_stalled_job_but_not_one_a_worker_is_on(staff_client, writer, ledger, settings):
    stalled, working = submitted(writer, ledger, "stalled"), submitted(writer, ledger, "working")
    for job in (stalled, working):
        clip_job_start(clip_job_id=job.pk)
    long_ago = timezone.now() - timedelta(seconds=settings.CLIP_JOB_PROCESSING_TIMEOUT_SECONDS + 60)
    ClipJobRun.objects.filter(clip_job=stalled).update(started_at=long_ago)

    both = act(staff_client, "cancel_and_refund", [stalled, working], apply="1", note="Worker killed")
    stalled_only = act(staff_client, "cancel_and_refund", [stalled], apply="1", note="Worker killed")

    assert "Nothing was changed" in both.text and "stalled in processing" in both.text
    assert "Cancelled and refunded" in stalled_only.text
    assert ClipJob.objects.get(pk=stalled.pk).status == ClipJob.Status.CANCELLED
    assert ClipJob.objects.get(pk=working.pk).status == ClipJob.Status.PROCESSING
    assert job_movements(stalled)[-1] == (MovementReason.CLIP_JOB_REFUND, 1)
    assert CreditsLedger.objects.get(pk=ledger.pk).credits == 4


def test_one_jobs_page_offers_the_action_that_fits_it(staff_client, writer, ledger):
    job = failed(writer, ledger)
    requeue = reverse("admin:clips_clipjob_requeue", args=[job.pk])

    page = staff_client.get(change_page(job))
    form_page = staff_client.get(requeue)
    done = staff_client.post(requeue, {"apply": "1", "note": "Provider key fixed"})

    assert requeue in page.text
    assert reverse("admin:clips_clipjob_cancel_and_refund", args=[job.pk]) not in page.text
    assert "Apply to 1 row" in form_page.text
    assert done.status_code == 302 and done["Location"] == change_page(job)
    assert ClipJob.objects.get(pk=job.pk).status == ClipJob.Status.QUEUED
    for unknown in (uuid.uuid4(), "not-a-job"):
        assert staff_client.get(reverse("admin:clips_clipjob_requeue", args=[unknown])).status_code == 302


# --- The operations page -------------------------------------------------------------------------

OPERATIONS = "/admin/operations/"


def test_the_operations_page_is_linked_from_the_index_and_staff_only(staff_client, client, writer):
    index = staff_client.get(reverse("admin:index"))
    staff_client.logout()
    client.force_login(writer)
    refused = client.get(OPERATIONS)

    assert f'href="{OPERATIONS}"' in index.text
    assert refused.status_code == 302 and "/admin/login/" in refused["Location"]


def test_the_operations_page_answers_the_operators_questions(staff_client, writer, ledger, settings):
    done = submitted(writer, ledger, "done")
    clip_job_start(clip_job_id=done.pk)
    ClipJob.objects.filter(pk=done.pk).update(
        status=ClipJob.Status.COMPLETED, completed_at=done.submitted_at + timedelta(seconds=42)
    )
    failed(writer, ledger, "refused")
    waiting = submitted(writer, ledger, "waiting")
    ClipJob.objects.filter(pk=waiting.pk).update(submitted_at=timezone.now() - timedelta(hours=2))
    stalled = submitted(writer, ledger, "stalled")
    clip_job_start(clip_job_id=stalled.pk)
    long_ago = timezone.now() - timedelta(seconds=settings.CLIP_JOB_PROCESSING_TIMEOUT_SECONDS + 60)
    ClipJobRun.objects.filter(clip_job=stalled).update(started_at=long_ago)
    CreditsLedger.objects.filter(pk=ledger.pk).update(credits=99)  # a balance that disagrees with its movements

    page = staff_client.get(OPERATIONS)

    assert page.status_code == 200
    context = page.context
    assert context["by_status"] == {"queued": 1, "processing": 1, "completed": 1, "failed": 1, "cancelled": 0}
    assert context["queue"]["depth"] == 1 and "2\xa0hours" in page.text
    day = dict(context["timings"])["the last 24 hours"]
    assert (day.completed, day.failed, day.failure_rate, day.median_seconds) == (1, 1, 0.5, 42.0)
    assert "The provider refused the key." in page.text
    assert context["stalled_count"] == 1 and list(context["stalled"]) == [stalled]
    assert "No worker has been seen" in page.text
    today = context["days"][-1]
    assert (today.spent, today.refunded, today.granted) == (4, 1, 5)
    assert "<svg" in page.text and "Credits per day" in page.text
    assert [row.pk for row in context["discrepancies"]] == [ledger.pk]


def test_the_operations_page_makes_the_same_queries_whatever_the_rows(staff_client, writer, ledger, get_query_count):
    submitted(writer, ledger, "one")
    few = get_query_count(staff_client, OPERATIONS)
    failed(writer, ledger, "two")
    submitted(writer, ledger, "three")

    assert get_query_count(staff_client, OPERATIONS) == few


@pytest.mark.parametrize("action", ["requeue", "cancel_and_refund"])
def test_a_forged_selection_is_refused_with_a_message(staff_client, action):
    forged = {"action": action, "_selected_action": ["not-a-job"], "apply": "1", "note": "x"}

    response = staff_client.post(changelist(ClipJob), forged, follow=True)

    assert response.status_code == 200
    assert "The selected rows do not exist" in response.text


def test_the_operations_page_counts_every_unfinished_job_and_the_finished_ones_of_the_last_30_days(
    staff_client, writer, ledger
):
    old_queued, old_done, recent_done = (submitted(writer, ledger, prompt) for prompt in ("old", "done", "recent"))
    ClipJob.objects.filter(pk=old_queued.pk).update(submitted_at=timezone.now() - timedelta(days=40))
    ClipJob.objects.filter(pk__in=[old_done.pk, recent_done.pk]).update(status=ClipJob.Status.COMPLETED)
    ClipJob.objects.filter(pk=old_done.pk).update(submitted_at=timezone.now() - timedelta(days=31))

    page = staff_client.get(OPERATIONS)

    assert page.context["by_status"] == {"queued": 1, "processing": 0, "completed": 1, "failed": 0, "cancelled": 0}
    assert "submitted in the last 30 days" in page.text
    completed_link = html.unescape(re.search(r'href="([^"]*status__exact=completed[^"]*)"', page.text)[1])
    assert list(staff_client.get(completed_link).context["cl"].result_list) == [ClipJob.objects.get(pk=recent_done.pk)]


def test_the_operations_page_checks_each_balance_against_the_one_its_latest_movement_left(staff_client, writer):
    agreeing = credits_grant(
        ledger_id=CreditsLedger.objects.create(user_id=writer.pk, user_key="a" * 64).pk, amount=5, note="welcome"
    )
    CreditsLedger.objects.create(user_id=writer.pk, user_key="b" * 64)  # no movement and no credit: it agrees
    unmoved = CreditsLedger.objects.create(user_id=writer.pk, user_key="c" * 64)
    CreditsLedger.objects.filter(pk=unmoved.pk).update(credits=7)  # credits that no movement brought
    CreditsLedger.objects.filter(pk=agreeing.pk).update(credits=6)  # a balance typed over, outside the services

    page = staff_client.get(OPERATIONS)

    assert [(row.pk, row.credits, row.moved) for row in page.context["discrepancies"]] == [
        (agreeing.pk, 6, 5),
        (unmoved.pk, 7, 0),
    ]

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import authenticate
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clips.downloads import clip_download_url, clip_poster_url
from clips.models import ClipJob, ClipJobStatus, SceneClipJob, SceneDraft, VideoUpload
from continuity.models import ContinuityLog, SceneLink, SceneState, Telemetry
from credits.models import CreditMovement, CreditsLedger
from directorstudio.accounts.models import User
from directorstudio.demo.services import seed_demo_data
from screenplays.models import Screenplay, ScreenplaySection

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    """The demo's clip files go to a fresh MEDIA_ROOT, not the project's media/ folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


ADMIN = "admin@directorstudio.local"
WRITER = "writer@directorstudio.local"
TABLES = (
    Screenplay,
    ScreenplaySection,
    SceneDraft,
    ClipJob,
    VideoUpload,
    CreditsLedger,
    SceneState,
    ContinuityLog,
    Telemetry,
)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (User, *TABLES)}


def test_fills_every_table_and_prints_the_logins():
    output = seed()

    assert all(count > 0 for count in counts().values()), counts()
    assert "Demo data ready." in output
    assert f"Admin (/admin/): {ADMIN} / directorstudio" in output
    assert f"Writer: {WRITER} / directorstudio" in output


def test_the_admin_and_the_writer_can_sign_in():
    seed()

    admin = authenticate(email=ADMIN, password="directorstudio")
    writer = authenticate(email=WRITER, password="directorstudio")

    assert admin is not None and admin.is_staff and admin.is_superuser
    assert writer is not None and not writer.is_staff
    assert authenticate(email=WRITER, password="wrong") is None


def test_password_option_sets_the_logins_password():
    output = seed("--password", "storyboard-42")

    assert authenticate(email=ADMIN, password="storyboard-42") is not None
    assert authenticate(email=WRITER, password="storyboard-42") is not None
    assert f"{WRITER} / storyboard-42" in output


def test_second_run_changes_nothing_and_still_prints_the_logins():
    seed()
    before = counts()
    updated = sorted(Screenplay.objects.values_list("updated_at", flat=True))

    output = seed()

    assert counts() == before
    assert sorted(Screenplay.objects.values_list("updated_at", flat=True)) == updated
    assert "already present" in output
    assert f"{ADMIN} / directorstudio" in output
    assert f"{WRITER} / directorstudio" in output


def test_second_run_with_another_password_does_not_claim_it_works():
    seed()

    output = seed("--password", "not-the-one")

    assert "not-the-one" not in output
    assert authenticate(email=WRITER, password="directorstudio") is not None


def test_a_fresh_run_with_the_same_seed_makes_the_same_data():
    now = datetime(2025, 6, 1, 12, tzinfo=UTC)

    def snapshot() -> list:
        return [
            sorted(User.objects.values_list("id", "email")),
            sorted(Screenplay.objects.values_list("id", "title", "version", "content")),
            sorted(SceneDraft.objects.values_list("id", "prompt_text", "duration", "shot_type")),
            sorted(ClipJob.objects.values_list("id", "status", "submitted_at")),
            sorted(CreditsLedger.objects.values_list("user_key", "credits")),
            sorted(CreditMovement.objects.values_list("user_key", "amount", "balance_after", "reason")),
        ]

    seed_demo_data(now=now)
    first = snapshot()
    for model in (CreditMovement, *TABLES, User):
        model.objects.all().delete()
    seed_demo_data(now=now)

    assert snapshot() == first


def test_runs_in_a_bounded_number_of_queries():
    with CaptureQueriesContext(connection) as queries:
        seed_demo_data()

    # Bulk inserts for the rows, then each credit movement (first clip, pack, spend) through the
    # credits services: savepoint, ledger lock, balance update, movement insert, release.
    paid = ClipJob.objects.filter(status__in=[ClipJobStatus.QUEUED, ClipJobStatus.PROCESSING, ClipJobStatus.COMPLETED])
    movements = paid.count() + 3 * CreditsLedger.objects.count()
    assert len(queries) <= 30 + 6 * movements


def test_each_writers_rows_carry_that_writers_user_id():
    seed()
    admin = User.objects.get(email=ADMIN)
    writers = User.objects.exclude(pk=admin.pk)

    assert writers.count() >= 5
    for writer in writers:
        screenplays = Screenplay.objects.filter(user_id=writer.id)
        assert 2 <= screenplays.count() <= 3
        project_ids = {str(screenplay.id) for screenplay in screenplays}
        assert set(SceneDraft.objects.filter(project_id__in=project_ids).values_list("user_id", flat=True)) == {
            writer.id
        }
        assert set(VideoUpload.objects.filter(project_id__in=project_ids).values_list("user_id", flat=True)) == {
            writer.id
        }
        ledger = CreditsLedger.objects.get(user_id=writer.id)
        assert set(ClipJob.objects.filter(user_key=ledger.user_key).values_list("user_id", flat=True)) == {writer.id}
    for model in (SceneDraft, ClipJob, VideoUpload, SceneState, ContinuityLog, Telemetry):
        assert not model.objects.filter(user_id=admin.id).exists(), model


def test_screenplays_are_fountain_with_one_section_per_scene_heading():
    seed()

    assert Screenplay.objects.filter(version__gt=1).exists()
    for screenplay in Screenplay.objects.prefetch_related("sections"):
        assert screenplay.content.startswith(f"Title: {screenplay.title}\n")
        headings = re.findall(r"^(?:INT\.|EXT\.|INT\./EXT\.|EST\.).*$", screenplay.content, flags=re.MULTILINE)
        sections = list(screenplay.sections.all())
        assert [section.heading for section in sections] == headings
        assert [section.order_index for section in sections] == list(range(len(headings)))
        assert all(section.content in screenplay.content for section in sections)


def test_scene_drafts_follow_their_screenplay_without_gaps():
    seed()

    by_project = defaultdict(list)
    for draft in SceneDraft.objects.order_by("project_id", "order_index"):
        by_project[draft.project_id].append(draft)
    screenplays = {str(screenplay.id): screenplay for screenplay in Screenplay.objects.prefetch_related("sections")}

    assert set(by_project) == set(screenplays)
    for project_id, drafts in by_project.items():
        assert [draft.order_index for draft in drafts] == list(range(len(drafts)))
        assert len(drafts) == screenplays[project_id].sections.count()
        assert {draft.scene_type for draft in drafts} <= {"INT", "EXT", "INT/EXT"}
        assert {draft.shot_type for draft in drafts} <= {"wide", "medium", "close-up"}
        assert all(3 <= draft.duration <= 5 for draft in drafts)
    for upload in VideoUpload.objects.all():
        assert upload.filename == f"uploads/{upload.id}.mp4"
        assert default_storage.exists(upload.filename)  # footage that plays, not a name with no file


def test_the_timeline_and_the_continuity_page_find_each_scenes_clip_and_state():
    seed()

    for draft in SceneDraft.objects.all():
        state_id = SceneLink.objects.get(scene_draft=draft).scene_state_id
        assert SceneState.objects.filter(user_id=draft.user_id, id=state_id).exists()
    for job in ClipJob.objects.all():
        link = SceneClipJob.objects.get(clip_job=job)
        assert (link.scene_draft.user_id, link.scene_draft.prompt_text) == (job.user_id, job.prompt)


def test_clip_jobs_appear_in_every_status_with_their_details():
    seed()

    assert set(ClipJob.objects.values_list("status", flat=True)) == set(ClipJobStatus.values)
    for job in ClipJob.objects.filter(status=ClipJobStatus.COMPLETED):
        assert job.download_url and job.completed_at > job.submitted_at
        assert job.download_url == clip_download_url(clip_job_id=job.id, user_id=job.user_id)
        assert "storage.example.com" not in job.download_url
    assert not ClipJob.objects.exclude(status=ClipJobStatus.COMPLETED).filter(download_url__isnull=False).exists()
    for job in ClipJob.objects.filter(status=ClipJobStatus.FAILED):
        assert job.error_message
    assert not ClipJob.objects.filter(status=ClipJobStatus.QUEUED, completed_at__isnull=False).exists()


def test_ledger_balances_are_believable():
    seed()

    for ledger in CreditsLedger.objects.all():
        assert re.fullmatch(r"[0-9a-f]{64}", ledger.user_key)
        assert ledger.credits >= 0
        assert ledger.first_clip_granted and ledger.granted_at is not None
        paid = ClipJob.objects.filter(
            user_key=ledger.user_key,
            status__in=[ClipJobStatus.QUEUED, ClipJobStatus.PROCESSING, ClipJobStatus.COMPLETED],
        ).count()
        # Every balance is the free clip plus whole packs, less one credit per job not refunded.
        bought = ledger.credits + paid - 1
        packs = (25, 70, 150, 350)
        assert bought in {*packs, *(a + b for a in packs for b in packs)}


def test_continuity_logs_follow_the_engines_rules_over_recent_days():
    seed()

    logs = list(ContinuityLog.objects.all())
    states = {(state.user_id, state.id): state for state in SceneState.objects.all()}
    assert all((log.user_id, log.scene_id) in states for log in logs)
    assert all(log.passed == (log.confidence >= 0.6) for log in logs)
    assert any(not log.passed for log in logs) and sum(log.passed for log in logs) > len(logs) / 2
    now = datetime.now(UTC)
    assert all(now - timedelta(days=10) <= log.timestamp <= now for log in logs)
    assert len({log.timestamp.date() for log in logs if log.timestamp >= now - timedelta(days=7)}) >= 4
    for state in states.values():
        assert isinstance(state.characters, list) and all(isinstance(name, str) for name in state.characters)
        assert isinstance(state.props, list) and all(isinstance(prop, str) for prop in state.props)


def test_telemetry_spans_every_performance_band():
    seed()

    for user_id in Telemetry.objects.values_list("user_id", flat=True).distinct():
        rates = [row.rate for row in Telemetry.objects.filter(user_id=user_id)]
        assert any(rate >= 0.8 for rate in rates)
        assert any(0.5 <= rate < 0.8 for rate in rates)
        assert any(rate < 0.5 for rate in rates)
    assert all(row.rate == row.successes / row.attempts for row in Telemetry.objects.all())


def test_completed_clips_play_from_their_urls_and_the_writers_are_each_their_own(client):
    seed()
    completed = ClipJob.objects.filter(status=ClipJobStatus.COMPLETED)
    writer = User.objects.get(email=WRITER)

    videos = {}
    for job in completed:
        response = client.get(urlsplit(job.download_url).path, HTTP_RANGE="bytes=0-11")
        assert response.status_code == 206, job.download_url
        assert b"".join(response.streaming_content)[4:8] == b"ftyp"  # an MP4
        poster = client.head(urlsplit(clip_poster_url(clip_job_id=job.id, user_id=job.user_id)).path)
        assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"
        with default_storage.open(f"clips/{job.id}.mp4") as handle:
            videos[job.id] = handle.read()
    # The demo writer's completed jobs each play a clip of their own prompt.
    writers_jobs = [job.id for job in completed if job.user_id == writer.id]
    assert writers_jobs
    assert len({videos[job_id] for job_id in writers_jobs}) == len(writers_jobs)

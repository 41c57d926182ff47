"""The admin, page by page: CRUD over every table, listing of every view, access and query budgets."""

import html
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.admin import site
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clips.models import ClipJob, ProjectOverview, SceneDraft, VideoUpload
from continuity.models import (
    ContinuityLog,
    DailyAnalytics,
    RecentValidation,
    SceneState,
    Telemetry,
    TelemetryPerformance,
)
from credits.models import CreditMovement, CreditsLedger, UserStatistics
from credits.services import credits_grant
from directorstudio.accounts.models import RefreshToken, User
from directorstudio.admin import EstimatedCountPaginator, object_key
from screenplays.admin import ScreenplayAdminForm
from screenplays.models import Screenplay, ScreenplaySection

pytestmark = pytest.mark.django_db

OWNER = uuid.UUID("11111111-1111-4111-8111-111111111111")
NEW_OWNER = uuid.UUID("00000000-0000-4000-8000-0000000000ee")
USER_KEY = "a" * 64


def admin_url(model: type[models.Model], view: str, obj: models.Model | None = None) -> str:
    args = (quote(object_key(obj)),) if obj is not None else ()
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def split_datetime(name: str, value=None) -> dict[str, str]:
    """Form data for an admin date-and-time widget."""
    value = value or timezone.now()
    return {f"{name}_0": value.strftime("%Y-%m-%d"), f"{name}_1": value.strftime("%H:%M:%S")}


def make_screenplay(n: int) -> Screenplay:
    return Screenplay.objects.create(user_id=OWNER, title=f"Screenplay {n}", content="INT. ROOM - DAY")


def make_section(n: int) -> ScreenplaySection:
    return ScreenplaySection.objects.create(
        screenplay=make_screenplay(n), heading=f"INT. ROOM {n} - DAY", content="", order_index=0
    )


def make_scene_draft(n: int) -> SceneDraft:
    return SceneDraft.objects.create(
        user_id=OWNER, project_id=f"project-{n}", order_index=n, prompt_text=f"A lighthouse {n}", duration=4
    )


def make_clip_job(n: int) -> ClipJob:
    return ClipJob.objects.create(user_id=uuid.uuid4(), user_key=f"{n:064x}", prompt=f"A storm at sea {n}")


def make_video_upload(n: int) -> VideoUpload:
    return VideoUpload.objects.create(user_id=OWNER, project_id="project", order_index=n, filename=f"clip-{n}.mp4")


def make_ledger(n: int) -> CreditsLedger:
    return CreditsLedger.objects.create(user_key=f"{n:064x}", user_id=uuid.uuid4(), credits=n)


def make_scene_state(n: int) -> SceneState:
    return SceneState.objects.create(
        user_id=OWNER, id=n, location=f"Harbour {n}", characters=["ANNA"], props=["lamp"], prompt="Dusk", tone="calm"
    )


def make_continuity_log(n: int) -> ContinuityLog:
    return ContinuityLog.objects.create(
        user_id=uuid.uuid4(), scene_id=n, confidence=0.5, issues=["lamp disappeared (was in scene 1)"], passed=False
    )


def make_telemetry(n: int) -> Telemetry:
    return Telemetry.objects.create(user_id=OWNER, element=f"lamp-{n}", attempts=2, successes=1, rate=0.5)


@dataclass
class TableCase:
    """How to exercise one table's admin: a row factory, a search word, add and change form data."""

    model: type[models.Model]
    make: Callable[[int], models.Model]
    search: Callable[[models.Model], str]
    add_data: Callable[[], dict[str, Any]]
    added: dict[str, Any]
    change: dict[str, Any]
    inline_data: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.model.__name__


NO_SECTIONS = {"sections-TOTAL_FORMS": "0", "sections-INITIAL_FORMS": "0"}
NO_MOVEMENTS = {"movements-TOTAL_FORMS": "0", "movements-INITIAL_FORMS": "0"}

TABLES = [
    TableCase(
        Screenplay,
        make_screenplay,
        lambda row: row.title,
        lambda: {
            "user_id": str(OWNER),
            "title": "The Lighthouse",
            "content": "EXT. CLIFF - NIGHT",
            "based_on_version": "1",
        },
        {"title": "The Lighthouse"},
        {"title": "The Lighthouse, revised"},
        inline_data=NO_SECTIONS,
    ),
    TableCase(
        ScreenplaySection,
        make_section,
        lambda row: str(row.id),
        lambda: {
            "screenplay": str(make_screenplay(99).id),
            "order_index": "0",
            "heading": "EXT. CLIFF - NIGHT",
            "content": "Waves.",
        },
        {"heading": "EXT. CLIFF - NIGHT"},
        {"heading": "INT. LIGHTHOUSE - NIGHT"},
    ),
    TableCase(
        SceneDraft,
        make_scene_draft,
        lambda row: row.prompt_text,
        lambda: {
            "user_id": str(OWNER),
            "project_id": "p-1",
            "order_index": "0",
            "prompt_text": "Gulls over the pier",
            "duration": "4.0",
            "scene_type": "EXT",
            "shot_type": "wide",
        },
        {"prompt_text": "Gulls over the pier"},
        {"duration": 6.5},
    ),
    TableCase(
        ClipJob,
        make_clip_job,
        lambda row: row.user_key,
        lambda: {
            "user_id": str(OWNER),
            "user_key": USER_KEY,
            "prompt": "Gulls over the pier",
            "status": "queued",
            **split_datetime("submitted_at"),
            "completed_at_0": "",
            "completed_at_1": "",
            "download_url": "",
            "error_message": "",
        },
        {"user_key": USER_KEY, "status": "queued"},
        {"status": "failed", "error_message": "Provider timeout"},
    ),
    TableCase(
        VideoUpload,
        make_video_upload,
        lambda row: row.filename,
        lambda: {
            "user_id": str(OWNER),
            "project_id": "p-1",
            "order_index": "0",
            "filename": "harbour.mp4",
            **split_datetime("uploaded_at"),
        },
        {"filename": "harbour.mp4"},
        {"filename": "harbour-final.mp4"},
    ),
    TableCase(
        CreditsLedger,
        make_ledger,
        lambda row: row.user_key,
        lambda: {
            "user_key": USER_KEY,
            "user_id": str(OWNER),
            "credits": "25",
            "first_clip_granted": "true",
            "first_clip_consumed": "false",
            **split_datetime("granted_at"),
        },
        # The balance is read-only: a new row starts at zero whatever the form sends.
        {"user_key": USER_KEY, "credits": 0, "first_clip_granted": False},
        {"user_id": NEW_OWNER},
        inline_data=NO_MOVEMENTS,
    ),
    TableCase(
        SceneState,
        make_scene_state,
        lambda row: row.location,
        lambda: {
            "user_id": str(OWNER),
            "id": "7",
            "location": "Lighthouse",
            "characters": '["ANNA", "TOM"]',
            "props": '["lamp"]',
            "prompt": "Anna climbs the stairs",
            "tone": "tense",
            **split_datetime("timestamp"),
        },
        {"id": 7, "characters": ["ANNA", "TOM"]},
        {"tone": "calm", "props": ["lamp", "rope"]},
    ),
    TableCase(
        ContinuityLog,
        make_continuity_log,
        lambda row: str(row.user_id),
        lambda: {
            "user_id": str(OWNER),
            "scene_id": "3",
            "confidence": "0.42",
            "passed": "",
            "issues": '["ANNA vanished from Lighthouse"]',
            **split_datetime("timestamp"),
        },
        {"scene_id": 3, "issues": ["ANNA vanished from Lighthouse"], "passed": False},
        {"confidence": 0.9, "passed": True},
    ),
    TableCase(
        Telemetry,
        make_telemetry,
        lambda row: row.element,
        lambda: {
            "user_id": str(OWNER),
            "element": "rope",
            "attempts": "4",
            "successes": "1",
            "rate": "0.25",
            **split_datetime("timestamp"),
        },
        {"element": "rope", "attempts": 4},
        {"successes": 3, "rate": 0.75},
    ),
]


def test_a_balance_cannot_be_typed_in_the_admin(admin_client):
    ledger = make_ledger(3)
    data = {
        "user_key": ledger.user_key,
        "user_id": str(ledger.user_id),
        "credits": "999",
        "first_clip_granted": "on",
        **NO_MOVEMENTS,
    }

    response = admin_client.post(admin_url(CreditsLedger, "change", ledger), data)

    assert response.status_code == 302
    ledger.refresh_from_db()
    assert (ledger.credits, ledger.first_clip_granted) == (3, False)


@pytest.mark.parametrize("case", TABLES, ids=str)
def test_changelist_lists_rows_with_links_to_their_change_pages(admin_client, case: TableCase):
    row = case.make(1)

    response = admin_client.get(admin_url(case.model, "changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [row]
    assert admin_url(case.model, "change", row) in response.text


@pytest.mark.parametrize("case", TABLES, ids=str)
def test_search_finds_the_row(admin_client, case: TableCase):
    row, other = case.make(1), case.make(2)

    response = admin_client.get(admin_url(case.model, "changelist"), {"q": case.search(row)})

    assert response.status_code == 200
    results = list(response.context["cl"].result_list)
    assert row in results
    assert other not in results


# Records nobody adds, changes or deletes by hand: clip jobs (the app submits them paying a credit, and they
# change only through the clip job services) and continuity logs (the engine's validations).
RECORDS = (ClipJob, ContinuityLog)
ADDABLE = [case for case in TABLES if case.model not in RECORDS]
# A ledger row's key and owner are fixed once added; its balance moves through grants (tests/test_credits_ledger.py).
CHANGEABLE = [case for case in ADDABLE if case.model is not CreditsLedger]


@pytest.mark.parametrize("case", ADDABLE, ids=str)
def test_add_form_creates_a_row(admin_client, case: TableCase):
    add_page = admin_client.get(admin_url(case.model, "add"))
    assert add_page.status_code == 200

    data = {**case.add_data(), **case.inline_data, "_continue": "1"}
    response = admin_client.post(admin_url(case.model, "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    row = case.model.objects.get(**case.added)
    assert response["Location"].startswith(admin_url(case.model, "change", row))
    assert LogEntry.objects.get(object_id=object_key(row)).is_addition()


@pytest.mark.parametrize("case", CHANGEABLE, ids=str)
def test_change_form_updates_the_row(admin_client, case: TableCase):
    admin_client.post(admin_url(case.model, "add"), {**case.add_data(), **case.inline_data})
    row = case.model.objects.get(**case.added)
    assert admin_client.get(admin_url(case.model, "change", row)).status_code == 200
    data = {**case.add_data(), **case.inline_data}
    data.update({name: str(value).lower() if isinstance(value, bool) else value for name, value in case.change.items()})
    if "props" in case.change:
        data["props"] = '["lamp", "rope"]'

    response = admin_client.post(admin_url(case.model, "change", row), {**data, "_continue": "1"})

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response["Location"].startswith(admin_url(case.model, "change", row))
    changed = case.model.objects.get(pk=row.pk)
    for name, value in case.change.items():
        assert getattr(changed, name) == value
    history = admin_client.get(admin_url(case.model, "history", row))
    assert history.status_code == 200
    assert len(history.context["action_list"]) == 2


@pytest.mark.parametrize("case", [case for case in ADDABLE if case.model is not CreditsLedger], ids=str)
def test_delete_confirmation_deletes_the_row(admin_client, case: TableCase):
    row, kept = case.make(1), case.make(2)
    confirmation = admin_client.get(admin_url(case.model, "delete", row))
    assert confirmation.status_code == 200
    assert admin_url(case.model, "change", row) in confirmation.text

    response = admin_client.post(admin_url(case.model, "delete", row), {"post": "yes"})

    assert response.status_code == 302
    assert not case.model.objects.filter(pk=row.pk).exists()
    assert case.model.objects.filter(pk=kept.pk).exists()


def test_a_clip_job_cannot_be_added_or_changed_by_hand(admin_client):
    job = make_clip_job(1)
    typed = {"status": "completed", "user_id": str(NEW_OWNER), "prompt": "typed", "download_url": "https://x.test/a"}

    page = admin_client.get(admin_url(ClipJob, "change", job))
    changed = admin_client.post(admin_url(ClipJob, "change", job), typed)
    added = admin_client.post(admin_url(ClipJob, "add"), {**typed, "user_key": USER_KEY})

    assert page.status_code == 200
    assert page.context["adminform"].form.fields == {}
    assert (changed.status_code, added.status_code) == (403, 403)
    job.refresh_from_db()
    assert (job.status, job.user_id, job.prompt, job.download_url) == ("queued", job.user_id, "A storm at sea 1", None)
    assert job.user_id != NEW_OWNER
    assert ClipJob.objects.count() == 1


@pytest.mark.parametrize(
    ("make", "fixed"),
    [
        (make_ledger, {"user_key", "user_id"}),
        (make_screenplay, {"user_id"}),
        (make_scene_draft, {"user_id"}),
        (make_video_upload, {"user_id"}),
        (make_section, {"screenplay"}),
    ],
    ids=["ledger", "screenplay", "scene_draft", "video_upload", "section"],
)
def test_an_owner_and_a_ledger_key_are_shown_but_not_editable_once_added(admin_client, make, fixed):
    row = make(1)

    page = admin_client.get(admin_url(type(row), "change", row))

    assert not fixed & set(page.context["adminform"].form.fields)
    assert fixed <= set(page.context["adminform"].readonly_fields)
    assert admin_client.get(admin_url(type(row), "add")).context["adminform"].form.fields.keys() >= fixed


def make_movement(n: int) -> CreditMovement:
    return credits_grant(ledger_id=make_ledger(n).pk, amount=5, note="welcome", staff_user_id=None).movements.get()


@pytest.mark.parametrize(
    "make", [make_ledger, make_movement, make_clip_job, make_continuity_log], ids=lambda make: make.__name__[5:]
)
def test_history_that_must_stay_offers_no_delete_and_says_why(admin_client, make):
    row = make(1)
    model = type(row)
    reason = site._registry[model].no_delete_reason

    changelist = admin_client.get(admin_url(model, "changelist"))
    change_page = admin_client.get(admin_url(model, "change", row))
    delete = admin_client.post(admin_url(model, "delete", row), {"post": "yes"}, follow=True)
    bulk_delete = admin_client.post(
        admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )

    assert "never" in reason and "deleted" in reason
    assert "delete_selected" not in changelist.text
    for page in (changelist, change_page, delete):
        assert reason in html.unescape(page.text)
    assert "Delete" not in change_page.text.split('id="content-main"')[1].split("</form>")[0]
    assert delete.status_code == 200 and bulk_delete.status_code in (200, 302)
    assert model.objects.filter(pk=row.pk).exists()


def test_a_continuity_log_cannot_be_added_or_changed_by_hand(admin_client):
    log = make_continuity_log(1)
    typed = {"user_id": str(NEW_OWNER), "scene_id": "9", "confidence": "1", "passed": "on", "issues": "[]"}

    page = admin_client.get(admin_url(ContinuityLog, "change", log))
    changed = admin_client.post(admin_url(ContinuityLog, "change", log), {**typed, **split_datetime("timestamp")})
    added = admin_client.post(admin_url(ContinuityLog, "add"), {**typed, **split_datetime("timestamp")})

    assert page.status_code == 200
    assert page.context["adminform"].form.fields == {}
    assert (changed.status_code, added.status_code) == (403, 403)
    log.refresh_from_db()
    assert log.user_id != NEW_OWNER and (log.scene_id, log.passed) == (1, False)
    assert ContinuityLog.objects.count() == 1


@pytest.mark.parametrize("case", TABLES, ids=str)
def test_changelist_queries_do_not_grow_with_rows(admin_client, case: TableCase):
    url = admin_url(case.model, "changelist")
    case.make(0)
    with CaptureQueriesContext(connection) as one_row:
        assert admin_client.get(url).status_code == 200
    for n in range(1, 30):
        case.make(n)
    with CaptureQueriesContext(connection) as thirty_rows:
        response = admin_client.get(url)

    assert len(response.context["cl"].result_list) == 30
    assert len(thirty_rows) == len(one_row)


def test_composite_key_change_page_keeps_the_key_and_links_by_it(admin_client):
    state = make_scene_state(4)
    SceneState.objects.create(user_id=uuid.uuid4(), id=4, location="Elsewhere", prompt="", tone="")
    url = admin_url(SceneState, "change", state)

    page = admin_client.get(url)

    assert page.context["original"] == state
    assert admin_url(SceneState, "history", state) in page.text
    assert admin_url(SceneState, "delete", state) in page.text
    assert set(page.context["adminform"].readonly_fields) >= {"user_id", "id"}
    assert admin_client.get(url.replace("4", "5")).status_code == 302  # another key: not found


def test_screenplay_change_moves_to_the_next_version(admin_client):
    screenplay = make_screenplay(1)
    data = {"user_id": str(OWNER), "title": "Renamed", "content": screenplay.content, "based_on_version": 1}

    admin_client.post(admin_url(Screenplay, "change", screenplay), {**data, **NO_SECTIONS})

    screenplay.refresh_from_db()
    assert (screenplay.title, screenplay.version) == ("Renamed", 2)


def test_screenplay_page_edits_sections_inline(admin_client):
    data = {
        "user_id": str(OWNER),
        "title": "With scenes",
        "content": "",
        "sections-TOTAL_FORMS": "2",
        "sections-INITIAL_FORMS": "0",
        "sections-0-order_index": "0",
        "sections-0-heading": "INT. ROOM - DAY",
        "sections-0-content": "",
        "sections-1-order_index": "1",
        "sections-1-heading": "EXT. PIER - NIGHT",
        "sections-1-content": "",
    }

    admin_client.post(admin_url(Screenplay, "add"), data)

    screenplay = Screenplay.objects.get(title="With scenes")
    assert list(screenplay.sections.values_list("heading", flat=True)) == ["INT. ROOM - DAY", "EXT. PIER - NIGHT"]
    page = admin_client.get(admin_url(Screenplay, "change", screenplay))
    assert page.status_code == 200
    assert f"screenplay__id__exact={screenplay.id}" in page.text


def test_screenplay_page_limits_its_inline_sections(admin_client):
    screenplay = make_screenplay(1)
    ScreenplaySection.objects.bulk_create(
        ScreenplaySection(screenplay=screenplay, heading=f"INT. ROOM {n}", content="", order_index=n) for n in range(60)
    )

    page = admin_client.get(admin_url(Screenplay, "change", screenplay))

    formset = page.context["inline_admin_formsets"][0].formset
    assert formset.initial_form_count() == 50
    sections = admin_client.get(admin_url(ScreenplaySection, "changelist"), {"screenplay__id__exact": screenplay.id})
    assert sections.context["cl"].result_count == 60


def test_search_on_uuid_columns_ignores_words_that_are_not_uuids(admin_client):
    job = make_clip_job(1)

    by_id = admin_client.get(admin_url(ClipJob, "changelist"), {"q": str(job.id)})
    by_word = admin_client.get(admin_url(ClipJob, "changelist"), {"q": "storm"})
    by_nothing = admin_client.get(admin_url(ClipJob, "changelist"), {"q": "zzz"})

    assert list(by_id.context["cl"].result_list) == [job]
    assert list(by_word.context["cl"].result_list) == [job]
    assert list(by_nothing.context["cl"].result_list) == []


def test_scene_state_json_is_shown_readably(admin_client):
    state = make_scene_state(1)

    changelist = admin_client.get(admin_url(SceneState, "changelist"))
    change = admin_client.get(admin_url(SceneState, "change", state))

    assert '<td class="field-characters_summary">ANNA</td>' in changelist.text
    assert "[\n  &quot;ANNA&quot;\n]" in change.text


# --- Views ---------------------------------------------------------------------------------


def row_in_project_overview() -> models.Model:
    make_scene_draft(1)
    return ProjectOverview.objects.get(project_id="project-1")


def row_in_daily_analytics() -> models.Model:
    log = make_continuity_log(1)
    return DailyAnalytics.objects.get(user_id=log.user_id)


def row_in_recent_validations() -> models.Model:
    log = make_continuity_log(1)
    return RecentValidation.objects.get(user_id=log.user_id)


def row_in_telemetry_performance() -> models.Model:
    make_telemetry(1)
    return TelemetryPerformance.objects.get(element="lamp-1")


def row_in_user_statistics() -> models.Model:
    user = User.objects.create_user("writer@example.com", "pw-for-tests-only")
    return UserStatistics.objects.get(user_id=user.id)


VIEWS = [
    (ProjectOverview, row_in_project_overview),
    (DailyAnalytics, row_in_daily_analytics),
    (RecentValidation, row_in_recent_validations),
    (TelemetryPerformance, row_in_telemetry_performance),
    (UserStatistics, row_in_user_statistics),
]


@pytest.mark.parametrize(("model", "make_row"), VIEWS, ids=[model.__name__ for model, _ in VIEWS])
def test_view_changelist_and_detail_are_read_only(admin_client, model, make_row):
    row = make_row()

    changelist = admin_client.get(admin_url(model, "changelist"))
    detail = admin_client.get(admin_url(model, "change", row))

    assert changelist.status_code == 200
    assert row in list(changelist.context["cl"].result_list)
    assert admin_url(model, "change", row) in changelist.text
    assert detail.status_code == 200
    assert detail.context["original"] == row
    assert not detail.context["has_change_permission"]
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "delete", row), {"post": "yes"}).status_code == 403


def test_view_search_by_user_id(admin_client):
    row = row_in_daily_analytics()
    make_continuity_log(2)

    response = admin_client.get(admin_url(DailyAnalytics, "changelist"), {"q": str(row.user_id)})

    assert list(response.context["cl"].result_list) == [row]


# --- Access ---------------------------------------------------------------------------------

ALL_MODELS = [case.model for case in TABLES] + [model for model, _ in VIEWS] + [User]


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_anonymous_and_non_staff_are_sent_to_login(client, model):
    url = admin_url(model, "changelist")
    anonymous = client.get(url)
    client.force_login(User.objects.create_user("writer@example.com", "pw-for-tests-only"))
    non_staff = client.get(url)

    for response in (anonymous, non_staff):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_superuser_sees_every_table_and_view_on_the_index(admin_client):
    response = admin_client.get(reverse("admin:index"))

    for model in ALL_MODELS:
        assert admin_url(model, "changelist") in response.text


def test_user_admin_adds_a_user_by_email(admin_client):
    data = {
        "email": "Editor@Example.com",
        "usable_password": "true",
        "password1": "s3cret-Pass!",
        "password2": "s3cret-Pass!",
    }

    response = admin_client.post(admin_url(User, "add"), data)

    assert response.status_code == 302
    user = User.objects.get(email="editor@example.com")
    assert user.check_password("s3cret-Pass!")
    assert not user.is_staff
    assert admin_client.get(admin_url(User, "change", user)).status_code == 200
    search = admin_client.get(admin_url(User, "changelist"), {"q": "editor"})
    assert list(search.context["cl"].result_list) == [user]


def test_refresh_tokens_are_listed_and_can_be_revoked(admin_client):
    user = User.objects.create_user("writer@example.com", "pw-for-tests-only")
    token = RefreshToken.objects.create(
        user=user, session_id=uuid.uuid4(), token_hash="f" * 64, expires_at=timezone.now() + timedelta(days=30)
    )

    listed = admin_client.get(admin_url(RefreshToken, "changelist"), {"q": str(token.session_id)})
    revoked = admin_client.post(admin_url(RefreshToken, "change", token), split_datetime("revoked_at"))

    assert list(listed.context["cl"].result_list) == [token]
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert admin_client.get(admin_url(RefreshToken, "add")).status_code == 403


# --- Big tables -----------------------------------------------------------------------------


def count_star_queries(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]


def test_paginator_uses_the_row_estimate_of_a_big_unfiltered_table():
    for n in range(3):
        make_clip_job(n)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clip_jobs")
    big_table_paginator = type("BigTablePaginator", (EstimatedCountPaginator,), {"estimate_threshold": 2})

    with CaptureQueriesContext(connection) as queries:
        count = big_table_paginator(ClipJob.objects.all(), 10).count

    assert count == 3
    assert count_star_queries(queries) == []


def test_paginator_counts_filtered_and_small_tables_exactly():
    for n in range(3):
        make_clip_job(n)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clip_jobs")
    big_table_paginator = type("BigTablePaginator", (EstimatedCountPaginator,), {"estimate_threshold": 2})

    with CaptureQueriesContext(connection) as queries:
        filtered = big_table_paginator(ClipJob.objects.filter(prompt__contains="sea 1"), 10).count
        small = EstimatedCountPaginator(ClipJob.objects.all(), 10).count

    assert (filtered, small) == (1, 3)
    assert len(count_star_queries(queries)) == 2


def test_filtered_changelist_counts_only_once(admin_client):
    make_clip_job(1)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(ClipJob, "changelist"), {"q": "storm", "status__exact": "queued"})

    assert response.context["cl"].result_count == 1
    assert len(count_star_queries(queries)) == 1


def test_changelist_with_date_drilldown(admin_client):
    job = make_clip_job(1)
    ClipJob.objects.filter(pk=make_clip_job(2).pk).update(submitted_at=timezone.now() - timedelta(days=400))
    today = job.submitted_at

    response = admin_client.get(
        admin_url(ClipJob, "changelist"),
        {"submitted_at__year": today.year, "submitted_at__month": today.month, "submitted_at__day": today.day},
    )

    assert list(response.context["cl"].result_list) == [job]


def like_queries(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries if " LIKE " in query["sql"].upper()]


@pytest.mark.parametrize(
    ("model", "make_row", "key"),
    [
        (ClipJob, make_clip_job, lambda job: job.user_id),
        (SceneDraft, make_scene_draft, lambda draft: draft.id),
        (ScreenplaySection, make_section, lambda section: section.screenplay_id),
    ],
    ids=["ClipJob by user_id", "SceneDraft by id", "ScreenplaySection by screenplay"],
)
def test_uuid_search_matches_id_columns_only(admin_client, model, make_row, key):
    row, other = make_row(1), make_row(2)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(model, "changelist"), {"q": str(key(row))})

    assert list(response.context["cl"].result_list) == [row]
    assert other not in response.context["cl"].result_list
    assert like_queries(queries) == []
    assert not [query["sql"] for query in queries if '"user_key" =' in query["sql"]]


def test_word_search_matches_text_by_substring_and_project_ids_exactly(admin_client):
    draft = make_scene_draft(1)

    with CaptureQueriesContext(connection) as queries:
        by_word = admin_client.get(admin_url(SceneDraft, "changelist"), {"q": "lighthouse"})
    assert like_queries(queries) != []
    by_project = admin_client.get(admin_url(SceneDraft, "changelist"), {"q": draft.project_id})
    uuid_project = SceneDraft.objects.create(
        user_id=OWNER, project_id=str(uuid.uuid4()), order_index=0, prompt_text="A pier", duration=4
    )
    by_uuid_project = admin_client.get(admin_url(SceneDraft, "changelist"), {"q": uuid_project.project_id})

    assert list(by_word.context["cl"].result_list) == [draft]
    assert list(by_project.context["cl"].result_list) == [draft]
    assert list(by_uuid_project.context["cl"].result_list) == [uuid_project]


def make_clip_job_at(n: int, submitted_at) -> ClipJob:
    job = make_clip_job(n)
    ClipJob.objects.filter(pk=job.pk).update(submitted_at=submitted_at)
    return job


def date_hierarchy_titles(response) -> list[str]:
    return [choice["title"] for choice in response.context["choices"]]


def test_date_hierarchy_drills_down_from_years_to_rows_without_reading_every_row(admin_client):
    utc = timezone.get_current_timezone()
    new_year = make_clip_job_at(1, datetime(2025, 1, 2, 12, tzinfo=utc))
    make_clip_job_at(2, datetime(2024, 12, 31, 12, tzinfo=utc))
    make_clip_job_at(3, datetime(2025, 2, 10, 12, tzinfo=utc))
    url = admin_url(ClipJob, "changelist")
    year, month, day = "submitted_at__year", "submitted_at__month", "submitted_at__day"

    with CaptureQueriesContext(connection) as queries:
        years = admin_client.get(url)
        months = admin_client.get(url, {year: 2025})
        days = admin_client.get(url, {year: 2025, month: 1})
        rows = admin_client.get(url, {year: 2025, month: 1, day: 2})

    assert date_hierarchy_titles(years) == ["2024", "2025"]
    assert "?submitted_at__year=2025" in years.text
    assert date_hierarchy_titles(months) == ["January 2025", "February 2025"]
    assert len(months.context["cl"].result_list) == 2
    assert date_hierarchy_titles(days) == [f"January {n}" for n in range(1, 32)]
    assert "?submitted_at__day=2&amp;submitted_at__month=1&amp;submitted_at__year=2025" in days.text
    assert list(rows.context["cl"].result_list) == [new_year]
    assert date_hierarchy_titles(rows) == ["January 2"]
    assert not [query["sql"] for query in queries if "DATE_TRUNC" in query["sql"] or "DISTINCT" in query["sql"]]


def test_date_hierarchy_starts_at_the_months_of_a_one_year_table(admin_client):
    utc = timezone.get_current_timezone()
    make_clip_job_at(1, datetime(2025, 3, 30, 23, tzinfo=utc))
    make_clip_job_at(2, datetime(2025, 5, 1, 1, tzinfo=utc))

    response = admin_client.get(admin_url(ClipJob, "changelist"))

    assert date_hierarchy_titles(response) == ["March 2025", "April 2025", "May 2025"]


def test_date_hierarchy_of_an_unindexed_column_lists_the_periods_holding_rows(admin_client):
    first, last = make_screenplay(1), make_screenplay(2)
    Screenplay.objects.filter(pk=first.pk).update(updated_at=timezone.now().replace(year=2023))
    Screenplay.objects.filter(pk=last.pk).update(updated_at=timezone.now().replace(year=2025))

    response = admin_client.get(admin_url(Screenplay, "changelist"))

    assert date_hierarchy_titles(response) == ["2023", "2025"]


def test_one_line_text_columns_get_a_text_input_and_paragraphs_a_textarea(admin_client):
    page = admin_client.get(reverse("admin:screenplays_screenplay_add"))

    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<input type="text" name="title"[^>]*class="vTextField"', html)
    assert re.search(r'<textarea name="content"', html)


def test_screenplay_saved_elsewhere_since_the_form_opened_is_not_overwritten(admin_client):
    screenplay = make_screenplay(1)
    url = admin_url(Screenplay, "change", screenplay)
    opened_at = admin_client.get(url).context["adminform"].form["based_on_version"].value()
    Screenplay.objects.filter(pk=screenplay.pk).update(title="Saved on the phone", version=2)
    data = {"user_id": str(OWNER), "title": "From the admin", "content": "", "based_on_version": opened_at}

    response = admin_client.post(url, {**data, **NO_SECTIONS})

    assert response.status_code == 200
    assert "was saved elsewhere since version 1: it is now at version 2" in response.text
    assert response.context["adminform"].form["title"].value() == "From the admin"
    screenplay.refresh_from_db()
    assert (screenplay.title, screenplay.version) == ("Saved on the phone", 2)


def test_a_save_from_the_app_between_the_forms_check_and_its_save_is_a_form_error(admin_client, monkeypatch):
    screenplay = make_screenplay(1)
    url = admin_url(Screenplay, "change", screenplay)
    validate = ScreenplayAdminForm._post_clean

    def validate_then_the_app_saves(form) -> None:
        validate(form)
        if form.instance.pk == screenplay.pk:  # the app saves version 2 right after the form passed its checks
            Screenplay.objects.filter(pk=screenplay.pk).update(title="Saved on the phone", version=2)

    monkeypatch.setattr(ScreenplayAdminForm, "_post_clean", validate_then_the_app_saves)
    data = {"user_id": str(OWNER), "title": "From the admin", "content": "", "based_on_version": 1}

    response = admin_client.post(url, {**data, **NO_SECTIONS})

    assert response.status_code == 200
    assert "it is now at version 2" in response.text
    screenplay.refresh_from_db()
    assert (screenplay.title, screenplay.version) == ("Saved on the phone", 2)


@pytest.mark.parametrize(
    "query",
    [
        "created_at__year=99999",
        "created_at__year=0",
        "created_at__year=-1",
        "created_at__year=2026&created_at__month=13",
        "created_at__day=99",
        "updated_at__year=99999",
        "updated_at__year=9999",
        "updated_at__year=2026&updated_at__month=0",
        "updated_at__year=2026&updated_at__month=2&updated_at__day=30",
        "created_at__gte=99999-01-01",
    ],
)
def test_a_date_filter_out_of_range_answers_the_changelist_never_a_5xx(admin_client, settings, query):
    settings.DEBUG = False
    admin_client.raise_request_exception = False
    make_screenplay(1)

    response = admin_client.get(f"{admin_url(Screenplay, 'changelist')}?{query}", follow=True)

    assert response.status_code == 200
    assert response.context["cl"].model is Screenplay


@pytest.mark.parametrize(
    ("model", "query"),
    [(Screenplay, "created_at__year=99999"), (ClipJob, "completed_at__year=0"), (Screenplay, "updated_at__year=9999")],
)
def test_a_date_filter_naming_no_date_says_so_on_the_page(admin_client, model, query):
    response = admin_client.get(f"{admin_url(model, 'changelist')}?{query}", follow=True)

    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] in (
        ["The filters in the address are not valid, so the list is shown unfiltered."],
        ["That date does not exist, so the list is not filtered by date."],
    )

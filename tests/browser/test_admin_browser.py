"""The admin in a real browser: sign-in, CRUD through forms, composite keys, inlines and JSON, access."""

import hashlib
import io
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from clips.models import ClipJob
from continuity.models import SceneState, Telemetry
from credits.models import CreditsLedger
from directorstudio.accounts.models import User
from directorstudio.admin import object_key
from directorstudio.demo.services import ADMIN_EMAIL, DEFAULT_PASSWORD
from screenplays.models import Screenplay, ScreenplaySection
from tests.browser.conftest import PageEvents

pytestmark = pytest.mark.django_db(transaction=True)

STAFF_EMAIL = "staff@directorstudio.test"
PASSWORD = "a-long-browser-test-password"
OWNER = uuid.UUID("22222222-2222-4222-8222-222222222222")
SCREENSHOTS = Path("/tmp/browser-shots")


def ledger_link(page: Page, key: str):
    """The changelist link of a ledger row, which shows only the start of its long user_key."""
    return page.get_by_role("link", name=f"{key[:11]}…", exact=True)


def user_key(name: str) -> str:
    """A ledger key shaped like the app's: the SHA-256 hex digest of an identity."""
    return hashlib.sha256(name.encode()).hexdigest()


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto(reverse("admin:login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def sign_in_as_superuser(page: Page) -> None:
    User.objects.create_superuser(email=STAFF_EMAIL, password=PASSWORD)
    sign_in(page, STAFF_EMAIL, PASSWORD)
    expect(page.locator("#user-tools")).to_contain_text(STAFF_EMAIL)


def result_rows(page: Page):
    return page.locator("#result_list tbody tr")


def test_superuser_signs_in_and_sees_every_app_with_local_assets_only(page: Page, page_events: PageEvents, live_server):
    User.objects.create_superuser(email=STAFF_EMAIL, password=PASSWORD)

    sign_in(page, STAFF_EMAIL, PASSWORD)

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page).to_have_title(re.compile("DirectorStudio admin"))
    expect(page.get_by_role("heading", name="Tables and views")).to_be_visible()
    for app in ("Screenplays", "Clips", "Credits", "Continuity"):
        expect(page.get_by_role("table", name=app, exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    # The admin's own stylesheet was served and applied (the header is not an unstyled block).
    assert any(urlsplit(url).path == "/static/admin/css/base.css" for url in page_events.urls)
    expect(page.locator("#header")).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")
    assert page_events.console_errors == []
    assert page_events.failed_requests == []
    assert page_events.error_responses == []
    server = urlsplit(live_server.url).netloc
    assert {urlsplit(url).netloc for url in page_events.urls} == {server}


def test_ledger_row_is_added_found_and_granted_credits_but_never_deleted_through_the_forms(page: Page):
    other = CreditsLedger.objects.create(user_key=user_key("someone else"), credits=3)
    key = user_key("apple-identity-of-a-writer")
    sign_in_as_superuser(page)

    page.goto(reverse("admin:credits_creditsledger_add"))
    page.get_by_label("User key").fill(key)
    page.get_by_label("User id").fill(str(OWNER))
    # The balance is shown, never typed: it changes only through the credits services.
    expect(page.locator("[name=credits]")).to_have_count(0)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    expect(result_rows(page)).to_have_count(2)
    expect(ledger_link(page, key)).to_be_visible()
    row = CreditsLedger.objects.get(user_key=key)
    assert row.credits == 0

    page.locator("#searchbar").fill(key)
    page.get_by_role("button", name="Search").click()
    expect(result_rows(page)).to_have_count(1)
    expect(ledger_link(page, key)).to_be_visible()
    expect(ledger_link(page, other.user_key)).to_have_count(0)

    ledger_link(page, key).click()
    # Key and owner are fixed once added; the balance moves through a grant with a reason.
    expect(page.locator(".field-user_key .readonly")).to_have_text(key)
    expect(page.locator(".field-user_id .readonly")).to_have_text(str(OWNER))
    expect(page.locator(".field-credits .readonly")).to_have_text("0")
    page.get_by_label("Amount").fill("4")
    page.get_by_label("Reason").fill("Festival prize")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    row.refresh_from_db()
    assert (row.user_id, row.credits) == (OWNER, 4)

    # History stays: no delete is offered, and the pages say why.
    ledger_link(page, key).click()
    expect(page.locator("#content").get_by_role("link", name="Delete")).to_have_count(0)
    expect(page.locator(".no-delete-reason")).to_contain_text("never deleted")
    page.goto(reverse("admin:credits_creditsledger_delete", args=(row.pk,)))
    expect(page.locator(".messagelist .warning")).to_contain_text("never deleted")
    assert CreditsLedger.objects.filter(pk=row.pk).exists()


def test_telemetry_row_with_a_composite_key_is_opened_from_the_list_and_changed(page: Page):
    # A comma in the element also separates the key parts in the admin's object id.
    element = "brass lamp, lit"
    Telemetry.objects.create(user_id=OWNER, element=element, attempts=4, successes=2, rate=0.5)
    Telemetry.objects.create(user_id=uuid.uuid4(), element=element, attempts=1, successes=1, rate=1)
    sign_in_as_superuser(page)

    page.goto(reverse("admin:continuity_telemetry_changelist"))
    expect(result_rows(page)).to_have_count(2)
    # The owner column shows an owner without an account by the start of their user id.
    result_rows(page).filter(has_text=str(OWNER)[:8]).get_by_role("link", name=element).click()

    expect(page.locator(".field-element .readonly")).to_have_text(element)
    expect(page.locator(".field-user_id .readonly")).to_have_text(str(OWNER))
    page.get_by_label("Attempts").fill("10")
    page.get_by_label("Successes").fill("7")
    expect(page.get_by_label("Rate")).to_have_count(0)  # computed from the counts, never typed
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    changed = Telemetry.objects.get(user_id=OWNER, element=element)
    assert (changed.attempts, changed.successes, changed.rate) == (10, 7, 0.7)
    assert Telemetry.objects.filter(element=element).count() == 2
    assert Telemetry.objects.exclude(user_id=OWNER).get().attempts == 1


def test_screenplay_page_shows_its_sections_inline_in_order(page: Page):
    screenplay = Screenplay.objects.create(user_id=OWNER, title="The Lighthouse", content="EXT. CLIFF - NIGHT")
    ScreenplaySection.objects.create(screenplay=screenplay, heading="INT. LAMP ROOM - NIGHT", order_index=1)
    ScreenplaySection.objects.create(screenplay=screenplay, heading="EXT. CLIFF - NIGHT", order_index=0)
    sign_in_as_superuser(page)

    page.goto(reverse("admin:screenplays_screenplay_change", args=(screenplay.pk,)))

    expect(page.get_by_label("Title")).to_have_value("The Lighthouse")
    sections = page.locator("#sections-group")
    expect(sections.get_by_role("heading", name="Screenplay sections")).to_be_visible()
    expect(sections.locator("tr.form-row.has_original")).to_have_count(2)
    expect(page.locator("#id_sections-0-heading")).to_have_value("EXT. CLIFF - NIGHT")
    expect(page.locator("#id_sections-1-heading")).to_have_value("INT. LAMP ROOM - NIGHT")


def test_scene_state_characters_are_shown_one_per_line(page: Page):
    scene = SceneState.objects.create(
        user_id=OWNER,
        id=3,
        location="Lighthouse gallery",
        characters=["ANNA", "THE KEEPER", "Zoë"],
        props=["lamp"],
        prompt="Wind howls around the gallery",
        tone="tense",
    )
    sign_in_as_superuser(page)

    page.goto(reverse("admin:continuity_scenestate_change", args=(quote(object_key(scene)),)))

    characters = page.get_by_label("Characters")
    expect(characters).to_have_value('[\n  "ANNA",\n  "THE KEEPER",\n  "Zoë"\n]')
    expect(page.get_by_label("Props")).to_have_value('[\n  "lamp"\n]')


def test_non_staff_user_is_refused_at_the_login_form(page: Page):
    User.objects.create_user(email="writer@directorstudio.test", password=PASSWORD)

    sign_in(page, "writer@directorstudio.test", PASSWORD)

    expect(page).to_have_url(re.compile(r"/admin/login/"))
    expect(page.locator(".errornote")).to_contain_text(
        "Please enter the correct email address and password for a staff account."
    )
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto(reverse("admin:index"))
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))


def test_screenshots_of_the_index_and_the_clip_jobs_list_with_demo_data(page: Page, page_events: PageEvents):
    call_command("seed_demo", stdout=io.StringIO())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, ADMIN_EMAIL, DEFAULT_PASSWORD)

    expect(page.get_by_role("heading", name="Tables and views")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "admin-index.png", full_page=True)

    page.goto(reverse("admin:clips_clipjob_changelist"))
    expect(page.get_by_role("heading", name="Select clip job to view")).to_be_visible()
    expect(result_rows(page)).to_have_count(min(ClipJob.objects.count(), 50))
    expect(page.locator("#changelist-filter")).to_contain_text("completed")
    page.screenshot(path=SCREENSHOTS / "clip-jobs.png")
    page.screenshot(path=SCREENSHOTS / "clip-jobs-full.png", full_page=True)
    assert page_events.console_errors == []
    assert page_events.error_responses == []


def test_every_changelist_fits_1280_pixels_and_the_operations_page_renders(page: Page, page_events: PageEvents):
    call_command("seed_demo", stdout=io.StringIO())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, ADMIN_EMAIL, DEFAULT_PASSWORD)

    overflowing = {}
    for model in admin.site._registry:
        page.goto(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        cut_off = page.evaluate(
            "() => { const list = document.querySelector('#changelist .results');"
            " return list ? list.scrollWidth - list.clientWidth : 0; }"
        )
        if cut_off > 0:
            overflowing[model.__name__] = cut_off
    page.goto(reverse("admin:operations"))
    expect(page.get_by_role("heading", name="Clip jobs now")).to_be_visible()
    expect(page.get_by_role("img", name="Credits per day")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "operations.png", full_page=True)

    assert overflowing == {}, ", ".join(f"{name} by {pixels} px" for name, pixels in overflowing.items())
    assert page_events.console_errors == []
    assert page_events.error_responses == []

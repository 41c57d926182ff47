"""The continuity pages in Chromium: a project's three scenes validated in order, and the dashboard's charts."""

import random
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clips.models import SceneDraft
from continuity.models import ContinuityLog, Telemetry
from directorstudio.accounts.models import User
from screenplays.services import screenplay_import, screenplay_scene_drafts_create
from tests.browser.conftest import PageEvents, sign_in_as_writer

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long continuity password"
SHOTS = Path("/tmp/shots")
PROJECT = "harbour-nights"
DRAFTS = (
    "INT. DINER - NIGHT. Rain lashes the windows. MAYA counts her tips while ELI waits.",
    "INT. DINER - NIGHT. MAYA wipes the counter alone.",
    "EXT. PARKING LOT - NIGHT. MAYA runs through the rain to an old car.",
)


@pytest.fixture
def writer(live_server) -> User:
    user = User.objects.create_user("maya@example.com", PASSWORD)
    for index, prompt in enumerate(DRAFTS):
        SceneDraft.objects.create(
            user_id=user.id, project_id=PROJECT, order_index=index, prompt_text=prompt, duration=4
        )
    return user


def start_and_validate(page: Page) -> None:
    page.goto(f"/continuity/projects/{PROJECT}/")
    page.get_by_role("button", name="Start 3 scene states from drafts").click()
    expect(page.get_by_role("status").filter(has_text="Started 3 scene states")).to_be_visible()
    first = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Scene 1"))
    first.get_by_label("Props").fill("envelope, lamp")
    first.get_by_label("Tone").fill("hopeful")
    second = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Scene 2"))
    second.get_by_label("Props").fill("lamp")
    second.get_by_label("Tone").fill("tense")
    page.get_by_role("button", name="Validate sequence").first.click()


def test_a_writer_validates_a_three_scene_sequence_and_sees_the_marks(page: Page, page_events: PageEvents, writer):
    sign_in_as_writer(page, writer.email, PASSWORD, next_path="/continuity/")
    page.get_by_role("link", name=PROJECT).click()

    start_and_validate(page)

    expect(page.get_by_role("status").filter(has_text="Validated 3 scenes: 2 passed, 1 need a look.")).to_be_visible()
    cards = [
        page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=f"Scene {number}"))
        for number in (1, 2, 3)
    ]
    expect(cards[0].locator("[data-verdict]")).to_have_text("✓ Passed · confidence 1.00")
    # Eli vanished from the diner (x0.5), the envelope disappeared (x0.7), hopeful to tense (x0.6).
    expect(cards[1].locator("[data-verdict]")).to_have_text("! Needs a look · confidence 0.21")
    issues = cards[1].get_by_role("list", name="Issues of scene 2").get_by_role("listitem")
    expect(issues).to_have_text(
        [
            "low envelope disappeared (was in scene 1)",
            "high Eli vanished from Diner",
            "medium Tone jumped: hopeful → tense",
        ]
    )
    # The parking lot is another location: Maya alone there is no vanishing; the lamp is lost.
    expect(cards[2].locator("[data-verdict]")).to_have_text("✓ Passed · confidence 0.70")
    assert ContinuityLog.objects.filter(user_id=writer.id).count() == 3
    assert page_events.console_errors == []
    assert page_events.error_responses == []


def fill_a_year(user: User) -> None:
    rng = random.Random(16)
    now = timezone.now()
    logs = []
    for day in range(365):
        for _ in range(rng.randint(0, 6) if day % 11 else 0):
            confidence = round(rng.choice([1.0, 1.0, 0.7, 0.6, 0.49, 0.35, 0.21]), 2)
            logs.append(
                ContinuityLog(
                    user_id=user.id,
                    scene_id=rng.randint(1, 40),
                    confidence=confidence,
                    passed=confidence >= 0.6,
                    issues=["lamp disappeared (was in scene 3)"] if confidence < 1 else [],
                    timestamp=now - timedelta(days=day, minutes=rng.randint(0, 600)),
                )
            )
    ContinuityLog.objects.bulk_create(logs)
    for index, element in enumerate(("lamp", "envelope", "Maya", "Eli", "umbrella", "old car", "neon sign")):
        attempts = 10 + index
        successes = [10, 9, 7, 5, 3, 1, 0][index]
        Telemetry.objects.create(
            user_id=user.id, element=element, attempts=attempts, successes=successes, rate=successes / attempts
        )


def test_the_dashboard_shows_its_charts_with_and_without_data(page: Page, page_events: PageEvents, writer):
    sign_in_as_writer(page, writer.email, PASSWORD, next_path="/continuity/")
    for name in ("Confidence per day", "Passed and failed validations per day", "How often each element"):
        expect(page.get_by_role("img", name=name)).to_be_visible()
    expect(page.get_by_text("No validations in this period").first).to_be_visible()

    fill_a_year(writer)
    page.goto("/continuity/?days=365")

    confidence = page.get_by_role("img", name="Confidence per day")
    expect(confidence.locator("polygon.chart-band").first).to_be_attached()
    assert page.locator("svg rect.chart-failed").count() > 50
    expect(page.get_by_role("img", name="How often each element").locator("rect")).to_have_count(7)
    page.get_by_text("Confidence data table").click()
    expect(page.get_by_role("table").first.get_by_role("row")).not_to_have_count(1)
    expect(page.get_by_role("link", name="90 days")).to_be_visible()
    assert page_events.console_errors == []


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_screenshots_of_the_continuity_pages(page: Page, page_events: PageEvents, writer, color_scheme: str):
    """Screenshots in /tmp/shots/ to look at; the pages lay out without horizontal scrolling."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(color_scheme=color_scheme)
    sign_in_as_writer(page, writer.email, PASSWORD, next_path="/continuity/")
    start_and_validate(page)
    fill_a_year(writer)
    for width, height in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/continuity/projects/{PROJECT}/")
        page.screenshot(path=SHOTS / f"continuity-project-{width}x{height}-{color_scheme}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.goto("/continuity/?days=365")
        page.screenshot(path=SHOTS / f"continuity-dashboard-{width}x{height}-{color_scheme}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page_events.console_errors == []


IMPORTED = b"""Title: Harbour Nights

INT. DINER - NIGHT

Rain lashes the windows. Maya counts her tips and hides an ENVELOPE under the REGISTER.

MAYA
Forty-two dollars.

ELI
(at the door)
You're late again.

EXT. PARKING LOT - NIGHT

Maya runs to her car.
"""


def test_an_imported_script_starts_states_that_name_its_characters_and_props(page: Page, page_events: PageEvents):
    writer = User.objects.create_user("eli@example.com", PASSWORD)
    screenplay = screenplay_import(user_id=writer.pk, filename="harbour.fountain", data=IMPORTED)
    drafts = screenplay_scene_drafts_create(user_id=writer.pk, screenplay_id=screenplay.pk)
    SceneDraft.objects.filter(pk=drafts[1].pk).update(prompt_text="EXT. PARKING LOT - NIGHT. Wide shot: Maya runs.")
    sign_in_as_writer(page, writer.email, PASSWORD, next_path=f"/continuity/projects/{screenplay.pk}/")

    page.get_by_role("button", name="Start 2 scene states from drafts").click()
    expect(page.get_by_role("status").filter(has_text="Started 2 scene states")).to_be_visible()
    first = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Scene 1"))
    expect(first.get_by_role("heading")).to_have_accessible_name("Scene 1: INT. DINER - NIGHT")
    expect(first.get_by_label("Characters")).to_have_value("Maya, Eli")
    expect(first.get_by_label("Props")).to_have_value("envelope, register")
    expect(page.get_by_text("state #")).to_have_count(0)
    second = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Scene 2"))
    expect(second.get_by_label("Characters")).to_have_value("Maya")
    expect(second.get_by_role("note")).to_have_count(0)

    second.get_by_label("Prompt").fill("EXT. PARKING LOT - NIGHT. Medium shot: Maya runs.")
    page.get_by_role("button", name="Validate sequence").first.click()
    expect(second.get_by_role("note")).to_contain_text("so change it on the timeline")
    expect(second).to_contain_text("The clip is made from the draft: “EXT. PARKING LOT - NIGHT. Wide shot: Maya runs.”")

    page.goto("/continuity/")
    recent = page.get_by_role("table").filter(has_text="Project and scene")
    link = recent.get_by_role("link", name="Harbour Nights INT. DINER - NIGHT")
    expect(link).to_be_visible()
    expect(page.get_by_text("Telemetry")).to_have_count(0)
    link.click()
    expect(page).to_have_url(re.compile(rf"/continuity/projects/{screenplay.pk}/#draft-{drafts[0].pk}$"))
    assert page_events.console_errors == []
    assert page_events.error_responses == []

"""Every writer page in Chromium: the site's icon, no console error and no failed request, the list's details."""

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Response, expect

from directorstudio.accounts.models import User
from screenplays.models import Screenplay
from screenplays.services import (
    screenplay_create,
    screenplay_page_count,
    screenplay_scene_drafts_create,
    screenplay_update,
)
from tests.browser.conftest import PageEvents, sign_in_as_writer

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long writer password"
SCRIPT = "INT. DINER - NIGHT\n\nMAYA counts her tips.\n\nMAYA\nForty-two dollars.\n"


@pytest.fixture
def writer(live_server) -> User:
    return User.objects.create_user("maya@example.com", PASSWORD)


def every_problem(page: Page) -> list[str]:
    """Each response of 400 or more, the browser's own request for /favicon.ico included."""
    problems: list[str] = []

    def record(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status} {response.url}")

    page.on("response", record)
    return problems


def test_no_writer_page_logs_an_error_or_a_missing_icon(page: Page, writer: User, page_events: PageEvents):
    problems = every_problem(page)
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Night Shift", content=SCRIPT)
    screenplay_scene_drafts_create(user_id=writer.pk, screenplay_id=screenplay.pk)
    page.goto("/")
    expect(page.locator('link[rel="icon"]')).to_have_attribute("href", "/static/favicon.svg")
    sign_in_as_writer(page, writer.email, PASSWORD)
    for path in (
        "/",
        "/screenplays/",
        f"/screenplays/{screenplay.pk}/",
        "/projects/",
        f"/projects/{screenplay.pk}/",
        "/continuity/",
        f"/continuity/projects/{screenplay.pk}/",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")

    icon = page.request.get("/static/favicon.svg")
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
    assert problems == []
    assert page_events.console_errors == []


def test_the_public_home_page_leads_to_sign_in_and_sign_up_only(page: Page):
    page.goto("/")

    expect(page.get_by_role("main").get_by_role("link")).to_have_text(["Sign up", "Sign in"])


def test_the_keyboard_help_button_says_what_it_is(page: Page, writer: User):
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Night Shift", content=SCRIPT)
    sign_in_as_writer(page, writer.email, PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/screenplays/{screenplay.pk}/")

    button = page.get_by_role("button", name="Keyboard shortcuts", exact=True)
    expect(button).to_be_visible()
    button.hover()
    tip = button.evaluate("(button) => getComputedStyle(button, '::after').content")
    assert tip == '"Keyboard shortcuts"'
    button.click()
    expect(page.get_by_role("heading", name="Keyboard")).to_be_visible()


def test_the_last_row_of_the_screenplays_list_draws_no_border_under_it(page: Page, writer: User):
    for title in ("Night Shift", "Day Shift"):
        screenplay_create(user_id=writer.pk, title=title, content=SCRIPT)
    sign_in_as_writer(page, writer.email, PASSWORD)

    last_row_cells = page.locator(".screenplay-table tbody tr").last.locator("th, td")

    widths = last_row_cells.evaluate_all("(cells) => cells.map((cell) => getComputedStyle(cell).borderBottomWidth)")
    assert widths and set(widths) == {"0px"}


def list_titles(page: Page) -> list[str]:
    return page.locator(".screenplay-table tbody th").all_inner_texts()


def test_sort_rename_and_duplicate_from_the_list(page: Page, writer: User):
    for title, scenes in (("Night Shift", 1), ("Act of God", 40), ("Morning", 2)):
        screenplay_create(user_id=writer.pk, title=title, content=SCRIPT * scenes)
    for screenplay in Screenplay.objects.all():
        screenplay_page_count(screenplay=screenplay)
    sign_in_as_writer(page, writer.email, PASSWORD)
    expect(page.locator(".screenplay-table")).to_be_visible()
    assert list_titles(page) == ["Morning", "Act of God", "Night Shift"]

    page.get_by_role("link", name="Title").click()
    expect(page.get_by_role("columnheader", name="Title")).to_have_attribute("aria-sort", "ascending")
    assert list_titles(page) == ["Act of God", "Morning", "Night Shift"]
    page.get_by_role("link", name="Title").click()
    expect(page.get_by_role("columnheader", name="Title")).to_have_attribute("aria-sort", "descending")
    assert list_titles(page) == ["Night Shift", "Morning", "Act of God"]
    page.get_by_role("link", name="Pages").click()
    expect(page.get_by_role("columnheader", name="Pages")).to_have_attribute("aria-sort", "descending")
    assert list_titles(page)[0] == "Act of God"

    page.get_by_role("button", name="Rename Morning").click()
    dialog = page.get_by_role("dialog", name="Rename “Morning”")
    expect(dialog.get_by_label("New title")).to_be_focused()
    page.keyboard.type("Mourning")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Renamed “Mourning”.")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Pages")).to_have_attribute("aria-sort", "descending")  # kept
    assert "Mourning" in list_titles(page)
    assert Screenplay.objects.get(title="Mourning").version == 2

    page.get_by_role("button", name="Duplicate Night Shift").click()
    expect(page.get_by_role("status").filter(has_text="“Night Shift (copy)” is a new screenplay")).to_be_visible()
    assert Screenplay.objects.get(title="Night Shift (copy)").content == SCRIPT
    page.get_by_role("link", name="Last change").click()
    assert list_titles(page)[0] == "Night Shift (copy)"


def test_the_list_gives_each_drafts_date_in_the_browsers_locale_with_its_version(browser, live_server, writer: User):
    screenplay_create(user_id=writer.pk, title="Night Shift", content=SCRIPT)
    stored = Screenplay.objects.get()
    context = browser.new_context(base_url=live_server.url, locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    sign_in_as_writer(page, writer.email, PASSWORD)

    local = stored.updated_at.astimezone(ZoneInfo("Europe/Berlin"))
    cell = page.locator(".draft-cell")
    expect(cell.locator("time")).to_have_text(f"{local:%d.%m.%Y, %H:%M}")
    expect(cell).to_contain_text("version 1")
    context.close()


SHOTS = Path("/tmp/shots")
DEMO = """Title: Harbour Nights
Credit: written by
Author: Maya Lind
Draft date: 7 December 2026

INT. RELAY STATION KESTREL NORTH - CONTROL ROOM - NIGHT

Rain lashes the windows. MAYA (30s) counts her tips and hides an ENVELOPE under the REGISTER.

MAYA
(to herself)
Forty-two dollars.

ELI
You're late again.

INT. RELAY STATION KESTREL NORTH - ENGINE ROOM - NIGHT

The turbines hum. Eli waits by the LAMP.

EXT. PARKING LOT - CONTINUOUS

Maya runs through the rain to an old car.
"""


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_screenshots_of_the_writer_pages(page: Page, page_events: PageEvents, writer: User, color_scheme: str):
    """Screenshots in /tmp/shots/ to look at; no page scrolls sideways at desktop or tablet width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(color_scheme=color_scheme)
    screenplay, _ = screenplay_create(user_id=writer.pk, title="Harbour Nights", content=DEMO)
    screenplay_update(
        screenplay_id=screenplay.pk,
        based_on_version=1,
        values={"content": DEMO.replace("Forty-two dollars.", "Forty-two dollars. Again.")},
        saved_by=writer.pk,
    )
    screenplay_create(user_id=writer.pk, title="Night Shift", content=SCRIPT)
    screenplay_scene_drafts_create(user_id=writer.pk, screenplay_id=screenplay.pk)
    for each in Screenplay.objects.all():
        screenplay_page_count(screenplay=each)
    sign_in_as_writer(page, writer.email, PASSWORD)
    for width, height in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        shot = f"{width}-{color_scheme}"
        for name, path in (
            ("home", "/"),
            ("screenplays", "/screenplays/"),
            ("timeline", f"/projects/{screenplay.pk}/"),
            ("continuity-project", f"/continuity/projects/{screenplay.pk}/"),
            ("continuity", "/continuity/"),
        ):
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=SHOTS / f"writer-{name}-{shot}.png", full_page=name != "timeline")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        page.goto(f"/screenplays/{screenplay.pk}/")
        expect(page.locator("#editor-app[data-ready=true]")).to_be_attached()
        expect(page.locator("#toolbar-pages")).not_to_have_text("counting…")
        page.screenshot(path=SHOTS / f"writer-editor-{shot}.png")
        if width == 768:
            page.get_by_role("button", name="Preview").click()
            page.screenshot(path=SHOTS / f"writer-editor-preview-{shot}.png")
        page.get_by_role("button", name="History").click()
        page.get_by_role("button", name=re.compile(r"^Version 1\b")).click()
        expect(page.get_by_role("dialog", name="Version 1")).to_be_visible()
        page.screenshot(path=SHOTS / f"writer-history-{shot}.png")
        page.keyboard.press("Escape")
        page.get_by_role("button", name="History").click()
        if width == 1280:
            page.get_by_role("button", name="Keyboard shortcuts").click()
            page.screenshot(path=SHOTS / f"writer-shortcuts-{shot}.png")
    assert page_events.console_errors == []

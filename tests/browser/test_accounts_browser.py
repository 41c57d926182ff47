"""Writers' accounts in a real browser: sign up, sign out, sign in by keyboard, the skip link, the layouts."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from directorstudio.accounts.models import User
from tests.browser.conftest import PageEvents, sign_in_as_writer

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "new.writer@example.com"
PASSWORD = "a-long-browser-test-password"
SHOTS = Path("/tmp/shots")
# A signed-in page of this app that extends the shared layout (the screenplay list has its own tests).
SIGNED_IN_PAGE = "/accounts/password_change/"


def only_local_requests(page_events: PageEvents, live_server) -> list[str]:
    origin = urlsplit(live_server.url).netloc
    return [url for url in page_events.urls if urlsplit(url).netloc not in {origin, ""}]


def test_a_writer_signs_up_signs_out_and_signs_in_by_keyboard(page: Page, page_events: PageEvents, live_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/accounts/signup/?next={SIGNED_IN_PAGE}")
    expect(page).to_have_title(re.compile("Create your account"))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(re.escape(SIGNED_IN_PAGE) + "$"))
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Screenplays")).to_have_attribute("href", "/screenplays/")
    expect(main_nav.get_by_role("link", name="Projects")).to_have_attribute("href", "/projects/")
    expect(page.locator(".user-menu")).to_contain_text(EMAIL)
    assert not User.objects.get(email=EMAIL).is_staff

    assert page_events.console_errors == []
    assert page_events.error_responses == []

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    # The front page is another page's business (and has its own tests): only the account pages count below.
    page_events.console_errors.clear()
    page_events.error_responses.clear()
    page_events.failed_requests.clear()
    page.goto(SIGNED_IN_PAGE)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)

    # Keyboard only: the email field has focus on arrival; Tab to the password, Enter to submit.
    email_field = page.get_by_label("Email")
    expect(email_field).to_be_focused()
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(SIGNED_IN_PAGE) + "$"))
    expect(page.locator(".user-menu")).to_contain_text(EMAIL)

    assert page_events.console_errors == []
    assert page_events.failed_requests == []
    assert page_events.error_responses == []
    assert only_local_requests(page_events, live_server) == []


def test_a_wrong_password_is_announced_and_the_helper_signs_in(page: Page, page_events: PageEvents):
    User.objects.create_user("writer@example.com", PASSWORD)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("writer@example.com")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("The email address or password is not correct")

    sign_in_as_writer(page, "writer@example.com", PASSWORD, next_path=SIGNED_IN_PAGE)
    expect(page).to_have_url(re.compile(re.escape(SIGNED_IN_PAGE) + "$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page_events.console_errors == []


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(page: Page, page_events: PageEvents):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/accounts/password_reset/done/")
    skip_link = page.get_by_role("link", name="Skip to content")
    box = skip_link.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 0, "the skip link hides until it has focus"

    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link is on screen"
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"#main$"))
    assert page.evaluate("document.activeElement.id") == "main"
    assert page_events.console_errors == []


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_screenshots_of_the_account_pages(page: Page, page_events: PageEvents, color_scheme: str):
    """Screenshots in /tmp/shots/ to look at; the pages lay out without horizontal scrolling."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(color_scheme=color_scheme)
    User.objects.create_user("writer@example.com", PASSWORD)
    for width, height in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/accounts/login/")
        page.screenshot(path=SHOTS / f"login-{width}x{height}-{color_scheme}.png", full_page=True)
        page.goto("/accounts/signup/")
        page.get_by_label("Email").fill("writer@example.com")
        page.get_by_label("Password", exact=True).fill("12345678")
        page.get_by_label("Confirm password").fill("12345679")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_text("The two passwords do not match.")).to_be_visible()
        page.screenshot(path=SHOTS / f"signup-errors-{width}x{height}-{color_scheme}.png", full_page=True)
        page.goto("/accounts/signup/")
        page.screenshot(path=SHOTS / f"signup-{width}x{height}-{color_scheme}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    sign_in_as_writer(page, "writer@example.com", PASSWORD, next_path=SIGNED_IN_PAGE)
    for width, height in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(SIGNED_IN_PAGE)
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        page.screenshot(path=SHOTS / f"signed-in-{width}x{height}-{color_scheme}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page_events.console_errors == []

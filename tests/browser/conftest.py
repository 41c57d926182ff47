"""Real-browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server."""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Chromium asks every site for this icon on its own; the admin declares none, so its 404 is no page's fault.
BROWSER_FAVICON_PATH = "/favicon.ico"
# How long a browser step may wait for what it expects before the test fails.
STEP_TIMEOUT_MS = 10_000


@dataclass
class PageEvents:
    """What the browser reported while a test's page was open."""

    urls: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)

    def listen_to(self, page: Page) -> None:
        """Record the page's requests, failed requests, error responses, console errors and uncaught exceptions."""
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("requestfailed", lambda request: self.failed_requests.append(f"{request.url}: {request.failure}"))
        page.on("response", self._record_response)
        page.on("console", self._record_console_message)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def _record_response(self, response: Response) -> None:
        if response.status >= 400 and urlsplit(response.url).path != BROWSER_FAVICON_PATH:
            self.error_responses.append(f"{response.status} {response.url}")

    def _record_console_message(self, message: ConsoleMessage) -> None:
        if message.type == "error" and urlsplit(message.location.get("url", "")).path != BROWSER_FAVICON_PATH:
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Launch one headless Chromium for the module's tests.

    Playwright's sync API keeps an event loop running in the main thread while it is started, so
    Django's ORM would refuse to run there (SynchronousOnlyOperation) without DJANGO_ALLOW_ASYNC_UNSAFE.
    Module scope stops Playwright, and restores the variable, before the rest of the suite runs.
    """
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "The browser tests need Debian's chromium on PATH: run bin/test, which installs it, "
            "or `apt-get install chromium` (never `playwright install`).",
            pytrace=False,
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Hash passwords cheaply: every test signs in, and the live server shares these settings."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
def page(browser: Browser, live_server, page_events: PageEvents) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    page_events.listen_to(page)
    yield page
    context.close()


def sign_in_as_writer(page: Page, email: str, password: str, *, next_path: str = "") -> None:
    """Sign a writer in through the writers' sign-in page and wait until they have left it.

    They land on LOGIN_REDIRECT_URL (/screenplays/), or on `next_path` when given.
    """
    from urllib.parse import quote  # (appended helper: the module's imports above stay as they were)

    page.goto(f"/accounts/login/?next={quote(next_path)}" if next_path else "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    if urlsplit(page.url).path == "/accounts/login/":
        problem = page.locator(".form__errors").all_inner_texts()
        pytest.fail(f"{email} could not sign in: {' '.join(problem) or 'still on the sign-in page'}")

"""The Content-Security-Policy in Chromium: Swagger UI and the admin work under it, with no violation reported."""

import pytest
from playwright.sync_api import Page, expect

from directorstudio.accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long staff password"


def csp_violations(page_events) -> list[str]:
    return [message for message in page_events.console_errors if "Content Security Policy" in message]


def test_swagger_ui_renders_the_api_under_the_policy(page: Page, page_events):
    response = page.goto("/api/docs/")

    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".opblock").first).to_be_visible()
    assert csp_violations(page_events) == []


def test_admin_signs_in_and_lists_rows_under_the_policy(page: Page, page_events):
    User.objects.create_superuser("staff@example.com", PASSWORD)

    page.goto("/admin/")
    page.get_by_label("Email").fill("staff@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    page.goto("/admin/accounts/user/?date_joined__year=99999")

    expect(page.locator("#result_list")).to_be_visible()
    page.locator("#changelist-filter, #toolbar").first.wait_for()
    assert csp_violations(page_events) == []

"""Writers' account pages: sign up, sign in and out, the sign-in rate limit, password reset."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from directorstudio.accounts.models import User
from directorstudio.accounts.services import writer_sign_up
from directorstudio.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-writer-password-42"
WRONG_LOGIN = "The email address or password is not correct."
THROTTLED = "Too many failed sign-in attempts."


@pytest.fixture(autouse=True)
def _fresh_cache_and_fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def writer() -> User:
    return User.objects.create_user("writer@example.com", PASSWORD)


def sign_in(client, email: str, password: str, address: str = "203.0.113.7"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def signed_in_user(client):
    return client.get("/accounts/password_change/").wsgi_request.user


# --- Sign up ------------------------------------------------------------------------------------


def test_sign_up_creates_a_writer_signs_them_in_and_goes_to_their_screenplays(client):
    response = client.post(
        reverse("signup"), {"email": "New.Writer@Example.com", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/screenplays/"
    user = User.objects.get()
    assert user.email == "new.writer@example.com"
    assert not user.is_staff and not user.is_superuser
    assert user.check_password(PASSWORD)
    assert signed_in_user(client) == user


def test_sign_up_follows_a_safe_next_and_ignores_another_site(client):
    data = {"email": "a@example.com", "password1": PASSWORD, "password2": PASSWORD, "next": "/projects/"}
    assert client.post(reverse("signup"), data)["Location"] == "/projects/"

    client.logout()
    data = {"email": "b@example.com", "password1": PASSWORD, "password2": PASSWORD, "next": "https://evil.test/"}
    assert client.post(reverse("signup"), data)["Location"] == "/screenplays/"


def test_sign_up_page_labels_every_field_with_autocomplete(client):
    page = client.get(reverse("signup")).text

    for field in ("email", "password1", "password2"):
        assert f'<label class="field__label" for="id_{field}">' in page
    assert 'autocomplete="email"' in page
    assert page.count('autocomplete="new-password"') == 2


def test_a_duplicate_email_in_any_case_is_refused_with_a_form_error(client, writer):
    response = client.post(
        reverse("signup"), {"email": "WRITER@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 200
    assert "This email address cannot be used to sign up" in response.text
    assert 'aria-describedby="id_email_error"' in response.text
    assert User.objects.count() == 1
    assert not signed_in_user(client).is_authenticated


def test_a_weak_password_is_refused_with_django_validators_messages(client):
    response = client.post(
        reverse("signup"), {"email": "weak@example.com", "password1": "12345678", "password2": "12345678"}
    )

    assert response.status_code == 200
    assert "This password is too common." in response.text
    assert "This password is entirely numeric." in response.text
    assert 'aria-invalid="true"' in response.text
    assert not User.objects.exists()


def test_mismatched_passwords_are_refused(client):
    response = client.post(
        reverse("signup"), {"email": "m@example.com", "password1": PASSWORD, "password2": PASSWORD + "x"}
    )

    assert "The two passwords do not match." in response.text
    assert not User.objects.exists()


def test_the_sign_up_service_raises_the_projects_errors(writer):
    with pytest.raises(Conflict):
        writer_sign_up(email=" Writer@EXAMPLE.com ", password=PASSWORD)
    with pytest.raises(InvalidInput) as error:
        writer_sign_up(email="short@example.com", password="abc")
    assert "password" in error.value.field_errors


# --- Sign in and out -------------------------------------------------------------------------------


def test_sign_in_page_is_labelled_for_email(client):
    page = client.get(reverse("login")).text

    assert '<label class="field__label" for="id_username">Email</label>' in page
    assert 'type="email"' in page
    assert 'autocomplete="current-password"' in page
    assert 'class="skip-link" href="#main"' in page
    assert '<main id="main" tabindex="-1"' in page


def test_a_writer_signs_in_with_any_case_of_their_email(client, writer):
    response = sign_in(client, "Writer@Example.COM", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/screenplays/"
    assert signed_in_user(client) == writer


def test_signed_in_pages_show_the_nav_and_the_user_menu(client, writer):
    client.force_login(writer)

    page = client.get(reverse("password_change")).text

    assert '<nav class="site-nav" aria-label="Main">' in page
    assert 'href="/screenplays/"' in page and 'href="/projects/"' in page
    assert writer.email in page
    assert f'action="{reverse("logout")}"' in page


def test_sign_out_is_a_post_and_lands_on_the_home_page(client, writer):
    client.force_login(writer)

    assert client.get(reverse("logout")).status_code == 405
    assert signed_in_user(client).is_authenticated

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not signed_in_user(client).is_authenticated


def test_unknown_email_and_wrong_password_get_the_same_answer(client, writer):
    wrong_password = sign_in(client, "writer@example.com", "not-the-password")
    unknown_email = sign_in(client, "nobody@example.com", "not-the-password")
    User.objects.create_user("gone@example.com", PASSWORD, is_active=False)
    deactivated = sign_in(client, "gone@example.com", PASSWORD)

    for response in (wrong_password, unknown_email, deactivated):
        assert response.status_code == 200
        assert WRONG_LOGIN in response.text
        assert 'role="alert"' in response.text
    assert not signed_in_user(client).is_authenticated


def test_anonymous_visitors_are_sent_to_the_writers_sign_in(client):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('password_change')}"


# --- Rate limit -------------------------------------------------------------------------------------


def test_an_account_is_locked_after_ten_failures_even_from_other_addresses(client, writer):
    for attempt in range(10):
        response = sign_in(client, "writer@example.com", "wrong", address=f"198.51.100.{attempt}")
        assert WRONG_LOGIN in response.text

    locked = sign_in(client, "writer@example.com", PASSWORD, address="198.51.100.99")

    assert locked.status_code == 200
    assert THROTTLED in locked.text
    assert not signed_in_user(client).is_authenticated
    # Another account from the same address still signs in.
    User.objects.create_user("other@example.com", PASSWORD)
    assert sign_in(client, "other@example.com", PASSWORD, address="198.51.100.99").status_code == 302


def test_an_unknown_email_is_locked_like_a_known_one(client):
    for _ in range(10):
        sign_in(client, "nobody@example.com", "wrong")

    assert THROTTLED in sign_in(client, "nobody@example.com", "wrong").text


def test_an_address_is_locked_after_thirty_failures_across_accounts(client, writer):
    for attempt in range(30):
        response = sign_in(client, f"guess{attempt}@example.com", "wrong", address="192.0.2.1")
        assert WRONG_LOGIN in response.text

    locked = sign_in(client, "writer@example.com", PASSWORD, address="192.0.2.1")
    assert THROTTLED in locked.text
    assert not signed_in_user(client).is_authenticated

    assert sign_in(client, "writer@example.com", PASSWORD, address="192.0.2.2").status_code == 302


def test_a_successful_sign_in_clears_the_accounts_failures(client, writer):
    for _ in range(9):
        sign_in(client, "writer@example.com", "wrong", address="192.0.2.10")
    assert sign_in(client, "writer@example.com", PASSWORD, address="192.0.2.10").status_code == 302
    client.post(reverse("logout"))

    for _ in range(9):
        sign_in(client, "writer@example.com", "wrong", address="192.0.2.11")
    assert sign_in(client, "writer@example.com", PASSWORD, address="192.0.2.11").status_code == 302


def test_the_limits_come_from_settings(client, writer, settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = 2
    sign_in(client, "writer@example.com", "wrong")
    sign_in(client, "writer@example.com", "wrong")

    assert THROTTLED in sign_in(client, "writer@example.com", PASSWORD).text


# --- Password reset ------------------------------------------------------------------------------


def test_password_reset_mails_a_link_that_sets_a_new_password(client, writer):
    response = client.post(reverse("password_reset"), {"email": "Writer@Example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["writer@example.com"]
    assert message.subject == "Reset your DirectorStudio password"
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.text
    new_password = "a-brand-new-password-77"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")

    writer.refresh_from_db()
    assert writer.check_password(new_password)
    assert sign_in(client, "writer@example.com", new_password).status_code == 302


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_used_reset_link_is_refused(client, writer):
    client.post(reverse("password_reset"), {"email": writer.email})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "a-brand-new-password-77", "new_password2": "a-brand-new-password-77"})

    assert "This link has expired" in client.get(link, follow=True).text


# --- The admin keeps its own sign-in --------------------------------------------------------------


def test_the_admin_still_sends_visitors_to_its_own_login(client, writer):
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))

    client.force_login(writer)
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))


def test_a_writers_sign_in_does_not_open_the_admin(client, writer):
    sign_in(client, writer.email, PASSWORD)

    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_still_sign_in_at_the_admins_login(client):
    User.objects.create_superuser("staff@example.com", PASSWORD)

    response = client.post(reverse("admin:login"), {"username": "staff@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200

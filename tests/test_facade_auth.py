"""GoTrue at /auth/v1, driven by the official Supabase client (supabase-py, as supabase-swift speaks it) against a
live server, plus raw HTTP checks of what the client hides: statuses, bodies and headers."""

import hashlib
import re
import uuid
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client as DjangoClient
from django.utils import timezone
from supabase import ClientOptions, create_client
from supabase_auth.errors import AuthApiError, AuthWeakPasswordError

from directorstudio.accounts.models import Identity, RefreshToken, User
from directorstudio.facade.keys import anon_key_issue
from tests.fake_apple import AppleKey, apple_id_token, apple_jwks_server
from tests.gunicorn_server import gunicorn_serving

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long writer's password"
BUNDLE_ID = "com.directorstudio.app"
VERSION_HEADER = "X-Supabase-Api-Version"


@pytest.fixture(autouse=True)
def fast_hashing_and_fresh_throttles(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.APPLE_ID_TOKEN_AUDIENCES = [BUNDLE_ID]
    cache.clear()


@pytest.fixture
def anon_key() -> str:
    out = StringIO()
    call_command("supabase_anon_key", stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def new_client(live_server, anon_key):
    """Make a Supabase client for this server, as the app makes one (a device of its own each time)."""

    def make():
        options = ClientOptions(auto_refresh_token=False, persist_session=False)
        return create_client(live_server.url, anon_key, options=options)

    return make


@pytest.fixture
def auth_url(live_server) -> str:
    return f"{live_server.url}/auth/v1"


@pytest.fixture
def http(anon_key):
    with httpx.Client(headers={"apikey": anon_key, VERSION_HEADER: "2024-01-01"}) as client:
        yield client


def sign_up(client, email: str, password: str = PASSWORD, **data):
    return client.auth.sign_up({"email": email, "password": password, "options": {"data": data}})


def assert_gotrue_error(response: httpx.Response, status: int, code: str, message: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers[VERSION_HEADER] == "2024-01-01"
    assert response.headers["x-sb-error-code"] == code
    body = response.json()
    assert body["code"] == body["error_code"] == code
    if message is not None:
        assert body["msg"] == message
    return body


# --- Sign-up and sign-in ----------------------------------------------------------------------------


def test_sign_up_answers_a_session_whose_user_is_a_writer_everywhere(new_client, live_server):
    client = new_client()

    response = sign_up(client, "Maya@Example.com", display_name="Maya")

    session, user = response.session, response.user
    assert session is not None and session.token_type == "bearer"
    assert session.expires_in == 3600 and session.refresh_token
    assert user.email == "maya@example.com"
    assert user.aud == "authenticated" and user.role == "authenticated"
    assert user.user_metadata == {"display_name": "Maya"}
    assert user.app_metadata == {"provider": "email", "providers": ["email"]}
    assert user.email_confirmed_at is not None and user.updated_at is not None
    assert [identity.provider for identity in user.identities] == ["email"]
    assert client.auth.get_user().user.id == user.id
    # The same account on /api/v1 and on the writers' sign-in page.
    api = httpx.get(f"{live_server.url}/api/v1/auth/user", headers={"Authorization": f"Bearer {session.access_token}"})
    assert api.json() == {"id": user.id, "email": "maya@example.com"}
    page = DjangoClient().post("/accounts/login/", {"username": "maya@example.com", "password": PASSWORD})
    assert page.status_code == 302


def test_sign_up_with_supabase_py_pkce_flow_is_accepted(live_server, anon_key):
    options = ClientOptions(auto_refresh_token=False, persist_session=False, flow_type="pkce")
    client = create_client(live_server.url, anon_key, options=options)

    response = sign_up(client, "pkce@example.com")

    assert response.session is not None
    assert response.user.email == "pkce@example.com"


def test_two_users_side_by_side_each_see_themselves(new_client):
    alice, bob = new_client(), new_client()
    alice_id = sign_up(alice, "alice@example.com").user.id
    bob_id = sign_up(bob, "bob@example.com").user.id

    alice.auth.sign_in_with_password({"email": "alice@example.com", "password": PASSWORD})
    bob.auth.sign_in_with_password({"email": "BOB@example.com", "password": PASSWORD})

    assert alice.auth.get_user().user.id == alice_id
    assert bob.auth.get_user().user.id == bob_id
    assert alice_id != bob_id
    assert alice.auth.get_session().access_token != bob.auth.get_session().access_token


def test_sign_in_with_a_wrong_password_raises_invalid_credentials(new_client, http, auth_url):
    client = new_client()
    sign_up(client, "writer@example.com")

    with pytest.raises(AuthApiError) as raised:
        client.auth.sign_in_with_password({"email": "writer@example.com", "password": "not the password"})

    assert (raised.value.code, raised.value.status, raised.value.message) == (
        "invalid_credentials",
        400,
        "Invalid login credentials",
    )
    unknown = http.post(f"{auth_url}/token?grant_type=password", json={"email": "nobody@example.com", "password": "x"})
    assert assert_gotrue_error(unknown, 400, "invalid_credentials", "Invalid login credentials") == {
        "code": "invalid_credentials",
        "error_code": "invalid_credentials",
        "msg": "Invalid login credentials",
    }


def test_a_duplicate_sign_up_raises_user_already_exists(new_client, http, auth_url):
    sign_up(new_client(), "taken@example.com")

    with pytest.raises(AuthApiError) as raised:
        sign_up(new_client(), "Taken@example.com")

    assert (raised.value.code, raised.value.status) == ("user_already_exists", 422)
    assert User.objects.filter(email="taken@example.com").count() == 1


def test_a_weak_password_raises_weak_password_with_reasons(new_client, http, auth_url):
    with pytest.raises(AuthWeakPasswordError) as raised:
        sign_up(new_client(), "weak@example.com", password="1234")

    assert raised.value.status == 422
    assert set(raised.value.reasons) == {"length", "pwned", "characters"}
    body = assert_gotrue_error(
        http.post(f"{auth_url}/signup", json={"email": "weak@example.com", "password": "qwerty"}), 422, "weak_password"
    )
    assert body["weak_password"] == {"reasons": ["length", "pwned"]}
    assert not User.objects.filter(email="weak@example.com").exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "not-an-address", "password": PASSWORD}, 400, "validation_failed"),
        ({"email": "someone@example.com"}, 400, "validation_failed"),
        ({"password": PASSWORD}, 400, "validation_failed"),
        ({"email": ["a@example.com"], "password": PASSWORD}, 400, "validation_failed"),
        ({"email": "a@example.com", "password": PASSWORD, "data": [1]}, 400, "validation_failed"),
        ({"phone": "+15555550100", "password": PASSWORD}, 400, "phone_provider_disabled"),
    ],
)
def test_sign_up_refuses_what_gotrue_refuses(http, auth_url, body, status, code):
    assert_gotrue_error(http.post(f"{auth_url}/signup", json=body), status, code)
    assert not User.objects.exists()


# --- The user ----------------------------------------------------------------------------------------


def test_update_user_merges_metadata_and_changes_password_and_email(new_client):
    client = new_client()
    sign_up(client, "editor@example.com", theme="dark", lang="en")

    user = client.auth.update_user({"data": {"lang": "fr", "theme": None, "plan": "pro"}}).user
    assert user.user_metadata == {"lang": "fr", "plan": "pro"}
    assert client.auth.get_user().user.user_metadata == {"lang": "fr", "plan": "pro"}

    client.auth.update_user({"password": "a brand new long passphrase"})
    with pytest.raises(AuthApiError):
        new_client().auth.sign_in_with_password({"email": "editor@example.com", "password": PASSWORD})
    new_client().auth.sign_in_with_password({"email": "editor@example.com", "password": "a brand new long passphrase"})

    assert client.auth.update_user({"email": "Renamed@example.com"}).user.email == "renamed@example.com"
    assert User.objects.filter(email="renamed@example.com").exists()


def test_update_user_refuses_a_taken_email_the_same_password_and_a_weak_one(new_client):
    sign_up(new_client(), "first@example.com")
    client = new_client()
    sign_up(client, "second@example.com")

    with pytest.raises(AuthApiError) as taken:
        client.auth.update_user({"email": "FIRST@example.com"})
    with pytest.raises(AuthApiError) as same:
        client.auth.update_user({"password": PASSWORD})
    with pytest.raises(AuthWeakPasswordError):
        client.auth.update_user({"password": "123"})

    assert (taken.value.code, taken.value.status) == ("email_exists", 422)
    assert (same.value.code, same.value.status) == ("same_password", 422)
    assert User.objects.get(email="second@example.com").check_password(PASSWORD)


def test_a_new_password_signs_the_other_sessions_out(new_client):
    here, elsewhere = new_client(), new_client()
    sign_up(here, "mover@example.com")
    elsewhere.auth.sign_in_with_password({"email": "mover@example.com", "password": PASSWORD})

    here.auth.update_user({"password": "another long passphrase"})

    here.auth.refresh_session()
    with pytest.raises(AuthApiError) as raised:
        elsewhere.auth.refresh_session()
    assert raised.value.code == "refresh_token_already_used"


def test_user_endpoints_refuse_what_gotrue_refuses(http, auth_url, anon_key, new_client):
    client = new_client()
    session = sign_up(client, "me@example.com").session

    assert_gotrue_error(http.get(f"{auth_url}/user"), 401, "no_authorization")
    assert_gotrue_error(http.get(f"{auth_url}/user", headers={"Authorization": f"Bearer {anon_key}"}), 403, "bad_jwt")
    assert_gotrue_error(http.get(f"{auth_url}/user", headers={"Authorization": "Bearer a.b.c"}), 403, "bad_jwt")
    signed_in = {"Authorization": f"Bearer {session.access_token}"}
    assert_gotrue_error(http.put(f"{auth_url}/user", headers=signed_in, content=b"{"), 400, "bad_json")
    assert_gotrue_error(http.put(f"{auth_url}/user", headers=signed_in, json={"app_metadata": {}}), 403, "not_admin")
    assert http.get(f"{auth_url}/user", headers=signed_in).json()["email"] == "me@example.com"


# --- Refresh rotation ------------------------------------------------------------------------------


def test_refresh_rotates_and_a_retried_refresh_within_the_interval_keeps_the_user_signed_in(new_client):
    client = new_client()
    first = sign_up(client, "rotator@example.com").session

    second = client.auth.refresh_session().session
    assert second.refresh_token != first.refresh_token
    # The answer to that refresh was lost: the app sends the same token again, seconds later.
    retried = client.auth.refresh_session(first.refresh_token).session

    assert retried.refresh_token not in {first.refresh_token, second.refresh_token}
    assert client.auth.get_user(retried.access_token).user.email == "rotator@example.com"
    assert client.auth.refresh_session(retried.refresh_token).session is not None
    assert client.auth.refresh_session(second.refresh_token).session is not None


def test_a_refresh_token_reused_after_the_interval_revokes_the_whole_session(new_client, http, auth_url):
    client, other_device = new_client(), new_client()
    first = sign_up(client, "victim@example.com").session
    other_device.auth.sign_in_with_password({"email": "victim@example.com", "password": PASSWORD})
    current = client.auth.refresh_session().session
    RefreshToken.objects.filter(revoked_at__isnull=False).update(revoked_at=timezone.now() - timedelta(seconds=11))

    with pytest.raises(AuthApiError) as reused:
        client.auth.refresh_session(first.refresh_token)
    with pytest.raises(AuthApiError) as family:
        client.auth.refresh_session(current.refresh_token)

    assert (reused.value.code, reused.value.status) == ("refresh_token_already_used", 400)
    assert family.value.code == "refresh_token_already_used"
    assert other_device.auth.refresh_session().session is not None
    session_ended = http.get(f"{auth_url}/user", headers={"Authorization": f"Bearer {current.access_token}"})
    assert_gotrue_error(session_ended, 403, "session_not_found")


def test_the_reuse_interval_is_a_setting(new_client, settings):
    settings.REFRESH_TOKEN_REUSE_INTERVAL = timedelta(0)
    client = new_client()
    first = sign_up(client, "strict@example.com").session
    client.auth.refresh_session()

    with pytest.raises(AuthApiError) as raised:
        client.auth.refresh_session(first.refresh_token)

    assert raised.value.code == "refresh_token_already_used"


def test_refresh_refusals_have_gotrues_codes(http, auth_url):
    url = f"{auth_url}/token?grant_type=refresh_token"

    assert_gotrue_error(http.post(url, json={"refresh_token": "never-issued-token"}), 400, "refresh_token_not_found")
    missing = http.post(url, json={})
    assert missing.status_code == 400
    assert missing.json() == {"error": "invalid_request", "error_description": "refresh_token required"}
    assert missing.headers[VERSION_HEADER] == "2024-01-01"


# --- Sign-out ------------------------------------------------------------------------------------


def devices(new_client, count: int, email: str = "multi@example.com"):
    clients = [new_client() for _ in range(count)]
    sign_up(clients[0], email)
    for client in clients[1:]:
        client.auth.sign_in_with_password({"email": email, "password": PASSWORD})
    return clients


def refreshes(client) -> bool:
    try:
        client.auth.refresh_session(client.auth.get_session().refresh_token)
    except AuthApiError:
        return False
    return True


def test_sign_out_others_keeps_this_device(new_client):
    here, phone, tablet = devices(new_client, 3)

    here.auth.sign_out({"scope": "others"})

    assert [refreshes(here), refreshes(phone), refreshes(tablet)] == [True, False, False]


def test_sign_out_local_ends_only_this_device(new_client, http, auth_url):
    here, phone = devices(new_client, 2)
    access_token = here.auth.get_session().access_token

    here.auth.sign_out({"scope": "local"})

    assert here.auth.get_session() is None
    assert refreshes(phone)
    ended = http.get(f"{auth_url}/user", headers={"Authorization": f"Bearer {access_token}"})
    assert_gotrue_error(ended, 403, "session_not_found")


def test_sign_out_global_ends_every_device_of_the_user_only(new_client):
    here, phone = devices(new_client, 2)
    (stranger,) = devices(new_client, 1, email="stranger@example.com")
    refresh_token = phone.auth.get_session().refresh_token

    here.auth.sign_out()

    with pytest.raises(AuthApiError) as raised:
        phone.auth.refresh_session(refresh_token)
    assert raised.value.code == "refresh_token_already_used"
    assert refreshes(stranger)


def test_logout_answers_204_and_refuses_an_unknown_scope(http, auth_url, new_client):
    session = sign_up(new_client(), "leaver@example.com").session
    signed_in = {"Authorization": f"Bearer {session.access_token}"}

    assert_gotrue_error(http.post(f"{auth_url}/logout?scope=everywhere", headers=signed_in), 400, "validation_failed")
    response = http.post(f"{auth_url}/logout?scope=local", headers=signed_in)

    assert response.status_code == 204
    assert response.headers[VERSION_HEADER] == "2024-01-01"


# --- Password recovery ----------------------------------------------------------------------------


def test_reset_password_mails_the_writers_reset_link_and_tells_nothing_about_unknown_addresses(
    new_client, http, auth_url
):
    client = new_client()
    sign_up(client, "forgetful@example.com")

    client.auth.reset_password_for_email("Forgetful@example.com")
    unknown = http.post(f"{auth_url}/recover", json={"email": "nobody@example.com"})

    assert unknown.status_code == 200 and unknown.json() == {}
    assert [message.to for message in mail.outbox] == [["forgetful@example.com"]]
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    page = DjangoClient().get(urlsplit(link).path, follow=True)
    assert page.status_code == 200
    assert b"new_password1" in page.content


# --- Sign in with Apple ---------------------------------------------------------------------------


@pytest.fixture
def apple(settings):
    key = AppleKey("apple-key-1")
    with apple_jwks_server([key]) as (url, _server):
        settings.APPLE_ID_TOKEN_JWKS_URL = url
        yield key


def sign_in_with_apple(client, id_token: str, nonce: str | None):
    return client.auth.sign_in_with_id_token({"provider": "apple", "token": id_token, "nonce": nonce})


def test_sign_in_with_apple_creates_the_account_once_and_signs_it_in(new_client, apple):
    client = new_client()
    token = apple_id_token(apple, audience=BUNDLE_ID, sub="001234.apple.user", nonce="raw-nonce")

    first = sign_in_with_apple(client, token, "raw-nonce")
    again = sign_in_with_apple(new_client(), apple_id_token(apple, audience=BUNDLE_ID, sub="001234.apple.user"), None)

    assert first.session is not None
    assert first.user.id == again.user.id
    assert first.user.email == "001234@privaterelay.appleid.com"
    assert first.user.app_metadata == {"provider": "apple", "providers": ["apple"]}
    assert [(identity.provider, identity.id) for identity in first.user.identities] == [("apple", "001234.apple.user")]
    assert client.auth.get_user().user.id == first.user.id
    assert Identity.objects.get().user_id == uuid.UUID(first.user.id)


def test_sign_in_with_apple_links_the_writer_with_the_verified_email(new_client, apple):
    writer = sign_up(new_client(), "001777@privaterelay.appleid.com").user

    response = sign_in_with_apple(new_client(), apple_id_token(apple, audience=BUNDLE_ID, sub="001777.x"), None)

    assert response.user.id == writer.id
    assert response.user.app_metadata["providers"] == ["email", "apple"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("bad nonce", "Nonces mismatch"),
        ("nonce not sent", "Passed nonce and nonce in id_token should either both exist or not."),
        ("wrong audience", "Unacceptable audience in id_token"),
        ("expired", "Bad ID token"),
        ("wrong key", "Bad ID token"),
        ("unknown key", "Bad ID token"),
        ("not apple's issuer", "Bad ID token"),
    ],
)
def test_sign_in_with_apple_refuses_a_token_that_does_not_verify(new_client, apple, case, message):
    stranger = AppleKey("apple-key-1")
    audience, nonce, key, overrides = BUNDLE_ID, "raw-nonce", apple, {}
    if case == "wrong audience":
        audience = "com.someone.else"
    elif case == "expired":
        overrides = {"exp": int(timezone.now().timestamp()) - 60}
    elif case == "wrong key":
        key = stranger
    elif case == "unknown key":
        key = AppleKey("apple-key-2")
    elif case == "not apple's issuer":
        overrides = {"iss": "https://accounts.google.com"}
    token = apple_id_token(key, audience=audience, sub="001999.bad", nonce=nonce, **overrides)
    sent_nonce = {"bad nonce": "another-nonce", "nonce not sent": None}.get(case, nonce)

    with pytest.raises(AuthApiError) as raised:
        sign_in_with_apple(new_client(), token, sent_nonce)

    assert (raised.value.status, raised.value.message) == (400, message)
    assert not User.objects.exists()


def test_sign_in_with_apple_checks_the_nonce_as_gotrue_does(apple, http, auth_url):
    token = apple_id_token(apple, audience=BUNDLE_ID, sub="001555.nonce", nonce="n-0")
    url = f"{auth_url}/token?grant_type=id_token"

    refused = http.post(url, json={"provider": "apple", "id_token": token, "nonce": hashlib.sha256(b"n-0").hexdigest()})
    accepted = http.post(url, json={"provider": "apple", "id_token": token, "nonce": "n-0"})

    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_nonce", "error_description": "Nonces mismatch"}
    assert accepted.status_code == 200
    assert accepted.json()["user"]["identities"][0]["provider"] == "apple"
    other = http.post(url, json={"provider": "google", "id_token": token})
    assert_gotrue_error(other, 400, "validation_failed")


def test_sign_in_with_apple_is_unavailable_not_an_error_when_apples_keys_cannot_be_fetched(settings, http, auth_url):
    settings.APPLE_ID_TOKEN_JWKS_URL = f"http://127.0.0.1:9/{uuid.uuid4()}/auth/keys"
    token = apple_id_token(AppleKey("k"), audience=BUNDLE_ID, sub="001.unreachable")

    response = http.post(f"{auth_url}/token?grant_type=id_token", json={"provider": "apple", "id_token": token})

    assert_gotrue_error(response, 503, "unexpected_failure")


# --- Throttling, the anon key and the protocol's edges ---------------------------------------------


def test_token_requests_are_throttled_per_address(http, auth_url, new_client):
    url = f"{auth_url}/token?grant_type=password"
    for _ in range(20):
        assert http.post(url, json={}).status_code == 400

    body = assert_gotrue_error(http.post(url, json={}), 429, "over_request_rate_limit", "Request rate limit reached")

    assert set(body) == {"code", "error_code", "msg"}
    with pytest.raises(AuthApiError) as raised:
        new_client().auth.sign_in_with_password({"email": "x@example.com", "password": "y"})
    assert (raised.value.code, raised.value.status) == ("over_request_rate_limit", 429)


def test_failed_sign_ins_lock_the_account_like_the_writers_page(new_client, settings, http, auth_url):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = 3
    client = new_client()
    sign_up(client, "guarded@example.com")
    for _ in range(3):
        with pytest.raises(AuthApiError):
            client.auth.sign_in_with_password({"email": "guarded@example.com", "password": "wrong"})

    with pytest.raises(AuthApiError) as raised:
        client.auth.sign_in_with_password({"email": "guarded@example.com", "password": PASSWORD})

    assert raised.value.code == "over_request_rate_limit"
    page = DjangoClient().post("/accounts/login/", {"username": "guarded@example.com", "password": PASSWORD})
    assert page.status_code == 200  # the writers' page is locked for this account too


def test_the_anon_key_is_an_hs256_jwt_with_the_anon_role(anon_key, settings):
    claims = jwt.decode(anon_key, settings.SUPABASE_JWT_SECRET, algorithms=["HS256"])

    assert claims["role"] == "anon"
    assert anon_key_issue(issued_at=claims["iat"]) == anon_key


def test_requests_without_the_anon_key_are_refused(auth_url, settings):
    user_token = jwt.encode({"role": "authenticated"}, settings.SUPABASE_JWT_SECRET, algorithm="HS256")

    missing = httpx.post(f"{auth_url}/signup", json={"email": "a@example.com", "password": PASSWORD})
    wrong = httpx.post(f"{auth_url}/signup", headers={"apikey": user_token}, json={})

    assert_gotrue_error(missing, 401, "no_api_key")
    assert_gotrue_error(wrong, 401, "invalid_api_key")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "code"),
    [
        ("POST", "token?grant_type=client_credentials", b"{}", 400, "invalid_credentials"),
        ("POST", "token?grant_type=password", b"{not json", 400, "bad_json"),
        ("POST", "token?grant_type=password", b"[1, 2]", 400, "bad_json"),
        ("POST", "token?grant_type=password", b'{"email": 5}', 400, "validation_failed"),
        ("POST", "token?grant_type=password", b"\xff\xfe", 400, "bad_json"),
        (
            "POST",
            "token?grant_type=password",
            b'{"email": "a\\u0000@example.com", "password": "x"}',
            400,
            "validation_failed",
        ),
        ("POST", "token?grant_type=password", b"[" * 100_000, 400, "bad_json"),
        (
            "POST",
            "signup",
            b'{"email": "' + b"a" * 250 + b'@example.com", "password": "a long passphrase"}',
            400,
            "validation_failed",
        ),
        (
            "POST",
            "signup",
            b'{"email": "a@example.com", "password": "a long passphrase", "data": {"k": "\\u0000"}}',
            400,
            "validation_failed",
        ),
        ("POST", "recover", b'{"email": "not an address"}', 400, "validation_failed"),
        ("POST", "recover", b"{}", 400, "validation_failed"),
        ("GET", "no/such/endpoint", b"", 404, "not_found"),
    ],
)
def test_malformed_requests_get_gotrues_errors_never_a_5xx(http, auth_url, method, path, content, status, code):
    response = http.request(method, f"{auth_url}/{path}", content=content)

    assert_gotrue_error(response, status, code)


def test_settings_and_health(http, auth_url):
    settings_body = http.get(f"{auth_url}/settings").json()
    health = httpx.get(f"{auth_url}/health")

    assert settings_body["external"]["apple"] is True and settings_body["external"]["email"] is True
    assert settings_body["mailer_autoconfirm"] is True
    assert health.status_code == 200 and health.headers[VERSION_HEADER] == "2024-01-01"


def test_two_users_through_gunicorn(anon_key):
    """The app's whole sign-in life for two users at once, on gunicorn's worker processes."""
    with gunicorn_serving() as url:
        options = ClientOptions(auto_refresh_token=False, persist_session=False)
        alice, bob = create_client(url, anon_key, options=options), create_client(url, anon_key, options=options)
        alice_id = sign_up(alice, "alice@example.com", name="Alice").user.id
        bob_id = sign_up(bob, "bob@example.com").user.id
        bob.auth.sign_in_with_password({"email": "bob@example.com", "password": PASSWORD})
        first = alice.auth.get_session().refresh_token
        alice.auth.refresh_session()
        retried = alice.auth.refresh_session(first).session  # a retry, seconds later, perhaps on another worker

        assert alice.auth.get_user(retried.access_token).user.id == alice_id
        assert bob.auth.get_user().user.id == bob_id
        assert bob.auth.update_user({"data": {"name": "Bob"}}).user.user_metadata == {"name": "Bob"}
        assert alice.auth.get_user(retried.access_token).user.user_metadata == {"name": "Alice"}
        bob.auth.sign_out()
        with pytest.raises(AuthApiError):
            bob.auth.sign_in_with_password({"email": "bob@example.com", "password": "not bob's"})
        assert alice.auth.refresh_session(retried.refresh_token).session is not None

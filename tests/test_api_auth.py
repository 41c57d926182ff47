import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from rest_framework.test import APIClient

from directorstudio.accounts import services
from directorstudio.accounts.models import RefreshToken, User
from tests.tokens import auth_header, make_supabase_token, supabase_claims

pytestmark = pytest.mark.django_db

USER_URL = "/api/v1/auth/user"
TOKEN_URL = "/api/v1/auth/token"
LOGOUT_URL = "/api/v1/auth/logout"
PASSWORD = "a long writer's password"

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(autouse=True)
def fast_hashing_and_fresh_throttle(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


@pytest.fixture
def writer() -> User:
    return User.objects.create_user("writer@directorstudio.local", PASSWORD)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def assert_refused(response, code: str) -> None:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == code
    assert response.json()["detail"]


# --- Supabase HS256 tokens ---------------------------------------------------------------------


def test_valid_token_signs_the_user_in(api_client, writer):
    response = api_client.get(USER_URL, **auth_header(writer))

    assert response.status_code == 200
    assert response.json() == {"id": str(writer.pk), "email": "writer@directorstudio.local"}


def test_a_user_the_process_knows_costs_no_query(api_client, writer, django_assert_num_queries):
    header = auth_header(writer)  # the writer was just saved by this process, so it knows them

    with django_assert_num_queries(0):
        assert api_client.get(USER_URL, **header).json() == {"id": str(writer.pk), "email": writer.email}


def test_a_user_is_looked_up_once_then_remembered(api_client, writer, django_assert_num_queries):
    services._known_users.clear()  # as in a worker that has not seen the writer yet
    header = auth_header(writer)

    with django_assert_num_queries(1):
        assert api_client.get(USER_URL, **header).status_code == 200
    with django_assert_num_queries(0):
        assert api_client.get(USER_URL, **header).status_code == 200


def test_a_user_deactivated_by_another_process_is_refused_once_remembered_too_long(
    api_client, writer, settings, monkeypatch
):
    settings.API_USER_CACHE_SECONDS = 30
    header = auth_header(writer)
    assert api_client.get(USER_URL, **header).status_code == 200
    User.objects.filter(pk=writer.pk).update(is_active=False)  # no signal: as another worker's admin would
    now = time.monotonic()

    monkeypatch.setattr(services, "time", SimpleNamespace(monotonic=lambda: now + 29))
    assert api_client.get(USER_URL, **header).status_code == 200
    monkeypatch.setattr(services, "time", SimpleNamespace(monotonic=lambda: now + 31))
    assert_refused(api_client.get(USER_URL, **header), "user_inactive")


def test_a_user_deleted_in_this_process_is_forgotten_at_once(api_client, writer):
    header, user_id = auth_header(writer), writer.pk
    assert api_client.get(USER_URL, **header).status_code == 200
    writer.delete()

    assert user_id not in services._known_users
    response = api_client.get(USER_URL, **header)  # the token provisions them again, as for any new user
    assert response.json() == {"id": str(user_id), "email": writer.email}
    assert User.objects.filter(pk=user_id).exists()


def test_without_a_cache_every_request_looks_the_user_up(api_client, writer, settings, django_assert_num_queries):
    settings.API_USER_CACHE_SECONDS = 0
    services._known_users.clear()
    header = auth_header(writer)

    for _ in range(2):
        with django_assert_num_queries(1):
            assert api_client.get(USER_URL, **header).status_code == 200


def test_token_for_unknown_user_creates_them(api_client):
    user_id = uuid.uuid4()

    response = api_client.get(USER_URL, **bearer(make_supabase_token(user_id, "New.Writer@Example.com")))

    assert response.status_code == 200
    assert response.json() == {"id": str(user_id), "email": "new.writer@example.com"}
    user = User.objects.get(pk=user_id)
    assert user.is_active and not user.is_staff
    assert not user.has_usable_password()


@pytest.mark.django_db(transaction=True)
def test_first_requests_racing_to_create_the_user_both_succeed():
    user_id = uuid.uuid4()
    token = make_supabase_token(user_id, "racer@example.com")
    responses = []

    def request_in_another_connection():
        try:
            responses.append(APIClient().get(USER_URL, **bearer(token)))
        finally:
            connections.close_all()

    request = threading.Thread(target=request_in_another_connection)
    with transaction.atomic():
        User.objects.create_user("racer@example.com", id=user_id)
        request.start()
        # Commit only once the request's INSERT is waiting on this transaction's row.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _connections_waiting_on_a_lock():
            time.sleep(0.01)
    request.join()

    assert [response.status_code for response in responses] == [200]
    assert responses[0].json() == {"id": str(user_id), "email": "racer@example.com"}


def _connections_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        # Statistics views keep one snapshot per transaction unless told to take a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_token_without_email_creates_user_with_placeholder_email(api_client):
    user_id = uuid.uuid4()

    response = api_client.get(USER_URL, **bearer(make_supabase_token(user_id, email=None)))

    assert response.status_code == 200
    assert response.json()["email"] == f"{user_id}@users.invalid"


def test_token_whose_email_is_another_users_is_refused(api_client, writer):
    user_id = uuid.uuid4()

    response = api_client.get(USER_URL, **bearer(make_supabase_token(user_id, "WRITER@directorstudio.local")))

    assert_refused(response, "user_conflict")
    assert not User.objects.filter(pk=user_id).exists()


def test_missing_credentials_get_401_with_challenge(api_client):
    response = api_client.get(USER_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_expired_token_is_refused(api_client, writer):
    token = make_supabase_token(writer.pk, writer.email, exp=int(time.time()) - 60)

    assert_refused(api_client.get(USER_URL, **bearer(token)), "token_expired")


def test_token_signed_with_another_secret_is_refused(api_client, writer):
    token = jwt.encode(supabase_claims(writer.pk, writer.email), "another-project's-jwt-secret-0123456789", "HS256")

    assert_refused(api_client.get(USER_URL, **bearer(token)), "invalid_token")


def test_unsigned_token_is_refused(api_client, writer):
    token = jwt.encode(supabase_claims(writer.pk, writer.email), None, algorithm="none")

    assert_refused(api_client.get(USER_URL, **bearer(token)), "invalid_token")


def test_token_with_a_header_algorithm_we_do_not_use_is_refused(api_client, writer, settings):
    settings.SUPABASE_JWT_SECRET = "s" * 64
    token = jwt.encode(supabase_claims(writer.pk, writer.email), settings.SUPABASE_JWT_SECRET, "HS512")

    assert_refused(api_client.get(USER_URL, **bearer(token)), "invalid_token")


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"aud": "anon"}, id="wrong audience"),
        pytest.param({"aud": None}, id="no audience"),
        pytest.param({"sub": None}, id="no subject"),
        pytest.param({"sub": "not-a-uuid"}, id="subject is not a uuid"),
        pytest.param({"exp": None}, id="no expiry"),
    ],
)
def test_token_with_bad_claims_is_refused(api_client, writer, overrides):
    token = make_supabase_token(writer.pk, writer.email, **overrides)

    assert_refused(api_client.get(USER_URL, **bearer(token)), "invalid_token")


def test_issuer_is_enforced_when_configured(api_client, writer, settings):
    settings.SUPABASE_JWT_ISSUER = "https://project.supabase.co/auth/v1"

    assert api_client.get(USER_URL, **auth_header(writer)).status_code == 200
    other_issuer = make_supabase_token(writer.pk, writer.email, iss="https://other.supabase.co/auth/v1")
    assert_refused(api_client.get(USER_URL, **bearer(other_issuer)), "invalid_token")


@pytest.mark.parametrize("value", ["Bearer", "Bearer two parts", "Bearer not-a-jwt", "Bearer a.b.c"])
def test_malformed_authorization_header_is_refused(api_client, value):
    assert_refused(api_client.get(USER_URL, HTTP_AUTHORIZATION=value), "invalid_token")


def test_token_of_deactivated_user_is_refused(api_client, writer):
    writer.is_active = False
    writer.save()

    assert_refused(api_client.get(USER_URL, **auth_header(writer)), "user_inactive")


# --- Tokens signed with keys published as a JWKS ------------------------------------------------


def public_jwk(private_key, kid: str, algorithm: str) -> dict:
    to_jwk = RSAAlgorithm.to_jwk if algorithm == "RS256" else ECAlgorithm.to_jwk
    return {**to_jwk(private_key.public_key(), as_dict=True), "kid": kid, "alg": algorithm, "use": "sig"}


class JWKSHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests += 1
        body = json.dumps(self.server.jwks).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def jwks_server(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), JWKSHandler)
    server.jwks = {"keys": [public_jwk(RSA_KEY, "rsa-1", "RS256"), public_jwk(EC_KEY, "ec-1", "ES256")]}
    server.requests = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # A path of its own, so that no JWKS client cached for an earlier server is reused.
    settings.SUPABASE_JWKS_URL = f"http://127.0.0.1:{server.server_port}/{uuid.uuid4()}/.well-known/jwks.json"
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def asymmetric_token(user: User, private_key, algorithm: str, kid: str | None) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(supabase_claims(user.pk, user.email), private_key, algorithm=algorithm, headers=headers)


@pytest.mark.parametrize(("private_key", "algorithm", "kid"), [(RSA_KEY, "RS256", "rsa-1"), (EC_KEY, "ES256", "ec-1")])
def test_token_signed_with_a_jwks_key_is_accepted(api_client, writer, jwks_server, private_key, algorithm, kid):
    token = asymmetric_token(writer, private_key, algorithm, kid)

    response = api_client.get(USER_URL, **bearer(token))

    assert response.status_code == 200
    assert response.json()["id"] == str(writer.pk)


def test_jwks_is_fetched_once_for_many_requests(api_client, writer, jwks_server):
    for private_key, algorithm, kid in [(RSA_KEY, "RS256", "rsa-1"), (EC_KEY, "ES256", "ec-1")] * 2:
        token = asymmetric_token(writer, private_key, algorithm, kid)
        assert api_client.get(USER_URL, **bearer(token)).status_code == 200

    assert jwks_server.requests == 1


def test_token_signed_with_a_key_not_in_the_jwks_is_refused(api_client, writer, jwks_server):
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    unknown_kid = asymmetric_token(writer, stranger_key, "RS256", "rsa-2")
    known_kid = asymmetric_token(writer, stranger_key, "RS256", "rsa-1")

    assert_refused(api_client.get(USER_URL, **bearer(unknown_kid)), "invalid_token")
    assert_refused(api_client.get(USER_URL, **bearer(known_kid)), "invalid_token")


def test_token_whose_algorithm_differs_from_its_keys_is_refused(api_client, writer, jwks_server):
    token = asymmetric_token(writer, EC_KEY, "ES256", "rsa-1")

    assert_refused(api_client.get(USER_URL, **bearer(token)), "invalid_token")


def test_asymmetric_token_without_kid_is_refused(api_client, writer, jwks_server):
    token = asymmetric_token(writer, RSA_KEY, "RS256", None)

    assert_refused(api_client.get(USER_URL, **bearer(token)), "invalid_token")
    assert jwks_server.requests == 0


def test_asymmetric_token_is_refused_without_a_jwks(api_client, writer, settings):
    settings.SUPABASE_JWKS_URL = ""
    token = asymmetric_token(writer, RSA_KEY, "RS256", "rsa-1")

    assert_refused(api_client.get(USER_URL, **bearer(token)), "invalid_token")


def test_unreachable_jwks_answers_503(api_client, writer, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SUPABASE_JWKS_URL = f"http://127.0.0.1:{port}/jwks.json"
    token = asymmetric_token(writer, RSA_KEY, "RS256", "rsa-1")

    response = api_client.get(USER_URL, **bearer(token))

    assert response.status_code == 503
    assert response.json() == {
        "detail": "The signing keys for access tokens cannot be fetched right now.",
        "code": "signing_keys_unavailable",
    }


# --- POST /auth/token ----------------------------------------------------------------------------


def sign_in(client: APIClient, email: str = "writer@directorstudio.local", password: str = PASSWORD):
    return client.post(TOKEN_URL, {"email": email, "password": password}, format="json")


def test_password_grant_returns_a_working_token_pair(api_client, writer, settings):
    response = sign_in(api_client)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "expires_at", "refresh_token", "user"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["user"] == {"id": str(writer.pk), "email": writer.email}
    claims = jwt.decode(
        body["access_token"], settings.SUPABASE_JWT_SECRET, algorithms=["HS256"], audience="authenticated"
    )
    assert claims["sub"] == str(writer.pk)
    assert claims["email"] == writer.email
    assert claims["role"] == "authenticated"
    assert claims["exp"] == body["expires_at"] == claims["iat"] + 3600
    assert uuid.UUID(claims["session_id"]) == RefreshToken.objects.get(user=writer).session_id
    assert api_client.get(USER_URL, **bearer(body["access_token"])).json()["id"] == str(writer.pk)
    writer.refresh_from_db()
    assert writer.last_login is not None


def test_password_grant_email_is_case_insensitive(api_client, writer):
    assert sign_in(api_client, email=" Writer@DirectorStudio.local").status_code == 200


def test_refresh_tokens_are_stored_hashed(api_client, writer):
    refresh_token = sign_in(api_client).json()["refresh_token"]

    stored = RefreshToken.objects.get(user=writer)
    assert stored.token_hash != refresh_token
    assert len(stored.token_hash) == 64


def test_bad_credentials_get_the_same_401_whatever_is_wrong(api_client, writer):
    wrong_password = sign_in(api_client, password="not the password")
    unknown_email = sign_in(api_client, email="nobody@directorstudio.local")
    writer.is_active = False
    writer.save()
    deactivated = sign_in(api_client)

    for response in (wrong_password, unknown_email, deactivated):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert response.json() == {"detail": "Invalid login credentials.", "code": "invalid_grant"}
    assert not RefreshToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"email": "writer@directorstudio.local"}, {"password"}),
        ({}, {"email", "password"}),
        ({"grant_type": "refresh_token"}, {"refresh_token"}),
    ],
)
def test_token_request_without_required_fields_is_400(api_client, body, missing):
    response = api_client.post(TOKEN_URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == missing


def test_unknown_grant_type_is_400(api_client):
    response = api_client.post(TOKEN_URL + "?grant_type=client_credentials", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"grant_type"}


def refresh(client: APIClient, refresh_token: str, **extra):
    return client.post(
        TOKEN_URL, {"grant_type": "refresh_token", "refresh_token": refresh_token}, format="json", **extra
    )


def test_refresh_grant_rotates_the_pair(api_client, writer):
    first = sign_in(api_client).json()

    response = refresh(api_client, first["refresh_token"])

    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"] == first["user"]
    assert api_client.get(USER_URL, **bearer(second["access_token"])).status_code == 200
    first_claims = jwt.decode(first["access_token"], options={"verify_signature": False})
    second_claims = jwt.decode(second["access_token"], options={"verify_signature": False})
    assert first_claims["session_id"] == second_claims["session_id"]
    assert refresh(api_client, second["refresh_token"]).status_code == 200


def test_refresh_grant_accepts_grant_type_in_the_query_string(api_client, writer):
    refresh_token = sign_in(api_client).json()["refresh_token"]

    response = api_client.post(TOKEN_URL + "?grant_type=refresh_token", {"refresh_token": refresh_token}, format="json")

    assert response.status_code == 200


def test_refresh_ignores_a_stale_access_token_in_the_header(api_client, writer):
    refresh_token = sign_in(api_client).json()["refresh_token"]
    expired = make_supabase_token(writer.pk, writer.email, exp=int(time.time()) - 60)

    assert refresh(api_client, refresh_token, **bearer(expired)).status_code == 200


def test_used_refresh_token_is_refused_and_ends_its_session(api_client, writer):
    first = sign_in(api_client).json()
    other_session = sign_in(api_client).json()
    second = refresh(api_client, first["refresh_token"]).json()

    reused = refresh(api_client, first["refresh_token"])

    assert reused.status_code == 401
    assert reused.json() == {"detail": "Invalid refresh token.", "code": "invalid_grant"}
    assert refresh(api_client, second["refresh_token"]).status_code == 401
    assert refresh(api_client, other_session["refresh_token"]).status_code == 200


@pytest.mark.parametrize("state", ["unknown", "expired", "user deactivated"])
def test_refresh_token_that_cannot_be_used_is_refused(api_client, writer, state):
    refresh_token = sign_in(api_client).json()["refresh_token"]
    if state == "unknown":
        refresh_token = "x" + refresh_token
    elif state == "expired":
        RefreshToken.objects.update(expires_at="2000-01-01T00:00:00Z")
    else:
        User.objects.filter(pk=writer.pk).update(is_active=False)

    assert_refused(refresh(api_client, refresh_token), "invalid_grant")


def test_token_requests_are_throttled(api_client):
    for _ in range(20):
        assert api_client.post(TOKEN_URL, {}, format="json").status_code == 400

    assert api_client.post(TOKEN_URL, {}, format="json").status_code == 429


# --- Logout, browser sessions and the issue_token command ----------------------------------------


def test_logout_revokes_every_refresh_token_of_the_user(api_client, writer):
    pairs = [sign_in(api_client).json() for _ in range(2)]

    response = api_client.post(LOGOUT_URL, **bearer(pairs[0]["access_token"]))

    assert response.status_code == 204
    for pair in pairs:
        assert refresh(api_client, pair["refresh_token"]).status_code == 401


def test_browser_session_signs_in_on_the_api(api_client, writer):
    api_client.force_login(writer)

    response = api_client.get(USER_URL)

    assert response.status_code == 200
    assert response.json()["email"] == writer.email


def test_session_writes_need_the_csrf_token(writer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(writer)

    refused = client.post(LOGOUT_URL)
    client.cookies["csrftoken"] = "k" * 32
    accepted = client.post(LOGOUT_URL, HTTP_X_CSRFTOKEN="k" * 32)

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 204


def test_bearer_writes_need_no_csrf_token(writer):
    client = APIClient(enforce_csrf_checks=True)

    assert client.post(LOGOUT_URL, **auth_header(writer)).status_code == 204


def test_a_bearer_call_is_the_tokens_users_and_leaves_the_browser_session_alone(api_client, writer, settings):
    other = User.objects.create_user("other@directorstudio.local")
    api_client.force_login(writer)

    as_token = api_client.get(USER_URL, **auth_header(other))
    bad_token = api_client.get(USER_URL, **bearer("not-a-token"))

    assert as_token.json()["email"] == "other@directorstudio.local"
    assert "Cookie" not in as_token.get("Vary", "")
    assert settings.SESSION_COOKIE_NAME not in as_token.cookies
    assert bad_token.status_code == 401  # never the session's user instead
    assert api_client.get(USER_URL).json()["email"] == writer.email


def test_issue_token_command_prints_a_working_token(api_client, writer):
    out = StringIO()

    call_command("issue_token", "Writer@directorstudio.local", stdout=out)

    assert api_client.get(USER_URL, **bearer(out.getvalue().strip())).json()["id"] == str(writer.pk)


def test_issue_token_command_rejects_unknown_email(db):
    with pytest.raises(CommandError, match="No user"):
        call_command("issue_token", "nobody@directorstudio.local")

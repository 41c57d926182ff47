"""Hardening: hostile input never gets a 5xx, claims are checked, faults answer 503, production defaults are safe."""

import base64
import importlib
import json
import logging
import os
import runpy
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from pathlib import Path

import httpx
import jwt
import pytest
from django.contrib import admin
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone as django_timezone

from clips.models import ClipJob
from directorstudio.accounts.models import RefreshToken, User
from directorstudio.accounts.services import PLACEHOLDER_EMAIL_DOMAIN, refresh_tokens_purge
from directorstudio.accounts.tasks import REFRESH_TOKENS_PURGE_TASK, refresh_tokens_purge_task
from tests.stores import S3StoreUnderTest
from tests.tokens import make_supabase_token, supabase_claims

pytestmark = pytest.mark.django_db

REPO_DIR = Path(__file__).resolve().parent.parent
USER_URL = "/api/v1/auth/user"
TOKEN_URL = "/api/v1/auth/token"
PASSWORD = "a long writer's password"


@pytest.fixture(autouse=True)
def fast_hashing_and_fresh_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def b64(part: bytes) -> str:
    return base64.urlsafe_b64encode(part).rstrip(b"=").decode()


def forged_token(header: dict, claims: dict | None = None) -> str:
    """A token with exactly this header and these claims, and a signature that checks nothing."""
    claims = claims or {"sub": str(uuid.uuid4())}
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(b'signature')}"


def signed_token(claims: dict) -> str:
    """A token signed with the project's secret carrying exactly these claims (non-standard JSON allowed)."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims, allow_nan=True).encode())
    signature = jwt.api_jws.get_algorithm_by_name("HS256").sign(
        f"{header}.{payload}".encode(), jwt.api_jws.get_algorithm_by_name("HS256").prepare_key(secret())
    )
    return f"{header}.{payload}.{b64(signature)}"


def secret() -> str:
    from django.conf import settings

    return settings.SUPABASE_JWT_SECRET


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]


# --- 1. Deeply nested JSON ------------------------------------------------------------------------


@pytest.mark.parametrize("url", [TOKEN_URL, "/api/v1/screenplays/", "/api/v1/clip_jobs/"])
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deeply_nested_json_is_a_parse_error(api_client, alice, url, opening):
    closing = "]" if opening == "[" else "}"
    body = opening * 1000 + "1" + closing * 1000

    response = api_client.post(url, body, content_type="application/json", **bearer(make_supabase_token(alice.pk)))

    assert_error(response, 400, "parse_error")


def test_json_nested_within_the_limit_is_parsed(api_client, alice):
    body = "[" * 64 + "]" * 64

    response = api_client.post(TOKEN_URL, body, content_type="application/json")

    assert response.status_code == 400  # the serializer's refusal of a list, not a parse error
    assert "code" not in response.json() or response.json()["code"] != "parse_error"


def test_brackets_inside_strings_do_not_count_as_nesting(api_client):
    body = json.dumps({"email": "writer@example.com", "password": "[" * 500 + '"{' * 300})

    response = api_client.post(TOKEN_URL, body, content_type="application/json")

    assert_error(response, 401, "invalid_grant")


# --- 2. Token headers and claims of every JSON type --------------------------------------------------

JSON_VALUES = [None, True, 0, -1, 1.5, 10**40, "", "HS256x", ["HS256"], {"alg": "HS256"}]


@pytest.mark.parametrize("name", ["alg", "kid", "typ"])
@pytest.mark.parametrize("value", JSON_VALUES, ids=repr)
def test_token_header_of_any_json_type_is_refused_not_a_crash(api_client, name, value):
    header = {"alg": "HS256", "typ": "JWT", name: value}

    response = api_client.get(USER_URL, **bearer(forged_token(header)))

    assert_error(response, 401, "invalid_token")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"exp": "2100-01-01"}, id="exp string"),
        pytest.param({"exp": "4102444800"}, id="exp numeric string in 2100"),
        pytest.param({"exp": 4102444800.5}, id="exp float in 2100"),
        pytest.param({"exp": True}, id="exp boolean"),
        pytest.param({"exp": 10**30}, id="exp huge"),
        pytest.param({"exp": float("inf")}, id="exp infinity"),
        pytest.param({"exp": float("nan")}, id="exp nan"),
        pytest.param({"exp": [1]}, id="exp list"),
        pytest.param({"iat": "now"}, id="iat string"),
        pytest.param({"iat": float("inf")}, id="iat infinity"),
        pytest.param({"iat": 10**30}, id="iat huge"),
        pytest.param({"nbf": "soon"}, id="nbf string"),
        pytest.param({"nbf": float("-inf")}, id="nbf minus infinity"),
        pytest.param({"nbf": 10**30}, id="nbf huge"),
        pytest.param({"sub": 12345}, id="sub integer"),
        pytest.param({"sub": {"id": 1}}, id="sub object"),
        pytest.param({"sub": ["a"]}, id="sub list"),
        pytest.param({"sub": "not-a-uuid"}, id="sub string"),
        pytest.param({"aud": {"authenticated": True}}, id="aud object"),
        pytest.param({"aud": 1}, id="aud integer"),
        pytest.param({"aud": [1, None]}, id="aud list of non-strings"),
        pytest.param({"iss": ["x"]}, id="iss list"),
        pytest.param({"role": ["authenticated"]}, id="role list"),
    ],
)
def test_signed_token_with_claims_of_odd_types_is_refused_not_a_crash(api_client, alice, claims):
    token = signed_token(supabase_claims(alice.pk, alice.email) | claims)

    response = api_client.get(USER_URL, **bearer(token))

    assert_error(response, 401, "token_expired" if claims.get("exp") is True else "invalid_token")


def test_audience_list_naming_ours_is_accepted(api_client, alice):
    token = make_supabase_token(alice.pk, alice.email, aud=["other", "authenticated"])

    assert api_client.get(USER_URL, **bearer(token)).status_code == 200


# --- 3. Odd email claims of new users ------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("nul\x00@example.com", id="NUL"),
        pytest.param("a" * 995 + "@example.com", id="1007 characters"),
        pytest.param("not an address", id="not an address"),
        pytest.param(12345, id="integer"),
        pytest.param({"address": "a@example.com"}, id="object"),
        pytest.param(["a@example.com"], id="list"),
        pytest.param(True, id="boolean"),
        pytest.param("", id="empty: a phone user"),
    ],
)
def test_new_user_with_an_unusable_email_claim_is_provisioned_without_it(api_client, email):
    user_id = uuid.uuid4()

    response = api_client.get(USER_URL, **bearer(make_supabase_token(user_id, email=email)))

    assert response.status_code == 200, response.content
    assert response.json() == {"id": str(user_id), "email": f"{user_id}@{PLACEHOLDER_EMAIL_DOMAIN}"}
    assert User.objects.filter(pk=user_id).exists()


# --- 4. Date drilldowns of the admin changelists -----------------------------------------------------


@pytest.fixture
def staff_client(client):
    from directorstudio.demo.services import seed_demo_data

    seed_demo_data(password=PASSWORD)
    admin_user = User.objects.create_superuser("hardening-admin@example.com", PASSWORD)
    client.force_login(admin_user)
    return client


BAD_DRILLDOWNS = [
    {"year": "99999"},
    {"year": "9999"},
    {"year": "9999", "month": "12"},
    {"year": "9999", "month": "12", "day": "31"},
    {"year": "0"},
    {"year": "-1"},
    {"year": "abc"},
    {"year": "2026", "month": "13"},
    {"year": "2026", "month": "0"},
    {"year": "2026", "month": "abc"},
    {"year": "2026", "month": "2", "day": "32"},
    {"year": "2026", "month": "2", "day": "30"},
    {"year": "2026", "month": "2", "day": "x"},
    {"year": "1", "month": "1", "day": "1"},
    {"month": "5"},
    {"day": "5"},
]


def test_every_date_hierarchy_answers_bad_drilldowns_without_a_5xx(staff_client, subtests):
    changelists = [
        (model, model_admin) for model, model_admin in admin.site._registry.items() if model_admin.date_hierarchy
    ]
    assert len(changelists) >= 10

    for model, model_admin in changelists:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for drilldown in BAD_DRILLDOWNS:
            params = {f"{model_admin.date_hierarchy}__{part}": value for part, value in drilldown.items()}
            with subtests.test(model=model.__name__, params=params):
                response = staff_client.get(url, params, follow=True)
                assert response.status_code in {200, 400}, response.status_code


# --- 5. Claims: role, issuer, lifetime -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["anon", "service_role", "", None, "Authenticated"], ids=repr)
def test_token_without_the_authenticated_role_is_refused(api_client, alice, role):
    token = make_supabase_token(alice.pk, alice.email, role=role)

    assert_error(api_client.get(USER_URL, **bearer(token)), 401, "invalid_token")


def test_token_of_another_issuer_is_refused_when_the_issuer_is_configured(api_client, alice, settings):
    settings.SUPABASE_JWT_ISSUER = "https://project.supabase.co/auth/v1"

    assert api_client.get(USER_URL, **bearer(make_supabase_token(alice.pk))).status_code == 200
    for issuer in ("https://other.supabase.co/auth/v1", "", None):
        token = make_supabase_token(alice.pk, iss=issuer)
        assert_error(api_client.get(USER_URL, **bearer(token)), 401, "invalid_token")


def test_token_living_longer_than_the_maximum_lifetime_is_refused(api_client, alice, settings):
    now = int(time.time())

    six_days = make_supabase_token(alice.pk, exp=now + 6 * 86400)
    eight_days = make_supabase_token(alice.pk, exp=now + 8 * 86400)
    a_century = make_supabase_token(alice.pk, exp=now + 100 * 365 * 86400)

    assert timedelta(days=7) == settings.ACCESS_TOKEN_MAX_LIFETIME
    assert api_client.get(USER_URL, **bearer(six_days)).status_code == 200
    assert_error(api_client.get(USER_URL, **bearer(eight_days)), 401, "invalid_token")
    assert_error(api_client.get(USER_URL, **bearer(a_century)), 401, "invalid_token")
    settings.ACCESS_TOKEN_MAX_LIFETIME = timedelta(hours=1)
    assert_error(
        api_client.get(USER_URL, **bearer(make_supabase_token(alice.pk, exp=now + 7200))), 401, "invalid_token"
    )


def test_tokens_the_server_issues_pass_its_own_checks(api_client, settings):
    settings.SUPABASE_JWT_ISSUER = "https://project.supabase.co/auth/v1"
    User.objects.create_user("writer@example.com", PASSWORD)

    pair = api_client.post(TOKEN_URL, {"email": "writer@example.com", "password": PASSWORD}, format="json").json()

    assert api_client.get(USER_URL, **bearer(pair["access_token"])).status_code == 200


# --- 8. JSON errors under /api/, 503 while the database is down ----------------------------------------


@contextmanager
def database_unreachable():
    """The default database's server cannot be reached (as while it restarts) until the block ends."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="/nonexistent/socket/dir", PORT="5")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no_such_resource/")

    assert response["Content-Type"] == "application/json"
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_api_path_is_the_same_json_404_with_debug_on_or_off(client, settings, debug):
    settings.DEBUG = debug

    response = client.get("/api/v1/no_such_resource/", {"page": "2"})
    page = client.get("/no-such-page/")

    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_unknown_page_is_still_an_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_unexpected_api_error_is_a_json_500(alice, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("directorstudio.accounts.api.UserApi.get", crash)
    client = Client(raise_request_exception=False)

    response = client.get(USER_URL, **bearer(make_supabase_token(alice.pk)))

    assert response["Content-Type"] == "application/json"
    assert_error(response, 500, "server_error")
    assert "a bug" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_api_answers_503_while_the_database_is_down_and_recovers_without_a_restart(api_client):
    user = User.objects.create_user("writer@example.com")
    header = bearer(make_supabase_token(user.pk))

    with database_unreachable():
        down = api_client.get("/api/v1/screenplays/", **header)
        token_down = api_client.post(TOKEN_URL, {"email": "writer@example.com", "password": "x"}, format="json")

    assert_error(down, 503, "database_unavailable")
    assert int(down["Retry-After"]) > 0
    assert_error(token_down, 503, "database_unavailable")
    assert api_client.get("/api/v1/screenplays/", **header).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_pages_answer_an_html_503_while_the_database_is_down(client):
    client.force_login(User.objects.create_user("writer@example.com"))

    with database_unreachable():
        down = Client(raise_request_exception=False, HTTP_COOKIE=client.cookies.output(header="", sep=";")).get(
            "/screenplays/"
        )

    assert down.status_code == 503
    assert down["Content-Type"].startswith("text/html")
    assert int(down["Retry-After"]) > 0
    assert b"try again" in down.content.lower()
    assert client.get("/screenplays/").status_code == 200


def test_the_status_poll_is_prepared_once_per_connection(api_client):
    user = User.objects.create_user("writer@example.com")
    job = ClipJob.objects.create(user_id=user.pk, user_key="key", prompt="A lighthouse", status="queued")
    header = bearer(make_supabase_token(user.pk))

    for _ in range(6):
        assert api_client.get(f"/api/v1/clip_jobs/{job.pk}/", **header).status_code == 200

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ['%FROM "clip_jobs"%'])
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert len(prepared) == 1, prepared
    assert '"clip_jobs"."user_id" = $' in prepared[0]


def django_probe(code: str, **environment: str) -> list[str]:
    """The lines a fresh Python process prints running `code` after django.setup(), with these settings."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "directorstudio.settings", **environment}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    return result.stdout.splitlines()


def test_behind_a_transaction_pooler_nothing_is_prepared():
    printed = django_probe(
        "from django.conf import settings; import json;"
        " print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))",
        DATABASE_PREPARED_STATEMENTS="0",
    )

    options = json.loads(printed[-1])
    assert options.get("server_side_binding", False) is False
    assert options.get("prepare_threshold") is None


def other_backends_terminate() -> None:
    """End every other session of the test database, as a restart would, and wait until they are gone."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError("the other sessions did not end")


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_the_server_ended_is_replaced_before_a_request_uses_it(live_server):
    user = User.objects.create_user("writer@example.com")
    job = ClipJob.objects.create(user_id=user.pk, user_key="key", prompt="A lighthouse", status="queued")
    headers = {"Authorization": f"Bearer {make_supabase_token(user.pk)}"}
    with httpx.Client(base_url=live_server.url, headers=headers) as http:
        assert http.get(f"/api/v1/clip_jobs/{job.pk}/").status_code == 200

        other_backends_terminate()  # the live server's kept connection among them

        after = http.get(f"/api/v1/clip_jobs/{job.pk}/")
    assert after.status_code == 200
    assert after.json()["status"] == "queued"


# --- 9. Production shape: health, readiness, request logs, gunicorn, the refresh token purge ------------


def test_healthz_answers_without_the_database(client, django_assert_num_queries, settings):
    settings.SECURE_SSL_REDIRECT = True

    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_healthz_stays_up_while_the_database_is_down():
    with database_unreachable():
        response = Client(raise_request_exception=False).get("/healthz")

    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_readyz_says_whether_the_database_answers(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client(raise_request_exception=False)

    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}
    with database_unreachable():
        down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json()["database"] == "unavailable"
    assert int(down["Retry-After"]) > 0
    assert client.get("/readyz").status_code == 200


def request_log_lines(caplog) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "directorstudio.requests"]


def test_each_request_logs_one_json_line_with_its_request_id(client, caplog):
    caplog.set_level(logging.INFO, logger="directorstudio.requests")

    response = client.get("/healthz?page=2", HTTP_X_REQUEST_ID="req-123.abc_DEF")
    generated = client.get("/healthz")

    first, second = request_log_lines(caplog)
    assert response["X-Request-ID"] == "req-123.abc_DEF"
    assert first["request_id"] == "req-123.abc_DEF"
    assert {"method": "GET", "path": "/healthz", "query": "page=2", "status": 200}.items() <= first.items()
    assert isinstance(first["duration_ms"], float)
    assert len(generated["X-Request-ID"]) == 32
    assert second["request_id"] == generated["X-Request-ID"]


@pytest.mark.parametrize("request_id", ["x" * 200, "bad id with spaces", "new\nline", "é"])
def test_an_unsafe_request_id_is_replaced(client, caplog, request_id):
    caplog.set_level(logging.INFO, logger="directorstudio.requests")

    response = client.get("/healthz", HTTP_X_REQUEST_ID=request_id)

    assert response["X-Request-ID"] != request_id
    assert request_log_lines(caplog)[0]["request_id"] == response["X-Request-ID"]


def test_a_request_log_line_has_the_client_address_and_the_bytes_sent(client, caplog):
    caplog.set_level(logging.INFO, logger="directorstudio.requests")

    response = client.get("/healthz", REMOTE_ADDR="192.0.2.7")

    (line,) = request_log_lines(caplog)
    assert (line["client"], line["bytes"], line["status"]) == ("192.0.2.7", len(response.content), 200)


def test_the_dev_servers_own_access_line_is_not_logged(caplog):
    """runserver logs each request to django.server, signed clip URLs whole: the JSON line is the only one."""
    caplog.set_level(logging.INFO)
    access = logging.getLogger("django.server")

    access.info('"%s" %s %s', "GET /media/clips/x.mp4?signature=s3cr3t HTTP/1.1", "200", "512")
    access.warning('"%s" %s %s', "GET /media/clips/x.mp4?signature=s3cr3t HTTP/1.1", "404", "0")

    assert "s3cr3t" not in caplog.text
    assert not access.propagate
    assert access.handlers and all(isinstance(handler, logging.NullHandler) for handler in access.handlers)


def test_bin_run_serves_on_loopback_unless_host_opens_it():
    script = (REPO_DIR / "bin" / "run").read_text()

    assert "HOST=${HOST:-127.0.0.1}" in script
    assert 'runserver "${HOST}:${PORT}"' in script
    assert "0.0.0.0" not in script.replace("HOST=0.0.0.0 opens it", "")


def test_request_logs_hold_no_tokens_cookies_or_secrets(client, alice, caplog):
    caplog.set_level(logging.INFO, logger="directorstudio.requests")
    token = make_supabase_token(alice.pk)
    client.cookies["sessionid"] = "session-cookie-value"

    client.get(f"{USER_URL}?access_token=query-secret&token=t0ken&page=3", **bearer(token))
    client.post(TOKEN_URL, {"email": "a@example.com", "password": "body-secret"}, content_type="application/json")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret_value in (token, "query-secret", "t0ken", "session-cookie-value", "body-secret", "Bearer"):
        assert secret_value not in logged
    get_line, post_line = request_log_lines(caplog)
    assert get_line["status"] == 200 and post_line["status"] == 401
    assert "page=3" in get_line["query"]


def test_gunicorn_configuration_is_production_shaped(monkeypatch, tmp_path):
    monkeypatch.setenv("WEB_CONCURRENCY", "")
    # Named here, so that reading the configuration does not make this process a multiprocess metrics one.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    config = runpy.run_path(str(REPO_DIR / "gunicorn.conf.py"))

    assert config["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert config["timeout"] > 0 and config["graceful_timeout"] > 0
    assert config["max_requests"] > 0 and 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["accesslog"] is None  # one line per request: the app's (tests/test_logs.py)
    assert "X-Request-ID" in config["access_log_format"] or "x-request-id" in config["access_log_format"]
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "-")
    config = runpy.run_path(str(REPO_DIR / "gunicorn.conf.py"))
    assert (config["workers"], config["accesslog"]) == (3, "-")


def test_gunicorn_accepts_its_configuration():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 50, "SUPABASE_JWT_SECRET": "y" * 40}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", "gunicorn.conf.py", "directorstudio.wsgi"],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def make_refresh_token(user: User, *, expires_in: timedelta, revoked_ago: timedelta | None = None) -> RefreshToken:
    now = django_timezone.now()
    return RefreshToken.objects.create(
        user=user,
        session_id=uuid.uuid4(),
        token_hash=uuid.uuid4().hex * 2,
        expires_at=now + expires_in,
        revoked_at=None if revoked_ago is None else now - revoked_ago,
    )


def test_purge_deletes_expired_tokens_and_tokens_revoked_longer_ago_than_the_retention(alice, settings):
    assert timedelta(hours=24) == settings.REFRESH_TOKEN_REVOKED_RETENTION
    live = make_refresh_token(alice, expires_in=timedelta(days=1))
    just_revoked = make_refresh_token(alice, expires_in=timedelta(days=1), revoked_ago=timedelta(hours=1))
    make_refresh_token(alice, expires_in=timedelta(seconds=-1))
    make_refresh_token(alice, expires_in=timedelta(days=1), revoked_ago=timedelta(hours=25))

    assert refresh_tokens_purge() == 2

    assert set(RefreshToken.objects.all()) == {live, just_revoked}


def test_purge_command_and_periodic_task_purge(alice):
    make_refresh_token(alice, expires_in=timedelta(seconds=-1))
    out = StringIO()

    call_command("purge_refresh_tokens", stdout=out)

    assert "1" in out.getvalue()
    assert not RefreshToken.objects.exists()
    make_refresh_token(alice, expires_in=timedelta(seconds=-1))
    refresh_tokens_purge_task(timestamp=int(time.time()))
    assert not RefreshToken.objects.exists()


def test_purge_task_is_periodic_and_discovered_by_the_worker():
    printed = django_probe(
        "from procrastinate.contrib.django import app; print(sorted(app.tasks));"
        " print(sorted(name for name, _ in app.periodic_registry.periodic_tasks))",
        DEBUG="1",
    )

    registered, periodic = printed[-2:]
    assert REFRESH_TOKENS_PURGE_TASK in registered
    assert REFRESH_TOKENS_PURGE_TASK in periodic


def test_request_logs_redact_secrets_in_paths(client, caplog):
    caplog.set_level(logging.INFO, logger="directorstudio.requests")

    client.get("/accounts/reset/MTIz/c0ffee-reset-token/")

    (line,) = request_log_lines(caplog)
    assert "c0ffee-reset-token" not in json.dumps(line)
    assert line["path"] == "/accounts/reset/MTIz/redacted/"


# --- 6. Rate limits in a cache every worker shares --------------------------------------------------------


@pytest.fixture
def small_sign_in_limits(settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = 3
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 5


def admin_login(client, email: str, password: str, address: str = "203.0.113.9"):
    return client.post(
        reverse("admin:login"), {"username": email, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def test_admin_login_is_limited_per_account(client, small_sign_in_limits):
    User.objects.create_superuser("staff@example.com", PASSWORD)
    for attempt in range(3):
        assert admin_login(client, "staff@example.com", "wrong", address=f"203.0.113.{attempt}").status_code == 200

    refused = admin_login(client, "staff@example.com", PASSWORD, address="198.51.100.7")

    assert refused.status_code == 200
    assert b"Too many failed sign-in attempts" in refused.content
    assert "_auth_user_id" not in client.session


def test_admin_login_is_limited_per_address(client, small_sign_in_limits):
    User.objects.create_superuser("staff@example.com", PASSWORD)
    for attempt in range(5):
        admin_login(client, f"guess{attempt}@example.com", "wrong")

    refused = admin_login(client, "staff@example.com", PASSWORD)

    assert b"Too many failed sign-in attempts" in refused.content
    assert admin_login(client, "staff@example.com", PASSWORD, address="198.51.100.7").status_code == 302


def token_request(api_client, email: str, password: str, address: str):
    return api_client.post(TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=address)


def test_token_password_grant_is_limited_per_account(api_client, small_sign_in_limits):
    User.objects.create_user("writer@example.com", PASSWORD)
    for attempt in range(3):
        assert_error(
            token_request(api_client, "writer@example.com", "wrong", f"203.0.113.{attempt}"), 401, "invalid_grant"
        )

    refused = token_request(api_client, "Writer@Example.com", PASSWORD, "198.51.100.7")

    assert_error(refused, 429, "throttled")
    assert int(refused["Retry-After"]) > 0


def test_token_password_grant_is_limited_per_address(api_client, small_sign_in_limits):
    User.objects.create_user("writer@example.com", PASSWORD)
    for attempt in range(5):
        token_request(api_client, f"guess{attempt}@example.com", "wrong", "203.0.113.9")

    assert_error(token_request(api_client, "writer@example.com", PASSWORD, "203.0.113.9"), 429, "throttled")
    assert token_request(api_client, "writer@example.com", PASSWORD, "198.51.100.7").status_code == 200


def test_rate_limits_count_in_the_database_cache_by_default(settings):
    from django.core.cache.backends.db import DatabaseCache

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert settings.CACHES["default"]["LOCATION"] == "django_cache"
    cache.set("shared-by-workers", 7)
    # Another worker has its own cache object on the same table.
    assert DatabaseCache("django_cache", {}).get("shared-by-workers") == 7


def test_migrate_creates_the_cache_table():
    migration = importlib.import_module("directorstudio.accounts.migrations.0003_cache_table")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE django_cache")

    migration.create_cache_tables(None, connection.schema_editor())

    assert "django_cache" in connection.introspection.table_names()
    cache.set("after-migrate", 1)
    assert cache.get("after-migrate") == 1


# --- 7. Safe defaults: HTTPS, HSTS, the proxy header, the Content-Security-Policy ---------------------------

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k8Jd93nfQ0pl2mZxv7Rt5YwLs1AeHu4gBc6NiO9rTq3WzXy8PvKd-production-like",
    "SUPABASE_JWT_SECRET": "a-supabase-projects-jwt-secret-of-forty-characters",
    "SUPABASE_JWT_ISSUER": "https://project.supabase.co/auth/v1",
    "ALLOWED_HOSTS": "studio.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://studio.example.com",
    "BEHIND_PROXY": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def manage_py(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name not in PRODUCTION_ENV and name != "NUM_PROXIES"}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=REPO_DIR,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage_py("check", "--deploy", **PRODUCTION_ENV)

    issues = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if line.startswith("?: (")]
    assert issues == [], result.stderr
    assert "System check identified no issues" in result.stdout


SETTINGS_PROBE = (
    "import django; django.setup(); from django.conf import settings as s; import json; print(json.dumps("
    "[s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
    " getattr(s, 'SECURE_PROXY_SSL_HEADER', None)]))"
)


@pytest.mark.parametrize(
    ("environment", "redirect", "proxy_header"),
    [
        pytest.param({}, False, None, id="no proxy: X-Forwarded-Proto is not trusted"),
        pytest.param({"BEHIND_PROXY": "1"}, True, ["HTTP_X_FORWARDED_PROTO", "https"], id="behind a proxy"),
        pytest.param({"NUM_PROXIES": "1"}, True, ["HTTP_X_FORWARDED_PROTO", "https"], id="one proxy"),
        pytest.param({"BEHIND_PROXY": "1", "SECURE_SSL_REDIRECT": "0"}, False, ["HTTP_X_FORWARDED_PROTO", "https"]),
    ],
)
def test_production_defaults_and_when_the_proxy_header_is_trusted(environment, redirect, proxy_header):
    env = {**PRODUCTION_ENV, "BEHIND_PROXY": "0", **environment, "DJANGO_SETTINGS_MODULE": "directorstudio.settings"}
    env = {**{k: v for k, v in os.environ.items() if k not in env and k != "NUM_PROXIES"}, **env}

    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE], cwd=REPO_DIR, env=env, capture_output=True, text=True
    )

    assert json.loads(result.stdout.splitlines()[-1]) == [redirect, 365 * 24 * 3600, True, True, proxy_header]


def test_forwarded_proto_is_ignored_without_a_proxy(client):
    response = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")

    assert "Strict-Transport-Security" not in response


def content_security_policy(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return {directive[0]: directive[1:] for directive in directives}


def test_pages_get_a_policy_of_the_apps_own_files_with_a_fresh_nonce(client):
    first, second = (
        content_security_policy(client.get("/accounts/login/")),
        content_security_policy(client.get("/accounts/login/")),
    )

    assert first["default-src"] == ["'self'"]
    assert first["object-src"] == ["'none'"] and first["frame-ancestors"] == ["'none'"]
    assert first["media-src"] == ["'self'"]
    nonce = next(source for source in first["script-src"] if source.startswith("'nonce-"))
    assert first["script-src"] == ["'self'", nonce]
    assert nonce != next(source for source in second["script-src"] if source.startswith("'nonce-"))
    assert not any("unsafe" in source for source in first["script-src"])


def test_with_files_on_s3_pages_may_load_images_and_media_from_the_store(client, settings, s3_store):
    S3StoreUnderTest(settings=settings, store=s3_store, location="csp").use()

    policy = content_security_policy(client.get("/accounts/login/"))

    assert policy["media-src"] == ["'self'", s3_store.endpoint_url.rstrip("/")]
    assert policy["img-src"] == ["'self'", "data:", s3_store.endpoint_url.rstrip("/")]
    assert policy["connect-src"] == ["'self'"]


def test_json_answers_get_a_policy_that_loads_nothing(client):
    api_answer = client.get("/api/v1/no_such_resource/")
    api_docs = client.get("/api/docs/")

    assert api_answer["Content-Type"] == "application/json"
    assert content_security_policy(api_answer) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
    assert content_security_policy(api_docs)["default-src"] == ["'self'"]


def test_templates_get_the_requests_nonce():
    from django.template import engines

    from directorstudio.csp import ContentSecurityPolicyMiddleware

    template = engines["django"].from_string('<script type="importmap" nonce="{{ csp_nonce }}">{}</script>')
    request = RequestFactory().get("/")

    response = ContentSecurityPolicyMiddleware(lambda request: HttpResponse(template.render(request=request)))(request)

    nonce = request.csp_nonce
    assert len(nonce) >= 16
    assert f'nonce="{nonce}"' in response.content.decode()
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_policy_can_be_report_only_and_each_directive_set(client, settings):
    settings.CSP_REPORT_ONLY = True
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "img-src": ["'self'", "https://cdn.test"]}

    response = client.get("/accounts/login/")

    assert "Content-Security-Policy" not in response
    assert "img-src 'self' https://cdn.test" in response["Content-Security-Policy-Report-Only"]

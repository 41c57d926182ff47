"""Hostile requests against `/auth/v1` and `/storage/v1`: never a 5xx, every refusal in its protocol's body.

`tests/test_facade_fuzz.py` does the same for `/rest/v1`. Hypothesis builds paths from each protocol's
routes with hostile parts, methods, JSON and non-JSON bodies, multipart bodies with odd part names, and
headers (`apikey`, a bearer token that is good, forged, expired or junk, `Range`, `x-upsert`,
`Content-Type`), sent by alice; bob's object and account must come out as they went in.
"""

from __future__ import annotations

import orjson
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directorstudio.accounts.models import User
from directorstudio.facade.keys import anon_key_issue
from tests.stores import LocalStore
from tests.tokens import make_supabase_token

FUZZ_SETTINGS = settings(
    max_examples=200, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
HOSTILE = (
    '"', "'", "(", ")", ",", ".", "..", "../..", "*", "\\", "\x00", "%00", "%2e%2e", "{", "}", "[", "]", "é", "💥",
    "\u202e", " ", "\n", "-", "9" * 40, "null", "true", "videos", "clips", "p/1.mp4", "a" * 600, "//", "?", "#",
)  # fmt: skip
AUTH_ROUTES = ("signup", "token", "user", "logout", "recover", "settings", "health", "verify", "otp", "admin/users")
STORAGE_ROUTES = (
    "bucket", "bucket/videos", "bucket/videos/empty", "object/list/videos", "object/move", "object/copy",
    "object/sign/videos", "object/sign/videos/p/1.mp4", "object/info/videos/p/1.mp4", "object/videos",
    "object/videos/p/1.mp4", "object/clips/x.mp4", "object/authenticated/videos/p/1.mp4",
    "object/public/videos/p/1.mp4", "object/sign/videos/p/1.mp4?token=junk",
)  # fmt: skip
GRANTS = ("password", "refresh_token", "id_token", "pkce", "", "junk")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELDS = (
    "email", "password", "refresh_token", "id_token", "nonce", "provider", "data", "prefix", "limit", "offset",
    "sortBy", "search", "prefixes", "expiresIn", "paths", "bucketId", "sourceKey", "destinationKey", "name",
)  # fmt: skip


def hostile_text(max_size: int = 4):
    return st.lists(st.sampled_from(HOSTILE) | st.text(max_size=8), max_size=max_size).map("".join)


@st.composite
def bodies(draw) -> tuple[bytes, str]:
    """A body and its content type: JSON objects with the protocols' fields, junk, or a multipart form."""
    kind = draw(st.sampled_from(["object", "json", "junk", "multipart", "empty"]))
    if kind == "object":
        keys = draw(st.lists(st.sampled_from(FIELDS) | st.text(max_size=10), max_size=6))
        body = {key: draw(JSON_VALUES | hostile_text()) for key in keys}
        return orjson.dumps(body), "application/json"
    if kind == "json":
        return orjson.dumps(draw(JSON_VALUES)), "application/json"
    if kind == "junk":
        return draw(st.binary(max_size=200)), draw(st.sampled_from(["application/json", "text/plain", "video/mp4"]))
    if kind == "multipart":
        name = draw(st.sampled_from(["", "file", "cacheControl", "metadata"]) | hostile_text(2))
        content = draw(st.binary(max_size=120))
        boundary = "fuzzboundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="x.mp4"\r\n'
                f"Content-Type: video/mp4\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return body, f"multipart/form-data; boundary={draw(st.sampled_from([boundary, 'other', '']))}"
    return b"", "application/json"


@st.composite
def requests(draw, prefix: str) -> tuple[str, str, bytes, dict[str, str]]:
    routes = AUTH_ROUTES if prefix == "auth" else STORAGE_ROUTES
    route = draw(st.sampled_from(routes))
    if draw(st.booleans()):
        route = f"{route}/{draw(hostile_text())}"
    query = ""
    if prefix == "auth" and route.startswith("token"):
        query = f"?grant_type={draw(st.sampled_from(GRANTS) | hostile_text())}"
    elif prefix == "auth" and route.startswith("logout"):
        query = f"?scope={draw(st.sampled_from(['global', 'local', 'others']) | hostile_text())}"
    body, content_type = draw(bodies())
    headers = {"Content-Type": content_type}
    for name, values in (
        ("Range", st.sampled_from(["bytes=0-1", "bytes=9-1", "bytes=-5", "bytes=abc", "items=0-1"]) | hostile_text()),
        ("x-upsert", st.sampled_from(["true", "false", "maybe"])),
        ("Cache-Control", st.sampled_from(["3600", "no-cache\r\nX-Bad: 1"]) | hostile_text()),
    ):
        if draw(st.booleans()):
            headers[name] = draw(values)
    return draw(st.sampled_from(METHODS)), f"/{prefix}/v1/{route}{query}", body, headers


@pytest.fixture
def credentials(alice, bob) -> dict[str, str]:
    """The bearer tokens a fuzzed request may carry: alice's, an expired one, a forged one, junk, none."""
    alice.set_password("a long enough password 1")
    alice.save()
    return {
        "alice": make_supabase_token(alice.pk, alice.email),
        "expired": make_supabase_token(alice.pk, alice.email, exp=1),
        "forged": make_supabase_token(alice.pk, alice.email)[:-4] + "abcd",
        "junk": "not.a.jwt",
        "none": "",
    }


def _sent(client: Client, method: str, path: str, body: bytes, headers: dict[str, str], token: str, api_key: str):
    meta = {
        f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items() if name != "Content-Type"
    }
    meta["HTTP_APIKEY"] = api_key
    if token:
        meta["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.generic(method, path, data=body, content_type=headers["Content-Type"], **meta)


def _fuzz(prefix: str, credentials: dict[str, str], bob: User) -> None:
    client = Client(raise_request_exception=False)
    anon = anon_key_issue()
    bob_before = (bob.email, bob.password, bob.is_active)

    @FUZZ_SETTINGS
    @given(
        request=requests(prefix),
        who=st.sampled_from(sorted(credentials)),
        api_key=st.sampled_from(["anon", "missing", "junk"]),
    )
    def one(request, who, api_key) -> None:
        method, path, body, headers = request
        key = {"anon": anon, "missing": "", "junk": "junk"}[api_key]
        response = _sent(client, method, path, body, headers, credentials[who], key)
        # Apple's keys are unreachable here (no traffic leaves the machine): GoTrue's 503, as the docs say.
        apple_down = response.status_code == 503 and "grant_type=id_token" in path
        assert response.status_code < 500 or apple_down, (method, path, headers, body[:200], response.content[:300])
        if response.status_code >= 400 and method != "HEAD" and response.content:
            error = response.json()
            expected = {"code", "msg"} if prefix == "auth" else {"statusCode", "error", "message"}
            assert expected <= set(error) or {"error", "error_description"} <= set(error) or "message" in error, error

    one()
    bob.refresh_from_db()
    assert (bob.email, bob.password, bob.is_active) == bob_before


@pytest.mark.django_db
def test_hostile_requests_to_auth_answer_no_server_error(credentials, bob, settings) -> None:
    settings.APPLE_ID_TOKEN_JWKS_URL = "http://127.0.0.1:9/keys"  # a closed port on this machine
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth_token": "100000/min"}}
    _fuzz("auth", credentials, bob)


@pytest.mark.django_db
def test_hostile_requests_to_storage_answer_no_server_error(credentials, bob, settings, tmp_path) -> None:
    LocalStore(settings=settings, root=tmp_path / "media").use()
    _fuzz("storage", credentials, bob)

"""The floor of bench/http_bench.py: the API's two hottest reads as a WSGI app with no framework.

`gunicorn -c gunicorn.conf.py bench.floor:application` with DATABASE_URL and SUPABASE_JWT_SECRET set
(bench/http_bench.py starts it). It does the work the project must do and nothing more: verify the HS256
access token with PyJWT (signature, audience, expiry, `role`), run one indexed SELECT scoped to the
token's user through psycopg on a connection kept for the worker's life, and answer JSON with the
project's keys and values. It answers only these two paths (anything else is a 404):

- `GET /api/v1/clip_jobs/<id>/`: one clip job (the status poll);
- `GET /api/v1/scene_drafts/?project_id=<id>&limit=<n>`: a project's scene drafts in order.
"""

import os
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import jwt
import orjson
import psycopg

CLIP_JOB_PATH = re.compile(r"^/api/v1/clip_jobs/([0-9a-fA-F-]{36})/$")
SCENE_DRAFTS_PATH = "/api/v1/scene_drafts/"
CLIP_JOB_COLUMNS = (
    "id",
    "user_id",
    "user_key",
    "prompt",
    "status",
    "submitted_at",
    "completed_at",
    "download_url",
    "error_message",
)
SCENE_DRAFT_COLUMNS = (
    "id",
    "user_id",
    "project_id",
    "order_index",
    "prompt_text",
    "duration",
    "scene_type",
    "shot_type",
    "created_at",
    "updated_at",
)
# The column lists are this module's constants; only values are parameters.
CLIP_JOB_SQL = f"SELECT {', '.join(CLIP_JOB_COLUMNS)} FROM clip_jobs WHERE user_id = %s AND id = %s"  # noqa: S608
SCENE_DRAFTS_SQL = (
    f"SELECT {', '.join(SCENE_DRAFT_COLUMNS)} FROM scene_drafts WHERE user_id = %s AND project_id = %s "  # noqa: S608
    "ORDER BY project_id, order_index, id LIMIT %s"
)
MAX_LIMIT = 1000
JWT_SECRET = os.environ["SUPABASE_JWT_SECRET"]
JWT_AUDIENCE = os.environ.get("SUPABASE_JWT_AUDIENCE", "authenticated")
JSON_HEADERS = [("Content-Type", "application/json")]

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_connection: psycopg.Connection | None = None


def connection() -> psycopg.Connection:
    """The worker's one connection, opened on its first request (after gunicorn's fork) and kept."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, options="-c TimeZone=UTC")
    return _connection


def _rows(columns: tuple[str, ...], rows: Iterable[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _answer(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    # orjson writes UUIDs as strings and the aware UTC datetimes psycopg returns with `+00:00`, as the API does.
    payload = orjson.dumps(body)
    start_response(status, [*JSON_HEADERS, ("Content-Length", str(len(payload)))])
    return [payload]


def _user_id(environ: dict[str, Any]) -> uuid.UUID | None:
    """The verified token's user, or None for a missing or refused token."""
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = jwt.decode(
            token,
            JWT_SECRET,
            algorithms=["HS256"],
            audience=JWT_AUDIENCE,
            options={"require": ["exp", "sub", "aud", "role"]},
        )
        if claims["role"] != "authenticated":
            return None
        return uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError):
        return None


def application(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    """Serve the status poll and the scene-draft list."""
    user_id = _user_id(environ)
    if user_id is None:
        return _answer(start_response, "401 Unauthorized", {"detail": "Not authenticated.", "code": "invalid_token"})
    path = environ.get("PATH_INFO", "")
    if match := CLIP_JOB_PATH.match(path):
        row = connection().execute(CLIP_JOB_SQL, (user_id, uuid.UUID(match[1]))).fetchone()
        if row is None:
            return _answer(start_response, "404 Not Found", {"detail": "Not found.", "code": "not_found"})
        return _answer(start_response, "200 OK", dict(zip(CLIP_JOB_COLUMNS, row, strict=True)))
    if path == SCENE_DRAFTS_PATH:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        project_id = query.get("project_id", [""])[0]
        limit = min(int(query.get("limit", ["100"])[0]), MAX_LIMIT)
        rows = connection().execute(SCENE_DRAFTS_SQL, (user_id, project_id, limit)).fetchall()
        return _answer(start_response, "200 OK", _rows(SCENE_DRAFT_COLUMNS, rows))
    return _answer(start_response, "404 Not Found", {"detail": "Not found.", "code": "not_found"})

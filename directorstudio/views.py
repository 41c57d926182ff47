"""Probes for the process manager and the load balancer, and the error pages: JSON under /api/, HTML elsewhere."""

import sys

from django.db import DatabaseError, InterfaceError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.views import defaults
from django.views.decorators.cache import never_cache

from directorstudio import errors
from directorstudio.exceptions import DATABASE_UNAVAILABLE_ERRORS, RETRY_AFTER_SECONDS, domain_error_body

API_PREFIX = "/api/"
# The REST API's prefix and the Supabase-compatible facade's: calls that authenticate with a token, answered in JSON.
FACADE_PREFIXES = ("/rest/v1/", "/auth/v1/", "/storage/v1/")
TOKEN_API_PREFIXES = (API_PREFIX, *FACADE_PREFIXES)
UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DirectorStudio is briefly unavailable</title></head>
<body><h1>DirectorStudio is briefly unavailable</h1>
<p>{reason} Please try again in a moment.</p></body></html>
"""


def is_api_request(request: HttpRequest) -> bool:
    """Whether the request is an API's (the REST API's or the Supabase facade's), which answer errors as JSON."""
    return request.path_info.startswith(TOKEN_API_PREFIXES)


def _dialect_body(request: HttpRequest, body: dict, status: int) -> dict:
    """The REST API's error body, or under the facade's prefixes the same error in the words of its client."""
    code, message = body.get("code"), body.get("detail")
    path = request.path_info
    if path.startswith("/rest/v1/"):  # PostgREST
        return {"code": code, "details": None, "hint": None, "message": message}
    if path.startswith("/auth/v1/"):  # GoTrue
        return {"code": code, "error_code": code, "msg": message}
    if path.startswith("/storage/v1/"):  # Storage
        return {"statusCode": str(status), "code": code, "error": code, "message": message}
    return body


def api_error(detail: str, code: str, status: int, request: HttpRequest | None = None) -> JsonResponse:
    """The API's error body with this status (in the facade's dialects under its prefixes)."""
    body = {"detail": detail, "code": code}
    return JsonResponse(body if request is None else _dialect_body(request, body, status), status=status)


def unavailable(request: HttpRequest, *, body: dict, reason: str) -> HttpResponse:
    """503 with Retry-After: `body` as JSON under the APIs' prefixes, a short page giving `reason` elsewhere."""
    if is_api_request(request):
        response = JsonResponse(_dialect_body(request, body, 503), status=503)
    else:
        response = HttpResponse(UNAVAILABLE_PAGE.format(reason=escape(reason)), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON under /api/, a short page elsewhere."""
    body = {"detail": "The database is unavailable; try again shortly.", "code": "database_unavailable"}
    return unavailable(request, body=body, reason="The database cannot be reached right now.")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return api_error("Bad request.", "bad_request", 400, request)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return api_error("You do not have permission to perform this action.", "permission_denied", 403, request)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return api_error("Not found.", "not_found", 404, request)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """An unhandled exception: 503 when the database or a service the request needs (the file store) is
    unreachable, else 500 (JSON under /api/)."""
    error = sys.exception()
    if isinstance(error, DATABASE_UNAVAILABLE_ERRORS):
        return database_unavailable(request)
    if isinstance(error, errors.ServiceUnavailable):
        return unavailable(request, body=domain_error_body(error), reason=error.message)
    if is_api_request(request):
        return api_error("A server error occurred.", "server_error", 500, request)
    return defaults.server_error(request)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving; the database is not consulted."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: the database answers `SELECT 1` (else 503 with Retry-After)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except (DatabaseError, InterfaceError):
        response = JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "database": "ok"})

"""Probes for the process manager and the load balancer, and the error pages: JSON under /api/, HTML elsewhere."""

import sys

from django.db import DatabaseError, InterfaceError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache

from directorstudio.exceptions import DATABASE_UNAVAILABLE_ERRORS, RETRY_AFTER_SECONDS

API_PREFIX = "/api/"
DATABASE_UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DirectorStudio is briefly unavailable</title></head>
<body><h1>DirectorStudio is briefly unavailable</h1>
<p>The database cannot be reached right now. Please try again in a moment.</p></body></html>
"""


def is_api_request(request: HttpRequest) -> bool:
    """Whether the request is the REST API's, which answers errors as JSON `{"detail", "code"}`."""
    return request.path_info.startswith(API_PREFIX)


def api_error(detail: str, code: str, status: int) -> JsonResponse:
    """The API's error body with this status."""
    return JsonResponse({"detail": detail, "code": code}, status=status)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON under /api/, a short page elsewhere."""
    if is_api_request(request):
        response = api_error("The database is unavailable; try again shortly.", "database_unavailable", 503)
    else:
        response = HttpResponse(DATABASE_UNAVAILABLE_PAGE, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return api_error("Bad request.", "bad_request", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return api_error("You do not have permission to perform this action.", "permission_denied", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return api_error("Not found.", "not_found", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """An unhandled exception: 503 when the database is unreachable, else 500 (JSON under /api/)."""
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE_ERRORS):
        return database_unavailable(request)
    if is_api_request(request):
        return api_error("A server error occurred.", "server_error", 500)
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

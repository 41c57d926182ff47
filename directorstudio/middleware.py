"""Middleware of the whole site: one structured log line per request, with a request id; browser state off the API."""

import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import parse_qsl, urlencode

import orjson
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from directorstudio.accounts.forms import client_address
from directorstudio.views import FACADE_PREFIXES, is_api_request, page_not_found

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming request id is kept only when it is short and plain; otherwise a new one is made.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# Query parameters and URL parts whose values never reach the logs (tokens, signatures, keys, codes).
SECRET_NAME = re.compile(r"token|secret|password|signature|sig|key|code|auth", re.IGNORECASE)
REDACTED = "redacted"

request_logger = logging.getLogger("directorstudio.requests")


def loggable_query(query_string: str) -> str:
    """The query string with the values of secret-looking parameters redacted."""
    if not query_string:
        return ""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode([(name, REDACTED if SECRET_NAME.search(name) else value) for name, value in pairs])


def loggable_path(request: HttpRequest) -> str:
    """The path with secret URL parts redacted (a password reset token, a signed clip URL's signature)."""
    path = request.path
    match = request.resolver_match
    for name, value in match.kwargs.items() if match else ():
        if SECRET_NAME.search(name):
            path = path.replace(str(value), REDACTED)
    return path


def body_size(response: HttpResponse) -> int | None:
    """The response body's size in bytes; for a streamed body its Content-Length, or None when it has none."""
    if not response.streaming:
        return len(response.content)
    length = response.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def known_user_id(request: HttpRequest) -> str | None:
    """The id of the user the request was served for, when it was authenticated; the user is never looked up here."""
    user = vars(request).get("user")  # DRF's user, or the session's (lazy) user, or none
    if isinstance(user, SimpleLazyObject):  # the session's user, loaded only when something read it
        user = vars(request).get("_cached_user")
    return str(user.pk) if getattr(user, "is_authenticated", False) else None


class SentBytesCounted:
    """A streamed body that counts the bytes the server wrote and, when the server closes it, reports the count.

    A chunk is counted when the server asks for the next one: it writes each chunk before it asks again, so a
    client that hangs up mid-download is reported with the bytes that reached the socket.
    """

    def __init__(self, chunks: Iterable[bytes], on_close: Callable[[int], None]) -> None:
        self.chunks = chunks
        self.on_close = on_close
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            yield chunk
            self.sent += len(chunk)

    def close(self) -> None:
        """Report the bytes sent: the server has written the body, or stopped because the client went away."""
        self.on_close(self.sent)


class RequestLogMiddleware:
    """Give each request an id (its safe `X-Request-ID`, or a new one), echo it, and log one JSON line.

    The line has the method, redacted path and query, status, bytes sent, client address, user id when the request
    was authenticated, duration and request id: never headers, cookies or bodies, so no token or password can reach
    the logs. It is the only line per request: gunicorn's access log is off and runserver's dropped (settings.LOGGING).
    A streamed body is logged when the server closes it, with the bytes it wrote and the time until then; a file
    the server sends itself (a static file, through `wsgi.file_wrapper`) is logged with its Content-Length at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")  # REQUEST_ID_HEADER; request.headers copies them all
        request.request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(16)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        if response.streaming and not response.is_async and getattr(response, "file_to_stream", None) is None:
            response.streaming_content = SentBytesCounted(
                response.streaming_content, lambda sent: request_log(request, response, started=started, sent=sent)
            )
        else:
            request_log(request, response, started=started, sent=body_size(response))
        return response


def request_log(request: HttpRequest, response: HttpResponse, *, started: float, sent: int | None) -> None:
    """Write the request's JSON line."""
    request_logger.info(
        orjson.dumps(
            {
                "request_id": request.request_id,
                "method": request.method,
                "path": loggable_path(request),
                "query": loggable_query(request.META.get("QUERY_STRING", "")),
                "status": response.status_code,
                "bytes": sent,
                "client": client_address(request),
                "user_id": known_user_id(request),
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
        ).decode()
    )


def bearer_api_call(request: HttpRequest) -> bool:
    """An API call that authenticates with a token alone, never with a session or a cookie.

    Under /api/ that is a call with a Bearer token; every call of the Supabase facade is one (its
    `apikey` and bearer token are its credentials).
    """
    path = request.path_info
    if path.startswith(FACADE_PREFIXES):
        return True
    return path.startswith("/api/") and request.META.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")


class BrowserOnly:
    """Mixin for a middleware of browser state: an API call with a Bearer token passes it by.

    Such a call (the mobile app's, all of them) never uses a session, a session user or messages: the
    API authenticates the token before the session, and refuses a bad token rather than falling back.
    Django's CSRF middleware stays as it is (`check --deploy` looks for it by name); it does nothing
    for these calls but look for a cookie, for the API's views are exempt and DRF checks CSRF itself
    on session-authenticated calls.
    """

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if bearer_api_call(request):
            return self.get_response(request)
        return super().__call__(request)


class BrowserSessionMiddleware(BrowserOnly, SessionMiddleware):
    """Django's sessions, for browsers."""


class BrowserAuthenticationMiddleware(BrowserOnly, AuthenticationMiddleware):
    """Django's session user, for browsers."""


class BrowserMessageMiddleware(BrowserOnly, MessageMiddleware):
    """Django's messages, for browsers."""


class DebugApiNotFoundMiddleware:
    """Under DEBUG, answer a 404 under /api/ with the API's JSON error body, as production does.

    Django's technical 404 page replaces handler404 whenever DEBUG is on; in production this
    middleware steps out of the chain.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.DEBUG:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404 and is_api_request(request) and "json" not in response.get("Content-Type", ""):
            return page_not_found(request, None)
        return response

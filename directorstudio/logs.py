"""What the logs may say: a filter that redacts secrets from every line, whichever logger wrote it.

Django's `Not Found: <path>` and `Internal Server Error: <path>`, the dev server's access line, gunicorn's
error log (`Invalid request ... '<request line>'`) and the worker's lines can all hold a URL. Each URL's
secret parts (a signed clip URL's signature, a reset token) and secret query values (token, apikey,
password, ...) are redacted as the request log does (directorstudio/middleware.py), and so is any JWT
(an access token, a Supabase anon or service key) wherever it stands.
"""

import contextlib
import logging
import re

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, get_urlconf, resolve

REDACTED = "redacted"
# A JWT: three base64url parts, the first a JSON header (`{"` encodes as `eyJ`).
JWT = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*")
# A URL's path and query, with its scheme and host when it has them.
URL = re.compile(r"(?P<origin>\b[a-z][a-z0-9+.-]*://[^/\s\"'<>]*)?(?P<target>/[^\s\"'<>]*)", re.IGNORECASE)


# Paths that differ only in their ids match the same URL pattern: once one is found to hold no secret, the
# others of its shape are not resolved again (resolving costs more than the rest of a log line's handling).
IDS = re.compile(
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(?P<number>\d+)", re.IGNORECASE
)
SECRETLESS_SHAPES: set[tuple[str, str]] = set()
SECRETLESS_SHAPES_MAX = 10_000


def _shape(path: str) -> tuple[str, str]:
    """The URLconf and the path with each UUID and number replaced by a placeholder of its kind."""
    return str(get_urlconf() or settings.ROOT_URLCONF), IDS.sub(lambda match: "u" if match["uuid"] else "0", path)


def loggable_target(target: str) -> str:
    """A request target (path and query) with its secret path parts and query values redacted."""
    if not apps.ready:  # before Django is set up (gunicorn's master starting) no request has been served
        return target
    # The request log's helpers, imported here: their module imports the apps, which this one (loaded with the
    # logging configuration, before the apps) may not.
    from directorstudio.middleware import loggable_path, loggable_query

    path, separator, query = target.partition("?")
    shape = _shape(path)
    if shape not in SECRETLESS_SHAPES:
        request = HttpRequest()  # what loggable_path reads of a request: its path and its URL pattern's match
        request.path = path
        with contextlib.suppress(Resolver404):
            request.resolver_match = resolve(path)
        redacted = loggable_path(request)
        if redacted == path and len(SECRETLESS_SHAPES) < SECRETLESS_SHAPES_MAX:
            SECRETLESS_SHAPES.add(shape)
        path = redacted
    return path + (separator and f"?{loggable_query(query)}")


def loggable_text(text: str) -> str:
    """`text` with every URL's secrets and every JWT redacted."""
    text = URL.sub(lambda match: (match["origin"] or "") + loggable_target(match["target"]), text)
    return JWT.sub(REDACTED, text)


class SecretsRedacted(logging.Filter):
    """Redact secrets from a record's message and traceback (on the handlers of every logger, gunicorn's too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = loggable_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = loggable_text(logging.Formatter().formatException(record.exc_info))
        return True

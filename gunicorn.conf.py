"""Gunicorn in production: `gunicorn -c gunicorn.conf.py directorstudio.wsgi` (every value settable by environment)."""

import os
import shutil
import tempfile

from gunicorn import glogging

# Behind a reverse proxy bind to 127.0.0.1 (or a socket); 0.0.0.0 serves every interface, e.g. in a container.
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Sync workers: the app waits on PostgreSQL, so two per core plus one.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
# A request still running after this many seconds has its worker killed and restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On reload or shutdown, requests in progress get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Each worker is replaced, gracefully, after about this many requests; the jitter keeps them from restarting at once.
# A guard against leaks: at 1,000 a loaded worker was replaced every two seconds, which cost 13 % of the status
# poll's throughput and most of its p99, while a 10-minute soak (370,000 requests per worker) showed no leak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "1000"))
# The app is imported once, by the master, and each worker is forked from it: a worker replaced after
# max_requests serves at once instead of importing Django again (about a second of CPU, which at a few
# hundred requests a second per worker recurred every few seconds), and the workers share that memory.
# The app opens no database connection while it is imported, so no connection is shared across the fork.
# New code then needs a restart rather than a HUP (GUNICORN_PRELOAD=0 restores HUP reloads).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"

# One line per request: the app's JSON line (directorstudio/middleware.py) has the client, method, path and query
# with their secrets redacted, status, bytes sent, duration, request id and user. gunicorn's own access log is off;
# GUNICORN_ACCESS_LOG ("-" for stdout, or a file's path) turns it on beside that line, in this format, which leaves
# the path (and so a signed clip URL's signature) to the app's line.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
access_log_format = "%(h)s %(m)s %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s"


class SecretsRedactedLogger(glogging.Logger):
    """gunicorn's error and access logs through the app's filter that redacts secrets (directorstudio/logs.py).

    The error log writes a request line it cannot parse, or the URI of a request that failed, in full.
    """

    def setup(self, cfg) -> None:
        # Imported here: gunicorn puts the project on sys.path after reading this file, before making its logger.
        from directorstudio.logs import SecretsRedacted

        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(existing, SecretsRedacted) for existing in log.filters):
                log.addFilter(SecretsRedacted())


logger_class = SecretsRedactedLogger

# GET /metrics sums every worker's figures, which prometheus-client writes to files in this folder (read when it is
# imported, so set before the app is); unless PROMETHEUS_MULTIPROC_DIR names one (to share with a clip job worker
# on the host: empty it at boot), a fresh folder for this server, removed when it stops.
METRICS_DIR_MADE = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    METRICS_DIR_MADE = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="directorstudio-metrics-")


def on_exit(server) -> None:
    """Remove the metrics folder this server made."""
    if METRICS_DIR_MADE:
        shutil.rmtree(METRICS_DIR_MADE, ignore_errors=True)


def when_ready(server) -> None:
    """With the app preloaded, import its URLs (and so every view) in the master as well.

    Django imports them on a worker's first request; done here once, a worker forked after max_requests
    starts with them, rather than spending a few hundred milliseconds on its first request.
    """
    from django.apps import apps

    if server.cfg.preload_app and apps.ready:  # not ready: the app served is not this project (bench/floor.py)
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf and its views

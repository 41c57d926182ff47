"""Metrics an operator scrapes: `GET /metrics` in Prometheus' text format, on every web host, closed to the public.

Each process counts the requests it answers (by route, method and status) and their latencies. Under gunicorn
the processes write them to PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py sets it) and a scrape sums them; a
clip job worker on the same host that is given the same folder is summed in too. The figures of the whole
fleet that live in the database (clip jobs by status, the queue, credit movements) are read at each scrape
by the collectors METRICS_COLLECTORS names, each an app's (this floor imports none).

A scrape is allowed with `Authorization: Bearer <METRICS_TOKEN>`, or from an address in
METRICS_ALLOWED_ADDRESSES when it came straight to this host (no X-Forwarded-For); anyone else gets a 404.
A worker, which answers no HTTP otherwise, serves its own figures the same way with `metrics_serve`.
"""

import hmac
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    make_wsgi_app,
    multiprocess,
)

# A path no URL pattern matches, or a method not in HTTP's list, is not a label of its own: anyone could add series.
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "directorstudio_http_requests_total",
    "HTTP requests answered, by URL route, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "directorstudio_http_request_duration_seconds",
    "Time to answer an HTTP request (until its headers, for a streamed body), by URL route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def request_labels(request: HttpRequest) -> tuple[str, str]:
    """The route (the URL pattern, not the path: ids stay out) and method a request is counted under."""
    match = request.resolver_match
    return (match.route if match else UNMATCHED), (request.method if request.method in METHODS else UNMATCHED)


class MetricsMiddleware:
    """Count each request and time it, by route, method and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route, method = request_labels(request)
        REQUEST_SECONDS.labels(route, method).observe(time.perf_counter() - started)
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        return response


def scrape_allowed(meta: Mapping[str, Any]) -> bool:
    """Whether a request (its WSGI environ, or Django's request.META) may read the metrics: it bears METRICS_TOKEN,
    or came straight from an allowed address."""
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(meta.get("HTTP_AUTHORIZATION", "").encode(), f"Bearer {token}".encode()):
        return True
    if "HTTP_X_FORWARDED_FOR" in meta:  # through a proxy: the address is the proxy's, not the client's
        return False
    try:
        address = ipaddress.ip_address(meta.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_ADDRESSES)


def _process_registry() -> CollectorRegistry:
    """This host's process figures: every process's summed in multiprocess mode, else this process's own."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _database_registry() -> CollectorRegistry:
    """The fleet's figures read from the database by the METRICS_COLLECTORS."""
    registry = CollectorRegistry()
    for path in settings.METRICS_COLLECTORS:
        registry.register(import_string(path)())
    return registry


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics in Prometheus' text format, to an allowed scraper; a 404 to anyone else."""
    if not scrape_allowed(request.META):
        raise Http404()
    body = generate_latest(_process_registry()) + generate_latest(_database_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # a line per scrape, every 15 s, says nothing
        pass


class _MetricsServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _MetricsServer6(_MetricsServer):
    address_family = socket.AF_INET6


def metrics_serve(*, address: str, port: int) -> WSGIServer:
    """Serve this process's metrics at http://address:port/metrics from a thread, to allowed scrapers (a 404 to
    anyone else); the server, already listening. The database's figures are left to the web hosts."""
    exposition = make_wsgi_app(_process_registry())

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics" or not scrape_allowed(environ):
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not Found\n"]
        return exposition(environ, start_response)

    server_class = _MetricsServer6 if ":" in address else _MetricsServer
    server = make_server(address, port, app, server_class=server_class, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server

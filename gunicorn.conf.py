"""Gunicorn in production: `gunicorn -c gunicorn.conf.py directorstudio.wsgi` (every value settable by environment)."""

import os

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
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))

# Access log on stdout: client, method, status, bytes, duration and the request id that the app's JSON line
# (directorstudio/middleware.py) carries too. The path is left to that line, which redacts the tokens and
# signatures that paths and query strings can hold.
accesslog = "-"
errorlog = "-"
access_log_format = "%(h)s %(m)s %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s"

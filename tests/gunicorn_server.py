"""A real gunicorn serving the project on loopback, on the test database, for tests of the whole HTTP path."""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60
# gunicorn as a production web host runs it: the repository's gunicorn.conf.py (GUNICORN_BIND, WEB_CONCURRENCY).
PRODUCTION_GUNICORN = (sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "directorstudio.wsgi")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database (the one this session created) as a DATABASE_URL for another process."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    port = f":{db['PORT']}" if db["PORT"] else ""
    if (db["HOST"] or "").startswith("/"):  # a Unix socket's folder: django-environ reads it from the path
        return f"postgres://{credentials}@{port}/{db['HOST']}/{db['NAME']}"
    return f"postgres://{credentials}@{quote(db['HOST'] or '', safe='')}{port}/{db['NAME']}"


def app_environment(*, base_url: str, **environment: str) -> dict[str, str]:
    """The environment of another process of the app: DEBUG off, the test's secrets and database, `base_url` public."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "SUPABASE_JWT_SECRET": settings.SUPABASE_JWT_SECRET,
        "DATABASE_URL": database_url(),
        "PUBLIC_BASE_URL": base_url,
        "DJANGO_SETTINGS_MODULE": "directorstudio.settings",
        **environment,
    }


def wait_until_serving(process: subprocess.Popen, base_url: str, *, timeout: float = START_TIMEOUT_SECONDS) -> None:
    """Return once the server started as `process` answers `base_url`/healthz; fail if it stops or never does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.head(f"{base_url}/healthz", timeout=2)
            return
        except httpx.TransportError:
            assert process.poll() is None, f"the server stopped with {process.returncode}"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)


@contextlib.contextmanager
def gunicorn_serving(*, workers: int = 2, **environment: str) -> Iterator[str]:
    """Start gunicorn (DEBUG off, the test's secrets and database) and yield its base URL; stop it afterwards."""
    port = free_port()
    env = app_environment(base_url=f"http://127.0.0.1:{port}", **environment)
    command = [sys.executable, "-m", "gunicorn", "directorstudio.wsgi", "--bind", f"127.0.0.1:{port}"]
    # Its log goes to a file: a pipe nobody reads would fill up and stop the server.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [*command, "--workers", str(workers)], cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_until_serving(server, url)
            except AssertionError as error:
                log.seek(0)
                raise RuntimeError(f"gunicorn did not start: {log.read().decode()[-2000:]}") from error
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)

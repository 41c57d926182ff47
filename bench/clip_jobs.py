"""Clip jobs benchmark: concurrent paid submissions, the local provider's render time, worker throughput.

Run from the checkout: `DEBUG=1 .venv/bin/python bench/clip_jobs.py` (about 4 minutes on 2 cores).
It creates its own database, bench_clip_jobs, on the embedded PostgreSQL server, migrates it, and
drops it at the end, even on failure; the clip files go to a temporary MEDIA_ROOT that is removed
too. Every request goes to 127.0.0.1. It measures three things (see bench/README.md):

1. SUBMISSIONS concurrent `POST /api/v1/clip_jobs/` from CLIENT_THREADS threads against a user whose
   only ledger row holds CREDITS credits, through a real gunicorn (DEBUG off); it checks that exactly
   CREDITS answers are 201 and the rest 402, that exactly CREDITS clip jobs and Procrastinate jobs
   exist, that the balance is zero and that `manage.py credits_reconcile` is clean.
2. The local provider's render time of one 4 s clip, over RENDERS sequential renders.
3. Jobs per minute with one and with two `manage.py procrastinate worker` processes (concurrency 1
   each), over WORKER_JOBS jobs each time.

The figures table goes to stdout, progress to stderr. A failed check exits with status 1.
"""

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from harness import (
    GUNICORN,
    PYTHON,
    Processes,
    cpu_model,
    database_close_and_drop,
    database_create,
    database_url,
    embedded_admin_url,
    free_port,
    log,
    percentile,
    script_start,
)
from harness import reconcile as reconcile_run
from harness import user_with_credits as user_with_credits_grant

BENCH_DATABASE = "bench_clip_jobs"  # the dev database and the test suite's databases are never touched

SUBMISSIONS = 200
CREDITS = 50
CLIENT_THREADS = 16
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 8  # gthread: 2 x 8 requests in flight, so the spends really contend for the ledger row
RENDERS = 10
WORKER_JOBS = 40
WORKER_COUNTS = (1, 2)

REQUEST_TIMEOUT = 60.0
SERVER_START_TIMEOUT = 60.0
WORKER_START_TIMEOUT = 60.0
JOBS_TIMEOUT = 300.0  # per round of WORKER_JOBS jobs

# The bench's own secrets, shared by this process (which mints the tokens) and its subprocesses.
SECRET_KEY = "bench-clip-jobs-" + uuid.uuid4().hex + uuid.uuid4().hex
JWT_SECRET = "bench-clip-jobs-jwt-" + uuid.uuid4().hex + uuid.uuid4().hex

PROMPTS = [
    "A lighthouse at dusk, waves breaking on the rocks below",
    "Two detectives argue in the rain under a flickering neon sign",
    "A drone shot over a desert highway at noon",
    "Close-up of a violinist's hands during the final bars",
    "A crowded night market, steam rising from the food stalls",
    "A fox crossing a snowy field at first light",
    "An astronaut repairs a satellite above a blue planet",
    "Children running through a sprinkler on a summer afternoon",
    "A chef plating dessert in a busy restaurant kitchen",
    "Storm clouds rolling over a wheat field",
]


class CheckFailed(Exception):
    """A correctness check of the benchmark failed."""


def check(condition: bool, message: str, failures: list[str]) -> None:
    """Record a correctness check; its outcome is printed at once, failures are raised at the end."""
    log(f"  {'ok  ' if condition else 'FAIL'} {message}")
    if not condition:
        failures.append(message)


# --- Users and credits --------------------------------------------------------------------------


def user_with_credits(name: str, credits: int):
    """A new user whose only ledger row holds exactly `credits` credits, granted with a note."""
    return user_with_credits_grant(
        f"bench-{name}@example.com",
        f"bench-key-{name}-{uuid.uuid4().hex[:8]}",
        credits,
        f"Clip jobs benchmark ({name}): {credits} credits",
    )


def reconcile(env: dict[str, str], failures: list[str]) -> None:
    clean, words = reconcile_run(env)
    check(clean, f"manage.py credits_reconcile is clean ({words[-200:]})", failures)


# --- 1. Concurrent submissions ------------------------------------------------------------------


@dataclass
class SubmissionFigures:
    wall_s: float
    requests_per_s: float
    median_ms: float
    p99_ms: float
    statuses: Counter


def wait_for_server(base_url: str, process: subprocess.Popen, processes: Processes) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{processes.log_tail('gunicorn')}")
        with contextlib.suppress(httpx.TransportError):
            httpx.get(f"{base_url}/api/v1/", timeout=2.0)
            return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {SERVER_START_TIMEOUT:.0f} s")


def submissions_bench(processes: Processes, env: dict[str, str], failures: list[str]) -> SubmissionFigures:
    from django.db import connection

    from clips.models import ClipJob
    from clips.services import CLIP_JOB_RUN_TASK
    from credits.models import CreditsLedger
    from directorstudio.accounts.tokens import access_token_issue

    log(f"1. {SUBMISSIONS} concurrent submissions against {CREDITS} credits")
    user, ledger = user_with_credits("submit", CREDITS)
    token = access_token_issue(user=user).token
    headers = {"Authorization": f"Bearer {token}"}

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = processes.start(
        "gunicorn",
        [
            GUNICORN,
            "directorstudio.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={GUNICORN_WORKERS}",
            "--worker-class=gthread",
            f"--threads={GUNICORN_THREADS}",
            "--log-level=warning",
        ],
    )
    try:
        wait_for_server(base_url, server, processes)
        # Warm both workers up (imports, URL resolver, first connections) with reads that change nothing.
        with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT) as client:
            for _ in range(4 * GUNICORN_WORKERS):
                response = client.get("/api/v1/clip_jobs/")
                if response.status_code != 200:
                    raise RuntimeError(f"warm-up GET answered {response.status_code}: {response.text[:300]}")

        local = threading.local()
        start = threading.Barrier(CLIENT_THREADS)
        clients: list[httpx.Client] = []

        def client() -> httpx.Client:
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT)
                clients.append(local.client)
            return local.client

        def prime(_: int) -> None:
            client()
            start.wait()  # every thread has its client before the clock starts

        def submit(index: int) -> tuple[int, float, dict]:
            began = time.perf_counter()
            response = client().post(
                "/api/v1/clip_jobs/", json={"prompt": f"{PROMPTS[index % len(PROMPTS)]}, #{index}"}
            )
            elapsed_ms = (time.perf_counter() - began) * 1000
            try:
                body = response.json()
            except ValueError:
                body = {"unparsed": response.text[:300]}
            return response.status_code, elapsed_ms, body if isinstance(body, dict) else {}

        try:
            with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
                list(pool.map(prime, range(CLIENT_THREADS)))
                began = time.perf_counter()
                results = list(pool.map(submit, range(SUBMISSIONS)))
                wall_s = time.perf_counter() - began
        finally:
            for each in clients:
                each.close()
    finally:
        processes.stop(server)

    statuses = Counter(status for status, _, _ in results)
    latencies = [ms for _, ms, _ in results]
    figures = SubmissionFigures(
        wall_s=wall_s,
        requests_per_s=SUBMISSIONS / wall_s,
        median_ms=statistics.median(latencies),
        p99_ms=percentile(latencies, 0.99),
        statuses=statuses,
    )
    log(f"  {SUBMISSIONS} requests in {wall_s:.2f} s; statuses {dict(sorted(statuses.items()))}")

    check(statuses[201] == CREDITS, f"{CREDITS} answers are 201 (got {statuses[201]})", failures)
    check(
        statuses[402] == SUBMISSIONS - CREDITS,
        f"{SUBMISSIONS - CREDITS} answers are 402 (got {statuses[402]})",
        failures,
    )
    refused = [body for status, _, body in results if status == 402]
    check(
        all(body.get("credits") == 0 for body in refused),
        'every 402 carries the balance "credits": 0',
        failures,
    )
    accepted = {body.get("id") for status, _, body in results if status == 201}
    jobs = set(map(str, ClipJob.objects.filter(user_id=user.pk).values_list("id", flat=True)))
    check(
        len(jobs) == CREDITS and jobs == accepted,
        f"{CREDITS} clip_jobs rows, the ones answered 201 (got {len(jobs)})",
        failures,
    )
    balance = CreditsLedger.objects.get(pk=ledger.pk).credits
    check(balance == 0, f"the balance is 0 (got {balance})", failures)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, args->>'clip_job_id' FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'",
            [CLIP_JOB_RUN_TASK],
        )
        queued = cursor.fetchall()
    check(
        len(queued) == CREDITS and {clip_job_id for _, clip_job_id in queued} == jobs,
        f"{CREDITS} Procrastinate jobs queued, one per clip job (got {len(queued)})",
        failures,
    )
    reconcile(env, failures)

    # Nobody runs these: cancel them (their credits come back) so the worker rounds time only their own
    # jobs; a queued job left without its Procrastinate task would be given one again by the minute sweep.
    from procrastinate.contrib.django import app as procrastinate_app

    from clips.services import clip_job_cancel

    for job_id, _ in queued:
        procrastinate_app.job_manager.cancel_job_by_id(job_id)
    for job in ClipJob.objects.filter(id__in=jobs):
        clip_job_cancel(user_id=job.user_id, clip_job_id=job.id)
    return figures


# --- 2. The local provider's render time --------------------------------------------------------


def children_cpu_seconds() -> float:
    """User + system CPU time of the finished child processes (here: ffmpeg) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def render_bench(count: int, failures: list[str]) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (ffmpeg's and this process's) of `count` sequential renders."""
    from clips.providers.local import LocalClipProvider
    from clips.services import CLIP_SECONDS

    log(f"2. {count} sequential renders with LocalClipProvider (after one untimed warm-up)")
    provider = LocalClipProvider()
    timings, cpu = [], []
    with tempfile.TemporaryDirectory(prefix="bench-render-") as workdir:
        provider.generate(prompt="Warm-up", seconds=CLIP_SECONDS, workdir=Path(workdir) / "warm-up")
        for index in range(count):
            began, cpu_began = time.perf_counter(), children_cpu_seconds() + time.process_time()
            clip = provider.generate(
                prompt=PROMPTS[index % len(PROMPTS)], seconds=CLIP_SECONDS, workdir=Path(workdir) / str(index)
            )
            timings.append(time.perf_counter() - began)
            cpu.append(children_cpu_seconds() + time.process_time() - cpu_began)
            log(
                f"  render {index + 1}: {timings[-1]:.2f} s, {cpu[-1]:.2f} CPU s"
                f" ({clip.duration_seconds:.2f} s of video)"
            )
            if abs(clip.duration_seconds - CLIP_SECONDS) > 0.5:
                check(False, f"render {index + 1} lasts {clip.duration_seconds:.2f} s, not {CLIP_SECONDS}", failures)
    return timings, cpu


# --- 3. Jobs per minute with 1 and 2 workers ----------------------------------------------------


@dataclass
class WorkerFigures:
    workers: int
    jobs: int
    seconds: float

    @property
    def jobs_per_minute(self) -> float:
        return self.jobs / self.seconds * 60


def db_now():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def wait_for_workers(count: int, since, started: dict[str, subprocess.Popen], processes: Processes) -> None:
    """Until `count` workers have registered (a procrastinate_workers heartbeat since `since`)."""
    from django.db import connection

    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        for name, process in started.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{processes.log_tail(name)}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat >= %s", [since])
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{count} workers did not start within {WORKER_START_TIMEOUT:.0f} s")


def workers_bench(
    workers: int, jobs: int, processes: Processes, env: dict[str, str], failures: list[str]
) -> WorkerFigures:
    from django.db import transaction

    from clips.models import ClipJob
    from clips.services import clip_job_submit

    log(f"3. {jobs} jobs with {workers} worker process(es), concurrency 1 each")
    user, _ = user_with_credits(f"workers-{workers}", jobs)
    since = db_now()
    started = {
        name: processes.start(
            name, [PYTHON, "manage.py", "procrastinate", "worker", "--concurrency=1", f"--name=bench-{name}"]
        )
        for name in (f"worker-{workers}-{index}" for index in range(1, workers + 1))
    }
    try:
        wait_for_workers(workers, since, started, processes)
        # All jobs become visible at once, at this commit; the clock starts there.
        with transaction.atomic():
            for index in range(jobs):
                clip_job_submit(user_id=user.pk, prompt=f"{PROMPTS[index % len(PROMPTS)]}, take {index}")
        began = time.perf_counter()
        deadline = began + JOBS_TIMEOUT
        owned = ClipJob.objects.filter(user_id=user.pk)
        while True:
            done = owned.filter(status__in=[ClipJob.Status.COMPLETED, ClipJob.Status.FAILED]).count()
            if done == jobs:
                seconds = time.perf_counter() - began
                break
            if time.perf_counter() > deadline:
                raise CheckFailed(f"only {done} of {jobs} jobs finished within {JOBS_TIMEOUT:.0f} s")
            for name, process in started.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{processes.log_tail(name)}")
            time.sleep(0.1)
    finally:
        for process in started.values():
            processes.stop(process)
    completed = owned.filter(status=ClipJob.Status.COMPLETED, download_url__isnull=False).count()
    check(completed == jobs, f"all {jobs} jobs completed with a download_url (got {completed})", failures)
    figures = WorkerFigures(workers=workers, jobs=jobs, seconds=seconds)
    log(f"  {jobs} jobs in {seconds:.1f} s: {figures.jobs_per_minute:.1f} jobs/minute")
    return figures


# --- The report ---------------------------------------------------------------------------------


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def machine(load_at_start: str) -> str:
    model = cpu_model()
    loads = f"load average (1, 5, 15 min) {load_at_start} at the start, {load_average()} at the end"
    return f"{os.cpu_count()} cores ({model}); {loads}"


def report(
    submissions: SubmissionFigures, renders: list[float], render_cpu: list[float], rounds: list[WorkerFigures]
) -> str:
    s = submissions
    statuses = ", ".join(f"{count} x {status}" for status, count in sorted(s.statuses.items()))
    rows = [
        ("submissions", f"{SUBMISSIONS} POSTs, {CREDITS} credits, {CLIENT_THREADS} client threads", ""),
        ("", "wall time", f"{s.wall_s:.2f} s"),
        ("", "throughput", f"{s.requests_per_s:.0f} requests/s"),
        ("", "latency median / p99", f"{s.median_ms:.0f} / {s.p99_ms:.0f} ms"),
        ("", "answers", statuses),
        ("local render", f"one {4} s 1280x720 clip, {len(renders)} sequential renders", ""),
        ("", "median / p90", f"{statistics.median(renders):.2f} / {percentile(renders, 0.9):.2f} s"),
        ("", "min / max", f"{min(renders):.2f} / {max(renders):.2f} s"),
        ("", "CPU time median (ffmpeg + Pillow)", f"{statistics.median(render_cpu):.2f} CPU s"),
    ]
    for figures in rounds:
        rows.append(
            (
                "workers",
                f"{figures.jobs} jobs, {figures.workers} worker process(es) x concurrency 1",
                f"{figures.jobs_per_minute:.1f} jobs/minute ({figures.seconds:.1f} s)",
            )
        )
    lines = ["| measure | case | figure |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=RENDERS, help=f"sequential renders (default {RENDERS})")
    parser.add_argument("--jobs", type=int, default=WORKER_JOBS, help=f"jobs per worker round (default {WORKER_JOBS})")
    args = parser.parse_args()
    if not 1 <= args.renders <= 100 or not 1 <= args.jobs <= 200:
        parser.error("--renders must be 1..100 and --jobs 1..200")

    # SIGTERM ends the benchmark like Ctrl-C: through the finally below, which stops and drops everything.
    script_start()
    admin = embedded_admin_url()
    media_root = Path(tempfile.mkdtemp(prefix="bench-clip-jobs-"))
    log_dir = media_root / "logs"
    log_dir.mkdir()
    common = {
        "DATABASE_URL": database_url(admin, BENCH_DATABASE),
        "SECRET_KEY": SECRET_KEY,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "MEDIA_ROOT": str(media_root / "media"),
        "CLIP_PROVIDER": "local",
        "STORAGE_BACKEND": "local",
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
        "LOG_LEVEL": "WARNING",  # no per-request or per-job log lines between the figures
        # One user's 200 submissions measure the ledger lock, not the per-user rate limit.
        "CLIP_SUBMIT_RATE": "1000000/min",
    }
    os.environ.update(common)
    subprocess_env = {**os.environ, **common, "DEBUG": "0", "PYTHONUNBUFFERED": "1"}
    processes = Processes(subprocess_env, log_dir)
    failures: list[str] = []
    created = False
    load_at_start = load_average()
    try:
        database_create(admin, BENCH_DATABASE)
        created = True
        import django
        from django.core.management import call_command

        django.setup()
        began = time.perf_counter()
        call_command("migrate", verbosity=0)
        log(f"Migrated {BENCH_DATABASE} in {time.perf_counter() - began:.1f} s.")

        submissions = submissions_bench(processes, subprocess_env, failures)
        renders, render_cpu = render_bench(args.renders, failures)
        rounds = [workers_bench(count, args.jobs, processes, subprocess_env, failures) for count in WORKER_COUNTS]
        reconcile(subprocess_env, failures)

        print(f"### Clip jobs on {machine(load_at_start)}\n")
        print(report(submissions, renders, render_cpu, rounds))
    except Exception as error:
        log(f"The benchmark stopped: {error!r}")
        for name, _ in processes.running:
            log(f"--- last lines of {name}.log ---\n{processes.log_tail(name)}")
        failures.append(f"error: {error!r}")
    finally:
        processes.stop_all()
        if created:
            database_close_and_drop(admin, BENCH_DATABASE)
        elif "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        shutil.rmtree(media_root, ignore_errors=True)
    if failures:
        log("FAILED:\n" + "\n".join(f"  - {failure}" for failure in failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Drill: the database restarted, then down for OUTAGE seconds, under a steady load of API requests.

Run from the checkout: `.venv/bin/python bench/drills/db_restart.py` (about 40 s; bounded at 3 minutes).
On a PostgreSQL cluster of its own (see common.py), gunicorn with the repository's gunicorn.conf.py
(2 sync workers, DEBUG off) serves CLIENTS client threads that each loop over the status poll
`GET /api/v1/clip_jobs/<id>/`, the list `GET /api/v1/clip_jobs/`, a create `POST /api/v1/clip_jobs/`
and `GET /readyz`. After BASELINE seconds the cluster is restarted (`pg_ctl restart -m fast`), and after
BETWEEN more it is stopped (`pg_ctl stop -m fast`), left down for OUTAGE seconds and started again; the
load goes on for AFTER seconds.

Expected: under /api/ only JSON answers; no 5xx but 503, each with `{"detail", "code"}` and Retry-After;
`/readyz` 503 while the database is down; every request 2xx again within RECOVERY seconds of the database
being back, with the same gunicorn processes (nothing restarted); every 201 a stored job, and
`credits_reconcile` clean. Prints the counts per phase and status, and a PASS/FAIL summary; exits 1 on FAIL.
"""

import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass

import httpx
import psutil

# Run as a script, so this folder is on sys.path.
from common import Checks, drill, free_port, log, reconcile, user_with_credits

CLIENTS = 4
BASELINE, BETWEEN, OUTAGE, AFTER = 4.0, 5.0, 6.0, 8.0
RECOVERY = 3.0  # seconds after the database is back by which every request must succeed again
STEADY = 3.0  # the last seconds of the run, in which every request must have succeeded
REQUEST_TIMEOUT = 15.0
CREDITS = 100_000


@dataclass
class Answer:
    at: float
    kind: str
    status: int  # 0: no HTTP answer (connection refused or reset, timeout)
    json_body: bool
    code: str
    retry_after: str


def load(base_url: str, token: str, job_id: str, stop: threading.Event, answers: list[Answer]) -> None:
    """One client: poll, list, create and readiness in turn until `stop`, recording every answer."""
    requests = [
        ("poll", "GET", f"/api/v1/clip_jobs/{job_id}/"),
        ("list", "GET", "/api/v1/clip_jobs/"),
        ("create", "POST", "/api/v1/clip_jobs/"),
        ("poll", "GET", f"/api/v1/clip_jobs/{job_id}/"),
        ("readyz", "GET", "/readyz"),
    ]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT) as client:
        index = 0
        while not stop.is_set():
            kind, method, path = requests[index % len(requests)]
            index += 1
            body = {"prompt": f"Drill shot {index}"} if method == "POST" else None
            try:
                response = client.request(method, path, json=body)
            except httpx.TransportError:
                answers.append(Answer(time.monotonic(), kind, 0, False, "", ""))
                continue
            is_json = response.headers.get("content-type", "").startswith("application/json")
            try:
                data = response.json() if is_json else None
            except ValueError:
                data, is_json = None, False
            code = data.get("code", "") if isinstance(data, dict) else ""
            has_detail = isinstance(data, dict) and "detail" in data and "code" in data
            answers.append(
                Answer(
                    time.monotonic(),
                    kind,
                    response.status_code,
                    is_json and (response.status_code < 400 or has_detail or kind == "readyz"),
                    code,
                    response.headers.get("retry-after", ""),
                )
            )


def gunicorn_pids(master: int) -> set[int]:
    return {master, *(child.pid for child in psutil.Process(master).children())}


def main() -> int:
    checks = Checks("database restarted under load")
    # One request counts once against the clip submission limit: the load makes far more than 60 a minute.
    settings = {"CLIP_SUBMIT_RATE": "1000000/min", "GUNICORN_MAX_REQUESTS": "0"}
    try:
        with drill("db-restart", seconds=180, **settings) as run:
            from clips.models import ClipJob
            from clips.services import clip_job_submit

            user, _, token = user_with_credits("restart", CREDITS)
            job, _ = clip_job_submit(user_id=user.pk, prompt="The job every client polls")
            server, base_url = run.processes.gunicorn("gunicorn", free_port())
            pids = gunicorn_pids(server.pid)
            answers: list[Answer] = []
            stop = threading.Event()
            clients = [
                threading.Thread(target=load, args=(base_url, token, str(job.pk), stop, answers))
                for _ in range(CLIENTS)
            ]
            began = time.monotonic()
            for client in clients:
                client.start()
            marks = {}
            try:
                time.sleep(BASELINE)
                marks["restart"] = time.monotonic()
                run.cluster.restart_fast()
                marks["restarted"] = time.monotonic()
                log(f"  pg_ctl restart -m fast took {marks['restarted'] - marks['restart']:.2f} s")
                time.sleep(BETWEEN)
                marks["stop"] = time.monotonic()
                run.cluster.stop_fast()
                marks["stopped"] = time.monotonic()
                time.sleep(OUTAGE)
                marks["start"] = time.monotonic()
                run.cluster.start()
                marks["started"] = time.monotonic()
                down, stopping = marks["started"] - marks["stopped"], marks["stopped"] - marks["stop"]
                log(
                    f"  down {down:.2f} s (stopping took {stopping:.2f} s, "
                    f"starting {marks['started'] - marks['start']:.2f} s)"
                )
                time.sleep(AFTER)
            finally:
                stop.set()
                for client in clients:
                    client.join(REQUEST_TIMEOUT + 5)
            ended = time.monotonic()

            def phase(at: float) -> str:
                if at < marks["restart"]:
                    return "1 before"
                if at < marks["restarted"] + RECOVERY:
                    return "2 restart"
                if at < marks["stop"]:
                    return "3 between"
                if at < marks["started"] + RECOVERY:
                    return "4 outage"
                return "5 after"

            counts = Counter((phase(a.at), a.kind, a.status) for a in answers)
            print(f"{len(answers)} requests in {ended - began:.1f} s from {CLIENTS} clients")
            print("| phase | request | status | count |\n|---|---|---|---|")
            for (name, kind, status), count in sorted(counts.items()):
                print(f"| {name} | {kind} | {status or 'no answer'} | {count} |")
            failing = [a for a in answers if not 200 <= a.status < 300 and a.kind != "readyz"]
            windows = (("restart", "restart", "restarted", marks["stop"]), ("outage", "stop", "started", ended))
            for name, start, end, until in windows:
                during = [a for a in failing if marks[start] - 1 <= a.at < until]
                if during:
                    log(
                        f"  {name}: {len(during)} API requests failed, the first {during[0].at - marks[start]:+.2f} s "
                        f"after pg_ctl was called, the last {during[-1].at - marks[end]:+.2f} s after it returned"
                    )
                    marks[f"{name} recovered"] = during[-1].at - marks[end]
                else:
                    log(f"  {name}: no API request failed")
                    marks[f"{name} recovered"] = 0.0

            from django.db import connections

            connections.close_all()  # this process's connection did not survive the restart either
            api = [a for a in answers if a.kind != "readyz"]
            checks.check(
                all(a.status for a in answers), f"every request had an HTTP answer ({counts_of(answers, 0)} had none)"
            )
            others = Counter(a.status for a in answers if a.status >= 500 and a.status != 503)
            checks.check(not others, f"no 5xx but 503 (others: {dict(others)})")
            checks.check(all(a.json_body for a in api), "every /api/ answer is JSON, each error with detail and code")
            unavailable = [a for a in api if a.status == 503]
            checks.check(
                all(a.code == "database_unavailable" and a.retry_after.isdigit() for a in unavailable),
                f"each of the {len(unavailable)} API 503s has code database_unavailable and Retry-After",
            )
            outage_ready = [a for a in answers if a.kind == "readyz" and marks["stopped"] < a.at < marks["start"]]
            checks.check(
                outage_ready and all(a.status == 503 and a.retry_after for a in outage_ready),
                f"/readyz answers 503 with Retry-After while the database is down ({len(outage_ready)} probes)",
            )
            late = [a for a in answers if a.at > marks["started"] + RECOVERY and not 200 <= a.status < 300]
            checks.check(
                not late,
                f"every request succeeds from {RECOVERY:.0f} s after the database is back ({len(late)} did not)",
            )
            steady = [a for a in answers if a.at > ended - STEADY]
            checks.check(
                steady and all(200 <= a.status < 300 for a in steady),
                f"the last {STEADY:.0f} s: {len(steady)} requests, all 2xx",
            )
            checks.check(gunicorn_pids(server.pid) == pids, "the same gunicorn master and workers served throughout")
            created = sum(1 for a in answers if a.kind == "create" and a.status == 201)
            stored = ClipJob.objects.filter(user_id=user.pk).count() - 1
            checks.check(
                stored == created,
                f"every 201 is a stored job and no other was stored ({created} answered, {stored} stored)",
            )
            clean, words = reconcile()
            checks.check(clean, f"credits_reconcile is clean ({words})")
            print(
                f"restart: {marks['restarted'] - marks['restart']:.2f} s, the last failed request "
                f"{marks['restart recovered']:+.2f} s after it; outage: {marks['started'] - marks['stopped']:.2f} s, "
                f"the last failed request {marks['outage recovered']:+.2f} s after the start"
            )
    except Exception as error:  # the summary says what broke; the clean-up has run
        checks.check(False, f"the drill ran to its end ({error!r})")
    return checks.summary()


def counts_of(answers: list[Answer], status: int) -> int:
    return sum(1 for a in answers if a.status == status)


if __name__ == "__main__":
    sys.exit(main())

"""Drill of record: a fleet (two web hosts behind HAProxy, two worker hosts, SeaweedFS, PostgreSQL) under load, with a
web host and a worker SIGKILLed, the store stopped and started again, and 16 slow downloaders.

Run from the checkout: `.venv/bin/python bench/drills/fleet.py` (4 to 5 minutes; bounded at 8). It needs Debian's
HAProxy on PATH (`apt-get install -y haproxy`). Everything listens on loopback addresses:

- web hosts web-1 and web-2: gunicorn with the repository's gunicorn.conf.py (2 sync workers each) on 127.0.0.2 and
  127.0.0.3, behind HAProxy on 127.0.0.1 (config generated in the drill's folder, see `haproxy_config`);
- worker hosts worker-1 and worker-2: `manage.py procrastinate worker`, on the drill's own PostgreSQL cluster;
- SeaweedFS (tests/seaweedfs.py's helpers) as the S3 store of every process, PUBLIC_BASE_URL the HAProxy address;
- the clip provider: tests/fake_pollo.py in this process, serving a real 8.7 MB 1280x720 H.264 MP4.

Load, through HAProxy for the whole run: 20 users (tokens minted here, 10 credits each) submit 10 clip jobs each,
one every SUBMIT_EVERY seconds, with their own job ids (a submission whose answer was lost is sent again with the same
id, which the API makes safe), and poll their jobs' status between submissions. Faults, in sequence:

1. web-1's process group SIGKILLed, started again WEB_DOWN_SECONDS later;
2. worker-1 SIGKILLed while it holds a clip job in `doing`, started again 5 s later; the drill times how long
   until that job starts again (Procrastinate's stalled-job check in `clip_jobs_worker_lost_task`);
3. SeaweedFS SIGKILLed for OUTAGE_SECONDS and started again on the same folder and ports, uploads sent meanwhile.

Then, once every job has ended: the status poll's p95 over POLL_WINDOW seconds of polls alone, and again while 16
clients download a completed clip at 64 KB/s each (its download_url, which redirects to the store).

Checks: no job lost, one spend per job and a refund only for a failed one, `credits_reconcile` clean; failed
requests only those in flight on the killed web host; the outage's uploads answered 503 JSON with Retry-After and
the jobs it met completed after; the dead worker's job ran again within STALL_LIMIT_SECONDS; the poll's p95 with slow
clients within 3x alone, no poll failed. Prints a PASS/FAIL summary; exits 1 on FAIL.
"""

import contextlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

# Run as a script, so this folder is on sys.path.
from common import BASE_DIR, Checks, drill, free_port, log, movements_per_job, reconcile, user_with_credits
from harness import percentile

USERS = 20
SUBMISSIONS_PER_USER = 10
CREDITS = 10
SUBMIT_EVERY = 7.0  # seconds between a user's submissions: 200 in about 70 s
THINK_SECONDS = 0.2  # a user's pause between two requests
WEB_KILL_AT = 8.0  # seconds into the load
WEB_DOWN_SECONDS = 8.0
OUTAGE_SECONDS = 10.0
OUTAGE_UPLOADS = 3
STALL_LIMIT_SECONDS = 120.0
JOBS_END_WAIT = 240.0  # for every job to end after the faults
POLL_WINDOW = 15.0
SLOW_CLIENTS = 16
SLOW_BYTES_PER_SECOND = 64 * 1024
SLOW_P95_LIMIT = 3.0
WEB_HOSTS = {"web-1": "127.0.0.2", "web-2": "127.0.0.3"}
PROXY_ERRORS = {502, 503, 504}
CLIP_JOB_RUN_TASK = "clips.clip_job_run"
PROMPT = "A lighthouse keeper climbs the stairs at dusk as the storm rolls in, take {}"


def haproxy_config(port: int, web_port: int) -> str:
    """The load balancer: health-checked round robin over the web hosts, connection failures alone retried.

    /healthz (the process answers) rather than /readyz (the database answers too): a database outage is every
    host's at once, and taking them all out would turn the app's JSON 503s into HAProxy's HTML ones. maxconn 2
    per host is its 2 sync workers: further requests wait in HAProxy's queue, where a host's death cannot strand
    them. `retry-on conn-failure` with `option redispatch` resends a request only when no host received it (never a
    POST that reached one), and a host that refuses a connection is marked down at once (`on-error mark-down`):
    without it the retry, redispatched while the other host was at its maxconn, went to the dead host again and
    HAProxy answered 503 until its health checks had failed twice (57 polls and 2 submissions in 1.4 s, one run).
    `timeout server` is past gunicorn's 30 s, so the app's own timeout answers first.
    """
    servers = "\n".join(
        f"    server {name} {host}:{web_port} check inter 1s fall 2 rise 2 maxconn 2"
        " observe layer4 error-limit 1 on-error mark-down"
        for name, host in WEB_HOSTS.items()
    )
    return f"""global
    log stdout format raw local0 info
    maxconn 1000

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 1s
    timeout client 30s
    timeout server 35s
    timeout http-request 10s
    timeout http-keep-alive 5s
    timeout queue 15s
    timeout check 2s
    retries 2
    retry-on conn-failure
    option redispatch 1

frontend fleet
    bind 127.0.0.1:{port}
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    http-response set-header X-Served-By %[srv_name]
{servers}
"""


class Store:
    """SeaweedFS in `folder`, which can be SIGKILLed and started again on the same data and ports (the outage)."""

    def __init__(self, folder: Path, processes) -> None:
        from tests.seaweedfs import PORT_NAMES, _identities, _keys, free_ports

        folder.mkdir()
        self.processes, self.process, self.bucket_made = processes, None, False
        self.bucket, self.admin, self.app = "directorstudio-drill", _keys(), _keys()
        config = folder / "s3.json"
        config.write_text(json.dumps(_identities(bucket=self.bucket, admin=self.admin, app=self.app)))
        self.ports = free_ports(2 * len(PORT_NAMES))
        ports = dict(zip(PORT_NAMES, self.ports[::2], strict=True))
        grpc = dict(zip(PORT_NAMES, self.ports[1::2], strict=True))
        # As tests/seaweedfs.py starts it (loopback, telemetry off), with room for 200 clips of 8.7 MB.
        self.command = [str(Path(sys.executable).with_name("weed")), "server", f"-dir={folder}", "-ip=127.0.0.1"]
        self.command += ["-ip.bind=127.0.0.1", "-master.telemetry=false", "-s3", f"-s3.config={config}"]
        self.command += ["-s3.port.iceberg=0", "-s3.port.lance=0", "-volume.max=16", "-master.volumeSizeLimitMB=256"]
        self.command += ["-volume.preStopSeconds=0"]
        for name in PORT_NAMES:
            self.command += [f"-{name}.port={ports[name]}", f"-{name}.port.grpc={grpc[name]}"]
        self.endpoint_url = f"http://127.0.0.1:{ports['s3']}"

    def environment(self) -> dict[str, str]:
        """The settings that give the app's processes this store."""
        return {
            "STORAGE_BACKEND": "s3",
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_ACCESS_KEY_ID": self.app[0],
            "AWS_SECRET_ACCESS_KEY": self.app[1],
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_S3_ADDRESSING_STYLE": "path",
        }

    def client(self) -> object:
        """A boto3 S3 client with the app's key."""
        from tests.seaweedfs import S3Store

        return S3Store(self.endpoint_url, self.bucket, *self.app).client()

    def holds(self, name: str) -> bool:
        """Whether the bucket has an object `name`."""
        from botocore.exceptions import ClientError

        try:
            self.client().head_object(Bucket=self.bucket, Key=name)
        except ClientError:
            return False
        return True

    def start(self) -> float:
        """Start `weed` and wait until the app's key can write to the bucket (created at the first start); seconds."""
        from botocore.exceptions import BotoCoreError, ClientError

        from tests.seaweedfs import _create_bucket

        began = time.monotonic()
        self.process = self.processes.start("seaweedfs", self.command)
        if not self.bucket_made:
            log_file = self.processes.log_dir / "seaweedfs.log"
            _create_bucket(
                self.process, endpoint_url=self.endpoint_url, bucket=self.bucket, admin=self.admin, log=log_file
            )
            self.bucket_made = True
        client = self.client()
        while True:
            try:
                client.put_object(Bucket=self.bucket, Key="drill-probe", Body=b"ok")
                return time.monotonic() - began
            except (BotoCoreError, ClientError):
                if self.process.poll() is not None or time.monotonic() - began > 60:
                    raise RuntimeError(f"SeaweedFS did not start:\n{self.processes.log_tail('seaweedfs')}") from None
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL `weed` (on SIGTERM it waits for its own gRPC streams, for good) and remove its sockets."""
        if self.process is not None:
            self.processes.kill(self.process)
            self.process = None
        for port in self.ports:
            for socket_file in Path(tempfile.gettempdir()).glob(f"seaweedfs-*-{port}.sock"):
                socket_file.unlink(missing_ok=True)


def clip_mp4(folder: Path) -> bytes:
    """A 4 s 1280x720 H.264 fast-start MP4 of about 8.7 MB (noise keeps the bitrate up), so a worker remuxes it."""
    import imageio_ffmpeg

    target = folder / "clip.mp4"
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-v", "error", "-f", "lavfi"]
    command += ["-i", "testsrc2=s=1280x720:r=24:d=4", "-vf", "noise=alls=30:allf=t", "-c:v", "libx264"]
    command += ["-preset", "ultrafast", "-b:v", "17400k", "-maxrate", "17400k", "-bufsize", "4M"]
    command += ["-pix_fmt", "yuv420p", "-movflags", "+faststart", str(target)]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - fixed arguments
    return target.read_bytes()


@dataclass
class Answer:
    """One request of the load: when it ran, its status (None: no HTTP answer) and who answered."""

    kind: str
    started: float
    ended: float
    status: int | None
    error: str = ""
    served_by: str = ""
    from_proxy: bool = False  # a 5xx that HAProxy wrote (not the app's JSON)
    retry_after: str | None = None
    code: str = ""


class Load:
    """The users' submissions and polls, the uploads and the slow downloads, every answer kept."""

    def __init__(self, base_url: str, tokens: list[str]) -> None:
        self.base_url, self.tokens = base_url, tokens
        self.answers: list[Answer] = []
        self.accepted: dict[str, int] = {}  # job id -> the status that took it (201, or 200 for a repeat)
        self.remaining = [SUBMISSIONS_PER_USER] * len(tokens)
        self.stop = threading.Event()
        self.slow_stop = threading.Event()
        self.slow_results: list[dict] = []
        self.threads: list[threading.Thread] = []
        self.began = time.time()

    def client(self, token: str, **options) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, **options)

    def ask(self, client: httpx.Client, kind: str, method: str, url: str, **options) -> tuple[Answer, object]:
        """Send one request and keep its answer."""
        started = time.time()
        try:
            response = client.request(method, url, **options)
        except httpx.TransportError as error:
            answer = Answer(kind, started, time.time(), None, error=type(error).__name__)
            self.answers.append(answer)
            return answer, None
        is_json = response.headers.get("content-type", "").startswith("application/json")
        code = ""
        if is_json and response.status_code >= 400:
            with contextlib.suppress(ValueError, AttributeError):
                code = response.json().get("code", "")
        answer = Answer(
            kind,
            started,
            time.time(),
            response.status_code,
            served_by=response.headers.get("x-served-by", ""),
            from_proxy=response.status_code >= 500 and not is_json,
            retry_after=response.headers.get("retry-after"),
            code=code,
        )
        self.answers.append(answer)
        return answer, response

    def start(self) -> None:
        self.began = time.time()
        for index, token in enumerate(self.tokens):
            thread = threading.Thread(target=self.user, args=(index, token), daemon=True)
            thread.start()
            self.threads.append(thread)

    def user(self, index: int, token: str) -> None:
        """Submit this user's jobs on schedule, each with its own id (sent again, same id, if its answer was lost),
        and poll their status in between."""
        mine: list[str] = []
        planned = [str(uuid.uuid4()) for _ in range(SUBMISSIONS_PER_USER)]
        due = self.began + index * SUBMIT_EVERY / len(self.tokens)
        with self.client(token, timeout=20) as client:
            while not self.stop.is_set():
                if planned and time.time() >= due:
                    body = {"id": planned[0], "prompt": PROMPT.format(planned[0][:8])}
                    answer, _ = self.ask(client, "submit", "POST", "/api/v1/clip_jobs/", json=body)
                    if answer.status in (200, 201):
                        self.accepted[planned.pop(0)] = answer.status
                        mine.append(body["id"])
                        self.remaining[index] = len(planned)
                        due += SUBMIT_EVERY
                    elif answer.status is None or answer.status >= 500:
                        due = time.time() + 1.0  # the same id again in a second
                    else:
                        log(f"  submission answered {answer.status} {answer.code}: not sent again")
                        planned.pop(0)
                        self.remaining[index] = len(planned)
                elif mine:
                    self.ask(client, "poll", "GET", f"/api/v1/clip_jobs/{random.choice(mine)}/")  # noqa: S311
                self.stop.wait(THINK_SECONDS)

    def upload(self, token: str, video: bytes) -> Answer:
        """`POST /api/v1/video_uploads/` of a small MP4."""
        with self.client(token, timeout=30) as client:
            files = {"file": ("drill.mp4", video, "video/mp4")}
            answer, _ = self.ask(
                client, "upload", "POST", "/api/v1/video_uploads/", files=files, data={"project_id": "fleet"}
            )
        return answer

    def slow_download(self, token: str, url: str) -> None:
        """Follow a clip's download_url (a redirect to the store) and read the MP4 at SLOW_BYTES_PER_SECOND."""
        result = {"first": None, "final": None, "host": "", "bytes": 0, "seconds": 0.0, "error": ""}
        began = time.monotonic()
        try:
            with httpx.Client(timeout=30, follow_redirects=True) as client, client.stream("GET", url) as response:
                first = response.history[0] if response.history else response
                result.update(first=first.status_code, final=response.status_code, host=response.url.host)
                result["host"] = f"{response.url.host}:{response.url.port}"
                for chunk in response.iter_bytes(16 * 1024):
                    result["bytes"] += len(chunk)
                    ahead = result["bytes"] / SLOW_BYTES_PER_SECOND - (time.monotonic() - began)
                    if self.slow_stop.wait(max(ahead, 0)):
                        break
        except httpx.HTTPError as error:
            result["error"] = type(error).__name__
        result["seconds"] = time.monotonic() - began
        self.slow_results.append(result)

    def end(self) -> None:
        self.slow_stop.set()
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def sql(query: str, params: list | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        return cursor.fetchall()


def newest_worker_id() -> int:
    return sql("SELECT max(id) FROM procrastinate_workers")[0][0]


def start_web(run, name: str, port: int) -> subprocess.Popen:
    """A web host: gunicorn on its own loopback address, with a fresh metrics folder of its own."""
    metrics = run.root / f"metrics-{name}"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir()
    process, _ = run.processes.gunicorn(name, port, {"PROMETHEUS_MULTIPROC_DIR": str(metrics)}, host=WEB_HOSTS[name])
    return process


def start_worker(run, name: str) -> tuple[subprocess.Popen, int]:
    """A worker host (temporary files in the drill's folder) and its Procrastinate worker id."""
    tmp = run.root / f"tmp-{name}"
    tmp.mkdir(exist_ok=True)
    process = run.processes.worker(name, env={"TMPDIR": str(tmp)})
    return process, newest_worker_id()


def wait_served_by(load: Load, name: str, since: float, limit: float = 30.0) -> float:
    """Seconds from `since` until HAProxy sent a request to host `name`."""
    deadline = time.time() + limit
    while time.time() < deadline:
        served = [a.ended for a in load.answers[-400:] if a.served_by == name and a.started >= since]
        if served:
            return min(served) - since
        time.sleep(0.1)
    raise TimeoutError(f"HAProxy sent nothing to {name} within {limit:.0f} s")


def p95_ms(answers: list[Answer]) -> float:
    return 1000 * percentile([a.ended - a.started for a in answers], 0.95) if answers else float("nan")


@dataclass
class Faults:
    """When each fault struck (time.time()) and what it touched."""

    web_killed: float = 0.0
    web_dead: float = 0.0  # once web-1's processes were gone
    worker_killed: float = 0.0
    stalled_job: int = 0  # the Procrastinate job worker-1 held
    stalled_clip_job: str = ""
    outage_began: float = 0.0
    uploads: dict[str, list[Answer]] = field(default_factory=dict)  # before, during and after the outage
    windows: dict[str, tuple[float, float]] = field(default_factory=dict)  # the two poll windows


def web_host_killed(run, load: Load, web: dict, web_port: int, faults: Faults) -> None:
    """SIGKILL web-1's process group at WEB_KILL_AT, start it again WEB_DOWN_SECONDS later."""
    time.sleep(max(0, load.began + WEB_KILL_AT - time.time()))
    faults.web_killed = time.time()
    run.processes.kill(web["web-1"])
    faults.web_dead = time.time()
    log(
        f"1. web-1 SIGKILLed at +{faults.web_killed - load.began:.1f} s,"
        f" its processes gone {1000 * (faults.web_dead - faults.web_killed):.0f} ms later"
    )
    time.sleep(WEB_DOWN_SECONDS)
    started = time.time()
    web["web-1"] = start_web(run, "web-1", web_port)
    log(f"   web-1 started again, in HAProxy's rotation {wait_served_by(load, 'web-1', started):.1f} s after its start")


def worker_killed_mid_job(run, load: Load, workers: dict, faults: Faults, checks: Checks) -> None:
    """SIGKILL worker-1 (its group) once it holds a clip job in `doing`; start it again 5 s later."""
    from clips.models import ClipJob

    process, worker_id = workers["worker-1"]
    deadline = time.monotonic() + 60
    holding = "SELECT id, args->>'clip_job_id' FROM procrastinate_jobs WHERE status = 'doing' AND task_name = %s"
    while not (held := sql(f"{holding} AND worker_id = %s", [CLIP_JOB_RUN_TASK, worker_id])):
        if time.monotonic() > deadline:
            raise TimeoutError("worker-1 held no clip job within 60 s")
        time.sleep(0.05)
    faults.stalled_job, faults.stalled_clip_job = held[0]
    faults.worker_killed = time.time()
    run.processes.kill(process)
    left = ClipJob.objects.get(pk=faults.stalled_clip_job).status
    log(f"2. worker-1 SIGKILLed at +{faults.worker_killed - load.began:.1f} s holding clip job {held[0][1]} ({left})")
    checks.check(left == "processing", f"worker-1 died mid-job: its clip job is left {left}")
    time.sleep(5)
    workers["worker-1"] = start_worker(run, "worker-1")
    log("   worker-1 started again")


def store_outage(store: Store, load: Load, token: str, video: bytes, faults: Faults) -> None:
    """SIGKILL SeaweedFS for OUTAGE_SECONDS and start it again, with uploads before, during and after."""
    faults.uploads["before"] = [load.upload(token, video)]
    store.kill()
    faults.outage_began = time.time()
    log(f"3. SeaweedFS SIGKILLed at +{faults.outage_began - load.began:.1f} s")
    during = faults.uploads["during"] = []
    while time.time() < faults.outage_began + OUTAGE_SECONDS - 2 and len(during) < OUTAGE_UPLOADS:
        during.append(load.upload(token, video))
        time.sleep(1)
    time.sleep(max(0, faults.outage_began + OUTAGE_SECONDS - time.time()))
    down = time.time() - faults.outage_began
    ready = store.start()
    faults.uploads["after"] = [load.upload(token, video)]
    statuses = {when: [a.status for a in answers] for when, answers in faults.uploads.items()}
    log(f"   SeaweedFS started again after {down:.1f} s down, taking writes {ready:.1f} s later; uploads {statuses}")


def jobs_ended_wait(load: Load) -> None:
    """Wait until every submission is accepted and every job has ended."""
    from clips.models import ClipJob

    log("waiting for every submission and every job to end")
    deadline = time.monotonic() + JOBS_END_WAIT
    while sum(load.remaining) or ClipJob.objects.filter(status__in=["queued", "processing"]).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs still running {JOBS_END_WAIT:.0f} s after the faults")
        time.sleep(1)
    log(f"   all ended at +{time.time() - load.began:.1f} s")


def poll_windows(load: Load, tokens: list[str], faults: Faults) -> None:
    """POLL_WINDOW seconds of polls alone, then as long with SLOW_CLIENTS slow downloads of a completed clip."""
    from clips.models import ClipJob

    began = time.time()
    time.sleep(POLL_WINDOW)
    faults.windows["alone"] = (began, time.time())
    url = ClipJob.objects.filter(status="completed").order_by("completed_at").first().download_url
    for index in range(SLOW_CLIENTS):
        thread = threading.Thread(target=load.slow_download, args=(tokens[index % USERS], url), daemon=True)
        thread.start()
        load.threads.append(thread)
    time.sleep(2)  # the downloads under way
    began = time.time()
    time.sleep(POLL_WINDOW)
    faults.windows["slow"] = (began, time.time())


def requests_check(load: Load, faults: Faults, checks: Checks) -> None:
    """Every request counted; the failed ones only those in flight on web-1 at its kill, no 500."""
    answers = list(load.answers)
    log(f"requests in all: {len(answers)} ({dict(Counter(a.kind for a in answers))})")
    log(f"  served by: {dict(Counter(a.served_by for a in answers if a.served_by))}")
    five = Counter((a.kind, a.status, "proxy" if a.from_proxy else a.code) for a in answers if (a.status or 0) >= 500)
    log(f"  5xx: {dict(five) or 'none'}")
    expected = {id(a) for a in faults.uploads["during"]}
    failed = [a for a in answers if (a.status is None or a.status >= 500) and id(a) not in expected]
    # In flight on web-1: sent before its processes were gone (the SIGKILL and the wait for its master).
    in_flight = [a for a in failed if a.started <= faults.web_dead and a.ended >= faults.web_killed]
    for a in failed:
        log(
            f"  failed {a.kind} {a.status or a.error} sent {a.started - faults.web_killed:+.3f} s from the kill,"
            f" answered {a.ended - faults.web_killed:+.3f} s"
        )
    checks.check(
        len(failed) == len(in_flight),
        f"failed requests: {len(in_flight)} in flight on web-1 at its kill, {len(failed) - len(in_flight)} otherwise",
    )
    checks.check(not any(a.status == 500 for a in answers), "no request answered 500")


def uploads_check(store: Store, faults: Faults, checks: Checks) -> None:
    """The outage's uploads answered 503 JSON with Retry-After and left nothing; the others were stored."""
    from clips.models import VideoUpload

    during = faults.uploads["during"]
    checks.check(
        bool(during) and all(a.status == 503 and a.retry_after and a.code == "storage_unavailable" for a in during),
        f"the outage's uploads answered 503 JSON storage_unavailable with Retry-After "
        f"({[(a.status, a.code, a.retry_after) for a in during]})",
    )
    around = faults.uploads["before"] + faults.uploads["after"]
    checks.check(all(a.status == 201 for a in around), "an upload just before and just after the outage: 201")
    names = list(VideoUpload.objects.values_list("filename", flat=True))
    stored = [name for name in names if store.holds(name)]
    checks.check(
        len(names) == len(stored) == len(around),
        f"{len(around)} upload rows, each with its object in the bucket (rows {len(names)}, objects {len(stored)})",
    )


def jobs_check(load: Load, store: Store, faults: Faults, checks: Checks) -> None:
    """No job lost, one spend each, a refund only for a failed one, the ledger reconciled; the dead worker's job
    ran again in time; the jobs that met the outage completed after it."""
    from clips.models import ClipJob

    rows = dict(ClipJob.objects.values_list("id", "status"))
    statuses = Counter(rows.values())
    accepted = {uuid.UUID(job_id) for job_id in load.accepted}
    repeats = sum(1 for status in load.accepted.values() if status == 200)
    log(f"  jobs: {dict(statuses)}; accepted {len(accepted)} ({repeats} on a repeat of a lost answer)")
    submissions = USERS * SUBMISSIONS_PER_USER
    checks.check(
        len(accepted) == submissions and set(rows) == accepted,
        f"all {submissions} submissions accepted, one job each ({len(rows)} jobs)",
    )
    lost = [job for job in accepted if rows.get(job) != "completed"]
    checks.check(not lost, f"0 jobs lost: every accepted job completed ({len(lost)} did not)")
    moved = movements_per_job(list(rows))
    spends, refunds = sum(s for s, _ in moved.values()), sum(r for _, r in moved.values())
    completed, failed = statuses.get("completed", 0), statuses.get("failed", 0)
    checks.check(
        all(s == 1 for s, _ in moved.values()) and spends == completed + failed and refunds == failed,
        f"one spend per job ({spends} = {completed} completed + {failed} failed), {refunds} refunds",
    )
    clean, words = reconcile()
    checks.check(clean, f"credits_reconcile is clean ({words})")
    keys = set()
    for page in store.client().get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix="clips/"):
        keys.update(item["Key"] for item in page.get("Contents", []))
    missing = [job for job in accepted if f"clips/{job}.mp4" not in keys]
    checks.check(not missing, f"every completed job's MP4 is in the bucket ({len(missing)} missing)")

    events = sql("SELECT type::text, at FROM procrastinate_events WHERE job_id = %s ORDER BY id", [faults.stalled_job])
    killed = datetime.fromtimestamp(faults.worker_killed, tz=UTC)

    def after_kill(*kinds: str) -> float:
        return next(((at - killed).total_seconds() for kind, at in events if kind in kinds and at > killed), math.inf)

    ran_again = after_kill("started")
    log(
        f"  the dead worker's job: queued again after {after_kill('deferred_for_retry'):.1f} s, started again after"
        f" {ran_again:.1f} s, ended after {after_kill('succeeded', 'failed'):.1f} s"
        f" ({rows.get(uuid.UUID(faults.stalled_clip_job))})"
    )
    checks.check(
        ran_again < STALL_LIMIT_SECONDS,
        f"the dead worker's job ran again {ran_again:.1f} s after the kill (< {STALL_LIMIT_SECONDS:.0f} s)",
    )

    met = sql(
        "SELECT j.args->>'clip_job_id', min(e.at), count(*) FROM procrastinate_events e"
        " JOIN procrastinate_jobs j ON j.id = e.job_id"
        " WHERE e.type = 'deferred_for_retry' AND j.task_name = %s AND j.id <> %s GROUP BY 1",
        [CLIP_JOB_RUN_TASK, faults.stalled_job],
    )
    met_ids = [uuid.UUID(job_id) for job_id, _, _ in met]
    when = sorted(at.timestamp() - faults.outage_began for _, at, _ in met) or [math.nan]
    log(
        f"  jobs that met the outage: {len(met_ids)} (their first retry deferred {when[0]:+.1f} to {when[-1]:+.1f} s"
        f" from its start; retries per job: {dict(Counter(retries for _, _, retries in met))})"
    )
    checks.check(
        bool(met_ids) and all(rows[job] == "completed" and moved[str(job)] == (1, 0) for job in met_ids),
        f"the {len(met_ids)} jobs that met the outage completed after it, one spend and no refund each",
    )


def slow_clients_check(load: Load, faults: Faults, proxy_port: int, checks: Checks) -> None:
    """The poll's p95 with the slow clients within SLOW_P95_LIMIT of alone, no poll failed, the clients served by
    the store."""
    polls = [a for a in load.answers if a.kind == "poll"]
    window = {name: [a for a in polls if began <= a.started < ended] for name, (began, ended) in faults.windows.items()}
    alone, slow = p95_ms(window["alone"]), p95_ms(window["slow"])
    log(
        f"  status poll p95: {alone:.1f} ms alone ({len(window['alone'])} polls), {slow:.1f} ms with"
        f" {SLOW_CLIENTS} slow clients ({len(window['slow'])} polls); ratio {slow / alone:.2f}"
    )
    checks.check(
        slow <= SLOW_P95_LIMIT * alone and all(a.status == 200 for a in window["alone"] + window["slow"]),
        f"poll p95 with slow clients {slow:.1f} ms <= {SLOW_P95_LIMIT:g}x alone {alone:.1f} ms, no poll failed",
    )
    results = load.slow_results
    rates = [r["bytes"] / r["seconds"] / 1024 for r in results if r["seconds"]]
    log(
        f"  slow clients: {Counter((r['first'], r['final'], r['host'], r['error']) for r in results)},"
        f" {sum(r['bytes'] for r in results) / 1e6:.1f} MB read at {min(rates, default=0):.0f}-"
        f"{max(rates, default=0):.0f} KB/s"
    )
    checks.check(
        len(results) == SLOW_CLIENTS
        and all(r["first"] == 302 and r["final"] == 200 and r["host"] != f"127.0.0.1:{proxy_port}" for r in results),
        f"the {SLOW_CLIENTS} slow clients were redirected (302) and read the clip from the store (200)",
    )


def haproxy_install() -> None:
    """Install Debian's HAProxy, as bin/test installs Debian's Chromium (as root, or through sudo)."""
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    log("installing Debian's haproxy")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "haproxy"]):
        subprocess.run([*sudo, *command], env=environment, stdout=subprocess.DEVNULL, check=False)  # noqa: S603 - fixed arguments


def main() -> int:
    checks = Checks("the fleet drill of record")
    if not shutil.which("haproxy"):
        haproxy_install()
    if not shutil.which("haproxy"):
        checks.check(False, "haproxy is on PATH (Debian's: `apt-get update && apt-get install -y haproxy`)")
        return checks.summary()
    proxy_port, web_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{proxy_port}"
    settings = {
        "ALLOWED_HOSTS": "127.0.0.1,127.0.0.2,127.0.0.3",
        "PUBLIC_BASE_URL": base_url,
        "CLIP_PROVIDER": "pollo",
        "POLLO_POLL_INTERVAL_SECONDS": "0.2",
    }
    began = time.monotonic()
    pollo = store = load = None
    try:
        with drill("fleet", seconds=480, **settings) as run:
            from tests.fake_pollo import FakePollo, sample_mp4

            try:
                store = Store(run.root / "seaweedfs", run.processes)
                log(f"SeaweedFS ready in {store.start():.1f} s at {store.endpoint_url}")
                run.env.update(store.environment())
                clip = clip_mp4(run.root)
                pollo = FakePollo(video=clip, polls_until_done=2).start()
                run.env.update({"POLLO_API_KEY": pollo.api_key, "POLLO_BASE_URL": pollo.base_url})
                log(f"the fake provider serves a {len(clip) / 1e6:.2f} MB MP4 at {pollo.base_url}")
                web = {name: start_web(run, name, web_port) for name in WEB_HOSTS}
                config = run.root / "haproxy.cfg"
                config.write_text(haproxy_config(proxy_port, web_port))
                run.processes.start("haproxy", ["haproxy", "-f", str(config), "-db"])
                workers = {name: start_worker(run, name) for name in ("worker-1", "worker-2")}
                tokens = [user_with_credits(f"fleet{index}", CREDITS)[2] for index in range(USERS)]
                deadline = time.monotonic() + 30
                while not all(wait_until_answers(base_url, name) for name in WEB_HOSTS):
                    if time.monotonic() > deadline:
                        raise TimeoutError("HAProxy did not see both web hosts up")
                log(f"fleet up: HAProxy at {base_url}, web hosts on {', '.join(WEB_HOSTS.values())}:{web_port}")

                log(f"load: {USERS} users submitting and polling")
                load = Load(base_url, tokens)
                load.start()
                faults = Faults()
                web_host_killed(run, load, web, web_port, faults)
                worker_killed_mid_job(run, load, workers, faults, checks)
                store_outage(store, load, tokens[0], sample_mp4(), faults)
                jobs_ended_wait(load)
                poll_windows(load, tokens, faults)
                load.end()
                log(f"load stopped at +{time.time() - load.began:.1f} s")

                requests_check(load, faults, checks)
                uploads_check(store, faults, checks)
                jobs_check(load, store, faults, checks)
                slow_clients_check(load, faults, proxy_port, checks)
            finally:
                if load is not None:
                    load.end()
                if store is not None:
                    store.kill()
    except Exception as error:  # the summary says what broke; the clean-up has run
        checks.check(False, f"the drill ran to its end ({error!r})")
    finally:
        if pollo is not None:
            pollo.stop()
    log(f"run time {time.monotonic() - began:.0f} s")
    return checks.summary()


def wait_until_answers(base_url: str, name: str) -> bool:
    """Whether HAProxy sends requests to host `name` (a few tries of /healthz through it)."""
    for _ in range(6):
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=2).headers.get("x-served-by") == name:
                return True
        time.sleep(0.2)
    return False


if __name__ == "__main__":
    sys.path.insert(0, str(BASE_DIR))
    sys.exit(main())

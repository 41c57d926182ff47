"""A local stand-in for Pollo AI's platform API, for tests: a stdlib HTTP server on 127.0.0.1 in a thread.

It speaks what `clips/providers/pollo.py` expects:

- POST /api/platform/generation/<provider>/<model> (header x-api-key, JSON {"input": {"prompt",
  "length", "aspectRatio"}}) creates a task and answers its taskId;
  (400 when the prompt is longer than `max_prompt_chars`);
- GET /api/platform/task/<taskId> reports the task: waiting, then processing, then (after
  `polls_until_done` polls) its `outcome`: "succeed" (with the video's URL), "fail" (with
  `fail_message`) or "never" (processing forever);
- GET /files/<taskId>.mp4 serves `video` (a real small MP4 unless a test sets other bytes).

Answers come in Pollo's documented shape (`shape="docs"`: {"code", "message", "data": {"taskId",
"generations": [{"status", "url", "failMsg"}]}}) or a flat one (`shape="flat"`: {"taskId", "status",
"videoUrl", "error"}). Failures are scriptable: `fail_next` holds HTTP statuses the next requests get
instead of their answer (429s carry `Retry-After: 0`), and `hang_next` makes that many next requests
hang for `hang_seconds` (or until `stop()`). `requests` records every request.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import imageio_ffmpeg

GENERATION_PREFIX = "/api/platform/generation/"
TASK_PREFIX = "/api/platform/task/"
FILES_PREFIX = "/files/"


@cache
def sample_mp4(width: int = 640, height: int = 360, seconds: float = 1.0, codec: str = "libx264") -> bytes:
    """A real small MP4 (ffmpeg's test pattern), rendered once per set of arguments."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "sample.mp4"
        extra = ["-pix_fmt", "yuv420p", "-preset", "ultrafast"] if codec == "libx264" else []
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=s={width}x{height}:r=24:d={seconds}",
            "-c:v",
            codec,
            *extra,
            str(target),
        ]
        subprocess.run(command, check=True, capture_output=True)
        return target.read_bytes()


@dataclass
class Task:
    id: str
    prompt: str
    length: int
    outcome: str
    fail_message: str
    polls: int = 0


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None


@dataclass
class FakePollo:
    api_key: str = "test-pollo-key"
    polls_until_done: int = 2
    outcome: str = "succeed"
    fail_message: str = "The prompt was flagged by content moderation."
    shape: str = "docs"
    max_prompt_chars: int = 2000
    video: bytes = b""
    fail_next: list[int] = field(default_factory=list)
    hang_next: int = 0
    hang_seconds: float = 10.0
    tasks: dict[str, Task] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.video = self.video or sample_mp4()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ---

    def start(self) -> FakePollo:
        fake = self

        class Handler(_Handler):
            pollo = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakePollo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def calls(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    # --- what the handler asks ---

    def _scripted_failure(self) -> tuple[str, int | None]:
        """("hang", None), ("status", code) or ("", None), consuming one scripted item."""
        with self._lock:
            if self.hang_next > 0:
                self.hang_next -= 1
                return "hang", None
            if self.fail_next:
                return "status", self.fail_next.pop(0)
        return "", None

    def _create(self, body: Any) -> tuple[int, dict[str, Any]]:
        source = body.get("input") if isinstance(body, dict) else None
        if not isinstance(source, dict) or not isinstance(source.get("prompt"), str) or not source["prompt"]:
            return 400, {"code": "BAD_REQUEST", "message": "input.prompt is required"}
        if len(source["prompt"]) > self.max_prompt_chars:
            return 400, {
                "code": "BAD_REQUEST",
                "message": f"prompt is too long (max {self.max_prompt_chars} characters)",
            }
        if not isinstance(source.get("length"), int) or source.get("aspectRatio") != "16:9":
            return 400, {"code": "BAD_REQUEST", "message": "input.length and input.aspectRatio are required"}
        task = Task(uuid.uuid4().hex, source["prompt"], source["length"], self.outcome, self.fail_message)
        with self._lock:
            self.tasks[task.id] = task
        if self.shape == "flat":
            return 200, {"taskId": task.id, "status": "waiting"}
        return 200, {"code": "SUCCESS", "message": "success", "data": {"taskId": task.id, "status": "waiting"}}

    def _status(self, task_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None:
                return 404, {"code": "NOT_FOUND", "message": "Task not found"}
            task.polls += 1
            polls = task.polls
        if polls == 1:
            status = "waiting"
        elif polls < self.polls_until_done or task.outcome == "never":
            status = "processing"
        else:
            status = "succeed" if task.outcome == "succeed" else "failed"
        url = f"{self.base_url}{FILES_PREFIX}{task.id}.mp4" if status == "succeed" else None
        message = task.fail_message if status == "failed" else None
        if self.shape == "flat":
            flat_status = {"succeed": "completed"}.get(status, status)
            return 200, {"taskId": task.id, "status": flat_status, "videoUrl": url, "error": message}
        generation = {"id": f"g-{task.id}", "status": status, "failMsg": message, "url": url, "mediaType": "video"}
        return 200, {"code": "SUCCESS", "message": "success", "data": {"taskId": task.id, "generations": [generation]}}


class _Handler(BaseHTTPRequestHandler):
    pollo: FakePollo
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def _handle(self, method: str) -> None:
        fake = self.pollo
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        fake.requests.append(Recorded(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body))

        kind, code = fake._scripted_failure()
        if kind == "hang":
            fake._release.wait(fake.hang_seconds)
            self.close_connection = True
            return
        if kind == "status":
            headers = {"Retry-After": "0"} if code == 429 else {}
            self._json(code, {"code": "ERROR", "message": f"scripted HTTP {code}"}, headers)
            return

        if self.path.startswith(FILES_PREFIX) and method == "GET":
            self._send(200, fake.video, "video/mp4")
            return
        if self.headers.get("x-api-key") != fake.api_key:
            self._json(401, {"code": "UNAUTHORIZED", "message": "Invalid API key"})
            return
        if method == "POST" and self.path.startswith(GENERATION_PREFIX):
            model = self.path.removeprefix(GENERATION_PREFIX)
            if model.count("/") != 1:
                self._json(404, {"code": "NOT_FOUND", "message": "Unknown model"})
                return
            self._json(*fake._create(body))
            return
        if method == "GET" and self.path.startswith(TASK_PREFIX):
            self._json(*fake._status(self.path.removeprefix(TASK_PREFIX)))
            return
        self._json(404, {"code": "NOT_FOUND", "message": "Not found"})

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

"""Pollo AI's platform API (https://pollo.ai): submit a text-to-video task, poll it, download the video.

The exchange (see `../shared/spec/domain.md`, "Credits and clip jobs"):

1. POST `{base_url}/api/platform/generation/{provider}/{model}` with header `x-api-key` and JSON
   `{"input": {"prompt": ..., "length": seconds, "aspectRatio": "16:9"}}`. The answer carries the task
   id as `{"data": {"taskId": ...}}` or `{"taskId": ...}`.
2. GET `{base_url}/api/platform/task/{taskId}` every `poll_interval` seconds. The task may be wrapped
   in `data` or not; its status and video are read from the first of `generations` when the answer
   has that list (Pollo's documented shape: `{"taskId", "generations": [{"status", "url", "failMsg"}]}`),
   else from the task itself (`status`, `videoUrl` or `url`, `failMsg`/`error`/`reason`/`message`).
   Status words (case-insensitive): succeed/success/succeeded/completed/complete/done/finished end it
   well; failed/fail/failure/error/cancelled/canceled/rejected end it badly; anything else
   (waiting, queued, processing, ...) means keep polling.
3. GET the video URL (without the API key: it is usually on a CDN), then make sure it is a
   fast-start H.264 16:9 MP4 (remux, or re-encode when it is not) and grab a poster frame.

Errors: every HTTP call is retried with exponential backoff (and `Retry-After`) on 5xx, 429, 408,
timeouts and connection errors, `max_retries` times at most; after that it is `ServiceUnavailable`.
Other 4xx answers (a refused prompt, a wrong API key), a failed task, or a finished task without a
usable video are `ClipGenerationFailed`. A task that has not finished `timeout` seconds after it was
submitted is `ServiceUnavailable` (the whole submit-and-poll phase shares that deadline).
"""

from __future__ import annotations

import logging
import pathlib
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx

from . import media
from .base import ClipGenerationFailed, GeneratedClip, ServiceUnavailable

logger = logging.getLogger(__name__)

SUCCEEDED = frozenset({"succeed", "succeeded", "success", "successful", "completed", "complete", "done", "finished"})
FAILED = frozenset({"failed", "fail", "failure", "error", "cancelled", "canceled", "rejected"})
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_VIDEO_BYTES = 500 * 1024 * 1024
MAX_REASON_CHARS = 300


class PolloClipProvider:
    """Makes clips with Pollo AI; configure it with `from_settings()` (the POLLO_* settings)."""

    generation_path = "/api/platform/generation/{model}"
    status_path = "/api/platform/task/{task_id}"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "https://pollo.ai",
        model: str = "pollo/pollo-v1-6",
        poll_interval: float = 5.0,
        timeout: float = 600.0,
        max_retries: int = 4,
        http_timeout: float = 30.0,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("POLLO_API_KEY must be set to make clips with Pollo AI (CLIP_PROVIDER=pollo).")
        if model.count("/") != 1 or not all(model.split("/")):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"POLLO_MODEL must read provider/model, e.g. pollo/pollo-v1-6, not {model!r}.")
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.http_timeout = http_timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.sleep = sleep

    @classmethod
    def from_settings(cls, **overrides: Any) -> PolloClipProvider:
        from django.conf import settings

        options = {
            "api_key": getattr(settings, "POLLO_API_KEY", ""),
            "base_url": getattr(settings, "POLLO_BASE_URL", "https://pollo.ai"),
            "model": getattr(settings, "POLLO_MODEL", "pollo/pollo-v1-6"),
            "poll_interval": float(getattr(settings, "POLLO_POLL_INTERVAL_SECONDS", 5)),
            "timeout": float(getattr(settings, "POLLO_TIMEOUT_SECONDS", 600)),
            "max_retries": int(getattr(settings, "POLLO_MAX_RETRIES", 4)),
        }
        return cls(**{**options, **overrides})

    # --- the one public call --------------------------------------------------------------------

    def generate(self, *, prompt: str, seconds: int, workdir: pathlib.Path) -> GeneratedClip:
        if not prompt.strip():
            raise ClipGenerationFailed("A clip needs a prompt.")
        workdir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        with self._api_client() as api:
            task_id = self._submit(api, prompt=prompt, seconds=seconds, deadline=deadline)
            logger.info("Pollo task %s submitted (%s, %ss)", task_id, self.model, seconds)
            video_url = self._wait(api, task_id, deadline=deadline)
        download = workdir / "download.mp4"
        video = workdir / "clip.mp4"
        poster = workdir / "poster.jpg"
        try:
            self._download(video_url, download)
            media.normalise(download, video, media.probe(download))
        finally:
            download.unlink(missing_ok=True)
        info = media.probe(video)
        media.extract_poster(video, poster, at_seconds=min(info.duration_seconds / 2, 2.0))
        logger.info("Pollo task %s done: %.2fs video", task_id, info.duration_seconds)
        return GeneratedClip(video_path=video, poster_path=poster, duration_seconds=info.duration_seconds)

    # --- the three steps ------------------------------------------------------------------------

    def _submit(self, api: httpx.Client, *, prompt: str, seconds: int, deadline: float) -> str:
        body = {"input": {"prompt": prompt, "length": seconds, "aspectRatio": "16:9"}}
        path = self.generation_path.format(model=self.model)
        payload = self._json(self._request(api, "POST", path, deadline=deadline, json=body))
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        task_id = data.get("taskId") or payload.get("taskId")
        if not isinstance(task_id, str | int) or isinstance(task_id, bool) or not str(task_id):
            logger.error("Pollo answered a generation request without a taskId: %.500r", payload)
            raise ServiceUnavailable("The video service gave an unexpected answer; try again later.")
        return str(task_id)

    def _wait(self, api: httpx.Client, task_id: str, *, deadline: float) -> str:
        """Poll the task until it ends; the video URL when it succeeded."""
        path = self.status_path.format(task_id=quote(task_id, safe=""))
        last_status = None
        while True:
            payload = self._json(self._request(api, "GET", path, deadline=deadline))
            status, url, reason = read_task(payload)
            if status != last_status:
                logger.info("Pollo task %s is %s", task_id, status or "(no status)")
                last_status = status
            if status in SUCCEEDED:
                if not url or not url.startswith(("https://", "http://")):
                    logger.error("Pollo task %s succeeded without a video URL: %.500r", task_id, payload)
                    raise ClipGenerationFailed("The video service finished but sent no video.")
                return url
            if status in FAILED:
                reason = (reason or "no reason given").strip()[:MAX_REASON_CHARS]
                raise ClipGenerationFailed(f"The video service could not make this clip: {reason}")
            if time.monotonic() + self.poll_interval >= deadline:
                logger.warning("Pollo task %s not finished after %ss (last status %s)", task_id, self.timeout, status)
                raise ServiceUnavailable("The video service is taking too long to make this clip; try again later.")
            self.sleep(self.poll_interval)

    def _download(self, url: str, target: pathlib.Path) -> None:
        """Stream the video to `target`, retrying transient failures; never sends the API key."""
        timeout = httpx.Timeout(self.http_timeout, connect=min(self.http_timeout, 10.0))
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            for attempt in range(self.max_retries + 1):
                try:
                    with client.stream("GET", url) as response:
                        if response.status_code in RETRYABLE_STATUS:
                            raise _Retryable(response, f"HTTP {response.status_code}")
                        if response.status_code >= 400:
                            logger.error("Downloading Pollo video %s: HTTP %s", url, response.status_code)
                            raise ClipGenerationFailed("The finished video could not be downloaded.")
                        size = 0
                        with target.open("wb") as file:
                            for chunk in response.iter_bytes(64 * 1024):
                                size += len(chunk)
                                if size > MAX_VIDEO_BYTES:
                                    raise ClipGenerationFailed("The video service sent a file that is too large.")
                                file.write(chunk)
                    if size == 0:
                        raise ClipGenerationFailed("The video service sent an empty video.")
                    return
                except (_Retryable, httpx.TransportError) as exc:
                    self._back_off(attempt, exc, what=f"download {url}", deadline=None)
        raise AssertionError("unreachable")  # _back_off raises on the last attempt

    # --- HTTP with retries ----------------------------------------------------------------------

    @contextmanager
    def _api_client(self) -> Iterator[httpx.Client]:
        headers = {"x-api-key": self.api_key, "accept": "application/json"}
        with httpx.Client(base_url=self.base_url, headers=headers, follow_redirects=False) as client:
            yield client

    def _request(self, api: httpx.Client, method: str, path: str, *, deadline: float, **kwargs: Any) -> httpx.Response:
        """One API call, retried on transient failures; 4xx answers become `ClipGenerationFailed`."""
        for attempt in range(self.max_retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServiceUnavailable("The video service is taking too long to make this clip; try again later.")
            timeout = httpx.Timeout(min(self.http_timeout, remaining), connect=min(self.http_timeout, remaining, 10.0))
            try:
                response = api.request(method, path, timeout=timeout, **kwargs)
            except httpx.TransportError as exc:  # timeouts, refused or dropped connections
                self._back_off(attempt, exc, what=f"{method} {path}", deadline=deadline)
                continue
            if response.status_code in RETRYABLE_STATUS:
                self._back_off(
                    attempt, _Retryable(response, f"HTTP {response.status_code}"), what=path, deadline=deadline
                )
                continue
            if response.status_code in (401, 403):
                logger.error("Pollo refused the API key (HTTP %s) on %s %s", response.status_code, method, path)
                raise ClipGenerationFailed(
                    "Clip generation is not set up correctly on the server: the video service refused its API key."
                )
            if response.status_code >= 400:
                reason = error_reason(response)
                logger.warning("Pollo answered %s %s with HTTP %s: %s", method, path, response.status_code, reason)
                raise ClipGenerationFailed(f"The video service refused this clip: {reason}")
            return response
        raise AssertionError("unreachable")  # _back_off raises on the last attempt

    def _back_off(self, attempt: int, exc: Exception, *, what: str, deadline: float | None) -> None:
        """Sleep before the next attempt, or raise `ServiceUnavailable` when none is left (or no time)."""
        if attempt >= self.max_retries:
            logger.warning("Pollo: giving up on %s after %s attempts: %s", what, attempt + 1, exc)
            raise ServiceUnavailable("The video service is unavailable right now; try again later.") from exc
        delay = min(self.backoff_max, self.backoff_base * 2**attempt) * random.uniform(0.8, 1.2)  # noqa: S311
        retry_after = exc.retry_after if isinstance(exc, _Retryable) else None
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        if deadline is not None and time.monotonic() + delay >= deadline:
            logger.warning("Pollo: no time left to retry %s: %s", what, exc)
            raise ServiceUnavailable("The video service is unavailable right now; try again later.") from exc
        logger.info("Pollo: %s failed (%s); retrying in %.1fs", what, exc, delay)
        self.sleep(delay)

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            payload = response.json()
        except ValueError as exc:
            logger.error("Pollo answered with something that is not JSON: %.300r", response.text)
            raise ServiceUnavailable("The video service gave an unexpected answer; try again later.") from exc
        if not isinstance(payload, dict):
            raise ServiceUnavailable("The video service gave an unexpected answer; try again later.")
        return payload


class _Retryable(Exception):
    """A transient HTTP answer (5xx, 429, 408), with its `Retry-After` in seconds when it gave one."""

    def __init__(self, response: httpx.Response, message: str) -> None:
        super().__init__(message)
        try:
            self.retry_after: float | None = float(response.headers.get("retry-after", ""))
        except ValueError:
            self.retry_after = None


def read_task(payload: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(status in lower case, video URL, failure reason) of a task-status answer, whichever shape it has."""
    task = payload.get("data") if isinstance(payload.get("data"), dict) else payload
    generations = task.get("generations")
    generation = generations[0] if isinstance(generations, list) and generations else None
    generation = generation if isinstance(generation, dict) else {}
    status = _first_text(generation, "status") or _first_text(task, "status", "taskStatus", "state") or ""
    url = _first_text(generation, "url", "videoUrl") or _first_text(task, "videoUrl", "url")
    if url is None and isinstance(task.get("video"), dict):
        url = _first_text(task["video"], "url")
    reason = _first_text(generation, "failMsg", "error", "reason", "message") or _first_text(
        task, "failMsg", "error", "reason", "message"
    )
    return status.strip().lower(), url, reason


def error_reason(response: httpx.Response) -> str:
    """The service's own words for a refused request, short enough to show a writer."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    reason = None
    if isinstance(payload, dict):
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        reason = _first_text(payload, "message", "error", "msg", "detail") or _first_text(data, "message", "error")
    reason = reason or response.reason_phrase or f"HTTP {response.status_code}"
    return reason.strip()[:MAX_REASON_CHARS]


def _first_text(mapping: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None

"""What every clip provider offers: one call that turns a prompt into a video file and its poster.

A provider writes its files into the `workdir` it is given and returns where they are. It raises
the project's errors (`directorstudio/errors.py`), which tell the caller what to do with the job:

- `ClipGenerationFailed`: permanent, retrying will not help (the service refused the prompt, the
  task failed, the key is wrong). The job fails, its credit goes back, and the message is shown to
  the writer.
- `ServiceUnavailable`: transient (5xx, 429, timeouts, connection errors, a task that did not finish
  in time). The job may be tried again later.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from typing import Protocol

from directorstudio.errors import DomainError, ServiceUnavailable

__all__ = ["ClipGenerationFailed", "ClipProvider", "GeneratedClip", "ServiceUnavailable"]


@dataclass(frozen=True)
class GeneratedClip:
    """A finished clip on disk: an MP4 (H.264, 16:9, fast start) and a JPEG frame of it."""

    video_path: pathlib.Path
    poster_path: pathlib.Path
    duration_seconds: float


class ClipGenerationFailed(DomainError):
    """The clip cannot be made from this request; the job should fail and its credit be refunded."""

    code = "clip_generation_failed"
    message = "The video could not be generated."


class ClipProvider(Protocol):
    """Makes one clip of about `seconds` seconds from `prompt`, writing its files into `workdir`."""

    def generate(self, *, prompt: str, seconds: int, workdir: pathlib.Path) -> GeneratedClip: ...

"""ffmpeg helpers shared by the providers: probe a video, make it a fast-start H.264 16:9 MP4, grab a poster.

ffmpeg is the static binary of the `imageio-ffmpeg` wheel (no system install). It always runs as an
argument list (never through a shell) and nothing a user typed is ever put into its arguments.
"""

from __future__ import annotations

import logging
import pathlib
import re
import subprocess
from dataclasses import dataclass
from functools import cache

from .base import ClipGenerationFailed, ServiceUnavailable

logger = logging.getLogger(__name__)

# How long one ffmpeg run may take before it counts as a (transient) failure of the machine.
FFMPEG_TIMEOUT_SECONDS = 120
# What a normalised clip is encoded as.
TARGET_WIDTH, TARGET_HEIGHT = 1280, 720
H264_OUTPUT_ARGS = [
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-crf",
    "23",
    "-profile:v",
    "high",
    "-pix_fmt",
    "yuv420p",
    "-movflags",
    "+faststart",
]


@cache
def ffmpeg_exe() -> str:
    """The path of the ffmpeg binary that ships in the imageio-ffmpeg wheel."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: list[str], *, what: str, timeout: float = FFMPEG_TIMEOUT_SECONDS) -> subprocess.CompletedProcess:
    """Run ffmpeg with `args`: failure is `ClipGenerationFailed` ("could not {what}"), a timeout ServiceUnavailable."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        logger.warning("ffmpeg timed out after %ss while trying to %s", timeout, what)
        raise ServiceUnavailable("Rendering the video took too long; try again later.") from exc
    if result.returncode != 0:
        logger.error("ffmpeg failed to %s (exit %s): %s", what, result.returncode, _tail(result.stderr))
        raise ClipGenerationFailed(f"The video could not be processed (could not {what}).")
    return result


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    pixel_format: str
    width: int
    height: int
    duration_seconds: float

    @property
    def is_16_9(self) -> bool:
        return self.height > 0 and abs(self.width / self.height - 16 / 9) < 0.01

    @property
    def is_target_format(self) -> bool:
        """H.264 in 4:2:0 at 16:9: plays everywhere as is."""
        return self.codec == "h264" and self.pixel_format == "yuv420p" and self.is_16_9


_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_VIDEO_STREAM = re.compile(r"Stream #\d+:\d+.*?: Video: (.*)")
_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})\b")
_TIME = re.compile(r"time=(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


def probe(path: pathlib.Path) -> VideoInfo:
    """Codec, pixel format, size and duration of the first video stream (reads the whole file, decodes nothing).

    A file ffmpeg cannot read, or one with no video stream, is `ClipGenerationFailed`.
    """
    result = run_ffmpeg(["-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"], what="read the video")
    text = result.stderr.decode("utf-8", "replace")
    stream = _VIDEO_STREAM.search(text)
    if stream is None:
        raise ClipGenerationFailed("The video file has no picture.")
    parts = _split_top_level(stream.group(1))
    codec = parts[0].split()[0] if parts else ""
    pixel_format = parts[1].split("(")[0].strip() if len(parts) > 1 else ""
    width = height = 0
    for part in parts[1:]:
        size = _SIZE.match(part.strip())
        if size:
            width, height = int(size.group(1)), int(size.group(2))
            break
    duration = _seconds(_DURATION.search(text))
    if duration is None:  # "Duration: N/A": fall back on how far the copy got.
        times = _TIME.findall(text)
        duration = _seconds_from_parts(times[-1]) if times else 0.0
    return VideoInfo(codec=codec, pixel_format=pixel_format, width=width, height=height, duration_seconds=duration)


def normalise(source: pathlib.Path, target: pathlib.Path, info: VideoInfo) -> None:
    """Write `source` to `target` as a fast-start H.264 yuv420p 16:9 MP4: remuxed if it is one, else re-encoded."""
    if info.is_target_format:
        args = ["-i", str(source), "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-movflags", "+faststart"]
        run_ffmpeg([*args, str(target)], what="store the video")
        return
    fit = (
        f"scale={TARGET_WIDTH}:{TARGET_HEIGHT}:force_original_aspect_ratio=decrease,"
        f"pad={TARGET_WIDTH}:{TARGET_HEIGHT}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1"
    )
    args = ["-i", str(source), "-map", "0:v:0", "-map", "0:a:0?", "-vf", fit, *H264_OUTPUT_ARGS, "-c:a", "aac"]
    run_ffmpeg([*args, str(target)], what="convert the video")


def extract_poster(video: pathlib.Path, poster: pathlib.Path, *, at_seconds: float) -> None:
    """Save the frame at `at_seconds` as a JPEG; the first frame when there is none there (a shorter clip)."""
    args = ["-ss", f"{max(at_seconds, 0.0):.3f}", "-i", str(video), "-frames:v", "1", "-q:v", "3", str(poster)]
    try:
        run_ffmpeg(args, what="grab a poster frame")
    except ClipGenerationFailed:
        poster.unlink(missing_ok=True)
    if not poster.exists() or poster.stat().st_size == 0:
        run_ffmpeg(["-i", str(video), "-frames:v", "1", "-q:v", "3", str(poster)], what="grab a poster frame")


def _split_top_level(text: str) -> list[str]:
    """Split ffmpeg's stream description on commas that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def _seconds(match: re.Match | None) -> float | None:
    return _seconds_from_parts(match.groups()) if match else None


def _seconds_from_parts(parts: tuple[str, str, str]) -> float:
    hours, minutes, seconds = parts
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _tail(stderr: bytes, limit: int = 2000) -> str:
    return stderr.decode("utf-8", "replace")[-limit:]

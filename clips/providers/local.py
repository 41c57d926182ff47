"""A provider that needs no service: renders a real MP4 of the prompt's text on a moving gradient.

It is what development, tests and demos use (`CLIP_PROVIDER=local`). The clip is 1280x720, 24 fps,
H.264 yuv420p with fast start, `seconds` long. Pillow draws the prompt (wrapped, shrunk to fit, with
Pillow's bundled font, so no system font is needed) onto a transparent PNG; ffmpeg lays that PNG
over its animated `gradients` source, fades the text in and lets it drift up a few pixels.

The prompt never reaches ffmpeg: ffmpeg only sees file paths and numbers this module chose, so no
quoting or filter escaping is involved (drawtext would need both, and a font file on disk).
"""

from __future__ import annotations

import hashlib
import logging
import pathlib
import time
import unicodedata

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import media
from .base import GeneratedClip

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = media.TARGET_WIDTH, media.TARGET_HEIGHT
FPS = 24
MAX_SECONDS = 60
MARGIN_X, MARGIN_Y = 110, 90
FONT_SIZES = (60, 52, 46, 40, 36)  # the largest that fits the whole prompt wins
MAX_LINES = 7
LABEL = "DirectorStudio preview"
# Background pairs (top-left to bottom-right); the prompt's hash picks one so a prompt always looks the same.
PALETTES = (
    ("0x1d2b64", "0xf8cdda"),
    ("0x0f2027", "0x2c5364"),
    ("0x42275a", "0x734b6d"),
    ("0x134e5e", "0x71b280"),
    ("0x2c3e50", "0xfd746c"),
    ("0x232526", "0x414345"),
    ("0x355c7d", "0xc06c84"),
    ("0x1f1c2c", "0x928dab"),
)


class LocalClipProvider:
    """Renders the prompt as a title card video with the ffmpeg of the imageio-ffmpeg wheel."""

    def generate(self, *, prompt: str, seconds: int, workdir: pathlib.Path) -> GeneratedClip:
        if not 1 <= seconds <= MAX_SECONDS:
            raise ValueError(f"seconds must be between 1 and {MAX_SECONDS}, not {seconds}.")
        workdir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        text_card = workdir / "text.png"
        video = workdir / "clip.mp4"
        poster = workdir / "poster.jpg"

        render_text_card(prompt, text_card)
        digest = hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).digest()
        start_color, end_color = PALETTES[digest[0] % len(PALETTES)]
        background = (
            f"gradients=s={WIDTH}x{HEIGHT}:r={FPS}:d={seconds}:n=2:c0={start_color}:c1={end_color}"
            f":x0=0:y0=0:x1={WIDTH}:y1={HEIGHT}:speed=0.012:seed={int.from_bytes(digest[1:4], 'big')}"
        )
        drift = 14  # pixels the text rises over the whole clip
        graph = (
            "[1:v]format=rgba,fade=t=in:st=0:d=0.7:alpha=1[text];"
            f"[0:v][text]overlay=x=0:y={drift // 2}-{drift}*t/{seconds}:eval=frame:format=auto,"
            "format=yuv420p[out]"
        )
        args = [
            "-f",
            "lavfi",
            "-i",
            background,
            "-loop",
            "1",
            "-framerate",
            str(FPS),
            "-t",
            str(seconds),
            "-i",
            str(text_card),
            "-filter_complex",
            graph,
            "-map",
            "[out]",
            "-r",
            str(FPS),
            "-t",
            str(seconds),
            "-an",
            *media.H264_OUTPUT_ARGS,
            str(video),
        ]
        try:
            media.run_ffmpeg(args, what="render the clip")
        finally:
            text_card.unlink(missing_ok=True)
        info = media.probe(video)
        media.extract_poster(video, poster, at_seconds=min(info.duration_seconds / 2, 2.0))
        logger.info("Rendered a %.2fs local clip in %.2fs", info.duration_seconds, time.monotonic() - started)
        return GeneratedClip(video_path=video, poster_path=poster, duration_seconds=info.duration_seconds)


def render_text_card(prompt: str, path: pathlib.Path) -> None:
    """Draw `prompt`, wrapped and centred, with a soft shadow, on a transparent WIDTHxHEIGHT PNG."""
    text = clean_text(prompt) or "(no prompt)"
    box_width = WIDTH - 2 * MARGIN_X
    box_height = HEIGHT - 2 * MARGIN_Y - 40  # room for the label
    for size in FONT_SIZES:
        font = ImageFont.load_default(size=size)
        line_height = round(size * 1.25)
        lines = wrap(text, font, box_width)
        if len(lines) <= MAX_LINES and len(lines) * line_height <= box_height:
            break
    else:
        lines = truncate(lines, font, box_width, max(1, min(MAX_LINES, box_height // line_height)))

    card = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    shadow = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    top = (HEIGHT - 40 - len(lines) * line_height) // 2
    for image, fill, offset in ((shadow, (0, 0, 0, 170), 3), (card, (255, 255, 255, 255), 0)):
        draw = ImageDraw.Draw(image)
        for index, line in enumerate(lines):
            x = (WIDTH - font.getlength(line)) / 2 + offset
            draw.text((x, top + index * line_height + offset), line, font=font, fill=fill)
    card = Image.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(4)), card)
    label_font = ImageFont.load_default(size=22)
    draw = ImageDraw.Draw(card)
    draw.text(
        ((WIDTH - label_font.getlength(LABEL)) / 2, HEIGHT - MARGIN_Y + 10),
        LABEL,
        font=label_font,
        fill=(255, 255, 255, 150),
    )
    card.save(path, format="PNG")


def clean_text(prompt: str) -> str:
    """The prompt as one line of printable text: control and format characters become spaces, runs of space one."""
    chars = [" " if unicodedata.category(char)[0] in "CZ" else char for char in prompt]
    return " ".join("".join(chars).split())


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap by measured width; a word wider than a line is cut between characters."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:
            if font.getlength(current + char) > width and current:
                lines.append(current)
                current = ""
            current += char
    if current:
        lines.append(current)
    return lines


def truncate(lines: list[str], font: ImageFont.FreeTypeFont, width: int, count: int) -> list[str]:
    """The first `count` lines, the last one ending in an ellipsis."""
    kept = lines[:count]
    last = kept[-1].rstrip()
    while last and font.getlength(last + " …") > width:
        last = last[:-1].rstrip()
    kept[-1] = last + " …"
    return kept

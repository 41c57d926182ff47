"""Drill: a full disk under MEDIA_ROOT during a video upload and during clip renders.

Run from the checkout, as root (it mounts a tmpfs): `.venv/bin/python bench/drills/full_disk.py`
(about a minute; bounded at 4). On a PostgreSQL cluster of its own (see common.py), MEDIA_ROOT is a
2 MB tmpfs (`mount -t tmpfs -o size=2m`, unmounted at the end) for a gunicorn (gunicorn.conf.py, DEBUG
off) and a `manage.py procrastinate worker` with CLIP_JOB_MAX_ATTEMPTS=2. A filler file leaves little room:

1. upload: a video whose stored MP4 is larger than the room left is POSTed to /api/v1/video_uploads/;
   expected 503 `{"detail", "code": "storage_full"}`, no video_uploads row, no file. With room again the
   same upload is a 201 and its file is stored.
2. clip X: room for its MP4 (rendered here first to know its size) but not for its poster; expected: the
   first start stores neither (no orphan MP4), the job goes back to the queue with its credit still spent,
   the second start (Procrastinate's retry, 10 s later) meets the same full disk, so the job fails with the
   clear message and its credit back, once.
3. clip Y: the same full disk on its first start; the room is made while it waits; its retry completes it.

Then `credits_reconcile` is clean and MEDIA_ROOT holds only the filler and the files of the upload and of
Y. Prints a PASS/FAIL summary; exits 1 on FAIL.
"""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

# Run as a script, so this folder is on sys.path.
from common import Checks, drill, free_port, log, movements_per_job, reconcile, user_with_credits

TMPFS_SIZE = "2m"
UPLOAD_ROOM = 100 * 1024  # bytes left for the upload: less than its stored MP4
X_PROMPT = "A lighthouse at dusk, the disk full"
WAIT = 90.0


def room(media: Path) -> int:
    stats = os.statvfs(media)
    return stats.f_bavail * stats.f_frsize


def fill(media: Path, leave: int) -> None:
    """Grow the filler file until `leave` bytes (to a page) are left on the tmpfs."""
    filler = media / "filler"
    size = filler.stat().st_size if filler.exists() else 0
    with filler.open("ab") as handle:
        handle.truncate(size)
        handle.write(b"\0" * max(room(media) - leave, 0))
    log(f"  {room(media) // 1024} KB left on the tmpfs")


def unfill(media: Path) -> None:
    (media / "filler").unlink(missing_ok=True)
    log(f"  filler removed: {room(media) // 1024} KB left")


def files(media: Path) -> list[str]:
    """Every file under MEDIA_ROOT, as paths relative to it."""
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


def sample_video(path: Path) -> None:
    """A 1 s 1280x720 H.264 test pattern (about 800 KB, stored as it is: it is already in the app's format)."""
    from clips.providers import media

    pattern = "testsrc2=size=1280x720:rate=24:duration=1"
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    command = [media.ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", pattern, *encode, str(path)]
    subprocess.run(command, check=True, timeout=60)  # noqa: S603 - fixed arguments


def wait_for(job_id, condition, what: str):
    """Poll the job every 50 ms until `condition(job, attempts)`; the job."""
    from clips.models import ClipJob, ClipJobRun

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job = ClipJob.objects.get(pk=job_id)
        attempts = ClipJobRun.objects.filter(clip_job_id=job_id).values_list("attempts", flat=True).first() or 0
        if condition(job, attempts):
            return job
        time.sleep(0.05)
    raise TimeoutError(
        f"job {job_id} did not become {what} in {WAIT:.0f} s: {job.status}, {attempts} start(s), {job.error_message}"
    )


def back_in_queue(job, attempts: int) -> bool:
    return job.status == "queued" and attempts == 1


def main() -> int:
    checks = Checks("full disk")
    mounted = None
    try:
        with drill("full-disk", seconds=240, CLIP_JOB_MAX_ATTEMPTS="2") as run:
            from clips.models import ClipJob, VideoUpload
            from clips.providers.local import LocalClipProvider
            from clips.services import CLIP_SECONDS, clip_job_submit
            from credits.models import CreditsLedger

            media = Path(run.env["MEDIA_ROOT"])
            media.mkdir()
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(media)], check=True)  # noqa: S603, S607
            mounted = media
            try:
                user, ledger, token = user_with_credits("disk", 10)
                _, base_url = run.processes.gunicorn("gunicorn", free_port())
                run.processes.worker("worker", env={"LOG_LEVEL": "INFO"})
                client = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)

                log("1. an upload larger than the room left")
                video = run.root / "take.mp4"
                sample_video(video)
                log(f"  the video is {video.stat().st_size // 1024} KB")
                fill(media, UPLOAD_ROOM)
                with video.open("rb") as handle:
                    refused = client.post(
                        "/api/v1/video_uploads/", data={"project_id": "film"}, files={"file": ("take.mp4", handle)}
                    )
                body = refused.json() if refused.headers.get("content-type") == "application/json" else {}
                log(f"  {refused.status_code} {refused.text[:200]}")
                checks.check(
                    refused.status_code == 503 and body.get("code") == "storage_full" and body.get("detail"),
                    f"the upload is refused: 503 storage_full with a detail (got {refused.status_code})",
                )
                checks.check(not VideoUpload.objects.exists(), "no video_uploads row")
                checks.check(files(media) == ["filler"], f"no file but the filler ({files(media)})")
                unfill(media)
                with video.open("rb") as handle:
                    stored = client.post(
                        "/api/v1/video_uploads/", data={"project_id": "film"}, files={"file": ("take.mp4", handle)}
                    )
                upload_file = stored.json().get("filename") if stored.status_code == 201 else None
                checks.check(
                    stored.status_code == 201 and upload_file in files(media),
                    f"with room again the upload is stored ({stored.status_code}, {files(media)})",
                )

                log("2. clip X: the poster does not fit, on both starts")
                # The local provider renders a prompt the same way every time: room for X's MP4 and half its poster.
                clip = LocalClipProvider().generate(prompt=X_PROMPT, seconds=CLIP_SECONDS, workdir=run.root / "x")
                video_size, poster_size = clip.video_path.stat().st_size, clip.poster_path.stat().st_size
                log(f"  X's MP4 is {video_size // 1024} KB, its poster {poster_size // 1024} KB")
                fill(media, video_size + poster_size // 2)
                x, _ = clip_job_submit(user_id=user.pk, prompt=X_PROMPT)
                wait_for(x.pk, back_in_queue, "queued again after its first start")
                checks.check(
                    [name for name in files(media) if name.startswith("clips/")] == [],
                    "after the first start no clip file is kept (the MP4 that fitted was removed)",
                )
                balance = CreditsLedger.objects.get(pk=ledger.pk).credits
                checks.check(balance == 9, f"the job waits for its retry with its credit spent (balance {balance})")
                began = time.monotonic()
                failed = wait_for(x.pk, lambda job, _: job.status in ("failed", "completed"), "finished")
                log(f"  {failed.status} {time.monotonic() - began:.1f} s later: {failed.error_message}")
                checks.check(
                    failed.status == "failed" and "storage is full" in (failed.error_message or ""),
                    "after its second start the job fails and says the storage is full",
                )

                log("3. clip Y: full on its first start, room made before its retry")
                y, _ = clip_job_submit(user_id=user.pk, prompt="A fox crossing a snowy field, room made")
                wait_for(y.pk, back_in_queue, "queued again after its first start")
                unfill(media)
                began = time.monotonic()
                done = wait_for(y.pk, lambda job, _: job.status in ("failed", "completed"), "finished")
                log(f"  {done.status} {time.monotonic() - began:.1f} s after the room was made")
                checks.check(done.status == "completed" and done.download_url, "the retry completes the job")

                moved = movements_per_job([x.pk, y.pk])
                checks.check(
                    [moved[str(x.pk)], moved[str(y.pk)]] == [(1, 1), (1, 0)],
                    f"one spend each, one refund for X alone ({moved})",
                )
                balance = CreditsLedger.objects.get(pk=ledger.pk).credits
                checks.check(balance == 9, f"the balance is 10 - 1 = 9 (got {balance})")
                clean, words = reconcile()
                checks.check(clean, f"credits_reconcile is clean ({words})")
                expected = sorted([upload_file or "", f"clips/{y.pk}.mp4", f"clips/{y.pk}.jpg"])
                checks.check(files(media) == expected, f"MEDIA_ROOT holds no orphan: {files(media)}")
                checks.check(
                    not ClipJob.objects.filter(status__in=["queued", "processing"]).exists(),
                    "no job is left unfinished",
                )
                client.close()
            finally:
                run.processes.stop_all()
                with contextlib.suppress(subprocess.CalledProcessError):
                    subprocess.run(["umount", str(media)], check=True)  # noqa: S603, S607
                    mounted = None
    except Exception as error:  # the summary says what broke; the clean-up has run
        checks.check(False, f"the drill ran to its end ({error!r})")
    checks.check(mounted is None, "the tmpfs is unmounted")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())

"""Faults: the clip submission rate limit, a full disk, and a store that is down while an upload or a clip is
stored (bench/drills/)."""

import errno
import os
import pathlib
import tempfile
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.core.cache.backends.db import DatabaseCache
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import Client

from clips import downloads, providers
from clips.models import ClipJob, SceneDraft, VideoUpload
from clips.providers.base import GeneratedClip
from clips.services import clip_job_run, clip_job_submit
from credits.models import CreditMovement, CreditsLedger, MovementReason
from directorstudio.errors import ServiceUnavailable, StorageUnavailable
from tests.fake_pollo import sample_mp4
from tests.stores import S3StoreUnderTest

pytestmark = pytest.mark.django_db

CLIP_JOBS = "/api/v1/clip_jobs/"
SCENES = "/api/v1/scene_drafts/"
UPLOADS = "/api/v1/video_uploads/"
USER_KEY = "f" * 64


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def media_files(settings) -> list[pathlib.Path]:
    """Every file under MEDIA_ROOT (folders left empty do not count)."""
    return [path for path in pathlib.Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code and body["detail"], body


# --- the clip submission rate limit ----------------------------------------------------------------


def test_clip_submissions_are_limited_per_user_across_the_submit_endpoints(
    as_alice, as_bob, alice, bob, settings, monkeypatch
):
    settings.CLIP_SUBMIT_RATE = "3/min"
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=10)
    scene = SceneDraft.objects.create(user_id=alice.pk, project_id="film", order_index=0, prompt_text="A", duration=4)
    monkeypatch.setattr("rest_framework.throttling.SimpleRateThrottle.timer", lambda self: 1_000_000.0)

    for index in range(3):
        assert as_alice.post(CLIP_JOBS, {"prompt": f"Shot {index}"}, format="json").status_code == 201

    refused = as_alice.post(CLIP_JOBS, {"prompt": "One too many"}, format="json")
    assert_error(refused, 429, "throttled")
    assert refused["Retry-After"] == "60"
    assert_error(as_alice.post(f"{SCENES}{scene.pk}/clip_jobs/", {}, format="json"), 429, "throttled")
    assert_error(as_alice.post(f"{SCENES}clip_jobs/", {"project_id": "film"}, format="json"), 429, "throttled")
    assert ClipJob.objects.count() == 3
    # Reads and cancels are not limited, nor is another user.
    job = ClipJob.objects.first()
    assert as_alice.get(f"{CLIP_JOBS}{job.pk}/").status_code == 200
    assert as_alice.post(f"{CLIP_JOBS}{job.pk}/cancel/", {}, format="json").status_code == 200
    CreditsLedger.objects.create(user_id=bob.pk, user_key="b" * 64, credits=1)
    assert as_bob.post(CLIP_JOBS, {"prompt": "Bob's"}, format="json").status_code == 201
    # Counted in the database cache, which every worker reads.
    assert len(DatabaseCache("django_cache", {}).get(f"throttle_clip_submit_{alice.pk}")) == 3


def test_the_clip_submission_window_slides(as_alice, alice, settings, monkeypatch):
    settings.CLIP_SUBMIT_RATE = "1/min"
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=10)
    now = [1_000_000.0]
    monkeypatch.setattr("rest_framework.throttling.SimpleRateThrottle.timer", lambda self: now[0])

    assert as_alice.post(CLIP_JOBS, {"prompt": "First"}, format="json").status_code == 201
    now[0] += 59
    refused = as_alice.post(CLIP_JOBS, {"prompt": "Too soon"}, format="json")
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    now[0] += 2
    assert as_alice.post(CLIP_JOBS, {"prompt": "Later"}, format="json").status_code == 201


# --- a full disk ------------------------------------------------------------------------------------


class DiskFullsAfterFirstChunk(File):
    """A file whose storage runs out of room after its first chunk, as a real ENOSPC in mid-write does."""

    fail_on: str = "video.mp4"
    error_number = errno.ENOSPC

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        chunks = super().chunks(chunk_size)
        yield next(chunks)
        if pathlib.PurePath(self.file.name).name == self.fail_on:
            raise OSError(self.error_number, "No space left on device")
        yield from chunks


@pytest.fixture
def full_disk(monkeypatch) -> type[DiskFullsAfterFirstChunk]:
    """The default storage fails while writing the file named `fail_on` (set it on the returned class)."""

    class Full(DiskFullsAfterFirstChunk):
        pass

    monkeypatch.setattr(downloads, "File", Full)
    return Full


def test_a_full_disk_during_an_upload_answers_503_and_leaves_no_row_and_no_file(as_alice, settings, full_disk):
    video = SimpleUploadedFile("take.mp4", sample_mp4(320, 180, 2))

    response = as_alice.post(UPLOADS, {"project_id": "film", "file": video})

    assert_error(response, 503, "storage_full")
    assert response["Retry-After"] == "5"  # worth trying again once there is room
    assert not VideoUpload.objects.exists()
    assert media_files(settings) == []


class SpoolingToAFullDisk(FileUploadHandler):
    """Spools an upload's chunks to /dev/full, where the kernel refuses every write as a full disk does (ENOSPC)."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.spool = open("/dev/full", "wb", buffering=0)  # noqa: SIM115 - closed by file_complete or the test

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.spool.write(raw_data)

    def file_complete(self, file_size: int) -> None:
        self.spool.close()


def test_a_full_disk_while_an_upload_is_spooled_answers_503_and_stores_nothing(as_alice, settings):
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.SpoolingToAFullDisk"]
    video = SimpleUploadedFile("take.mp4", sample_mp4(320, 180, 2))

    response = as_alice.post(UPLOADS, {"project_id": "film", "file": video})

    assert_error(response, 503, "storage_full")
    assert response["Retry-After"] == "5"
    assert not VideoUpload.objects.exists()
    assert media_files(settings) == []


@pytest.mark.parametrize("error_number", [errno.ENOSPC, errno.EDQUOT, errno.EIO])
def test_a_failed_store_removes_the_partial_file(settings, tmp_path, full_disk, error_number):
    full_disk.error_number = error_number
    source = tmp_path / "video.mp4"
    source.write_bytes(b"x" * 300_000)
    expected = downloads.StorageFull if error_number != errno.EIO else StorageUnavailable  # a failing disk

    with pytest.raises(expected) as raised:
        downloads.stored_file_save(name="uploads/partial.mp4", path=source)

    assert isinstance(raised.value, ServiceUnavailable)
    assert media_files(settings) == []


class QuickProvider:
    """A tiny real MP4 and a poster at once, so a test need not render a clip."""

    def generate(self, *, prompt: str, seconds: int, workdir: pathlib.Path) -> GeneratedClip:
        workdir.mkdir(parents=True, exist_ok=True)
        video, poster = workdir / "clip.mp4", workdir / "poster.jpg"
        video.write_bytes(sample_mp4(160, 90, 0.5))
        poster.write_bytes(b"\xff\xd8" + b"\0" * 200_000 + b"\xff\xd9")
        return GeneratedClip(video_path=video, poster_path=poster, duration_seconds=0.5)


@pytest.fixture
def paid_job(alice, monkeypatch) -> ClipJob:
    monkeypatch.setattr(providers, "get_provider", QuickProvider)
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=1)
    job, _ = clip_job_submit(user_id=alice.pk, user_key=USER_KEY, prompt="A lighthouse at dusk")
    return job


def movements(job: ClipJob) -> list[str]:
    return sorted(CreditMovement.objects.filter(clip_job_id=job.pk).values_list("reason", flat=True))


def test_a_full_disk_during_a_render_requeues_the_job_keeps_no_file_and_it_succeeds_later(
    paid_job, settings, full_disk
):
    settings.CLIP_JOB_MAX_ATTEMPTS = 3
    full_disk.fail_on = "poster.jpg"  # the MP4 was stored whole: it must go too

    with pytest.raises(downloads.StorageFull):
        clip_job_run(clip_job_id=paid_job.pk)

    paid_job.refresh_from_db()
    assert paid_job.status == ClipJob.Status.QUEUED
    assert media_files(settings) == []
    assert CreditsLedger.objects.get(user_key=USER_KEY).credits == 0

    full_disk.fail_on = ""  # room again
    done = clip_job_run(clip_job_id=paid_job.pk)

    assert done.status == ClipJob.Status.COMPLETED and done.download_url
    assert sorted(path.name for path in media_files(settings)) == [f"{paid_job.pk}.jpg", f"{paid_job.pk}.mp4"]
    assert movements(paid_job) == [MovementReason.CLIP_JOB]


def test_a_full_disk_on_the_last_attempt_fails_the_job_clearly_and_refunds_it_once(paid_job, settings, full_disk):
    settings.CLIP_JOB_MAX_ATTEMPTS = 1
    full_disk.fail_on = "clip.mp4"

    failed = clip_job_run(clip_job_id=paid_job.pk)

    assert failed.status == ClipJob.Status.FAILED
    assert failed.error_message == downloads.StorageFull.message
    assert media_files(settings) == []
    assert CreditsLedger.objects.get(user_key=USER_KEY).credits == 1
    assert movements(paid_job) == [MovementReason.CLIP_JOB, MovementReason.CLIP_JOB_REFUND]


# --- a store that is down (local files and S3) -----------------------------------------------------


def test_a_store_outage_during_an_upload_answers_503_and_leaves_no_row_and_no_object(as_alice, store):
    video = sample_mp4(320, 180, 2)

    with store.down():
        response = as_alice.post(UPLOADS, {"project_id": "film", "file": SimpleUploadedFile("take.mp4", video)})

    assert_error(response, 503, "storage_unavailable")
    assert response["Retry-After"] == "5"
    assert not VideoUpload.objects.exists()
    assert store.names() == []
    # The store is back: the same upload is kept, its row and its object together.
    response = as_alice.post(UPLOADS, {"project_id": "film", "file": SimpleUploadedFile("take.mp4", video)})
    assert response.status_code == 201, response.content
    assert store.names() == [f"uploads/{response.json()['id']}.mp4"]


def test_a_store_that_refuses_the_apps_key_answers_503_and_keeps_nothing(as_alice, alice, s3_store, settings):
    """A revoked or mistyped secret, or a key without the rights docs/deploy.md lists: the store answers 403."""
    store = S3StoreUnderTest(settings=settings, store=s3_store, location=f"test-{uuid.uuid4().hex}")
    clip_id = uuid.uuid4()
    store.use(secret_key="not-the-key")

    upload = as_alice.post(
        UPLOADS, {"project_id": "film", "file": SimpleUploadedFile("take.mp4", sample_mp4(64, 64, 1))}
    )
    signed = urlsplit(downloads.clip_download_url(clip_job_id=clip_id, user_id=alice.pk)).path
    download = Client(raise_request_exception=False).get(signed)

    assert_error(upload, 503, "storage_unavailable")
    assert download.status_code == 503
    assert not VideoUpload.objects.exists()
    store.use()
    assert store.names() == []


def test_a_store_outage_during_a_render_requeues_the_job_and_it_completes_when_the_store_is_back(
    paid_job, settings, store
):
    settings.CLIP_JOB_MAX_ATTEMPTS = 3

    with store.down(), pytest.raises(StorageUnavailable):
        clip_job_run(clip_job_id=paid_job.pk)

    paid_job.refresh_from_db()
    assert paid_job.status == ClipJob.Status.QUEUED
    assert CreditsLedger.objects.get(user_key=USER_KEY).credits == 0
    assert store.names() == []

    done = clip_job_run(clip_job_id=paid_job.pk)

    assert done.status == ClipJob.Status.COMPLETED and done.download_url
    assert store.names() == [f"clips/{paid_job.pk}.jpg", f"clips/{paid_job.pk}.mp4"]
    assert movements(paid_job) == [MovementReason.CLIP_JOB]  # one spend, no refund
    assert CreditsLedger.objects.get(user_key=USER_KEY).credits == 0


# --- a killed worker's work folders ----------------------------------------------------------------


def test_the_sweep_task_deletes_work_folders_a_killed_run_left(settings, tmp_path, monkeypatch):
    from clips.tasks import clip_jobs_sweep_task

    settings.CLIP_JOB_PROCESSING_TIMEOUT_SECONDS = 900
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old = time.time() - 901
    for name in ("clip-job-killed", "video-upload-killed", "film-export-killed", "clip-job-running", "unrelated"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "clip.mp4").write_bytes(b"x")
        os.utime(tmp_path / name / "clip.mp4", (old, old))
        os.utime(tmp_path / name, (old, old))
    os.utime(tmp_path / "clip-job-running" / "clip.mp4")  # a render still writing its file

    clip_jobs_sweep_task(timestamp=int(time.time()))

    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip-job-running", "unrelated"]


def killed_and_running_upload_folders(folder: pathlib.Path, prefix: str) -> None:
    """In `folder`, what a killed upload left an hour ago, and an upload still writing its file."""
    old = time.time() - 3601
    for name in (f"{prefix}killed", f"{prefix}running"):
        (folder / name).mkdir()
        (folder / name / "source").write_bytes(b"x")
        os.utime(folder / name / "source", (old, old))
        os.utime(folder / name, (old, old))
    os.utime(folder / f"{prefix}running" / "source")


@pytest.mark.parametrize(
    ("prefix", "path"), [("video-upload-", "/api/v1/video_uploads/"), ("storage-upload-", "/storage/v1/object/videos/")]
)
def test_an_upload_deletes_the_folders_killed_uploads_left(
    prefix, path, as_alice, alice, anon_key, store, settings, tmp_path, monkeypatch
):
    """A web host runs no sweep: the app's and the Storage facade's uploads clean up after killed ones themselves."""
    settings.CLIP_JOB_PROCESSING_TIMEOUT_SECONDS = 900
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    killed_and_running_upload_folders(work, prefix)
    video = sample_mp4(64, 64, 1)

    if path.startswith("/api/"):
        response = as_alice.post(path, {"project_id": "film", "file": SimpleUploadedFile("take.mp4", video)})
    else:
        response = as_alice.post(
            f"{path}{uuid.uuid4()}/take.mp4", video, content_type="video/mp4", HTTP_APIKEY=anon_key
        )

    assert response.status_code in (200, 201), response.content
    assert sorted(folder.name for folder in work.iterdir()) == [f"{prefix}running"]

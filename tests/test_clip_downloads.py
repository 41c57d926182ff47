"""Finished clips in storage and their signed URLs: no header needed, Range requests, tampering, gunicorn."""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import imageio_ffmpeg
import pytest
import requests
from django.core.files.storage import default_storage
from django.test import Client

from clips.downloads import POSTER, VIDEO, clip_download_url, clip_file_name, clip_files_save, clip_poster_url
from clips.providers.local import LocalClipProvider
from tests.gunicorn_server import gunicorn_serving
from tests.test_storage import fetched

BASE_DIR = Path(__file__).resolve().parent.parent
JOB = uuid.UUID("7d1c5f0e-2b4a-4c8e-9f3a-1e2d3c4b5a69")
OWNER = uuid.UUID("0b6f5a4e-3d2c-4b1a-8e9f-7c6d5e4f3a21")
OTHER_JOB = uuid.UUID("a3f1e2d4-5c6b-4a79-8e1f-2d3c4b5a6978")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One real clip from the local provider, rendered once for the module."""
    return LocalClipProvider().generate(
        prompt="Rain on a neon diner window, 16:9", seconds=4, workdir=tmp_path_factory.mktemp("render")
    )


@pytest.fixture
def media(store, settings):
    """A fresh default storage (local files, then the suite's S3 store) and a public base URL."""
    settings.PUBLIC_BASE_URL = "https://studio.example.org"
    return store


@pytest.fixture
def saved(media, rendered):
    """The rendered clip stored as JOB's files; the stored MP4 and poster bytes."""
    clip_files_save(clip_job_id=JOB, video_path=rendered.video_path, poster_path=rendered.poster_path)
    return rendered.video_path.read_bytes(), rendered.poster_path.read_bytes()


# What the app itself serves (Range, conditional requests) only on local files: on S3 the store does (see below).
local_files_only = pytest.mark.parametrize("store", ["local"], indirect=True)


def path_of(url: str) -> str:
    """The path of an absolute URL, for the test client."""
    return urlsplit(url).path


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_urls_are_absolute_and_signed_per_job_owner_and_kind(media):
    video = clip_download_url(clip_job_id=JOB, user_id=OWNER)
    poster = clip_poster_url(clip_job_id=JOB, user_id=OWNER)

    assert video.startswith(f"https://studio.example.org/media/clips/{JOB}/{OWNER}/") and video.endswith(".mp4")
    assert poster.startswith(f"https://studio.example.org/media/clips/{JOB}/{OWNER}/") and poster.endswith(".jpg")
    signature = video.rsplit("/", 1)[1].removesuffix(".mp4")
    assert len(signature) >= 40
    assert signature != poster.rsplit("/", 1)[1].removesuffix(".jpg")
    assert signature not in clip_download_url(clip_job_id=OTHER_JOB, user_id=OWNER)
    assert signature not in clip_download_url(clip_job_id=JOB, user_id=uuid.uuid4())
    # Stable: the URL is stored, so the same job always gets the same one.
    assert clip_download_url(clip_job_id=JOB, user_id=OWNER) == video


def test_files_are_stored_through_the_storage_under_the_jobs_names(saved):
    video, poster = saved

    assert sorted(default_storage.listdir("clips")[1]) == sorted([f"{JOB}.mp4", f"{JOB}.jpg"])
    with default_storage.open(clip_file_name(clip_job_id=JOB, kind=VIDEO)) as handle:
        assert handle.read() == video
    with default_storage.open(clip_file_name(clip_job_id=JOB, kind=POSTER)) as handle:
        assert handle.read() == poster


def test_saving_again_replaces_the_jobs_files(saved, tmp_path):
    (tmp_path / "new.mp4").write_bytes(b"new video")
    (tmp_path / "new.jpg").write_bytes(b"new poster")

    clip_files_save(clip_job_id=JOB, video_path=tmp_path / "new.mp4", poster_path=tmp_path / "new.jpg")

    assert sorted(default_storage.listdir("clips")[1]) == sorted([f"{JOB}.mp4", f"{JOB}.jpg"])
    assert fetched(clip_download_url(clip_job_id=JOB, user_id=OWNER)) == (200, b"new video")


@local_files_only
def test_the_video_is_served_whole_without_any_header(saved):
    video, _ = saved

    response = Client().get(path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER)))

    assert response.status_code == 200
    assert response.streaming  # read from storage in chunks, never whole in memory
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(video))
    assert response["Cache-Control"].startswith("private")
    assert response["ETag"].startswith('"') and response["Last-Modified"]
    assert "Set-Cookie" not in response.headers
    assert body(response) == video


@local_files_only
def test_the_poster_is_served_as_jpeg(saved):
    _, poster = saved

    response = Client().get(path_of(clip_poster_url(clip_job_id=JOB, user_id=OWNER)))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert body(response) == poster


def tampered(url: str) -> str:
    """The URL with one character of its signature changed."""
    head, tail = url.rsplit("/", 1)
    return f"{head}/{('B' if tail[0] == 'A' else 'A')}{tail[1:]}"


def test_a_bad_or_borrowed_signature_is_a_plain_404(saved):
    video_url = clip_download_url(clip_job_id=JOB, user_id=OWNER)
    signature = video_url.rsplit("/", 1)[1]
    other_jobs = clip_download_url(clip_job_id=OTHER_JOB, user_id=OWNER).rsplit("/", 1)[1]
    client = Client()

    refused = [
        tampered(video_url),
        video_url.replace(signature, other_jobs),  # another clip's signature on this clip
        video_url.replace(str(OWNER), str(uuid.uuid4())),  # another owner
        video_url.replace(".mp4", ".jpg"),  # the video's signature does not open the poster
        video_url.replace(signature, "x.mp4"),
        f"/media/clips/{JOB}.mp4",  # where the storage would put it: never served unsigned
        f"/media/{clip_file_name(clip_job_id=JOB, kind=VIDEO)}",
    ]
    for url in refused:
        response = client.get(path_of(url))
        assert response.status_code == 404, url
        assert str(JOB) not in response.content.decode(), url


def test_a_signed_url_whose_file_is_missing_is_a_404(media):
    assert Client().get(path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER))).status_code == 404


@local_files_only
@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=5000-", 5000, None),
        ("bytes=-500", -500, None),
        ("bytes=0-0", 0, 0),
        ("bytes=10-999999999", 10, None),  # a last byte past the end is the end
        ("bytes=100-199, 400-499", 100, 199),  # several ranges: the first is served
    ],
)
def test_range_requests_get_206_with_exactly_those_bytes(saved, header, first, last):
    video, _ = saved
    size = len(video)
    start = size + first if first < 0 else first
    end = size - 1 if last is None else last

    response = Client().get(path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER)), HTTP_RANGE=header)

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Content-Type"] == "video/mp4"
    assert body(response) == video[start : end + 1]


@local_files_only
@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=-0"])
def test_an_unsatisfiable_range_is_416_with_the_size(saved, header):
    video, _ = saved

    response = Client().get(path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER)), HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(video)}"


@local_files_only
@pytest.mark.parametrize("header", ["items=0-10", "bytes=abc", "bytes=20-10", "bytes=-"])
def test_a_range_header_not_understood_is_ignored(saved, header):
    video, _ = saved

    response = Client().get(path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER)), HTTP_RANGE=header)

    assert response.status_code == 200
    assert body(response) == video


@local_files_only
def test_head_answers_the_headers_without_a_body(saved):
    video, _ = saved
    url = path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER))
    client = Client()

    whole = client.head(url)
    part = client.head(url, HTTP_RANGE="bytes=10-19")

    assert whole.status_code == 200 and whole["Content-Length"] == str(len(video)) and body(whole) == b""
    assert whole["Content-Type"] == "video/mp4" and whole["Accept-Ranges"] == "bytes"
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 10-19/{len(video)}" and body(part) == b""
    assert client.post(url).status_code == 405


@local_files_only
def test_conditional_requests(saved):
    video, _ = saved
    url = path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER))
    client = Client()
    etag = client.head(url)["ETag"]

    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag).status_code == 206
    # The file changed since the client's copy: the whole file, not a piece of the new one.
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"0-0"')
    assert stale.status_code == 200 and body(stale) == video


def test_urls_survive_a_secret_key_rotation_with_fallbacks(saved, settings):
    url = path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER))
    old_key = settings.SECRET_KEY

    settings.SECRET_KEY = "a-brand-new-secret-key-for-this-test"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert Client().get(url).status_code in (200, 302)

    settings.SECRET_KEY_FALLBACKS = []
    assert Client().get(url).status_code == 404


def test_any_storage_backend_works_not_only_local_files(settings, rendered):
    """Nothing assumes a local path: the same code stores and serves through an in-memory storage."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    clip_files_save(clip_job_id=JOB, video_path=rendered.video_path, poster_path=rendered.poster_path)
    video = rendered.video_path.read_bytes()

    response = Client().get(path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER)), HTTP_RANGE="bytes=-100")

    assert response.status_code == 206
    assert body(response) == video[-100:]


def test_s3_storage_is_configured_from_the_environment():
    """STORAGE_BACKEND=s3 puts the project's S3Storage (django-storages') behind the default storage, with bounded
    timeouts and retries (no request is made)."""
    env = {
        **os.environ,
        "STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": "clips",
        "AWS_S3_ENDPOINT_URL": "https://project.supabase.co/storage/v1/s3",
        "AWS_S3_REGION_NAME": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "key",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "DJANGO_SETTINGS_MODULE": "directorstudio.settings",
    }
    script = (
        "import django; django.setup()\n"
        "from django.core.files.storage import storages\n"
        "s = storages['default']\n"
        "print(type(s).__module__, type(s).__name__, s.bucket_name, s.endpoint_url)\n"
        "print(s.addressing_style, s.default_acl)\n"
        "c = s.connection.meta.client.meta.config\n"
        "print(c.connect_timeout, c.read_timeout, c.retries, c.s3)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert (
        "directorstudio.storage S3Storage clips https://project.supabase.co/storage/v1/s3\npath None\n" in result.stdout
    )
    assert "2.0 10.0 {'mode': 'standard', 'total_max_attempts': 3} {'addressing_style': 'path'}" in result.stdout


@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_on_s3_a_signed_url_redirects_to_the_store_which_serves_the_bytes_with_range(saved, store):
    video, poster = saved
    client = Client()

    redirect = client.get(path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER)), HTTP_RANGE="bytes=1000-1999")
    poster_redirect = client.get(path_of(clip_poster_url(clip_job_id=JOB, user_id=OWNER)))
    head_redirect = client.head(path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER)))

    assert redirect.status_code == 302 and not redirect.streaming and redirect.content == b""
    assert redirect["Cache-Control"] == "no-store"
    location = redirect["Location"]
    assert location.startswith(f"{store.store.endpoint_url}/") and "Signature=" in location
    part = httpx.get(location, headers={"Range": "bytes=1000-1999"}, timeout=10)
    assert part.status_code == 206 and part.content == video[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(video)}"
    whole = httpx.get(location, timeout=10)
    assert whole.status_code == 200 and whole.content == video
    assert whole.headers["Content-Type"] == "video/mp4"
    assert httpx.get(poster_redirect["Location"], timeout=10).content == poster
    head = httpx.head(head_redirect["Location"], timeout=10)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(video))
    # The presigned URL opens only its own object.
    other = location.replace(f"{JOB}.mp4", f"{JOB}.jpg")
    assert httpx.get(other, timeout=10).status_code == 403


@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_a_download_while_the_store_is_down_is_a_503_to_retry(saved, store):
    url = path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER))

    with store.down():
        response = Client(raise_request_exception=False).get(url, HTTP_RANGE="bytes=0-99")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "The file store is unavailable" in response.content.decode()
    assert Client().get(url, HTTP_RANGE="bytes=0-99").status_code == 302  # back again


@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_a_store_that_hangs_is_a_503_after_the_read_timeout_not_a_held_worker(saved, store):
    url = path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER))

    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        store.use(endpoint_url=f"http://127.0.0.1:{silent.getsockname()[1]}", read_timeout=1)
        response = Client(raise_request_exception=False).get(url)

    assert response.status_code == 503 and response["Retry-After"] == "5"


@local_files_only
def test_the_served_mp4_is_playable(saved, tmp_path):
    response = Client().get(path_of(clip_download_url(clip_job_id=JOB, user_id=OWNER)))
    downloaded = tmp_path / "downloaded.mp4"
    downloaded.write_bytes(body(response))

    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(downloaded), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0 and result.stderr == "", result.stderr


@local_files_only
@pytest.mark.django_db
def test_a_real_gunicorn_serves_ranges(saved, media, settings):
    """The signed URL works under gunicorn, not only Django's test client or runserver."""
    video, _ = saved
    with gunicorn_serving(**media.environment()) as base_url:
        settings.PUBLIC_BASE_URL = base_url
        url = clip_download_url(clip_job_id=JOB, user_id=OWNER)
        assert url.startswith(f"{base_url}/media/clips/")
        part = requests.get(url, headers={"Range": "bytes=1000-4999"}, timeout=10)
        whole = requests.get(url, timeout=10)
        head = requests.head(url, timeout=10)
        tail = requests.get(url, headers={"Range": f"bytes={len(video) - 10}-"}, timeout=10)
        beyond = requests.get(url, headers={"Range": f"bytes={len(video)}-"}, timeout=10)
        forged = requests.get(tampered(url), timeout=10)

    assert part.status_code == 206, part.text
    assert part.headers["Content-Range"] == f"bytes 1000-4999/{len(video)}"
    assert part.content == video[1000:5000]
    assert whole.status_code == 200 and whole.content == video
    assert whole.headers["Content-Type"] == "video/mp4" and whole.headers["Accept-Ranges"] == "bytes"
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(video)) and head.content == b""
    assert tail.status_code == 206 and tail.content == video[-10:]
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(video)}"
    assert forged.status_code == 404

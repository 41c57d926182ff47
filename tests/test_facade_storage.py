"""Supabase Storage at /storage/v1, driven by the official Supabase client (supabase-py, as supabase-swift speaks it)
against a live server for two users side by side, plus raw HTTP checks of what the client hides: the unnamed
multipart part of supabase-swift and supabase-js, Range, signed URLs without headers, and Storage's error bodies."""

import time
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.utils import timezone
from storage3.exceptions import StorageApiError
from supabase import ClientOptions, create_client

from clips.downloads import clip_files_save
from clips.models import ClipJob, StorageObject
from clips.providers.local import LocalClipProvider
from directorstudio.accounts.models import User
from directorstudio.facade.storage.signing import object_token_sign
from tests.gunicorn_server import gunicorn_serving
from tests.tokens import make_supabase_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One real clip (an MP4 and its JPEG poster) from the local provider, rendered once for the module."""
    return LocalClipProvider().generate(prompt="A lighthouse at dusk", seconds=1, workdir=tmp_path_factory.mktemp("r"))


@pytest.fixture(scope="module")
def video(rendered) -> bytes:
    return rendered.video_path.read_bytes()


@pytest.fixture(scope="module")
def other_video(tmp_path_factory) -> bytes:
    """A second, different video, to tell a replacement from the original."""
    clip = LocalClipProvider().generate(prompt="Rain on a window", seconds=1, workdir=tmp_path_factory.mktemp("o"))
    return clip.video_path.read_bytes()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """A fresh MEDIA_ROOT on the local file storage."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def storage_of(url: str, anon_key: str, user: User | None = None):
    """The official client's Storage for `user` (their access token as the session), or for the anon key alone."""
    headers = {"Authorization": f"Bearer {make_supabase_token(user.pk, user.email)}"} if user else {}
    client = create_client(url, anon_key, options=ClientOptions(headers=headers))
    return client.storage


@pytest.fixture
def alice_storage(live_server, anon_key, alice):
    return storage_of(live_server.url, anon_key, alice)


@pytest.fixture
def bob_storage(live_server, anon_key, bob):
    return storage_of(live_server.url, anon_key, bob)


@pytest.fixture
def storage_url(live_server) -> str:
    return f"{live_server.url}/storage/v1"


@pytest.fixture
def alice_http(anon_key, alice):
    """Raw HTTP as alice, with the headers the clients send."""
    token = make_supabase_token(alice.pk, alice.email)
    with httpx.Client(headers={"apikey": anon_key, "Authorization": f"Bearer {token}"}) as client:
        yield client


def upload(storage, path: str, data: bytes, **options):
    return storage.from_("videos").upload(path, data, {"content-type": "video/mp4", **options})


def storage_error(call) -> StorageApiError:
    """The Storage error a client call raises."""
    with pytest.raises(StorageApiError) as raised:
        call()
    return raised.value


def assert_storage_error(response: httpx.Response, status: str, error: str, code: str | None = None) -> dict:
    """A Storage error body: HTTP 400 below 500 (the real status in `statusCode`), the error's names and message."""
    assert response.status_code == (int(status) if int(status) >= 500 else 400), response.text
    body = response.json()
    assert set(body) == {"statusCode", "code", "error", "message"}
    assert (body["statusCode"], body["error"]) == (status, error)
    if code is not None:
        assert body["code"] == code
    return body


def stored_files(media) -> list:
    return sorted(path for path in (media / "storage").rglob("*") if path.is_file()) if media.exists() else []


# --- Upload and download ------------------------------------------------------------------------------


def test_an_upload_answers_its_id_and_key_and_downloads_whole_and_by_range(
    store, alice_storage, alice, alice_http, storage_url, video
):
    project = str(uuid.uuid4())
    answer = upload(alice_storage, f"{project}/first.mp4", video)

    assert answer.path == f"{project}/first.mp4"
    assert answer.full_path == f"videos/{project}/first.mp4"
    row = StorageObject.objects.get()
    assert (row.user_id, row.bucket_id, row.name, row.size) == (alice.pk, "videos", f"{project}/first.mp4", len(video))
    assert (row.mimetype, row.cache_control) == ("video/mp4", "max-age=3600")
    assert alice_storage.from_("videos").download(f"{project}/first.mp4") == video

    ranged = alice_http.get(f"{storage_url}/object/videos/{project}/first.mp4", headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206
    assert ranged.content == video[100:200]
    assert ranged.headers["Content-Range"] == f"bytes 100-199/{len(video)}"
    assert ranged.headers["Content-Type"] == "video/mp4"
    whole = alice_http.get(f"{storage_url}/object/authenticated/videos/{project}/first.mp4")
    assert (whole.status_code, whole.content) == (200, video)
    assert whole.headers["Accept-Ranges"] == "bytes"
    head = alice_http.head(f"{storage_url}/object/videos/{project}/first.mp4")
    assert (head.status_code, head.headers["Content-Length"], head.content) == (200, str(len(video)), b"")
    beyond = alice_http.get(f"{storage_url}/object/videos/{project}/first.mp4", headers={"Range": "bytes=999999999-"})
    assert beyond.status_code == 416
    assert store.names() == [row.stored_name]
    assert row.stored_name.startswith("storage/videos/") and row.stored_name.endswith(".mp4")


def test_a_raw_body_upload_is_stored_with_its_headers(alice_http, alice_storage, storage_url, video):
    response = alice_http.post(
        f"{storage_url}/object/videos/raw/clip.mp4",
        content=video,
        headers={"Content-Type": "video/mp4", "Cache-Control": "max-age=60"},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {"Id": str(StorageObject.objects.get().id), "Key": "videos/raw/clip.mp4"}
    assert alice_storage.from_("videos").download("raw/clip.mp4") == video
    assert StorageObject.objects.get().cache_control == "max-age=60"


BOUNDARY = "----swift-boundary-7MA4YWxkTrZu0gW"
SWIFT_MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def swift_multipart(data: bytes, *, cache_control: str = "120") -> bytes:
    """A multipart upload as supabase-swift sends it: its fields, then the file in a part with an empty name."""
    return b"".join(
        [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="cacheControl"\r\n\r\n{cache_control}\r\n'.encode(),
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{{"scene": 3}}\r\n'.encode(),
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name=""; filename="take.mp4"\r\n'.encode(),
            b"Content-Type: video/mp4\r\n\r\n",
            data,
            f"\r\n--{BOUNDARY}--\r\n".encode(),
        ]
    )


def test_a_multipart_file_part_with_an_empty_name_is_read_as_swift_and_js_send_it(
    alice_http, alice_storage, storage_url, video
):
    response = alice_http.post(
        f"{storage_url}/object/videos/swift/take.mp4",
        content=swift_multipart(video),
        headers={"Content-Type": SWIFT_MULTIPART, "x-upsert": "false"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["Key"] == "videos/swift/take.mp4"
    assert alice_storage.from_("videos").download("swift/take.mp4") == video
    row = StorageObject.objects.get()
    assert (row.mimetype, row.cache_control, row.user_metadata) == ("video/mp4", "max-age=120", {"scene": 3})

    # A value its downloads would answer as a header is one header's worth of printable text.
    injected = alice_http.post(
        f"{storage_url}/object/videos/swift/other.mp4",
        content=swift_multipart(video, cache_control="1\r\nX-Injected: yes"),
        headers={"Content-Type": SWIFT_MULTIPART},
    )
    assert_storage_error(injected, "400", "InvalidRequest")
    assert StorageObject.objects.count() == 1


def test_an_existing_object_is_a_duplicate_unless_upserted(store, alice_storage, video, other_video):
    upload(alice_storage, "p/take.mp4", video)
    first_id = StorageObject.objects.get().id

    error = storage_error(lambda: upload(alice_storage, "p/take.mp4", other_video))
    assert (str(error.status), error.code, error.message) == ("409", "Duplicate", "The resource already exists")
    assert alice_storage.from_("videos").download("p/take.mp4") == video

    upload(alice_storage, "p/take.mp4", other_video, upsert="true")
    assert alice_storage.from_("videos").download("p/take.mp4") == other_video
    alice_storage.from_("videos").update("p/take.mp4", video, {"content-type": "video/mp4"})
    assert alice_storage.from_("videos").download("p/take.mp4") == video
    assert StorageObject.objects.get().id == first_id
    assert len(store.names()) == 1  # replaced files are deleted


def test_a_file_that_is_not_a_video_is_refused_and_leaves_nothing(store, alice_storage, alice_http, storage_url):
    error = storage_error(lambda: upload(alice_storage, "p/notes.mp4", b"INT. KITCHEN - NIGHT\n" * 50))

    assert (str(error.status), error.code) == ("415", "invalid_mime_type")
    assert "not a video" in error.message
    assert not StorageObject.objects.exists()
    assert store.names() == []
    response = alice_http.post(
        f"{storage_url}/object/videos/p/empty.mp4", content=b"", headers={"Content-Type": "video/mp4"}
    )
    assert_storage_error(response, "415", "invalid_mime_type", "InvalidMimeType")


def test_a_video_is_refused_under_a_type_the_bucket_does_not_allow(alice_storage, alice_http, storage_url, video):
    as_html = alice_http.post(
        f"{storage_url}/object/videos/p/a.mp4", content=video, headers={"Content-Type": "text/html"}
    )
    body = assert_storage_error(as_html, "415", "invalid_mime_type", "InvalidMimeType")
    assert body["message"] == "mime type text/html is not supported"
    # supabase-py's default type when none is given, as Storage refuses it for a bucket of videos.
    error = storage_error(lambda: alice_storage.from_("videos").upload("p/a.mp4", video))
    assert (str(error.status), error.code) == ("415", "invalid_mime_type")
    assert not StorageObject.objects.exists()
    upload(alice_storage, "p/a.mp4", video, **{"content-type": "video/MP4; codecs=avc1"})


def test_an_upload_past_the_limit_is_payload_too_large(settings, alice_storage, alice_http, storage_url, video, media):
    settings.VIDEO_UPLOAD_MAX_BYTES = len(video) - 1

    error = storage_error(lambda: upload(alice_storage, "p/big.mp4", video))
    assert (str(error.status), error.code) == ("413", "Payload too large")
    raw = alice_http.post(
        f"{storage_url}/object/videos/p/big.mp4", content=video, headers={"Content-Type": "video/mp4"}
    )
    assert_storage_error(raw, "413", "Payload too large", "EntityTooLarge")
    assert not StorageObject.objects.exists()
    assert stored_files(media) == []


def test_a_store_failure_is_a_503_in_storages_body_and_leaves_no_object(
    store, alice_storage, alice_http, storage_url, video
):
    upload(alice_storage, "p/a.mp4", video)

    with store.down():
        response = alice_http.post(
            f"{storage_url}/object/videos/p/b.mp4", content=video, headers={"Content-Type": "video/mp4"}
        )
        assert_storage_error(response, "503", "storage_unavailable", "S3Error")
        assert response.headers["Retry-After"]
        copied = alice_http.post(
            f"{storage_url}/object/copy", json={"bucketId": "videos", "sourceKey": "p/a.mp4", "destinationKey": "c"}
        )
        assert_storage_error(copied, "503", "storage_unavailable")

    assert list(StorageObject.objects.values_list("name", flat=True)) == ["p/a.mp4"]
    assert len(store.names()) == 1


# --- List, remove, move, copy -------------------------------------------------------------------------


def test_list_answers_folders_and_files_with_prefix_limit_offset_sort_and_search(alice_storage, video):
    for name in ("p1/b.mp4", "p1/A.mp4", "p1/deeper/c.mp4", "p2/d.mp4", "top.mp4"):
        upload(alice_storage, name, video)
    bucket = alice_storage.from_("videos")

    root = bucket.list()
    assert [entry["name"] for entry in root] == ["p1", "p2", "top.mp4"]
    assert root[0] == {
        "name": "p1",
        "id": None,
        "updated_at": None,
        "created_at": None,
        "last_accessed_at": None,
        "metadata": None,
    }
    top = root[2]
    assert top["id"] == str(StorageObject.objects.get(name="top.mp4").id)
    assert top["metadata"]["size"] == len(video)
    assert top["metadata"]["mimetype"] == "video/mp4"
    assert top["metadata"]["cacheControl"] == "max-age=3600"
    assert top["created_at"] and top["updated_at"] and top["last_accessed_at"]

    assert [entry["name"] for entry in bucket.list("p1")] == ["A.mp4", "b.mp4", "deeper"]
    assert [entry["name"] for entry in bucket.list("p1/")] == ["A.mp4", "b.mp4", "deeper"]
    desc = bucket.list("p1", {"sortBy": {"column": "name", "order": "desc"}})
    assert [entry["name"] for entry in desc] == ["deeper", "b.mp4", "A.mp4"]
    assert [entry["name"] for entry in bucket.list("p1", {"limit": 1, "offset": 1})] == ["b.mp4"]
    assert [entry["name"] for entry in bucket.list("p1", {"search": "a"})] == ["A.mp4"]
    assert [entry["name"] for entry in bucket.list("p1", {"search": "de"})] == ["deeper"]
    by_creation = bucket.list("p1", {"sortBy": {"column": "created_at", "order": "desc"}})
    assert [entry["name"] for entry in by_creation] == ["deeper", "A.mp4", "b.mp4"]  # folders first
    assert bucket.list("nowhere") == []


def test_remove_deletes_the_named_objects_and_their_files(store, alice_storage, alice_http, storage_url, video):
    for name in ("p/a.mp4", "p/b.mp4"):
        upload(alice_storage, name, video)

    bucket = alice_storage.from_("videos")
    assert bucket.info("p/a.mp4")["size"] == len(video)
    assert bucket.exists("p/a.mp4")

    removed = bucket.remove(["p/a.mp4", "p/missing.mp4"])

    assert [entry["name"] for entry in removed] == ["p/a.mp4"]
    assert removed[0]["bucket_id"] == "videos"
    assert list(StorageObject.objects.values_list("name", flat=True)) == ["p/b.mp4"]
    assert len(store.names()) == 1
    assert not bucket.exists("p/a.mp4")
    error = storage_error(lambda: alice_storage.from_("videos").download("p/a.mp4"))
    assert (str(error.status), error.code, error.message) == ("404", "not_found", "Object not found")
    one = alice_http.delete(f"{storage_url}/object/videos/p/b.mp4")
    assert (one.status_code, one.json()) == (200, {"message": "Successfully deleted"})
    assert store.names() == []


def test_move_renames_and_copy_duplicates_within_the_bucket(store, alice_storage, video, other_video):
    bucket = alice_storage.from_("videos")
    upload(alice_storage, "p/a.mp4", video)
    upload(alice_storage, "p/taken.mp4", other_video)

    assert bucket.move("p/a.mp4", "q/moved.mp4")["message"] == "Successfully moved"
    assert bucket.download("q/moved.mp4") == video
    assert storage_error(lambda: bucket.download("p/a.mp4")).message == "Object not found"

    copied = bucket.copy("q/moved.mp4", "q/copy.mp4")
    assert copied["Key"] == "videos/q/copy.mp4"
    assert bucket.download("q/copy.mp4") == video
    assert bucket.download("q/moved.mp4") == video

    assert str(storage_error(lambda: bucket.move("q/copy.mp4", "p/taken.mp4")).status) == "409"
    assert str(storage_error(lambda: bucket.copy("q/copy.mp4", "p/taken.mp4")).status) == "409"
    assert str(storage_error(lambda: bucket.move("p/none.mp4", "p/other.mp4")).status) == "404"
    assert bucket.download("p/taken.mp4") == other_video
    assert len(store.names()) == 3  # a move keeps the bytes where they are; a copy has its own


# --- Signed URLs ---------------------------------------------------------------------------------------


def test_a_signed_url_serves_the_object_without_any_header_and_with_range(store, alice_storage, alice, video):
    upload(alice_storage, "p/a.mp4", video)
    bucket = alice_storage.from_("videos")

    url = bucket.create_signed_url("p/a.mp4", 60)["signedURL"]

    assert "/storage/v1/object/sign/videos/p/a.mp4?token=" in url
    first = httpx.get(url)
    if store.backend == "s3":  # the store serves the bytes, at a short-lived presigned address
        assert first.status_code == 302
        assert first.headers["Location"].startswith(store.store.endpoint_url)
        query = parse_qs(urlsplit(first.headers["Location"]).query)
        assert int(query["Expires"][0]) <= time.time() + 300
        assert first.headers["Location"].split("?")[0].endswith(".mp4")  # so the store serves it as video/mp4
    whole = httpx.get(url, follow_redirects=True)
    assert (whole.status_code, whole.content) == (200, video)
    assert whole.headers["Content-Type"] == "video/mp4"
    ranged = httpx.get(url, headers={"Range": "bytes=0-9"}, follow_redirects=True)
    assert (ranged.status_code, ranged.content) == (206, video[:10])
    signed_download = bucket.create_signed_url("p/a.mp4", 60, {"download": True})["signedURL"]
    download = httpx.get(signed_download, follow_redirects=True)
    assert download.headers["Content-Disposition"] == "attachment; filename*=UTF-8''a.mp4"

    tampered = url[:-4] + ("aaaa" if not url.endswith("aaaa") else "bbbb")
    assert_storage_error(httpx.get(tampered), "400", "InvalidJWT")
    other_path = url.replace("/p/a.mp4?", "/p/b.mp4?")
    assert_storage_error(httpx.get(other_path), "400", "InvalidSignature")
    expired = object_token_sign(bucket_id="videos", name="p/a.mp4", owner=alice.pk, expires_in=-10)
    assert_storage_error(httpx.get(url.split("?")[0] + f"?token={expired}"), "400", "ExpiredToken")
    assert_storage_error(httpx.get(url.split("?")[0]), "400", "InvalidRequest")

    bucket.remove(["p/a.mp4"])
    assert_storage_error(httpx.get(url), "404", "not_found")


def test_signed_urls_for_several_paths_answer_each_path(alice_storage, video):
    upload(alice_storage, "p/a.mp4", video)

    answers = alice_storage.from_("videos").create_signed_urls(["p/a.mp4", "p/missing.mp4"], 60)

    assert [answer["path"] for answer in answers] == ["p/a.mp4", "p/missing.mp4"]
    assert httpx.get(answers[0]["signedURL"]).content == video
    assert answers[1]["error"] == "Either the object does not exist or you do not have access to it"
    assert answers[1]["signedURL"] is None
    error = storage_error(lambda: alice_storage.from_("videos").create_signed_url("p/missing.mp4", 60))
    assert (str(error.status), error.code) == ("404", "not_found")


# --- The clips bucket, other users, the anon role ------------------------------------------------------


@pytest.fixture
def finished_clip(alice, rendered) -> ClipJob:
    """One of alice's clip jobs, completed, with its files stored as the worker stores them."""
    job = ClipJob.objects.create(
        user_id=alice.pk, user_key="alice-key", prompt="A lighthouse", status="completed", completed_at=timezone.now()
    )
    clip_files_save(clip_job_id=job.id, video_path=rendered.video_path, poster_path=rendered.poster_path)
    return job


def test_the_clips_bucket_lists_and_serves_the_users_finished_clips_read_only(
    alice_storage, bob_storage, finished_clip, rendered, video
):
    clips = alice_storage.from_("clips")

    listed = clips.list()
    assert [entry["name"] for entry in listed] == [f"{finished_clip.id}.jpg", f"{finished_clip.id}.mp4"]
    assert listed[1]["id"] == str(finished_clip.id)
    assert listed[1]["metadata"]["mimetype"] == "video/mp4"
    assert clips.download(f"{finished_clip.id}.mp4") == video
    assert httpx.get(clips.create_signed_url(f"{finished_clip.id}.jpg", 60)["signedURL"]).content == (
        rendered.poster_path.read_bytes()
    )

    refused = storage_error(lambda: clips.upload(f"{finished_clip.id}.mp4", video, {"upsert": "true"}))
    assert (str(refused.status), refused.code) == ("403", "Unauthorized")
    assert str(storage_error(lambda: clips.move(f"{finished_clip.id}.mp4", "mine.mp4")).status) == "403"
    assert clips.remove([f"{finished_clip.id}.mp4"]) == []
    assert clips.download(f"{finished_clip.id}.mp4") == video

    assert bob_storage.from_("clips").list() == []
    assert str(storage_error(lambda: bob_storage.from_("clips").download(f"{finished_clip.id}.mp4")).status) == "404"


def test_another_users_objects_are_not_found_and_untouched(alice_storage, bob_storage, video, other_video):
    upload(alice_storage, "shared-name/a.mp4", video)
    bob = bob_storage.from_("videos")

    assert bob.list() == []
    assert bob.list("shared-name") == []
    for call in (
        lambda: bob.download("shared-name/a.mp4"),
        lambda: bob.create_signed_url("shared-name/a.mp4", 60),
        lambda: bob.move("shared-name/a.mp4", "mine.mp4"),
        lambda: bob.copy("shared-name/a.mp4", "mine.mp4"),
    ):
        error = storage_error(call)
        assert (str(error.status), error.code, error.message) == ("404", "not_found", "Object not found")
    assert bob.remove(["shared-name/a.mp4"]) == []
    assert bob.create_signed_urls(["shared-name/a.mp4"], 60)[0]["signedURL"] is None

    # Each user has their own names: bob's object of the same name is his, alice's stays hers.
    upload(bob_storage, "shared-name/a.mp4", other_video)
    assert bob.download("shared-name/a.mp4") == other_video
    assert alice_storage.from_("videos").download("shared-name/a.mp4") == video


def test_the_anon_key_alone_reads_and_writes_nothing(live_server, anon_key, alice_storage, video):
    upload(alice_storage, "p/a.mp4", video)
    anon = storage_of(live_server.url, anon_key).from_("videos")

    for call in (
        lambda: anon.upload("p/b.mp4", video, {"content-type": "video/mp4"}),
        lambda: anon.download("p/a.mp4"),
        lambda: anon.list("p"),
        lambda: anon.remove(["p/a.mp4"]),
        lambda: anon.create_signed_url("p/a.mp4", 60),
    ):
        error = storage_error(call)
        assert (str(error.status), error.code) == ("403", "Unauthorized")
    assert list(StorageObject.objects.values_list("name", flat=True)) == ["p/a.mp4"]


def test_two_users_through_gunicorn_on_the_store(store, anon_key, alice, bob, video, other_video):
    with gunicorn_serving(**store.environment()) as url:
        alice_storage, bob_storage = storage_of(url, anon_key, alice), storage_of(url, anon_key, bob)
        alice_videos, bob_videos = alice_storage.from_("videos"), bob_storage.from_("videos")
        project = str(uuid.uuid4())

        upload(alice_storage, f"{project}/1.mp4", video)
        upload(bob_storage, f"{project}/1.mp4", other_video)

        assert alice_videos.download(f"{project}/1.mp4") == video
        assert bob_videos.download(f"{project}/1.mp4") == other_video
        signed = alice_videos.create_signed_url(f"{project}/1.mp4", 60)["signedURL"]
        ranged = httpx.get(signed, headers={"Range": "bytes=10-19"}, follow_redirects=True)
        assert (ranged.status_code, ranged.content) == (206, video[10:20])
        assert [entry["name"] for entry in bob_videos.list(project)] == ["1.mp4"]
        assert bob_videos.remove([f"{project}/1.mp4"])[0]["name"] == f"{project}/1.mp4"
        assert alice_videos.download(f"{project}/1.mp4") == video
    assert len(store.names()) == 1


# --- Buckets and error bodies --------------------------------------------------------------------------


def test_the_two_private_buckets_are_listed_and_buckets_cannot_be_made_or_removed(alice_storage):
    assert [(bucket.id, bucket.public) for bucket in alice_storage.list_buckets()] == [
        ("clips", False),
        ("videos", False),
    ]
    videos = alice_storage.get_bucket("videos")
    assert videos.allowed_mime_types == ["video/*"]
    assert videos.file_size_limit > 0

    for call in (
        lambda: alice_storage.create_bucket("avatars"),
        lambda: alice_storage.delete_bucket("videos"),
        lambda: alice_storage.empty_bucket("videos"),
    ):
        error = storage_error(call)
        assert (str(error.status), error.code) == ("403", "Unauthorized")
    assert str(storage_error(lambda: alice_storage.get_bucket("avatars")).status) == "404"


def test_error_bodies_are_storages(alice_http, storage_url, anon_key, video):
    assert_storage_error(alice_http.get(f"{storage_url}/object/nope/a.mp4"), "404", "Bucket not found", "NoSuchBucket")
    assert_storage_error(alice_http.get(f"{storage_url}/object/public/videos/a.mp4"), "404", "Bucket not found")
    assert_storage_error(alice_http.get(f"{storage_url}/object/videos/p/none.mp4"), "404", "not_found", "NoSuchKey")
    assert_storage_error(alice_http.get(f"{storage_url}/object/videos/p/%2E%2E/a.mp4"), "400", "InvalidKey")
    assert_storage_error(
        alice_http.post(
            f"{storage_url}/object/list/videos", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        "400",
        "InvalidRequest",
    )
    assert_storage_error(alice_http.post(f"{storage_url}/object/list/videos", json={}), "400", "InvalidRequest")
    assert_storage_error(
        alice_http.post(f"{storage_url}/object/list/videos", json={"prefix": "", "sortBy": {"column": "size"}}),
        "400",
        "InvalidRequest",
    )
    assert_storage_error(
        alice_http.post(f"{storage_url}/object/sign/videos/a.mp4", json={"expiresIn": 0}), "400", "InvalidRequest"
    )
    assert_storage_error(
        alice_http.request("DELETE", f"{storage_url}/object/videos", json={"prefixes": "a"}), "400", "InvalidRequest"
    )

    bad_token = httpx.get(f"{storage_url}/bucket", headers={"apikey": anon_key, "Authorization": "Bearer not.a.jwt"})
    assert_storage_error(bad_token, "403", "Unauthorized", "AccessDenied")
    no_key = httpx.get(f"{storage_url}/bucket")
    assert no_key.status_code == 401
    assert no_key.json()["statusCode"] == "401"
    unknown = alice_http.get(f"{storage_url}/nothing/here")
    assert (unknown.status_code, unknown.json()["statusCode"]) == (404, "404")
    wrong_method = alice_http.patch(f"{storage_url}/object/videos/a.mp4")
    assert (wrong_method.status_code, wrong_method.json()["error"]) == (404, "Not Found")


# Requests no client sends, each of which must be answered with a Storage error, never a 5xx.
MALFORMED_REQUESTS = [
    ("POST", "/object/list/videos", {"json": {"prefix": "p\u0000"}}),
    ("POST", "/object/list/videos", {"json": {"prefix": "", "offset": 10**30}}),
    ("POST", "/object/list/videos", {"json": {"prefix": "", "limit": "ten"}}),
    ("POST", "/object/list/videos", {"content": b"[" * 100_000}),
    ("POST", "/object/list/videos", {"json": ["prefix"]}),
    ("DELETE", "/object/videos", {"json": {"prefixes": ["a\u0000"]}}),
    ("POST", "/object/sign/videos", {"json": {"expiresIn": "60", "paths": [7]}}),
    ("POST", "/object/sign/videos/a.mp4", {"json": {"expiresIn": 10**30}}),
    ("POST", "/object/move", {"json": {"bucketId": "videos", "sourceKey": None, "destinationKey": "b"}}),
    ("POST", "/object/copy", {"json": {"bucketId": 3, "sourceKey": "a", "destinationKey": "b"}}),
    ("POST", "/object/videos/a%00b.mp4", {"content": b"x"}),
    ("POST", "/object/videos/p/a.mp4", {"content": b"--x\r\n", "headers": {"Content-Type": "multipart/form-data"}}),
    ("POST", "/object/videos/p/a.mp4", {"content": b"abc", "headers": {"X-Metadata": "%%%"}}),
    ("GET", "/object/videos/p/a.mp4", {"headers": {"Range": "bytes=z-"}}),
    ("GET", "/object/sign/videos/p/a.mp4?token=%00", {}),
]


def test_malformed_requests_are_storage_errors_never_a_5xx(alice_http, storage_url):
    for method, path, options in MALFORMED_REQUESTS:
        response = alice_http.request(method, f"{storage_url}{path}", **options)

        assert response.status_code < 500, (method, path, response.text)
        assert response.json()["statusCode"] in {"400", "403", "404", "409", "413", "415"}, (method, path)

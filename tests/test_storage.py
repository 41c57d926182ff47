"""Files through the default storage on both backends (local files and a real S3 store, SeaweedFS): an upload
stored, played with Range and deleted; clips rendered and joined into a film that is stored and served."""

from urllib.parse import urlsplit

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clips import providers
from clips.models import ClipJob, FilmExport, SceneDraft
from clips.providers import media
from clips.services import clip_job_run, film_export_run, scene_draft_clip_submit
from credits.models import CreditsLedger
from tests.fake_pollo import sample_mp4
from tests.test_faults import QuickProvider

pytestmark = pytest.mark.django_db

UPLOADS = "/api/v1/video_uploads/"
EXPORTS = "/api/v1/film_exports/"


def fetched(url: str, **headers: str) -> tuple[int, bytes]:
    """The status and bytes a signed URL answers: the app's own (local files), or the store's it redirects to (S3)."""
    response = Client().get(urlsplit(url).path, headers=headers)
    if response.status_code == 302:
        from_store = httpx.get(response["Location"], headers=headers, timeout=10)
        return from_store.status_code, from_store.content
    return response.status_code, b"".join(response.streaming_content) if response.streaming else response.content


def played(url: str, byte_range: str) -> bytes:
    """The bytes a signed URL serves for a Range header, after checking its 206."""
    status, content = fetched(url, Range=byte_range)
    assert status == 206, content
    return content


def test_an_upload_is_stored_played_with_range_and_deleted_with_its_object(
    as_alice, store, django_capture_on_commit_callbacks
):
    video = SimpleUploadedFile("take.mov", sample_mp4(320, 180, 1))

    created = as_alice.post(UPLOADS, {"project_id": "film", "file": video})

    assert created.status_code == 201, created.content
    upload = created.json()
    assert store.names() == [f"uploads/{upload['id']}.mp4"]
    state = as_alice.get("/api/v1/project_states/film/").json()
    assert played(state["video_uploads"][0]["video_url"], "bytes=4-11") == b"ftypisom"  # a fast-start MP4
    with django_capture_on_commit_callbacks(execute=True):
        assert as_alice.delete(f"{UPLOADS}{upload['id']}/").status_code == 204
    assert store.names() == []


def project_of_finished_clips(*, user_id, monkeypatch) -> None:
    """The project "film" of two scenes, each with a clip rendered (quickly) and stored."""
    monkeypatch.setattr(providers, "get_provider", QuickProvider)
    CreditsLedger.objects.create(user_id=user_id, user_key="s" * 64, credits=2)
    for index in range(2):
        scene = SceneDraft.objects.create(
            user_id=user_id, project_id="film", order_index=index, prompt_text=f"Shot {index}", duration=4
        )
        job = scene_draft_clip_submit(user_id=user_id, scene_draft_id=scene.pk)
        assert clip_job_run(clip_job_id=job.pk).status == ClipJob.Status.COMPLETED


def test_rendered_clips_are_joined_into_a_film_that_is_stored_and_served(as_alice, alice, store, monkeypatch, tmp_path):
    project_of_finished_clips(user_id=alice.pk, monkeypatch=monkeypatch)

    started = as_alice.post(EXPORTS, {"project_id": "film", "missing": "skip"}, format="json")
    export = film_export_run(film_export_id=started.json()["id"])

    assert export.status == FilmExport.Status.COMPLETED, export.error_message
    jobs = ClipJob.objects.values_list("id", flat=True)
    assert store.names() == sorted(
        [f"films/{export.pk}.mp4"] + [f"clips/{job}.{extension}" for job in jobs for extension in ("jpg", "mp4")]
    )
    url = as_alice.get(f"{EXPORTS}{export.pk}/").json()["download_url"]
    film = tmp_path / "film.mp4"
    film.write_bytes(fetched(url)[1])
    assert media.probe(film).codec == "h264"
    assert played(url, "bytes=4-11") == b"ftypisom"

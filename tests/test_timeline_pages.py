"""The projects list and the timeline pages, and the API and services behind them: clips per scene, the project's
state in one request, uploads validated with ffmpeg, the duration bound and the film export run by a real worker."""

import json
import pathlib
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clips import downloads
from clips.models import ClipJob, FilmExport, SceneClipJob, SceneDraft, VideoUpload
from clips.providers import media
from clips.services import clip_job_complete, clip_job_start, project_clips_submit, scene_draft_clip_submit
from continuity.models import ContinuityLog, SceneLink, SceneState
from credits.models import CreditsLedger
from tests.fake_pollo import sample_mp4
from tests.test_clip_jobs_pipeline import PROCRASTINATE_TABLES, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

SCENES = "/api/v1/scene_drafts/"
UPLOADS = "/api/v1/video_uploads/"
EXPORTS = "/api/v1/film_exports/"
USER_KEY = "t" * 64


@pytest.fixture(autouse=True)
def _media_and_queue(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CLIP_PROVIDER = "local"
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {PROCRASTINATE_TABLES} CASCADE")


def make_scenes(user, project_id: str, durations: list[float]) -> list[SceneDraft]:
    return [
        SceneDraft.objects.create(
            user_id=user.pk, project_id=project_id, order_index=i, prompt_text=f"Scene {i + 1}", duration=d
        )
        for i, d in enumerate(durations)
    ]


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def finish(job: ClipJob, *, seconds: float = 1.0) -> None:
    """Complete a clip job as the worker would, with a real MP4 of `seconds`."""
    _started, attempt = clip_job_start(clip_job_id=job.id)
    workdir = pathlib.Path(f"/tmp/clip-{job.id}")
    workdir.mkdir(exist_ok=True)
    (workdir / "v.mp4").write_bytes(sample_mp4(320, 180, seconds))
    (workdir / "p.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    downloads.clip_files_save(clip_job_id=job.id, video_path=workdir / "v.mp4", poster_path=workdir / "p.jpg")
    clip_job_complete(
        clip_job_id=job.id,
        attempt=attempt,
        download_url=downloads.clip_download_url(clip_job_id=job.id, user_id=job.user_id),
    )


# --- pages ---------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in ("/projects/", "/projects/abc/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_projects_list_names_projects_and_shows_running_time_and_poster(alice, bob):
    from screenplays.models import Screenplay

    screenplay = Screenplay.objects.create(user_id=alice.pk, title="Night Shift", content="INT. DINER - NIGHT")
    make_scenes(alice, str(screenplay.pk), [4, 65.4])
    make_scenes(alice, "loose-project", [2])
    make_scenes(bob, "bobs-project", [3])
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=2)
    first = SceneDraft.objects.get(project_id=str(screenplay.pk), order_index=0)
    finish(scene_draft_clip_submit(user_id=alice.pk, scene_draft_id=first.pk))

    page = browser_of(alice).get("/projects/").content.decode()

    assert "Night Shift" in page and "1:09" in page and "loose-project" in page and "0:02" in page
    assert "bobs-project" not in page
    assert "/media/clips/" in page and ".jpg" in page  # the poster of the first finished clip


def test_another_writers_project_is_a_404_and_the_timeline_renders_its_data_in_bounded_queries(alice, bob):
    make_scenes(bob, "shared-name", [3])
    assert browser_of(alice).get("/projects/shared-name/").status_code == 404
    assert browser_of(alice).get("/projects/nothing-here/").status_code == 404

    client = browser_of(alice)
    make_scenes(alice, "small", [4])
    with CaptureQueriesContext(connection) as small:
        assert client.get("/projects/small/").status_code == 200
    make_scenes(alice, "big", [4] * 300)
    with CaptureQueriesContext(connection) as big:
        response = client.get("/projects/big/")

    assert len(big) == len(small) <= 10
    data = json.loads(
        response.content.decode().split('id="timeline-data" type="application/json">')[1].split("</script>")[0]
    )
    assert len(data["scenes"]) == 300 and [s["order_index"] for s in data["scenes"]] == list(range(300))
    assert data["project"] == {"id": "big", "name": "big", "from_screenplay": False}


def test_a_scene_the_continuity_engine_checked_carries_its_verdict_and_issues(alice):
    first, second, unchecked = make_scenes(alice, "checked", [4, 4, 4])
    for draft, state_id in ((first, 1), (second, 2)):
        SceneState.objects.create(user_id=alice.pk, id=state_id, location="Diner", prompt="p", tone="calm")
        SceneLink.objects.create(scene_draft=draft, user_id=alice.pk, scene_state_id=state_id)
    issue = {"rule": "character_location", "element": "Eli", "message": "Eli vanished from Diner", "severity": "high"}
    ContinuityLog.objects.create(user_id=alice.pk, scene_id=1, confidence=1.0, passed=True, issues=[])
    ContinuityLog.objects.create(user_id=alice.pk, scene_id=2, confidence=0.5, passed=False, issues=[issue])

    response = browser_of(alice).get("/projects/checked/")

    data = json.loads(
        response.content.decode().split('id="timeline-data" type="application/json">')[1].split("</script>")[0]
    )
    assert data["continuity"] == {
        str(first.id): {"passed": True, "confidence": 1.0, "issues": []},
        str(second.id): {"passed": False, "confidence": 0.5, "issues": ["Eli vanished from Diner"]},
    }
    assert str(unchecked.id) not in data["continuity"]


def timeline_data(response) -> dict:
    return json.loads(
        response.content.decode().split('id="timeline-data" type="application/json">')[1].split("</script>")[0]
    )


def test_a_screenplays_timeline_carries_its_scene_headings_for_the_card_titles(alice):
    from screenplays.services import screenplay_create, screenplay_scene_drafts_create

    script = "INT. DINER - NIGHT\n\nRain.\n\nEXT. PARKING LOT - CONTINUOUS\n\nMaya runs.\n"
    screenplay, _ = screenplay_create(user_id=alice.pk, title="Night Shift", content=script)
    screenplay_scene_drafts_create(user_id=alice.pk, screenplay_id=screenplay.pk)
    make_scenes(alice, "film", [4])

    headings = timeline_data(browser_of(alice).get(f"/projects/{screenplay.pk}/"))["headings"]

    assert headings == ["INT. DINER - NIGHT", "EXT. PARKING LOT - CONTINUOUS"]
    assert timeline_data(browser_of(alice).get("/projects/film/"))["headings"] == []


# --- duration bound --------------------------------------------------------------------------------


def test_a_scene_duration_is_bounded_in_the_api_and_the_database(as_alice, alice):
    for duration in (1e308, 600.5, 0, -1):
        response = as_alice.post(
            SCENES, {"project_id": "p", "order_index": 0, "prompt_text": "x", "duration": duration}, format="json"
        )
        assert response.status_code == 400 and "duration" in response.json()
    ok = as_alice.post(
        SCENES, {"project_id": "p", "order_index": 0, "prompt_text": "x", "duration": 600}, format="json"
    )
    assert ok.status_code == 201
    with pytest.raises(IntegrityError), transaction.atomic():
        SceneDraft.objects.create(user_id=alice.pk, project_id="p", order_index=1, prompt_text="x", duration=1e308)
    assert as_alice.get("/api/v1/project_overview/").status_code == 200


# --- clips per scene and the project's state ----------------------------------------------------------


def test_a_scenes_clip_is_linked_and_the_project_state_answers_in_one_request(as_alice, alice, bob):
    scenes = make_scenes(alice, "film", [4, 4, 4])
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=2)

    submitted = as_alice.post(f"{SCENES}{scenes[0].pk}/clip_jobs/", {}, format="json")
    assert submitted.status_code == 201, submitted.content
    assert submitted.json()["scene_draft_id"] == str(scenes[0].pk) and submitted.json()["status"] == "queued"
    assert SceneClipJob.objects.get(scene_draft=scenes[0]).clip_job.prompt == "Scene 1"

    state = as_alice.get("/api/v1/project_states/film/").json()
    assert state["credits"] == 1 and [j["scene_draft_id"] for j in state["clip_jobs"]] == [str(scenes[0].pk)]

    refused = as_alice.post(f"{SCENES}clip_jobs/", {"project_id": "film"}, format="json")  # 2 scenes, 1 credit
    assert refused.status_code == 402 and refused.json()["credits"] == 1
    assert ClipJob.objects.count() == 1  # all or nothing

    assert signed_as(bob).post(f"{SCENES}{scenes[1].pk}/clip_jobs/", {}, format="json").status_code == 404
    assert signed_as(bob).get("/api/v1/project_states/film/").json()["clip_jobs"] == []


def signed_as(user):
    from tests.tokens import signed_in

    return signed_in(user)


def test_generate_all_skips_scenes_with_a_clip_on_its_way(alice):
    scenes = make_scenes(alice, "film", [4, 4, 4])
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=5)
    scene_draft_clip_submit(user_id=alice.pk, scene_draft_id=scenes[1].pk)

    jobs = project_clips_submit(user_id=alice.pk, project_id="film")

    assert sorted(j.scene_link.scene_draft_id for j in jobs) == sorted([scenes[0].pk, scenes[2].pk])
    assert CreditsLedger.objects.get().credits == 2


def test_the_state_endpoint_runs_a_fixed_number_of_queries(as_alice, alice, get_query_count):
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=50)
    scenes = make_scenes(alice, "film", [4] * 3)
    for scene in scenes:
        scene_draft_clip_submit(user_id=alice.pk, scene_draft_id=scene.pk)
    few = get_query_count(as_alice, "/api/v1/project_states/film/")
    for scene in make_scenes(alice, "film2", [4] * 30):
        scene_draft_clip_submit(user_id=alice.pk, scene_draft_id=scene.pk)
    SceneDraft.objects.filter(project_id="film2").update(project_id="film", order_index=5)
    assert get_query_count(as_alice, "/api/v1/project_states/film/") == few


# --- uploads ---------------------------------------------------------------------------------------------


def test_a_video_upload_is_probed_stored_listed_reordered_played_and_deleted(as_alice, alice, settings):
    first = as_alice.post(UPLOADS, {"project_id": "film", "file": SimpleUploadedFile("a.mp4", sample_mp4(320, 180, 1))})
    second = as_alice.post(UPLOADS, {"project_id": "film", "file": SimpleUploadedFile("b.mov", sample_mp4(160, 90, 1))})
    assert first.status_code == second.status_code == 201, first.content
    a, b = first.json(), second.json()
    assert (a["order_index"], b["order_index"]) == (0, 1)
    assert a["filename"] == f"uploads/{a['id']}.mp4" and (settings.MEDIA_ROOT / a["filename"]).exists()
    assert set(a) == {"id", "project_id", "order_index", "filename", "uploaded_at", "user_id"}

    reordered = as_alice.post(f"{UPLOADS}reorder/", {"project_id": "film", "ids": [b["id"], a["id"]]}, format="json")
    assert [row["id"] for row in reordered.json()] == [b["id"], a["id"]]
    state = as_alice.get("/api/v1/project_states/film/").json()
    url = state["video_uploads"][1]["video_url"]
    played = Client().get(url.split("127.0.0.1:8000")[1], HTTP_RANGE="bytes=0-99")
    assert played.status_code == 206 and played["Content-Type"] == "video/mp4"

    assert as_alice.delete(f"{UPLOADS}{a['id']}/").status_code == 204
    assert not (settings.MEDIA_ROOT / a["filename"]).exists()
    assert list(VideoUpload.objects.values_list("id", flat=True)) == [uuid.UUID(b["id"])]


def test_a_non_video_or_too_large_upload_is_refused_with_no_row_and_no_file(as_alice, settings):
    refused = as_alice.post(
        UPLOADS, {"project_id": "film", "file": SimpleUploadedFile("film.mp4", b"not a video" * 100)}
    )
    assert refused.status_code == 400 and "file" in refused.json()
    settings.VIDEO_UPLOAD_MAX_BYTES = 1000
    too_big = as_alice.post(
        UPLOADS, {"project_id": "film", "file": SimpleUploadedFile("a.mp4", sample_mp4(320, 180, 1))}
    )
    assert too_big.status_code == 400 and "larger" in too_big.json()["file"][0]

    assert not VideoUpload.objects.exists()
    assert not list((settings.MEDIA_ROOT).rglob("*.*"))


def test_json_creates_of_video_uploads_work_as_before(as_alice):
    created = as_alice.post(
        UPLOADS, {"project_id": "film", "order_index": 3, "filename": "bucket/x.mov"}, format="json"
    )
    assert created.status_code == 201 and created.json()["filename"] == "bucket/x.mov"


# --- film export -----------------------------------------------------------------------------------------


def test_the_film_export_joins_the_finished_clips_in_order_with_a_real_worker(as_alice, alice, settings):
    CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=5)
    scenes = make_scenes(alice, "film", [4, 4, 4])
    for scene, seconds in ((scenes[0], 1.0), (scenes[2], 2.0)):
        finish(scene_draft_clip_submit(user_id=alice.pk, scene_draft_id=scene.pk), seconds=seconds)

    started = as_alice.post(EXPORTS, {"project_id": "film", "missing": "skip"}, format="json")
    assert started.status_code == 201 and started.json()["status"] == "queued"
    run_worker()

    export = as_alice.get(f"{EXPORTS}{started.json()['id']}/").json()
    assert export["status"] == "completed" and export["progress"] == 1, export
    film = settings.MEDIA_ROOT / "films" / f"{export['id']}.mp4"
    info = media.probe(film)
    assert info.codec == "h264" and abs(info.duration_seconds - 3.0) < 0.15 and abs(export["duration"] - 3.0) < 0.15
    served = Client().get(export["download_url"].split("127.0.0.1:8000")[1])
    assert served.status_code == 200 and served["Content-Type"] == "video/mp4"


def test_a_film_export_with_nothing_to_join_is_refused(as_alice, alice):
    make_scenes(alice, "film", [4])
    refused = as_alice.post(EXPORTS, {"project_id": "film", "missing": "skip"}, format="json")
    assert refused.status_code == 400 and not FilmExport.objects.exists()

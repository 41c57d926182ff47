"""The scene_drafts, clip_jobs, video_uploads and project_overview resources of the REST API."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from clips.models import ClipJob, SceneDraft, VideoUpload
from clips.serializers import ClipJobSerializer, SceneDraftSerializer
from clips.services import scene_drafts_reorder
from credits.models import CreditsLedger
from directorstudio.accounts.models import User
from tests.rows import COLUMNS, assert_timestamp

pytestmark = pytest.mark.django_db

SCENES = "/api/v1/scene_drafts/"
REORDER = "/api/v1/scene_drafts/reorder/"
CLIP_JOBS = "/api/v1/clip_jobs/"
UPLOADS = "/api/v1/video_uploads/"
OVERVIEW = "/api/v1/project_overview/"
USER_KEY = "a" * 64


def make_scenes(user: User, project_id: str = "project-1", count: int = 3) -> list[SceneDraft]:
    return SceneDraft.objects.bulk_create(
        SceneDraft(user_id=user.pk, project_id=project_id, order_index=i, prompt_text=f"Scene {i}", duration=4.0)
        for i in range(count)
    )


def stored_order(scenes: list[SceneDraft]) -> list[int]:
    """The `order_index` each of `scenes` has in the database now, in the order of `scenes`."""
    order = dict(SceneDraft.objects.filter(pk__in=[s.pk for s in scenes]).values_list("pk", "order_index"))
    return [order[scene.pk] for scene in scenes]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


# --- scene drafts -----------------------------------------------------------------------------

SCENE = {"project_id": "project-1", "order_index": 0, "prompt_text": "A diner at night", "duration": 4.0}


def test_scene_draft_create_read_list(as_alice, alice):
    response = as_alice.post(SCENES, {**SCENE, "scene_type": "INT", "user_id": str(uuid.uuid4())}, format="json")

    assert response.status_code == 201, response.data
    body = response.json()
    assert set(body) == COLUMNS["scene_drafts"]
    assert body["user_id"] == str(alice.pk)
    assert (body["scene_type"], body["shot_type"]) == ("INT", None)
    assert_timestamp(body["created_at"])
    assert_timestamp(body["updated_at"])
    assert as_alice.get(f"{SCENES}{body['id']}/").json() == body
    assert as_alice.get(SCENES).json() == [body]


def test_scene_draft_update_and_delete(as_alice, alice):
    scene = make_scenes(alice, count=1)[0]
    url = f"{SCENES}{scene.id}/"

    patched = as_alice.patch(url, {"duration": 6.5, "shot_type": "close-up"}, format="json")
    put = as_alice.put(url, {**SCENE, "prompt_text": "Rewritten"}, format="json")
    deleted = as_alice.delete(url)

    assert patched.status_code == 200, patched.data
    assert (patched.json()["duration"], patched.json()["shot_type"]) == (6.5, "close-up")
    assert put.status_code == 200, put.data
    assert put.json()["prompt_text"] == "Rewritten"
    assert put.json()["updated_at"] > put.json()["created_at"]
    assert deleted.status_code == 204
    assert not SceneDraft.objects.exists()


def test_scene_drafts_are_ordered_by_project_and_order_index_and_filtered(as_alice, alice):
    b_scenes = make_scenes(alice, "b", 2)
    a_scenes = make_scenes(alice, "a", 2)
    SceneDraft.objects.filter(pk=a_scenes[0].pk).update(updated_at=timezone.now() - timedelta(days=3))

    assert ids(as_alice.get(SCENES)) == [str(scene.id) for scene in a_scenes + b_scenes]
    assert ids(as_alice.get(SCENES, {"project_id": "b"})) == [str(scene.id) for scene in b_scenes]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert str(a_scenes[0].id) not in ids(as_alice.get(SCENES, {"updated_at__gte": since}))
    assert ids(as_alice.get(SCENES, {"updated_at__lte": since})) == [str(a_scenes[0].id)]
    assert len(ids(as_alice.get(SCENES, {"created_at__gte": since}))) == 4


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration": 0}, "duration"),
        ({"duration": -1.5}, "duration"),
        ({"duration": "Infinity"}, "duration"),
        ({"duration": "nan"}, "duration"),
        ({"duration": "long"}, "duration"),
        ({"order_index": -1}, "order_index"),
        ({"order_index": 2**31}, "order_index"),
        ({"order_index": 1.5}, "order_index"),
        ({"project_id": ""}, "project_id"),
        ({"project_id": "   "}, "project_id"),
        ({"project_id": "p" * 201}, "project_id"),
        ({"prompt_text": "x" * 4001}, "prompt_text"),
        ({"prompt_text": None}, "prompt_text"),
        ({"scene_type": "x" * 51}, "scene_type"),
        ({"shot_type": "x" * 51}, "shot_type"),
    ],
)
def test_scene_draft_validation(as_alice, change, field):
    response = as_alice.post(SCENES, {**SCENE, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not SceneDraft.objects.exists()


def test_scene_draft_validation_applies_to_updates(as_alice, alice):
    scene = make_scenes(alice, count=1)[0]

    response = as_alice.patch(f"{SCENES}{scene.id}/", {"duration": 0, "order_index": -2}, format="json")

    assert response.status_code == 400
    assert {"duration", "order_index"} <= set(response.json())


def test_repeated_scene_draft_create_and_somebody_elses_id(as_alice, as_bob):
    body = {**SCENE, "id": str(uuid.uuid4())}

    assert as_alice.post(SCENES, body, format="json").status_code == 201
    again = as_alice.post(SCENES, body, format="json")
    taken = as_bob.post(SCENES, {**body, "prompt_text": "Bob's"}, format="json")

    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert taken.status_code == 409
    assert "A diner at night" not in taken.content.decode()
    assert SceneDraft.objects.count() == 1


def test_reorder_sets_order_index_in_the_given_order(as_alice, alice):
    scenes = make_scenes(alice, count=3)
    other_project = make_scenes(alice, "project-2", 1)[0]
    new_order = [str(scenes[2].id), str(scenes[0].id), str(scenes[1].id)]

    response = as_alice.post(REORDER, {"project_id": "project-1", "ids": new_order}, format="json")

    assert response.status_code == 200, response.data
    assert [row["id"] for row in response.json()] == new_order
    assert [row["order_index"] for row in response.json()] == [0, 1, 2]
    assert set(response.json()[0]) == COLUMNS["scene_drafts"]
    assert ids(as_alice.get(SCENES, {"project_id": "project-1"})) == new_order
    other_project.refresh_from_db()
    assert other_project.order_index == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("missing", "ids"),
        ("extra", "ids"),
        ("duplicate", "ids"),
        ("somebody_elses", "ids"),
        ("unknown_project", "project_id"),
        ("empty", "ids"),
        ("not_uuids", "ids"),
        ("no_project", "project_id"),
    ],
)
def test_reorder_refuses_a_list_that_is_not_exactly_the_projects_scenes(as_alice, alice, bob, change, field):
    scenes = make_scenes(alice, count=3)
    own = [str(scene.id) for scene in reversed(scenes)]
    bobs = str(make_scenes(bob, count=1)[0].id)
    other_project = str(make_scenes(alice, "project-2", 1)[0].id)
    body = {
        "missing": {"project_id": "project-1", "ids": own[:2]},
        "extra": {"project_id": "project-1", "ids": [*own, other_project]},
        "duplicate": {"project_id": "project-1", "ids": [*own[:2], own[0]]},
        "somebody_elses": {"project_id": "project-1", "ids": [*own[:2], bobs]},
        "unknown_project": {"project_id": "no-such-project", "ids": own},
        "empty": {"project_id": "project-1", "ids": []},
        "not_uuids": {"project_id": "project-1", "ids": ["one", "two"]},
        "no_project": {"ids": own},
    }[change]

    response = as_alice.post(REORDER, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert stored_order(scenes) == [0, 1, 2]


def test_reorder_of_somebody_elses_project_is_refused(as_bob, alice):
    scenes = make_scenes(alice, count=2)

    response = as_bob.post(REORDER, {"project_id": "project-1", "ids": [str(s.id) for s in scenes]}, format="json")

    assert response.status_code == 400
    assert str(scenes[0].id) not in response.content.decode()
    assert list(SceneDraft.objects.order_by("order_index").values_list("pk", flat=True)) == [s.pk for s in scenes]


def test_reorder_runs_the_same_number_of_queries_for_3_and_for_50_scenes(alice):
    few = make_scenes(alice, "few", 3)
    many = make_scenes(alice, "many", 50)

    with CaptureQueriesContext(connection) as few_queries:
        scene_drafts_reorder(user_id=alice.pk, project_id="few", ids=[s.id for s in reversed(few)])
    with CaptureQueriesContext(connection) as many_queries:
        scene_drafts_reorder(user_id=alice.pk, project_id="many", ids=[s.id for s in reversed(many)])

    assert len(few_queries) == len(many_queries)
    assert list(SceneDraft.objects.filter(project_id="many").values_list("pk", flat=True)) == [
        s.pk for s in reversed(many)
    ]


def test_another_user_sees_and_changes_none_of_the_scene_drafts(as_bob, alice):
    scene = make_scenes(alice, count=1)[0]
    url = f"{SCENES}{scene.id}/"

    assert as_bob.get(SCENES).json() == []
    assert as_bob.get(SCENES, {"project_id": "project-1"}).json() == []
    assert as_bob.get(url).status_code == 404
    assert as_bob.patch(url, {"duration": 9}, format="json").status_code == 404
    assert as_bob.put(url, SCENE, format="json").status_code == 404
    assert as_bob.delete(url).status_code == 404
    scene.refresh_from_db()
    assert scene.duration == 4.0


# --- clip jobs --------------------------------------------------------------------------------


@pytest.fixture
def ledger(alice) -> CreditsLedger:
    return CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=2)


def test_submitting_a_clip_job_takes_one_credit(as_alice, alice, ledger):
    response = as_alice.post(
        CLIP_JOBS,
        {"user_key": USER_KEY, "prompt": "A diner at night", "status": "completed", "download_url": "https://x"},
        format="json",
    )

    assert response.status_code == 201, response.data
    body = response.json()
    assert set(body) == COLUMNS["clip_jobs"]
    assert (body["status"], body["download_url"], body["completed_at"]) == ("queued", None, None)
    assert body["user_id"] == str(alice.pk)
    assert_timestamp(body["submitted_at"])
    ledger.refresh_from_db()
    assert ledger.credits == 1
    assert as_alice.get(f"{CLIP_JOBS}{body['id']}/").json() == body


def test_the_free_first_clip_is_marked_consumed(as_alice, alice):
    ledger = CreditsLedger.objects.create(user_id=alice.pk, user_key=USER_KEY, credits=1, first_clip_granted=True)

    assert as_alice.post(CLIP_JOBS, {"user_key": USER_KEY, "prompt": "P"}, format="json").status_code == 201

    ledger.refresh_from_db()
    assert (ledger.credits, ledger.first_clip_consumed) == (0, True)


def test_without_credits_a_clip_job_is_refused_with_402(as_alice, alice, ledger):
    ledger.credits = 0
    ledger.save()

    response = as_alice.post(CLIP_JOBS, {"user_key": USER_KEY, "prompt": "A diner at night"}, format="json")

    assert response.status_code == 402
    assert response.json()["code"] == "insufficient_credits"
    assert response.json()["credits"] == 0
    assert not ClipJob.objects.exists()
    ledger.refresh_from_db()
    assert ledger.credits == 0


@pytest.mark.parametrize("owner", ["nobody", "somebody_else"])
def test_a_user_key_without_the_users_ledger_row_is_refused_with_402(as_alice, bob, owner):
    if owner == "somebody_else":
        CreditsLedger.objects.create(user_id=bob.pk, user_key=USER_KEY, credits=5)

    response = as_alice.post(CLIP_JOBS, {"user_key": USER_KEY, "prompt": "P"}, format="json")

    assert response.status_code == 402
    assert not ClipJob.objects.exists()
    assert list(CreditsLedger.objects.values_list("credits", flat=True)) == ([5] if owner == "somebody_else" else [])


def test_a_repeated_clip_job_create_takes_no_second_credit(as_alice, ledger):
    body = {"id": str(uuid.uuid4()), "user_key": USER_KEY, "prompt": "A diner at night"}

    first = as_alice.post(CLIP_JOBS, body, format="json")
    again = as_alice.post(CLIP_JOBS, body, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert ClipJob.objects.count() == 1
    ledger.refresh_from_db()
    assert ledger.credits == 1


def test_a_repeat_after_the_last_credit_still_returns_the_job(as_alice, ledger):
    ledger.credits = 1
    ledger.save()
    body = {"id": str(uuid.uuid4()), "user_key": USER_KEY, "prompt": "P"}

    assert as_alice.post(CLIP_JOBS, body, format="json").status_code == 201
    assert as_alice.post(CLIP_JOBS, body, format="json").status_code == 200
    ledger.refresh_from_db()
    assert ledger.credits == 0


def test_somebody_elses_clip_job_id_is_a_conflict_that_costs_nothing(as_alice, as_bob, bob, ledger):
    CreditsLedger.objects.create(user_id=bob.pk, user_key="b" * 64, credits=3)
    body = {"id": str(uuid.uuid4()), "user_key": USER_KEY, "prompt": "Alice's secret prompt"}
    as_alice.post(CLIP_JOBS, body, format="json")

    response = as_bob.post(CLIP_JOBS, {**body, "user_key": "b" * 64, "prompt": "Bob's"}, format="json")

    assert response.status_code == 409
    assert "secret" not in response.content.decode()
    assert CreditsLedger.objects.get(user_id=bob.pk).credits == 3
    assert ClipJob.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 4001}, "prompt"),
        ({"user_key": None}, "user_key"),
        ({"user_key": "k" * 201}, "user_key"),
    ],
)
def test_clip_job_validation(as_alice, ledger, change, field):
    response = as_alice.post(CLIP_JOBS, {"user_key": USER_KEY, "prompt": "P", **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    ledger.refresh_from_db()
    assert ledger.credits == 2


def test_clip_jobs_cannot_be_changed_or_deleted(as_alice, alice):
    job = ClipJob.objects.create(user_id=alice.pk, user_key=USER_KEY, prompt="P")
    url = f"{CLIP_JOBS}{job.id}/"

    assert as_alice.patch(url, {"prompt": "Q"}, format="json").status_code == 405
    assert as_alice.put(url, {"user_key": USER_KEY, "prompt": "Q"}, format="json").status_code == 405
    assert as_alice.delete(url).status_code == 405
    job.refresh_from_db()
    assert job.prompt == "P"


def test_the_status_poll_reads_the_job_with_one_query_by_its_key(as_alice, alice):
    job = ClipJob.objects.create(user_id=alice.pk, user_key=USER_KEY, prompt="P")

    with CaptureQueriesContext(connection) as queries:
        response = as_alice.get(f"{CLIP_JOBS}{job.id}/")

    assert response.status_code == 200
    reads = [query["sql"] for query in queries.captured_queries if '"clip_jobs"' in query["sql"]]
    assert len(reads) == 1, reads
    assert '"clip_jobs"."id" =' in reads[0] and '"clip_jobs"."user_id" =' in reads[0]
    assert len(queries) <= 2  # the job, and the token's user


def test_clip_jobs_are_newest_first_and_filter_by_status_and_submission(as_alice, alice):
    now = timezone.now()
    old = ClipJob.objects.create(
        user_id=alice.pk, user_key=USER_KEY, prompt="old", status="completed", submitted_at=now - timedelta(days=2)
    )
    new = ClipJob.objects.create(user_id=alice.pk, user_key=USER_KEY, prompt="new", submitted_at=now)

    assert ids(as_alice.get(CLIP_JOBS)) == [str(new.id), str(old.id)]
    assert ids(as_alice.get(CLIP_JOBS, {"status": "completed"})) == [str(old.id)]
    since = (now - timedelta(days=1)).isoformat()
    assert ids(as_alice.get(CLIP_JOBS, {"submitted_at__gte": since})) == [str(new.id)]
    assert ids(as_alice.get(CLIP_JOBS, {"submitted_at__lte": since})) == [str(old.id)]
    unknown = as_alice.get(CLIP_JOBS, {"status": "exploded"})
    assert unknown.status_code == 400
    assert "status" in unknown.json()


def test_another_user_sees_none_of_the_clip_jobs(as_bob, alice):
    job = ClipJob.objects.create(user_id=alice.pk, user_key=USER_KEY, prompt="P")

    assert as_bob.get(CLIP_JOBS).json() == []
    assert as_bob.get(CLIP_JOBS, {"status": "queued"}).json() == []
    assert as_bob.get(f"{CLIP_JOBS}{job.id}/").status_code == 404


# --- video uploads ----------------------------------------------------------------------------


def test_video_upload_create_read_update_delete(as_alice, alice):
    created = as_alice.post(
        UPLOADS,
        {"project_id": "project-1", "order_index": 0, "filename": "take1.mov", "uploaded_at": "2001-01-01T00:00:00Z"},
        format="json",
    )

    assert created.status_code == 201, created.data
    body = created.json()
    assert set(body) == COLUMNS["video_uploads"]
    assert body["user_id"] == str(alice.pk)
    assert_timestamp(body["uploaded_at"])
    assert not body["uploaded_at"].startswith("2001")
    url = f"{UPLOADS}{body['id']}/"
    assert as_alice.get(url).json() == body
    assert as_alice.get(UPLOADS).json() == [body]
    patched = as_alice.patch(url, {"order_index": None, "filename": "take2.mov"}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["order_index"], patched.json()["filename"]) == (None, "take2.mov")
    assert as_alice.delete(url).status_code == 204
    assert not VideoUpload.objects.exists()


def test_video_upload_with_only_defaults_and_a_repeat(as_alice):
    body = {"id": str(uuid.uuid4())}

    first = as_alice.post(UPLOADS, body, format="json")
    again = as_alice.post(UPLOADS, body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["project_id"] is None
    assert VideoUpload.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"order_index": -1}, "order_index"),
        ({"order_index": "first"}, "order_index"),
        ({"project_id": "p" * 201}, "project_id"),
        ({"filename": "f" * 1025}, "filename"),
    ],
)
def test_video_upload_validation(as_alice, change, field):
    response = as_alice.post(UPLOADS, change, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_video_uploads_filter_by_project_and_stay_private(as_alice, as_bob, alice):
    first = VideoUpload.objects.create(user_id=alice.pk, project_id="p1", order_index=0)
    VideoUpload.objects.create(user_id=alice.pk, project_id="p2", order_index=0)
    url = f"{UPLOADS}{first.id}/"

    assert ids(as_alice.get(UPLOADS, {"project_id": "p1"})) == [str(first.id)]
    assert as_bob.get(UPLOADS).json() == []
    assert as_bob.get(UPLOADS, {"project_id": "p1"}).json() == []
    assert as_bob.get(url).status_code == 404
    assert as_bob.patch(url, {"filename": "x"}, format="json").status_code == 404
    assert as_bob.delete(url).status_code == 404
    assert VideoUpload.objects.count() == 2


# --- project overview -------------------------------------------------------------------------


def test_project_overview_lists_the_users_projects(as_alice, as_bob, alice):
    make_scenes(alice, "project-1", 3)
    make_scenes(alice, "project-2", 1)

    rows = as_alice.get(OVERVIEW, {"project_id": "project-1"}).json()

    assert len(rows) == 1
    assert set(rows[0]) == COLUMNS["project_overview"]
    assert (rows[0]["project_id"], rows[0]["scene_count"], rows[0]["total_duration"]) == ("project-1", 3, 12.0)
    assert rows[0]["user_id"] == str(alice.pk)
    assert_timestamp(rows[0]["last_updated"])
    assert len(as_alice.get(OVERVIEW).json()) == 2
    assert as_bob.get(OVERVIEW).json() == []
    assert as_bob.get(OVERVIEW, {"project_id": "project-1"}).json() == []
    assert as_alice.post(OVERVIEW, {}, format="json").status_code == 405


# --- query counts -----------------------------------------------------------------------------


def test_list_query_counts_do_not_grow_with_the_rows(as_alice, alice, get_query_count):
    def add_rows(count: int, start: int) -> None:
        make_scenes(alice, f"project-{start}", count)
        ClipJob.objects.bulk_create(ClipJob(user_id=alice.pk, user_key=USER_KEY, prompt="P") for _ in range(count))
        VideoUpload.objects.bulk_create(VideoUpload(user_id=alice.pk, order_index=i) for i in range(count))
        for i in range(count):
            make_scenes(alice, f"overview-{start + i}", 1)

    urls = [SCENES, CLIP_JOBS, UPLOADS, OVERVIEW]
    add_rows(1, 0)
    with_one = [get_query_count(as_alice, url, {"limit": 1000}) for url in urls]
    add_rows(199, 1)

    assert [get_query_count(as_alice, url, {"limit": 1000}) for url in urls] == with_one
    assert [len(as_alice.get(url, {"limit": 1000}).json()) for url in urls[1:]] == [200, 200, 202]


@pytest.mark.parametrize("url", [SCENES, CLIP_JOBS, UPLOADS, OVERVIEW, f"{CLIP_JOBS}{uuid.uuid4()}/"])
def test_without_a_token_the_answer_is_401(url):
    response = APIClient().get(url)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_reorder_without_a_token_is_401_and_changes_nothing(alice):
    scenes = make_scenes(alice, count=2)

    response = APIClient().post(
        REORDER, {"project_id": "project-1", "ids": [str(s.id) for s in scenes][::-1]}, format="json"
    )

    assert response.status_code == 401
    assert list(SceneDraft.objects.values_list("pk", flat=True)) == [s.pk for s in scenes]


# --- the hot reads: the status poll and a project's scene drafts ---------------------------------


def test_the_status_poll_is_one_query_in_a_warm_process(as_alice, alice, django_assert_num_queries):
    job = ClipJob.objects.create(user_id=alice.pk, user_key=USER_KEY, prompt="P")

    with django_assert_num_queries(1):
        response = as_alice.get(f"{CLIP_JOBS}{job.id}/")

    assert response.status_code == 200
    assert response.json()["status"] == "queued"


def test_a_projects_scene_drafts_are_one_query_in_a_warm_process(as_alice, alice, django_assert_num_queries):
    make_scenes(alice, "project-1", 50)

    with django_assert_num_queries(1):
        response = as_alice.get(SCENES, {"project_id": "project-1", "limit": 1000})

    assert [row["order_index"] for row in response.json()] == list(range(50))


def test_the_lean_reads_answer_exactly_what_the_serializers_write(as_alice, alice):
    completed = timezone.now() - timedelta(minutes=1)
    job = ClipJob.objects.create(
        user_id=alice.pk,
        user_key=USER_KEY,
        prompt="A lighthouse \u2028 at dusk",
        status=ClipJob.Status.COMPLETED,
        completed_at=completed,
        download_url="http://127.0.0.1:8000/clip.mp4?sig=1",
    )
    queued = ClipJob.objects.create(user_id=alice.pk, user_key=USER_KEY, prompt="P")
    scene = SceneDraft.objects.create(
        user_id=alice.pk, project_id="p", order_index=0, prompt_text="Scène", duration=4.25, scene_type="INT"
    )

    for url, serialized in (
        (f"{CLIP_JOBS}{job.id}/", ClipJobSerializer(ClipJob.objects.get(pk=job.pk)).data),
        (CLIP_JOBS, ClipJobSerializer(ClipJob.objects.filter(pk__in=[job.pk, queued.pk]), many=True).data),
        (f"{SCENES}{scene.id}/", SceneDraftSerializer(SceneDraft.objects.get(pk=scene.pk)).data),
        (f"{SCENES}?project_id=p", SceneDraftSerializer([SceneDraft.objects.get(pk=scene.pk)], many=True).data),
    ):
        response = as_alice.get(url)
        assert response.content == JSONRenderer().render(serialized), url
    assert b"\\u2028" in as_alice.get(f"{CLIP_JOBS}{job.id}/").content


def test_the_lists_filters_do_not_apply_to_a_single_row(as_alice, alice):
    job = ClipJob.objects.create(user_id=alice.pk, user_key=USER_KEY, prompt="P")

    assert as_alice.get(f"{CLIP_JOBS}{job.id}/", {"status": "failed"}).status_code == 200
    assert as_alice.get(f"{CLIP_JOBS}{job.id}/", {"status": "not-a-status"}).status_code == 200
    assert as_alice.get(CLIP_JOBS, {"status": "not-a-status"}).status_code == 400


@pytest.mark.parametrize("job_id", [uuid.uuid4(), "not-a-uuid"])
def test_polling_a_job_that_is_not_yours_is_a_404(as_alice, job_id):
    response = as_alice.get(f"{CLIP_JOBS}{job_id}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_indent_asked_for_is_honoured(as_alice, alice):
    job = ClipJob.objects.create(user_id=alice.pk, user_key=USER_KEY, prompt="P")

    response = as_alice.get(f"{CLIP_JOBS}{job.id}/", HTTP_ACCEPT="application/json; indent=4")

    assert response.content.startswith(b'{\n    "id": ')

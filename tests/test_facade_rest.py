"""`/rest/v1` driven by the official `supabase` Python client against a real gunicorn, two users side by side."""

from collections.abc import Iterator

import httpx
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from postgrest.exceptions import APIError
from postgrest.types import CountMethod
from supabase import create_client
from supabase.lib.client_options import SyncClientOptions

from clips.models import ClipJob, SceneDraft
from clips.services import clip_job_submit
from continuity.models import Telemetry
from credits.models import CreditsLedger
from credits.services import credits_grant, ledger_claim_first_clip
from screenplays.models import Screenplay, ScreenplayRevision
from tests.gunicorn_server import gunicorn_serving
from tests.tokens import make_supabase_token

pytestmark = pytest.mark.django_db(transaction=True)

ALICE_KEY = "a" * 64
BOB_KEY = "b" * 64


@pytest.fixture(scope="module")
def server_url(django_db_setup, django_db_blocker) -> Iterator[str]:
    """gunicorn serving the project on the test database, for the whole module."""
    with django_db_blocker.unblock(), gunicorn_serving() as url:
        yield url


@pytest.fixture
def connect(server_url, anon_key):
    """A function giving the official client for a user (or the anon key alone for None)."""

    def client_for(user=None):
        headers = {} if user is None else {"Authorization": f"Bearer {make_supabase_token(user.pk, user.email)}"}
        return create_client(server_url, anon_key, options=SyncClientOptions(headers=headers))

    return client_for


@pytest.fixture
def alice_db(connect, alice):
    return connect(alice)


@pytest.fixture
def bob_db(connect, bob):
    return connect(bob)


def _scenes(db, project_id: str, count: int) -> list[dict]:
    rows = [
        {"project_id": project_id, "order_index": index, "prompt_text": f"Scene {index}", "duration": 4.0 + index}
        for index in range(count)
    ]
    return db.table("scene_drafts").insert(rows).execute().data


# --- Reads ----------------------------------------------------------------------------------------------------


def test_select_with_renames_filters_order_and_paging(alice_db, bob_db):
    _scenes(alice_db, "p1", 5)
    _scenes(bob_db, "p1", 3)
    rows = (
        alice_db.table("scene_drafts")
        .select("scene:order_index,prompt_text")
        .eq("project_id", "p1")
        .gte("order_index", 1)
        .order("order_index", desc=True)
        .limit(2)
        .execute()
        .data
    )
    assert rows == [{"scene": 4, "prompt_text": "Scene 4"}, {"scene": 3, "prompt_text": "Scene 3"}]
    page = alice_db.table("scene_drafts").select("order_index").order("order_index").range(1, 2).execute().data
    assert [row["order_index"] for row in page] == [1, 2]


def test_logic_trees_not_in_and_patterns(alice_db):
    _scenes(alice_db, "p1", 6)
    rows = (
        alice_db.table("scene_drafts")
        .select("order_index")
        .or_("order_index.eq.0,and(order_index.gt.3,prompt_text.like.*5)")
        .order("order_index")
        .execute()
        .data
    )
    assert [row["order_index"] for row in rows] == [0, 5]
    rows = alice_db.table("scene_drafts").select("order_index").not_.in_("order_index", [0, 1, 2]).execute().data
    assert sorted(row["order_index"] for row in rows) == [3, 4, 5]
    rows = alice_db.table("scene_drafts").select("order_index").ilike("prompt_text", "SCENE 2").execute().data
    assert rows == [{"order_index": 2}]
    rows = alice_db.table("scene_drafts").select("order_index").is_("scene_type", "null").execute().data
    assert len(rows) == 6


def test_count_and_content_range(alice_db):
    _scenes(alice_db, "p1", 7)
    result = alice_db.table("scene_drafts").select("id", count=CountMethod.exact).limit(3).execute()
    assert result.count == 7
    assert len(result.data) == 3


def test_single_and_maybe_single(alice_db, bob_db):
    [scene] = _scenes(alice_db, "p1", 1)
    found = alice_db.table("scene_drafts").select("*").eq("id", scene["id"]).single().execute().data
    assert found["prompt_text"] == "Scene 0"
    assert bob_db.table("scene_drafts").select("*").eq("id", scene["id"]).maybe_single().execute() is None
    with pytest.raises(APIError) as refused:
        bob_db.table("scene_drafts").select("*").eq("id", scene["id"]).single().execute()
    assert refused.value.code == "PGRST116"
    assert refused.value.details == "The result contains 0 rows"


def test_a_screenplay_with_its_sections(alice_db, bob_db):
    screenplay = (
        alice_db.table("screenplays")
        .insert({"title": "Relay", "content": "INT. RELAY STATION - NIGHT\n\nHum.\n\nEXT. ROOF - DAY\n\nWind."})
        .execute()
        .data[0]
    )
    found = (
        alice_db.table("screenplays")
        .select("title, screenplay_sections(heading, order_index)")
        .eq("id", screenplay["id"])
        .single()
        .execute()
        .data
    )
    assert found["title"] == "Relay"
    assert sorted(section["heading"] for section in found["screenplay_sections"]) == [
        "EXT. ROOF - DAY",
        "INT. RELAY STATION - NIGHT",
    ]
    assert bob_db.table("screenplay_sections").select("*").execute().data == []


def test_views_are_read_only_and_scoped(alice_db, bob_db):
    _scenes(alice_db, "p1", 2)
    overview = alice_db.table("project_overview").select("*").execute().data
    assert [(row["project_id"], row["scene_count"]) for row in overview] == [("p1", 2)]
    assert bob_db.table("project_overview").select("*").execute().data == []
    with pytest.raises(APIError) as refused:
        alice_db.table("project_overview").insert({"project_id": "x"}).execute()
    assert refused.value.code == "42501"


# --- Writes ---------------------------------------------------------------------------------------------------


def test_update_and_delete_with_filters_touch_only_the_callers_rows(alice_db, bob_db, alice, bob):
    _scenes(alice_db, "p1", 3)
    _scenes(bob_db, "p1", 3)
    changed = alice_db.table("scene_drafts").update({"shot_type": "wide"}).eq("project_id", "p1").execute().data
    assert len(changed) == 3
    assert SceneDraft.objects.filter(user_id=bob.pk, shot_type="wide").count() == 0
    deleted = bob_db.table("scene_drafts").delete().eq("project_id", "p1").gte("order_index", 1).execute().data
    assert len(deleted) == 2
    assert SceneDraft.objects.filter(user_id=alice.pk).count() == 3
    assert SceneDraft.objects.filter(user_id=bob.pk).count() == 1


def test_an_upsert_never_updates_another_users_row(alice_db, bob_db, alice, bob):
    [scene] = _scenes(alice_db, "p1", 1)
    with pytest.raises(APIError) as refused:
        bob_db.table("scene_drafts").upsert({**scene, "user_id": str(bob.pk), "prompt_text": "Taken over"}).execute()
    assert refused.value.code == "42501"
    assert SceneDraft.objects.get(pk=scene["id"]).prompt_text == "Scene 0"
    # Without naming an owner at all, the conflict with alice's row is refused just the same.
    row = {key: value for key, value in scene.items() if key != "user_id"}
    with pytest.raises(APIError) as refused:
        bob_db.table("scene_drafts").upsert({**row, "prompt_text": "Taken over"}).execute()
    assert refused.value.code == "42501"
    assert SceneDraft.objects.get(pk=scene["id"]).prompt_text == "Scene 0"
    # ignore-duplicates leaves it alone and inserts nothing.
    assert bob_db.table("scene_drafts").upsert(row, ignore_duplicates=True).execute().data == []
    assert SceneDraft.objects.filter(pk=scene["id"], user_id=alice.pk).exists()


def test_upsert_merges_the_callers_own_row(alice_db):
    [scene] = _scenes(alice_db, "p1", 1)
    merged = alice_db.table("scene_drafts").upsert({**scene, "prompt_text": "Merged"}).execute().data
    assert merged[0]["prompt_text"] == "Merged"
    assert SceneDraft.objects.get(pk=scene["id"]).prompt_text == "Merged"


def test_a_screenplay_update_bumps_the_version_and_keeps_a_revision(alice_db):
    screenplay = alice_db.table("screenplays").insert({"title": "Draft", "content": "INT. A - DAY"}).execute().data[0]
    updated = alice_db.table("screenplays").update({"content": "INT. B - NIGHT"}).eq("id", screenplay["id"]).execute()
    assert updated.data[0]["version"] == 2
    assert ScreenplayRevision.objects.filter(screenplay_id=screenplay["id"]).count() == 2
    with pytest.raises(APIError) as refused:
        alice_db.table("screenplays").update({"content": "stale", "version": 1}).eq("id", screenplay["id"]).execute()
    assert refused.value.code == "40001"
    assert Screenplay.objects.get(pk=screenplay["id"]).content == "INT. B - NIGHT"


def test_telemetry_upsert_computes_the_rate(alice_db, alice):
    row = {"element": "lantern", "attempts": 4, "successes": 1, "rate": 0.99, "timestamp": "2026-12-01T10:00:00+00:00"}
    alice_db.table("continuity_telemetry").upsert(row, on_conflict="element").execute()
    alice_db.table("continuity_telemetry").upsert({**row, "successes": 3}, on_conflict="element").execute()
    stored = Telemetry.objects.get(user_id=alice.pk, element="lantern")
    assert (stored.successes, stored.rate) == (3, 0.75)


def test_a_clip_job_insert_takes_a_credit_and_none_left_is_p0001(alice_db, alice):
    ledger_claim_first_clip(user_id=alice.pk, user_key=ALICE_KEY)
    job = alice_db.table("clip_jobs").insert({"prompt": "A lighthouse", "user_key": ALICE_KEY}).execute().data[0]
    assert job["status"] == "queued"
    assert CreditsLedger.objects.get(user_key=ALICE_KEY).credits == 0
    with pytest.raises(APIError) as refused:
        alice_db.table("clip_jobs").insert({"prompt": "Another", "user_key": ALICE_KEY}).execute()
    assert refused.value.code == "P0001"
    assert "no credit" in refused.value.message
    assert refused.value.details == "credits: 0"
    assert ClipJob.objects.filter(user_id=alice.pk).count() == 1
    polled = alice_db.table("clip_jobs").select("*").eq("id", job["id"]).single().execute().data
    assert polled["id"] == job["id"]


def test_balances_are_not_writable(alice_db, alice):
    ledger = ledger_claim_first_clip(user_id=alice.pk, user_key=ALICE_KEY)
    with pytest.raises(APIError) as refused:
        alice_db.table("credits_ledger").update({"credits": 500}).eq("user_key", ALICE_KEY).execute()
    assert refused.value.code == "42501"
    with pytest.raises(APIError) as refused:
        alice_db.table("credits_ledger").insert({"user_key": "c" * 64, "credits": 500}).execute()
    assert refused.value.code == "42501"
    ledger.refresh_from_db()
    assert ledger.credits == 1
    row = alice_db.table("credits_ledger").select("*").eq("user_key", ALICE_KEY).single().execute().data
    assert row["credits"] == 1


# --- Functions ------------------------------------------------------------------------------------------------


def test_rpc_functions_over_the_services(alice_db, bob_db, alice):
    claimed = alice_db.rpc("claim_first_clip", {"user_key": ALICE_KEY}).execute().data
    assert claimed["credits"] == 1
    credits_grant(ledger_id=claimed["id"], amount=2, note="test", staff_user_id=None)
    assert alice_db.rpc("consume_credits", {"user_key": ALICE_KEY, "amount": 3}).execute().data == 3
    with pytest.raises(APIError) as refused:
        bob_db.rpc("consume_credits", {"user_key": ALICE_KEY}).execute()
    assert refused.value.code == "P0001"
    job = alice_db.rpc("submit_clip_job", {"prompt": "Fog", "user_key": ALICE_KEY}).execute().data
    cancelled = alice_db.rpc("cancel_clip_job", {"clip_job_id": job["id"]}).execute().data
    assert cancelled["status"] == "cancelled"
    assert CreditsLedger.objects.get(user_key=ALICE_KEY).credits == 3
    scenes = _scenes(alice_db, "p2", 3)
    reordered = (
        alice_db.rpc("reorder_project", {"project_id": "p2", "ids": [scene["id"] for scene in reversed(scenes)]})
        .execute()
        .data
    )
    assert [row["prompt_text"] for row in reordered] == ["Scene 2", "Scene 1", "Scene 0"]
    validated = (
        alice_db.rpc(
            "validate_continuity",
            {
                "scenes": [
                    {
                        "id": 1,
                        "location": "Roof",
                        "characters": ["Ana"],
                        "props": ["lamp"],
                        "prompt": "",
                        "tone": "calm",
                    },
                    {"id": 2, "location": "Roof", "characters": [], "props": [], "prompt": "", "tone": "calm"},
                ]
            },
        )
        .execute()
        .data
    )
    assert [result["passed"] for result in validated] == [True, False]
    with pytest.raises(APIError) as refused:
        alice_db.rpc("drop_everything", {}).execute()
    assert refused.value.code == "PGRST202"


# --- Who may call ---------------------------------------------------------------------------------------------


def test_the_anon_key_alone_reads_and_writes_nothing(connect, alice_db):
    _scenes(alice_db, "p1", 1)
    anonymous = connect(None)
    with pytest.raises(APIError) as refused:
        anonymous.table("scene_drafts").select("*").execute()
    assert refused.value.code == "42501"
    with pytest.raises(APIError) as refused:
        anonymous.table("scene_drafts").insert({"project_id": "x"}).execute()
    assert refused.value.code == "42501"


def test_without_the_api_key_nothing_answers(server_url, alice):
    token = make_supabase_token(alice.pk, alice.email)
    response = httpx.get(f"{server_url}/rest/v1/scene_drafts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "PGRST301"
    response = httpx.get(
        f"{server_url}/rest/v1/scene_drafts",
        headers={"apikey": "not-a-key", "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401


def test_another_schema_is_406(server_url, alice, anon_key):
    headers = {"apikey": anon_key, "Authorization": f"Bearer {make_supabase_token(alice.pk)}", "Accept-Profile": "auth"}
    response = httpx.get(f"{server_url}/rest/v1/scene_drafts", headers=headers)
    assert response.status_code == 406
    assert response.json()["code"] == "PGRST106"


# --- The hot path ---------------------------------------------------------------------------------------------


def test_the_status_poll_is_one_query_and_the_same_answer_every_time(alice, bob, anon_key):
    ledger_claim_first_clip(user_id=alice.pk, user_key=ALICE_KEY)
    job, _ = clip_job_submit(user_id=alice.pk, prompt="Harbour at dawn", user_key=ALICE_KEY)
    client = Client()
    url = f"/rest/v1/clip_jobs?id=eq.{job.pk}&select=*"
    single = {"HTTP_ACCEPT": "application/vnd.pgrst.object+json", "HTTP_APIKEY": anon_key}
    alice_headers = {**single, "HTTP_AUTHORIZATION": f"Bearer {make_supabase_token(alice.pk, alice.email)}"}
    client.get(url, **alice_headers)  # the user is known and the shape compiled from now on
    answers = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **alice_headers)
        assert response.status_code == 200
        assert len(queries) == 1
        answers.append(response.json())
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["id"] == str(job.pk)
    assert answers[0]["status"] == "queued"
    assert response["Content-Type"] == "application/vnd.pgrst.object+json; charset=utf-8"
    # The compiled shape is bound to the caller: bob's same request finds nothing.
    bob_headers = {**single, "HTTP_AUTHORIZATION": f"Bearer {make_supabase_token(bob.pk, bob.email)}"}
    refused = client.get(url, **bob_headers)
    assert refused.status_code == 406
    assert refused.json()["details"] == "The result contains 0 rows"


def test_a_path_the_facade_does_not_route_answers_postgrests_body():
    response = Client().get("/rest/v1/scene_drafts/extra/parts")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "details": None, "hint": None, "message": "Not found."}

"""The continuity engine on the server: validation, batches, telemetry records, prompt enhancement, scene starts."""

import threading
import uuid

import pytest
from django.db import connections

from clips.models import SceneDraft
from continuity.models import ContinuityLog, SceneLink, SceneState, Telemetry
from continuity.services import scene_states_start_from_drafts, telemetry_record
from directorstudio.errors import NotFound

VALIDATE = "/api/v1/continuity/validate/"
VALIDATE_BATCH = "/api/v1/continuity/validate_batch/"
ENHANCE = "/api/v1/continuity/enhance_prompt/"
RECORD = "/api/v1/continuity_telemetry/record/"
TELEMETRY = "/api/v1/continuity_telemetry/"


def scene(id: int, **overrides) -> dict:
    return {
        "id": id,
        "location": "Lighthouse",
        "characters": ["Mara", "Old Tom"],
        "props": ["lantern"],
        "prompt": "Mara climbs the stairs",
        "tone": "tense",
        **overrides,
    }


def issue(rule: str, element: str, message: str, severity: str) -> dict:
    return {"rule": rule, "element": element, "message": message, "severity": severity}


# --- Validate ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_validate_stores_the_state_logs_the_result_and_answers_it(as_alice, alice):
    first = as_alice.post(VALIDATE, scene(1), format="json")
    second = as_alice.post(VALIDATE, scene(2, characters=["Mara"], props=[]), format="json")

    assert first.status_code == 200, first.content
    assert first.json() == {
        "scene_id": 1,
        "confidence": 1.0,
        "passed": True,
        "ask_human": False,
        "issues": [],
        "enhanced_prompt": "Mara climbs the stairs",
    }
    assert second.json() == {
        "scene_id": 2,
        "confidence": 0.35,
        "passed": False,
        "ask_human": True,
        "issues": [
            issue("prop_persistence", "lantern", "lantern disappeared (was in scene 1)", "low"),
            issue("character_location", "Old Tom", "Old Tom vanished from Lighthouse", "high"),
        ],
        "enhanced_prompt": "Mara climbs the stairs, Mara with same appearance as previous scene",
    }
    states = SceneState.objects.filter(user_id=alice.pk).order_by("id")
    assert [(row.id, row.characters, row.props) for row in states] == [
        (1, ["Mara", "Old Tom"], ["lantern"]),
        (2, ["Mara"], []),
    ]
    logs = ContinuityLog.objects.filter(user_id=alice.pk).order_by("scene_id")
    assert [(row.scene_id, row.confidence, row.passed, len(row.issues)) for row in logs] == [
        (1, 1.0, True, 0),
        (2, 0.35, False, 2),
    ]
    assert logs[1].issues == second.json()["issues"]


@pytest.mark.django_db
def test_every_validation_is_logged_and_a_repeat_replaces_the_state(as_alice, alice):
    for location in ("Lighthouse", "Beach", "Beach"):
        assert as_alice.post(VALIDATE, scene(5, location=location), format="json").status_code == 200

    assert ContinuityLog.objects.filter(user_id=alice.pk, scene_id=5).count() == 3
    state = SceneState.objects.get(user_id=alice.pk, id=5)
    assert state.location == "Beach"
    assert state.updated_at >= state.created_at


@pytest.mark.django_db
def test_the_previous_scene_is_the_greatest_id_below_unless_named(as_alice):
    as_alice.post(VALIDATE, scene(1, props=["map"]), format="json")
    as_alice.post(VALIDATE, scene(3, props=["rope"]), format="json")
    as_alice.post(VALIDATE, scene(9, props=["knife"]), format="json")

    by_default = as_alice.post(VALIDATE, scene(5, props=[]), format="json").json()
    named = as_alice.post(VALIDATE, scene(6, props=[], previous_id=1), format="json").json()
    missing = as_alice.post(VALIDATE, scene(7, previous_id=42), format="json")
    itself = as_alice.post(VALIDATE, scene(7, previous_id=7), format="json")

    assert [item["message"] for item in by_default["issues"]] == ["rope disappeared (was in scene 3)"]
    assert [item["message"] for item in named["issues"]] == ["map disappeared (was in scene 1)"]
    assert missing.status_code == 400
    assert missing.json() == {"previous_id": ["You have no scene state 42."]}
    assert itself.status_code == 400


@pytest.mark.django_db
def test_validation_bodies_are_bounded(as_alice, alice):
    too_many = as_alice.post(VALIDATE, scene(1, props=[f"prop {n}" for n in range(201)]), format="json")
    not_a_list = as_alice.post(VALIDATE, scene(1, characters="Mara"), format="json")
    no_id = as_alice.post(VALIDATE, {k: v for k, v in scene(1).items() if k != "id"}, format="json")
    batch = as_alice.post(VALIDATE_BATCH, {"scenes": [scene(n) for n in range(501)]}, format="json")
    empty = as_alice.post(VALIDATE_BATCH, {"scenes": []}, format="json")
    not_json = as_alice.post(VALIDATE, "id=1", content_type="application/x-www-form-urlencoded")

    assert [r.status_code for r in (too_many, not_a_list, no_id, batch, empty)] == [400] * 5
    assert "props" in too_many.json()
    assert not_json.status_code == 415
    assert not SceneState.objects.exists()
    assert not ContinuityLog.objects.exists()


@pytest.mark.django_db
def test_validation_needs_a_token(api_client):
    for url in (VALIDATE, VALIDATE_BATCH, ENHANCE, RECORD):
        assert api_client.post(url, {}, format="json").status_code == 401, url


# --- Batch -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_validates_in_order_each_against_the_scene_before(as_alice, alice):
    as_alice.post(VALIDATE, scene(1, props=["map"]), format="json")
    scenes = [
        scene(12, props=["lantern", "rope"]),
        scene(10, props=["lantern"]),
        scene(11, location="Cliff", characters=["Mara"], props=["lantern"], tone="terrified"),
    ]

    response = as_alice.post(VALIDATE_BATCH, {"scenes": scenes}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(item["scene_id"], item["confidence"], item["passed"]) for item in body] == [
        (12, 0.7, True),  # against scene 1, the greatest id below 12 then stored: the map is gone
        (10, 0.7, True),  # against scene 12: the rope is gone
        (11, 1.0, True),  # another location, and tense (-0.34) to terrified (-0.61) is no whiplash
    ]
    assert ContinuityLog.objects.filter(user_id=alice.pk).count() == 4
    assert set(SceneState.objects.filter(user_id=alice.pk).values_list("id", flat=True)) == {1, 10, 11, 12}


@pytest.mark.django_db
def test_a_batch_that_opens_a_sequence_compares_its_first_scene_with_nothing(as_alice):
    as_alice.post(VALIDATE, scene(1, props=["map"]), format="json")

    body = as_alice.post(VALIDATE_BATCH, {"scenes": [scene(2, props=[])], "opens_sequence": True}, format="json")

    assert body.json()[0]["confidence"] == 1.0


@pytest.mark.django_db
def test_a_batch_is_one_transaction(as_alice, alice):
    scenes = [scene(1), scene(2), scene(3, previous_id=99), scene(4)]

    response = as_alice.post(VALIDATE_BATCH, {"scenes": scenes}, format="json")
    duplicate = as_alice.post(VALIDATE_BATCH, {"scenes": [scene(1), scene(1)]}, format="json")

    assert response.status_code == 400
    assert duplicate.status_code == 400
    assert not SceneState.objects.filter(user_id=alice.pk).exists()
    assert not ContinuityLog.objects.filter(user_id=alice.pk).exists()


@pytest.mark.django_db
def test_a_batch_previous_id_may_name_a_scene_of_the_same_batch(as_alice):
    scenes = [scene(1, props=["map"]), scene(2, props=["rope"]), scene(3, props=["rope"], previous_id=1)]

    body = as_alice.post(VALIDATE_BATCH, {"scenes": scenes}, format="json").json()

    assert [item["issues"][0]["element"] for item in body[1:]] == ["map", "map"]


# --- Telemetry ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_record_counts_one_or_many_records_and_recomputes_the_rate(as_alice, alice):
    one = as_alice.post(RECORD, {"element": "lantern", "appeared": True}, format="json")
    many = as_alice.post(
        RECORD,
        [
            {"element": "lantern", "appeared": False},
            {"element": "lantern", "appeared": False},
            {"element": "rope", "appeared": True},
        ],
        format="json",
    )

    assert one.status_code == 200, one.content
    assert [(row["element"], row["attempts"], row["successes"], row["rate"]) for row in one.json()] == [
        ("lantern", 1, 1, 1.0)
    ]
    assert [(row["element"], row["attempts"], row["successes"]) for row in many.json()] == [
        ("lantern", 3, 1),
        ("rope", 1, 1),
    ]
    lantern = Telemetry.objects.get(user_id=alice.pk, element="lantern")
    assert lantern.rate == pytest.approx(1 / 3)
    assert lantern.updated_at >= lantern.created_at


@pytest.mark.django_db
def test_record_refuses_bad_records(as_alice):
    for body in ([], {"element": "lantern"}, [{"element": "", "appeared": True}], "lantern", [1]):
        response = as_alice.post(RECORD, body, format="json")
        assert response.status_code == 400, body
        assert isinstance(response.json(), dict)
    assert as_alice.post(RECORD, [{"element": "x", "appeared": True}] * 1001, format="json").status_code == 400
    assert not Telemetry.objects.exists()


@pytest.mark.django_db
def test_record_past_the_integer_range_is_a_conflict(as_alice, alice):
    Telemetry.objects.create(user_id=alice.pk, element="lantern", attempts=2**31 - 1, successes=0, rate=0)

    response = as_alice.post(RECORD, {"element": "lantern", "appeared": True}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "telemetry_full"


@pytest.mark.django_db
def test_an_element_named_record_keeps_its_item_path(as_alice):
    as_alice.post(RECORD, {"element": "record", "appeared": True}, format="json")

    assert as_alice.get(f"{TELEMETRY}record/").json()["attempts"] == 1
    assert as_alice.patch(f"{TELEMETRY}record/", {"attempts": 4}, format="json").json()["rate"] == 0.25
    assert as_alice.delete(f"{TELEMETRY}record/").status_code == 204
    assert as_alice.get(f"{TELEMETRY}record/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_parallel_records_of_one_element_lose_no_count(alice):
    errors: list[BaseException] = []
    start = threading.Barrier(50)

    def record(appeared: bool) -> None:
        try:
            start.wait()
            telemetry_record(user_id=alice.pk, records=[{"element": "lantern", "appeared": appeared}])
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()  # each thread has its own connection

    threads = [threading.Thread(target=record, args=(n % 5 != 0,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    row = Telemetry.objects.get(user_id=alice.pk, element="lantern")
    assert (row.attempts, row.successes, row.rate) == (50, 40, 0.8)


# --- Enhancement -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_enhancement_without_telemetry_counts_every_prop_as_never_tried(as_alice):
    body = {"prompt": "Night falls", "props": ["lantern", "rope"], "characters": ["Mara"]}

    assert as_alice.post(ENHANCE, body, format="json").json() == {"enhanced_prompt": "Night falls"}


@pytest.mark.django_db
def test_enhancement_insists_on_props_below_0_5_and_keeps_returning_characters(as_alice, alice):
    for element, attempts, successes in [("lantern", 10, 4), ("rope", 2, 1), ("Map", 4, 1), ("map ", 4, 0)]:
        Telemetry.objects.create(
            user_id=alice.pk, element=element, attempts=attempts, successes=successes, rate=successes / attempts
        )
    as_alice.post(VALIDATE, scene(4, characters=["Mara", "Old Tom"]), format="json")
    body = {"id": 5, "prompt": "Night falls", "props": ["Lantern", "rope", "MAP"], "characters": ["old tom", "Eli"]}

    enhanced = as_alice.post(ENHANCE, body, format="json").json()["enhanced_prompt"]
    without_previous = as_alice.post(ENHANCE, {**body, "id": 1}, format="json").json()["enhanced_prompt"]
    missing = as_alice.post(ENHANCE, {**body, "previous_id": 77}, format="json")

    assert enhanced == (
        "Night falls, CLEARLY SHOWING Lantern, CLEARLY SHOWING MAP, old tom with same appearance as previous scene"
    )
    assert without_previous == "Night falls, CLEARLY SHOWING Lantern, CLEARLY SHOWING MAP"
    assert missing.status_code == 400
    # Validation answers the same enhancement.
    validated = as_alice.post(
        VALIDATE, scene(5, **{k: body[k] for k in ("prompt", "props", "characters")}), format="json"
    )
    assert validated.json()["enhanced_prompt"] == enhanced


# --- Isolation ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_user_validates_against_and_records_into_their_own_rows(as_alice, as_bob, alice, bob):
    as_alice.post(VALIDATE, scene(1, props=["map"]), format="json")
    Telemetry.objects.create(user_id=alice.pk, element="rope", attempts=10, successes=0, rate=0)

    bob_scene = as_bob.post(VALIDATE, scene(2, props=["rope"]), format="json").json()
    bob_named = as_bob.post(VALIDATE, scene(3, previous_id=1), format="json")
    as_bob.post(RECORD, {"element": "map", "appeared": False}, format="json")

    assert bob_scene["confidence"] == 1.0
    assert bob_scene["enhanced_prompt"] == "Mara climbs the stairs"
    assert bob_named.status_code == 400
    assert not Telemetry.objects.filter(user_id=alice.pk, element="map").exists()
    assert list(ContinuityLog.objects.filter(user_id=alice.pk).values_list("scene_id", flat=True)) == [1]
    assert [row["element"] for row in as_alice.get(TELEMETRY).json()] == ["rope"]


# --- Scene states started from scene drafts ------------------------------------------------------


def draft(user_id: uuid.UUID, order_index: int, prompt: str, project_id: str = "harbour") -> SceneDraft:
    return SceneDraft.objects.create(
        user_id=user_id, project_id=project_id, order_index=order_index, prompt_text=prompt, duration=4
    )


@pytest.mark.django_db
def test_scene_states_start_from_drafts_numbered_after_the_last_state(alice, bob):
    SceneState.objects.create(user_id=alice.pk, id=7, location="x", prompt="", tone="")
    first = draft(alice.pk, 0, "INT. DINER - NIGHT. Rain. MAYA (30s) counts her tips while ELI waits.")
    second = draft(alice.pk, 1, "Wide shot, exterior, Parking Lot, night. Featuring Maya; visible: keys. Mood: tense.")

    states = scene_states_start_from_drafts(user_id=alice.pk, scene_draft_ids=[first.id, second.id])
    again = scene_states_start_from_drafts(user_id=alice.pk, scene_draft_ids=[first.id])

    assert [(s.id, s.location, s.characters, s.props, s.tone) for s in states] == [
        (8, "Diner", ["Maya", "Eli"], [], ""),
        (9, "Parking Lot", ["Maya"], ["keys"], "tense"),
    ]
    assert states[0].prompt == first.prompt_text
    assert again == []
    assert dict(SceneLink.objects.values_list("scene_draft_id", "scene_state_id")) == {first.id: 8, second.id: 9}
    with pytest.raises(NotFound):
        scene_states_start_from_drafts(user_id=bob.pk, scene_draft_ids=[first.id])


@pytest.mark.django_db
def test_a_draft_whose_state_was_deleted_starts_afresh(alice):
    first = draft(alice.pk, 0, "INT. DINER - NIGHT")
    scene_states_start_from_drafts(user_id=alice.pk, scene_draft_ids=[first.id])
    SceneState.objects.filter(user_id=alice.pk).delete()

    states = scene_states_start_from_drafts(user_id=alice.pk, scene_draft_ids=[first.id])

    assert [state.id for state in states] == [1]
    assert SceneLink.objects.get().scene_state_id == 1

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from continuity.models import ContinuityLog, SceneState, Telemetry
from tests.rows import COLUMNS

pytestmark = pytest.mark.django_db

SCENE_STATES = "/api/v1/continuity_scene_states/"
LOGS = "/api/v1/continuity_logs/"
TELEMETRY = "/api/v1/continuity_telemetry/"
DAILY_ANALYTICS = "/api/v1/continuity_daily_analytics/"
RECENT_VALIDATIONS = "/api/v1/continuity_recent_validations/"
TELEMETRY_PERFORMANCE = "/api/v1/continuity_telemetry_performance/"


def scene_state_body(**overrides) -> dict:
    return {
        "id": 1,
        "location": "Lighthouse",
        "characters": ["Mara", "Old Tom"],
        "props": ["lantern"],
        "prompt": "Mara climbs the stairs with a lantern",
        "tone": "tense",
        **overrides,
    }


def log_body(**overrides) -> dict:
    return {
        "scene_id": 2,
        "confidence": 0.7,
        "issues": ["lantern disappeared (was in scene 1)"],
        "passed": True,
        **overrides,
    }


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- Scene states ------------------------------------------------------------------------------


def test_scene_state_create_returns_every_column(as_alice, alice):
    response = as_alice.post(SCENE_STATES, scene_state_body(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == COLUMNS["continuity_scene_states"]
    assert body["id"] == 1
    assert body["user_id"] == str(alice.pk)
    assert body["characters"] == ["Mara", "Old Tom"]
    assert parse_time(body["created_at"]).tzinfo is not None
    row = SceneState.objects.get(user_id=alice.pk, id=1)
    assert row.props == ["lantern"]


def test_scene_state_user_id_comes_from_the_token(as_alice, alice, bob):
    response = as_alice.post(SCENE_STATES, scene_state_body(user_id=str(bob.pk)), format="json")

    assert response.status_code == 201
    assert response.json()["user_id"] == str(alice.pk)
    assert not SceneState.objects.filter(user_id=bob.pk).exists()


def test_scene_state_repeated_create_returns_the_stored_row(as_alice, alice):
    first = as_alice.post(SCENE_STATES, scene_state_body(), format="json")
    again = as_alice.post(SCENE_STATES, scene_state_body(location="Beach"), format="json")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert SceneState.objects.filter(user_id=alice.pk).count() == 1


def test_scene_state_ids_are_per_user(as_alice, as_bob):
    as_alice.post(SCENE_STATES, scene_state_body(), format="json")

    response = as_bob.post(SCENE_STATES, scene_state_body(location="Desert"), format="json")

    assert response.status_code == 201
    assert response.json()["location"] == "Desert"
    assert SceneState.objects.filter(id=1).count() == 2


def test_scene_state_list_is_ordered_by_id_and_filters_by_updated_at(as_alice, alice):
    for scene_id in (3, 1, 2):
        as_alice.post(SCENE_STATES, scene_state_body(id=scene_id), format="json")
    long_ago = timezone.now() - timedelta(days=30)
    SceneState.objects.filter(user_id=alice.pk, id=3).update(updated_at=long_ago)

    assert [row["id"] for row in as_alice.get(SCENE_STATES).json()] == [1, 2, 3]
    since = (long_ago + timedelta(days=1)).isoformat()
    assert [row["id"] for row in as_alice.get(SCENE_STATES, {"updated_at__gte": since}).json()] == [1, 2]
    assert [row["id"] for row in as_alice.get(SCENE_STATES, {"updated_at__lte": since}).json()] == [3]
    assert as_alice.get(SCENE_STATES, {"updated_at__gte": "yesterday"}).status_code == 400


@pytest.mark.parametrize(
    ("bound", "status"),
    [
        ("2000-01-01T00:00:00+17:00", 200),  # ISO 8601 allows offsets PostgreSQL does not
        ("1999-12-31T00:00:00-23:59", 200),
        ("0001-01-01T00:00:00+01:00", 400),  # before year 1 in UTC
        ("9999-12-31T23:00:00-05:00", 400),
        ("2000-02-30T00:00:00Z", 400),
    ],
)
def test_time_bounds_with_any_offset_are_answered(as_alice, bound, status):
    as_alice.post(LOGS, log_body(timestamp="2000-01-01T12:00:00Z"), format="json")

    for url, column in ((SCENE_STATES, "updated_at"), (LOGS, "timestamp"), (DAILY_ANALYTICS, "validation_date")):
        for lookup in ("gte", "lte"):
            response = as_alice.get(url, {f"{column}__{lookup}": bound})
            assert response.status_code == status, (url, lookup, response.content)
    if status == 200:
        assert len(as_alice.get(LOGS, {"timestamp__gte": bound}).json()) == 1


def test_scene_state_read_change_and_delete(as_alice, alice):
    as_alice.post(SCENE_STATES, scene_state_body(id=7), format="json")
    before = SceneState.objects.get(user_id=alice.pk, id=7).updated_at

    assert as_alice.get(f"{SCENE_STATES}7/").json()["location"] == "Lighthouse"
    patched = as_alice.patch(f"{SCENE_STATES}7/", {"tone": "calm", "props": [], "id": 99}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["id"] == 7
    assert patched.json()["tone"] == "calm"
    assert parse_time(patched.json()["updated_at"]) > before

    replaced = as_alice.put(f"{SCENE_STATES}7/", scene_state_body(id=7, location="Cliff", characters=[]), format="json")
    assert replaced.status_code == 200, replaced.content
    row = SceneState.objects.get(user_id=alice.pk, id=7)
    assert (row.location, row.characters, row.tone) == ("Cliff", [], "tense")
    assert not SceneState.objects.filter(id=99).exists()

    assert as_alice.delete(f"{SCENE_STATES}7/").status_code == 204
    assert not SceneState.objects.filter(user_id=alice.pk).exists()
    assert as_alice.get(f"{SCENE_STATES}7/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id": None}, "id"),
        ({"id": -1}, "id"),
        ({"id": 2**31}, "id"),
        ({"id": "seven"}, "id"),
        ({"characters": "Mara"}, "characters"),
        ({"characters": [1, 2]}, "characters"),
        ({"characters": [["Mara"]]}, "characters"),
        ({"characters": [""]}, "characters"),
        ({"characters": {"name": "Mara"}}, "characters"),
        ({"props": None}, "props"),
        ({"props": [None]}, "props"),
        ({"location": "x" * 501}, "location"),
        ({"location": None}, "location"),
        ({"prompt": "x" * 4001}, "prompt"),
        ({"tone": "x" * 201}, "tone"),
        ({"tone": ["calm"]}, "tone"),
        ({"timestamp": "not a time"}, "timestamp"),
        ({"prompt": "nul\x00byte"}, "prompt"),
    ],
)
def test_scene_state_validation(as_alice, overrides, field):
    body = {key: value for key, value in scene_state_body(**overrides).items() if value is not None}

    response = as_alice.post(SCENE_STATES, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not SceneState.objects.exists()


def test_scene_state_update_is_validated(as_alice):
    as_alice.post(SCENE_STATES, scene_state_body(), format="json")

    response = as_alice.patch(f"{SCENE_STATES}1/", {"characters": [3]}, format="json")

    assert response.status_code == 400
    assert "characters" in response.json()


# --- Continuity logs ---------------------------------------------------------------------------


def test_log_create_defaults_timestamp_to_now(as_alice, alice):
    before = timezone.now()

    response = as_alice.post(LOGS, log_body(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == COLUMNS["continuity_logs"]
    assert body["user_id"] == str(alice.pk)
    assert body["issues"] == ["lantern disappeared (was in scene 1)"]
    assert parse_time(body["timestamp"]) >= before
    uuid.UUID(body["id"])


def test_log_create_keeps_the_client_timestamp_and_id(as_alice, alice):
    log_id = uuid.uuid4()
    body = log_body(id=str(log_id), timestamp="2025-03-01T10:00:00+02:00")

    first = as_alice.post(LOGS, body, format="json")
    again = as_alice.post(LOGS, {**body, "confidence": 0.1}, format="json")

    assert first.status_code == 201
    assert parse_time(first.json()["timestamp"]) == datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert ContinuityLog.objects.get().pk == log_id


def test_log_create_with_someone_elses_id_reveals_nothing(as_alice, as_bob, alice):
    taken = as_alice.post(LOGS, log_body(id=str(uuid.uuid4())), format="json").json()

    response = as_bob.post(LOGS, log_body(id=taken["id"], scene_id=9), format="json")

    assert response.status_code == 409
    assert str(alice.pk) not in response.content.decode()
    assert "lantern" not in response.content.decode()
    assert ContinuityLog.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"confidence": -0.01}, "confidence"),
        ({"confidence": 1.01}, "confidence"),
        ({"confidence": "NaN"}, "confidence"),
        ({"confidence": "Infinity"}, "confidence"),
        ({"confidence": "high"}, "confidence"),
        ({"confidence": None}, "confidence"),
        ({"issues": "lantern missing"}, "issues"),
        ({"issues": {"lantern": "missing"}}, "issues"),
        ({"issues": [1]}, "issues"),
        ({"issues": None}, "issues"),
        ({"scene_id": None}, "scene_id"),
        ({"scene_id": 1.5}, "scene_id"),
        ({"scene_id": 2**31}, "scene_id"),
        ({"passed": None}, "passed"),
        ({"passed": "maybe"}, "passed"),
        ({"id": "not-a-uuid"}, "id"),
        ({"timestamp": "2025-13-01T00:00:00Z"}, "timestamp"),
    ],
)
def test_log_validation(as_alice, overrides, field):
    body = {key: value for key, value in log_body(**overrides).items() if value is not None}

    response = as_alice.post(LOGS, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not ContinuityLog.objects.exists()


def test_logs_are_listed_newest_first_and_filtered(as_alice):
    now = timezone.now()
    for scene_id, hours_ago, passed in ((1, 3, True), (2, 2, False), (2, 1, True)):
        at = (now - timedelta(hours=hours_ago)).isoformat()
        as_alice.post(LOGS, log_body(scene_id=scene_id, passed=passed, timestamp=at), format="json")

    def listed(**params):
        return [(row["scene_id"], row["passed"]) for row in as_alice.get(LOGS, params).json()]

    assert listed() == [(2, True), (2, False), (1, True)]
    assert listed(scene_id=2) == [(2, True), (2, False)]
    assert listed(passed="false") == [(2, False)]
    assert listed(timestamp__gte=(now - timedelta(hours=2, minutes=30)).isoformat()) == [(2, True), (2, False)]
    assert listed(timestamp__lte=(now - timedelta(hours=2, minutes=30)).isoformat()) == [(1, True)]
    assert as_alice.get(LOGS, {"scene_id": "two"}).status_code == 400


def test_logs_are_history_deleted_but_never_changed(as_alice):
    log_id = as_alice.post(LOGS, log_body(), format="json").json()["id"]

    assert as_alice.get(f"{LOGS}{log_id}/").json()["id"] == log_id
    assert as_alice.patch(f"{LOGS}{log_id}/", {"passed": False}, format="json").status_code == 405
    assert as_alice.put(f"{LOGS}{log_id}/", log_body(), format="json").status_code == 405
    assert ContinuityLog.objects.get().passed is True
    assert as_alice.delete(f"{LOGS}{log_id}/").status_code == 204
    assert not ContinuityLog.objects.exists()


# --- Telemetry ---------------------------------------------------------------------------------


def test_telemetry_create_computes_the_rate(as_alice, alice):
    response = as_alice.post(
        TELEMETRY, {"element": "lantern", "attempts": 4, "successes": 3, "rate": 0.1}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == COLUMNS["continuity_telemetry"]
    assert body["rate"] == 0.75
    assert body["user_id"] == str(alice.pk)
    assert Telemetry.objects.get(user_id=alice.pk, element="lantern").rate == 0.75


def test_telemetry_without_attempts_has_rate_zero(as_alice):
    response = as_alice.post(TELEMETRY, {"element": "lantern"}, format="json")

    assert response.status_code == 201
    assert (response.json()["attempts"], response.json()["successes"], response.json()["rate"]) == (0, 0, 0)


def test_telemetry_create_for_a_known_element_returns_the_row_unchanged(as_alice, as_bob, alice):
    first = as_alice.post(TELEMETRY, {"element": "lantern", "attempts": 2, "successes": 1}, format="json")

    again = as_alice.post(TELEMETRY, {"element": "lantern", "attempts": 9, "successes": 9}, format="json")
    strangers = as_bob.post(TELEMETRY, {"element": "lantern", "attempts": 1, "successes": 1}, format="json")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert strangers.status_code == 201
    assert strangers.json()["rate"] == 1
    assert Telemetry.objects.get(user_id=alice.pk).attempts == 2


def test_telemetry_change_recomputes_the_rate(as_alice, alice):
    as_alice.post(TELEMETRY, {"element": "lantern", "attempts": 2, "successes": 1}, format="json")

    patched = as_alice.patch(f"{TELEMETRY}lantern/", {"attempts": 4, "element": "umbrella", "rate": 1}, format="json")
    replaced = as_alice.put(
        f"{TELEMETRY}lantern/", {"element": "lantern", "attempts": 5, "successes": 5}, format="json"
    )

    assert patched.status_code == 200, patched.content
    assert (patched.json()["element"], patched.json()["rate"]) == ("lantern", 0.25)
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["rate"] == 1
    assert list(Telemetry.objects.values_list("element", "attempts", "successes", "rate")) == [("lantern", 5, 5, 1)]


@pytest.mark.parametrize(
    "body",
    [
        {"element": "lantern", "attempts": 1, "successes": 2},
        {"element": "lantern", "attempts": -1},
        {"element": "lantern", "successes": -1},
        {"element": "lantern", "attempts": 2**31},
        {"element": "lantern", "attempts": "many"},
        {"element": ""},
        {"element": "x" * 501},
        {"attempts": 1},
    ],
)
def test_telemetry_validation(as_alice, body):
    response = as_alice.post(TELEMETRY, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) <= {"element", "attempts", "successes"}
    assert not Telemetry.objects.exists()


def test_telemetry_change_cannot_raise_successes_above_stored_attempts(as_alice):
    as_alice.post(TELEMETRY, {"element": "lantern", "attempts": 2, "successes": 1}, format="json")

    response = as_alice.patch(f"{TELEMETRY}lantern/", {"successes": 3}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["successes"]


def test_telemetry_rows_are_addressed_by_their_url_encoded_element(as_alice):
    element = "red umbrella/ñ?#"
    as_alice.post(TELEMETRY, {"element": element, "attempts": 1, "successes": 1}, format="json")
    as_alice.post(TELEMETRY, {"element": "lantern"}, format="json")
    url = f"{TELEMETRY}{quote(element, safe='')}/"

    assert as_alice.get(url).json()["element"] == element
    assert [row["element"] for row in as_alice.get(TELEMETRY).json()] == ["lantern", element]
    assert [row["element"] for row in as_alice.get(TELEMETRY, {"element": element}).json()] == [element]
    assert as_alice.delete(url).status_code == 204
    assert as_alice.get(url).status_code == 404
    assert [row["element"] for row in as_alice.get(TELEMETRY).json()] == ["lantern"]


# --- Read-only views ---------------------------------------------------------------------------


def test_daily_analytics_summarise_the_users_logs_per_day(as_alice, as_bob):
    for at, confidence, passed in (
        ("2025-03-01T09:00:00Z", 0.9, True),
        ("2025-03-01T18:00:00Z", 0.5, False),
        ("2025-03-02T09:00:00Z", 1.0, True),
    ):
        as_alice.post(LOGS, log_body(timestamp=at, confidence=confidence, passed=passed), format="json")
    as_bob.post(LOGS, log_body(timestamp="2025-03-01T10:00:00Z"), format="json")

    rows = as_alice.get(DAILY_ANALYTICS).json()

    assert [set(row) for row in rows] == [COLUMNS["continuity_daily_analytics"]] * 2
    assert [parse_time(row["validation_date"]) for row in rows] == [
        datetime(2025, 3, 2, tzinfo=UTC),
        datetime(2025, 3, 1, tzinfo=UTC),
    ]
    march_first = rows[1]
    assert (march_first["total_scenes"], march_first["scenes_passed"], march_first["scenes_failed"]) == (2, 1, 1)
    assert march_first["avg_confidence"] == pytest.approx(0.7)
    assert (march_first["min_confidence"], march_first["max_confidence"]) == (0.5, 0.9)
    only_first = as_alice.get(DAILY_ANALYTICS, {"validation_date__lte": "2025-03-01T12:00:00Z"}).json()
    assert [row["total_scenes"] for row in only_first] == [2]
    only_second = as_alice.get(DAILY_ANALYTICS, {"validation_date__gte": "2025-03-01T12:00:00Z"}).json()
    assert [row["total_scenes"] for row in only_second] == [1]


def test_recent_validations_list_the_last_week_with_issue_counts(as_alice):
    now = timezone.now()
    as_alice.post(LOGS, log_body(scene_id=1, issues=[], timestamp=(now - timedelta(days=8)).isoformat()), format="json")
    as_alice.post(LOGS, log_body(scene_id=2, issues=["a", "b"], passed=False, confidence=0.4), format="json")
    as_alice.post(LOGS, log_body(scene_id=3, issues=[]), format="json")

    rows = as_alice.get(RECENT_VALIDATIONS).json()

    assert [set(row) for row in rows] == [COLUMNS["continuity_recent_validations"]] * 2
    assert sorted((row["scene_id"], row["issue_count"]) for row in rows) == [(2, 2), (3, 0)]
    assert [row["scene_id"] for row in as_alice.get(RECENT_VALIDATIONS, {"scene_id": 2}).json()] == [2]
    assert [row["scene_id"] for row in as_alice.get(RECENT_VALIDATIONS, {"passed": "true"}).json()] == [3]


def test_telemetry_performance_categorises_each_element(as_alice):
    for element, successes in (("cup", 9), ("hat", 6), ("lantern", 1)):
        as_alice.post(TELEMETRY, {"element": element, "attempts": 10, "successes": successes}, format="json")

    rows = as_alice.get(TELEMETRY_PERFORMANCE).json()

    assert [set(row) for row in rows] == [COLUMNS["continuity_telemetry_performance"]] * 3
    assert [(row["element"], row["performance_category"]) for row in rows] == [
        ("cup", "excellent"),
        ("hat", "good"),
        ("lantern", "poor"),
    ]
    assert [row["element"] for row in as_alice.get(TELEMETRY_PERFORMANCE, {"performance_category": "poor"}).json()] == [
        "lantern"
    ]
    assert [row["element"] for row in as_alice.get(TELEMETRY_PERFORMANCE, {"element": "hat"}).json()] == ["hat"]


@pytest.mark.parametrize("url", [DAILY_ANALYTICS, RECENT_VALIDATIONS, TELEMETRY_PERFORMANCE])
def test_views_are_read_only(as_alice, url):
    assert as_alice.post(url, {}, format="json").status_code == 405
    assert as_alice.delete(url).status_code == 405


# --- Isolation ---------------------------------------------------------------------------------


def test_a_second_user_sees_none_of_the_first_users_rows(as_alice, as_bob):
    as_alice.post(SCENE_STATES, scene_state_body(id=5), format="json")
    log_id = as_alice.post(LOGS, log_body(scene_id=5), format="json").json()["id"]
    as_alice.post(TELEMETRY, {"element": "lantern", "attempts": 1, "successes": 1}, format="json")
    since = "2000-01-01T00:00:00Z"

    for url, params in [
        (SCENE_STATES, {}),
        (SCENE_STATES, {"updated_at__gte": since}),
        (LOGS, {}),
        (LOGS, {"scene_id": 5}),
        (LOGS, {"passed": "true", "timestamp__gte": since}),
        (TELEMETRY, {}),
        (TELEMETRY, {"element": "lantern"}),
        (DAILY_ANALYTICS, {}),
        (DAILY_ANALYTICS, {"validation_date__gte": since}),
        (RECENT_VALIDATIONS, {"scene_id": 5}),
        (TELEMETRY_PERFORMANCE, {"element": "lantern"}),
    ]:
        response = as_bob.get(url, params)
        assert response.status_code == 200
        assert response.json() == [], url
        assert as_alice.get(url, params).json() != [], url

    for url in (f"{SCENE_STATES}5/", f"{LOGS}{log_id}/", f"{TELEMETRY}lantern/"):
        assert as_bob.get(url).status_code == 404
        assert as_bob.delete(url).status_code == 404
    assert as_bob.patch(f"{SCENE_STATES}5/", {"tone": "sad"}, format="json").status_code == 404
    assert as_bob.patch(f"{TELEMETRY}lantern/", {"attempts": 5}, format="json").status_code == 404
    assert SceneState.objects.get().tone == "tense"
    assert Telemetry.objects.get().attempts == 1
    assert ContinuityLog.objects.count() == 1


@pytest.mark.parametrize(
    "url", [SCENE_STATES, LOGS, TELEMETRY, DAILY_ANALYTICS, RECENT_VALIDATIONS, TELEMETRY_PERFORMANCE]
)
def test_signing_in_is_required(url):
    response = APIClient().get(url)

    assert response.status_code == 401
    assert "detail" in response.json()


# --- Bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [SCENE_STATES, LOGS, TELEMETRY])
def test_bad_bodies_are_refused_without_a_server_error(as_alice, settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    assert as_alice.post(url, "{not json", content_type="application/json").status_code == 400
    assert as_alice.post(url, "[1, 2]", content_type="application/json").status_code == 400
    assert as_alice.post(url, "element=x", content_type="application/x-www-form-urlencoded").status_code == 415
    assert as_alice.post(url, {"prompt": "x" * 2000}, format="json").status_code == 413


# --- Query counts ------------------------------------------------------------------------------


def test_query_counts_do_not_grow_with_the_rows(as_alice, alice, get_query_count):
    now = timezone.now()
    SceneState.objects.create(user_id=alice.pk, id=0, location="a", prompt="p", tone="t")
    ContinuityLog.objects.create(user_id=alice.pk, scene_id=0, confidence=1, passed=True)
    Telemetry.objects.create(user_id=alice.pk, element="e0", attempts=1, successes=1, rate=1)
    urls = [SCENE_STATES, LOGS, TELEMETRY, DAILY_ANALYTICS, RECENT_VALIDATIONS, TELEMETRY_PERFORMANCE]
    with_one_row = {url: get_query_count(as_alice, url) for url in urls}

    SceneState.objects.bulk_create(
        SceneState(user_id=alice.pk, id=n, location="a", prompt="p", tone="t") for n in range(1, 200)
    )
    ContinuityLog.objects.bulk_create(
        ContinuityLog(user_id=alice.pk, scene_id=n, confidence=1, passed=True, timestamp=now - timedelta(days=n))
        for n in range(1, 200)
    )
    Telemetry.objects.bulk_create(
        Telemetry(user_id=alice.pk, element=f"e{n}", attempts=1, successes=1, rate=1) for n in range(1, 200)
    )

    assert len(as_alice.get(LOGS, {"limit": 1000}).json()) == 200
    assert len(as_alice.get(DAILY_ANALYTICS, {"limit": 1000}).json()) == 200
    assert {url: get_query_count(as_alice, f"{url}?limit=1000") for url in urls} == with_one_row

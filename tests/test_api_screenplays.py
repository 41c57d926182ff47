"""The screenplays and screenplay_sections resources of the REST API."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from directorstudio.errors import VersionConflict
from screenplays.models import Screenplay, ScreenplaySection
from screenplays.services import screenplay_update
from tests.rows import COLUMNS, assert_timestamp

pytestmark = pytest.mark.django_db

SCREENPLAYS = "/api/v1/screenplays/"
SECTIONS = "/api/v1/screenplay_sections/"


@pytest.fixture
def screenplay(alice) -> Screenplay:
    return Screenplay.objects.create(user_id=alice.pk, title="Night Shift", content="INT. DINER - NIGHT\n")


@pytest.fixture
def section(screenplay) -> ScreenplaySection:
    return ScreenplaySection.objects.create(
        screenplay=screenplay, heading="INT. DINER - NIGHT", content="Rain.", order_index=0
    )


# --- screenplays ------------------------------------------------------------------------------


def test_create_returns_every_column_with_the_owner_from_the_token(as_alice, alice):
    response = as_alice.post(
        SCREENPLAYS,
        {
            "title": "Night Shift",
            "content": "INT. DINER - NIGHT\n\nRain.",
            "user_id": str(uuid.uuid4()),
            "version": 7,
            "created_at": "2001-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.data
    body = response.json()
    assert set(body) == COLUMNS["screenplays"]
    assert body["user_id"] == str(alice.pk)
    assert body["version"] == 1
    assert body["content"] == "INT. DINER - NIGHT\n\nRain."
    assert_timestamp(body["created_at"])
    assert_timestamp(body["updated_at"])
    assert not body["created_at"].startswith("2001")
    row = Screenplay.objects.get()
    assert str(row.id) == body["id"]
    assert row.user_id == alice.pk


def test_list_and_read(as_alice, screenplay):
    listed = as_alice.get(SCREENPLAYS)
    read = as_alice.get(f"{SCREENPLAYS}{screenplay.id}/")

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [str(screenplay.id)]
    assert read.status_code == 200
    assert read.json() == listed.json()[0]
    assert set(read.json()) == COLUMNS["screenplays"]


def test_list_is_most_recently_changed_first_and_filters_by_dates_and_title(as_alice, alice):
    now = timezone.now()
    old = Screenplay.objects.create(user_id=alice.pk, title="Old Draft", updated_at=now - timedelta(days=10))
    new = Screenplay.objects.create(user_id=alice.pk, title="New Draft", updated_at=now)

    assert [row["id"] for row in as_alice.get(SCREENPLAYS).json()] == [str(new.id), str(old.id)]
    since = (now - timedelta(days=1)).isoformat()
    assert [row["id"] for row in as_alice.get(SCREENPLAYS, {"updated_at__gte": since}).json()] == [str(new.id)]
    assert [row["id"] for row in as_alice.get(SCREENPLAYS, {"updated_at__lte": since}).json()] == [str(old.id)]
    assert [row["id"] for row in as_alice.get(SCREENPLAYS, {"title__icontains": "old"}).json()] == [str(old.id)]
    bad = as_alice.get(SCREENPLAYS, {"updated_at__gte": "yesterday"})
    assert bad.status_code == 400
    assert "updated_at__gte" in bad.json()


def test_repeated_create_with_the_same_id_returns_the_same_row(as_alice):
    body = {"id": str(uuid.uuid4()), "title": "Night Shift", "content": ""}

    first = as_alice.post(SCREENPLAYS, body, format="json")
    again = as_alice.post(SCREENPLAYS, {**body, "title": "Changed on retry"}, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Screenplay.objects.count() == 1


def test_create_with_somebody_elses_id_is_a_conflict_that_reveals_nothing(as_bob, screenplay):
    response = as_bob.post(SCREENPLAYS, {"id": str(screenplay.id), "title": "Mine now"}, format="json")

    assert response.status_code == 409
    assert "Night Shift" not in response.content.decode()
    assert Screenplay.objects.get().title == "Night Shift"


def test_patch_based_on_the_current_version_saves_and_bumps_it(as_alice, screenplay):
    before = screenplay.updated_at

    response = as_alice.patch(f"{SCREENPLAYS}{screenplay.id}/", {"title": "Day Shift", "version": 1}, format="json")

    assert response.status_code == 200, response.data
    assert response.json()["version"] == 2
    assert response.json()["title"] == "Day Shift"
    screenplay.refresh_from_db()
    assert (screenplay.version, screenplay.title, screenplay.content) == (2, "Day Shift", "INT. DINER - NIGHT\n")
    assert screenplay.updated_at > before


def test_put_replaces_and_bumps_the_version(as_alice, screenplay):
    response = as_alice.put(
        f"{SCREENPLAYS}{screenplay.id}/",
        {"title": "Day Shift", "content": "EXT. ROAD - DAY\n", "version": 1, "id": str(uuid.uuid4())},
        format="json",
    )

    assert response.status_code == 200, response.data
    assert response.json()["id"] == str(screenplay.id)
    screenplay.refresh_from_db()
    assert (screenplay.version, screenplay.content) == (2, "EXT. ROAD - DAY\n")


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_update_without_its_base_version_is_refused(as_alice, screenplay, method):
    response = getattr(as_alice, method)(
        f"{SCREENPLAYS}{screenplay.id}/", {"title": "Day Shift", "content": ""}, format="json"
    )

    assert response.status_code == 400
    assert "version" in response.json()
    screenplay.refresh_from_db()
    assert (screenplay.version, screenplay.title) == (1, "Night Shift")


def test_a_stale_version_is_a_conflict_with_the_current_row(as_alice, screenplay):
    as_alice.patch(f"{SCREENPLAYS}{screenplay.id}/", {"content": "Saved on the phone.", "version": 1}, format="json")

    response = as_alice.patch(f"{SCREENPLAYS}{screenplay.id}/", {"title": "From the iPad", "version": 1}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["detail"]
    assert body["code"] == "version_conflict"
    assert body["current"] == as_alice.get(f"{SCREENPLAYS}{screenplay.id}/").json()
    assert body["current"]["version"] == 2
    assert body["current"]["content"] == "Saved on the phone."
    screenplay.refresh_from_db()
    assert (screenplay.version, screenplay.title) == (2, "Night Shift")


@pytest.mark.parametrize("version", ["two", 0, None, 2**31])
def test_the_base_version_must_be_a_positive_integer(as_alice, screenplay, version):
    response = as_alice.patch(f"{SCREENPLAYS}{screenplay.id}/", {"version": version}, format="json")

    assert response.status_code == 400
    assert "version" in response.json()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_of_the_same_version_cannot_both_win(alice):
    screenplay = Screenplay.objects.create(user_id=alice.pk, title="Night Shift", content="")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def save(title: str) -> None:
        try:
            start.wait()
            screenplay_update(screenplay_id=screenplay.pk, based_on_version=1, values={"title": title})
            outcomes.append("saved")
        except VersionConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(title,)) for title in ("Phone", "iPad")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "saved"]
    assert Screenplay.objects.get().version == 2


def test_delete(as_alice, screenplay, section):
    response = as_alice.delete(f"{SCREENPLAYS}{screenplay.id}/")

    assert response.status_code == 204
    assert not Screenplay.objects.exists()
    assert not ScreenplaySection.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "no title"}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": ["a list"]}, "title"),
        ({"title": "Long", "content": "x" * 500_001}, "content"),
        ({"title": "Nul\x00byte"}, "title"),
        ({"title": "Bad id", "id": "not-a-uuid"}, "id"),
    ],
)
def test_create_validation(as_alice, body, field):
    response = as_alice.post(SCREENPLAYS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Screenplay.objects.exists()


def test_another_user_sees_and_changes_none_of_the_screenplays(as_bob, screenplay, section):
    url = f"{SCREENPLAYS}{screenplay.id}/"

    assert as_bob.get(SCREENPLAYS).json() == []
    assert as_bob.get(SCREENPLAYS, {"title__icontains": "night"}).json() == []
    assert as_bob.get(url).status_code == 404
    assert as_bob.patch(url, {"title": "Stolen", "version": 1}, format="json").status_code == 404
    assert as_bob.put(url, {"title": "Stolen", "content": "", "version": 1}, format="json").status_code == 404
    assert as_bob.delete(url).status_code == 404
    screenplay.refresh_from_db()
    assert (screenplay.title, screenplay.version) == ("Night Shift", 1)


# --- screenplay sections ----------------------------------------------------------------------


def test_section_create_read_list(as_alice, screenplay):
    response = as_alice.post(
        SECTIONS,
        {"screenplay_id": str(screenplay.id), "heading": "EXT. ROAD - DAY", "content": "Dust.", "order_index": 1},
        format="json",
    )

    assert response.status_code == 201, response.data
    body = response.json()
    assert set(body) == COLUMNS["screenplay_sections"]
    assert body["screenplay_id"] == str(screenplay.id)
    assert_timestamp(body["created_at"])
    assert as_alice.get(f"{SECTIONS}{body['id']}/").json() == body
    assert as_alice.get(SECTIONS).json() == [body]


def test_sections_are_in_screenplay_and_order_index_order_and_filter_by_screenplay(as_alice, alice, screenplay):
    other = Screenplay.objects.create(user_id=alice.pk, title="Other")
    second = ScreenplaySection.objects.create(screenplay=screenplay, heading="Second", order_index=1)
    first = ScreenplaySection.objects.create(screenplay=screenplay, heading="First", order_index=0)
    elsewhere = ScreenplaySection.objects.create(screenplay=other, heading="Elsewhere", order_index=0)

    listed = as_alice.get(SECTIONS, {"screenplay_id": str(screenplay.id)}).json()

    assert [row["id"] for row in listed] == [str(first.id), str(second.id)]
    assert len(as_alice.get(SECTIONS).json()) == 3
    assert [row["id"] for row in as_alice.get(SECTIONS, {"screenplay_id": str(other.id)}).json()] == [str(elsewhere.id)]
    assert as_alice.get(SECTIONS, {"screenplay_id": "nope"}).status_code == 400


def test_section_update_and_delete(as_alice, section):
    url = f"{SECTIONS}{section.id}/"

    patched = as_alice.patch(url, {"heading": "EXT. DINER - NIGHT", "order_index": 3}, format="json")
    deleted = as_alice.delete(url)

    assert patched.status_code == 200, patched.data
    assert (patched.json()["heading"], patched.json()["order_index"]) == ("EXT. DINER - NIGHT", 3)
    assert deleted.status_code == 204
    assert not ScreenplaySection.objects.exists()


def test_repeated_section_create_returns_the_same_row(as_alice, as_bob, screenplay):
    body = {"id": str(uuid.uuid4()), "screenplay_id": str(screenplay.id), "heading": "H", "order_index": 0}

    assert as_alice.post(SECTIONS, body, format="json").status_code == 201
    assert as_alice.post(SECTIONS, body, format="json").status_code == 200
    bob_screenplay = as_bob.post(SCREENPLAYS, {"title": "Bob's"}, format="json").json()
    taken = as_bob.post(SECTIONS, {**body, "screenplay_id": bob_screenplay["id"]}, format="json")
    assert taken.status_code == 409
    assert ScreenplaySection.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"order_index": -1}, "order_index"),
        ({"order_index": "first"}, "order_index"),
        ({"order_index": 2**31}, "order_index"),
        ({"heading": "x" * 501}, "heading"),
        ({"heading": None}, "heading"),
        ({"content": "x" * 500_001}, "content"),
        ({"screenplay_id": "not-a-uuid"}, "screenplay_id"),
        ({"screenplay_id": None}, "screenplay_id"),
    ],
)
def test_section_validation(as_alice, screenplay, change, field):
    body = {"screenplay_id": str(screenplay.id), "heading": "H", "content": "", "order_index": 0, **change}

    response = as_alice.post(SECTIONS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_a_section_of_somebody_elses_screenplay_looks_like_one_of_a_missing_screenplay(as_bob, screenplay):
    def refused(screenplay_id: str) -> str:
        response = as_bob.post(
            SECTIONS, {"screenplay_id": screenplay_id, "heading": "H", "order_index": 0}, format="json"
        )
        assert response.status_code == 400
        return response.content.decode().replace(screenplay_id, "<id>")

    assert refused(str(screenplay.id)) == refused(str(uuid.uuid4()))
    assert not ScreenplaySection.objects.filter(heading="H").exists()


def test_another_user_sees_and_changes_none_of_the_sections(as_bob, screenplay, section):
    url = f"{SECTIONS}{section.id}/"

    assert as_bob.get(SECTIONS).json() == []
    assert as_bob.get(SECTIONS, {"screenplay_id": str(screenplay.id)}).json() == []
    assert as_bob.get(url).status_code == 404
    assert as_bob.patch(url, {"heading": "Stolen"}, format="json").status_code == 404
    assert as_bob.delete(url).status_code == 404
    section.refresh_from_db()
    assert section.heading == "INT. DINER - NIGHT"


def test_a_section_cannot_be_moved_into_somebody_elses_screenplay(as_alice, as_bob, section):
    bob_screenplay = as_bob.post(SCREENPLAYS, {"title": "Bob's"}, format="json").json()

    response = as_alice.patch(f"{SECTIONS}{section.id}/", {"screenplay_id": bob_screenplay["id"]}, format="json")

    assert response.status_code == 400
    assert "screenplay_id" in response.json()


# --- requests the parser refuses, and query counts -------------------------------------------


def test_malformed_json_is_a_400(as_alice):
    response = as_alice.post(SCREENPLAYS, '{"title": ', content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_a_body_that_is_not_json_is_a_415(as_alice):
    response = as_alice.post(SCREENPLAYS, "title=Night", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415


def test_an_oversized_body_is_a_413(as_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200

    response = as_alice.post(SCREENPLAYS, {"title": "Long", "content": "x" * 500}, format="json")

    assert response.status_code == 413
    assert "detail" in response.json()
    assert not Screenplay.objects.exists()


def test_list_query_counts_do_not_grow_with_the_rows(as_alice, alice, screenplay, section, get_query_count):
    one_screenplay = get_query_count(as_alice, SCREENPLAYS, {"limit": 1000})
    one_section = get_query_count(as_alice, SECTIONS, {"limit": 1000})
    Screenplay.objects.bulk_create(Screenplay(user_id=alice.pk, title=f"S{i}") for i in range(199))
    ScreenplaySection.objects.bulk_create(
        ScreenplaySection(screenplay=screenplay, heading=f"H{i}", order_index=i + 1) for i in range(199)
    )

    assert get_query_count(as_alice, SCREENPLAYS, {"limit": 1000}) == one_screenplay
    assert get_query_count(as_alice, SECTIONS, {"limit": 1000}) == one_section
    assert len(as_alice.get(SECTIONS, {"limit": 1000}).json()) == 200


@pytest.mark.parametrize("offset", ["-1", "many", str(2**63)])
def test_an_offset_out_of_range_is_a_400(as_alice, offset):
    response = as_alice.get(SCREENPLAYS, {"offset": offset})

    assert response.status_code == 400
    assert "offset" in response.json()


@pytest.mark.parametrize("url", [SCREENPLAYS, SECTIONS, f"{SCREENPLAYS}{uuid.uuid4()}/"])
def test_without_a_token_the_answer_is_401(url):
    response = APIClient().get(url)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_errors_other_than_validation_carry_detail_and_code(as_alice, as_bob, api_client):
    screenplay = as_alice.post(SCREENPLAYS, {"title": "Mine", "content": ""}, format="json").json()

    not_found = as_bob.get(f"{SCREENPLAYS}{screenplay['id']}/")
    unauthenticated = api_client.get(SCREENPLAYS)
    malformed = as_alice.generic("POST", SCREENPLAYS, "{not json", content_type="application/json")

    assert not_found.status_code == 404
    assert not_found.json() == {"detail": "Not found.", "code": "not_found"}
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["code"] == "not_authenticated"
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "parse_error"


def test_a_new_row_was_created_and_last_changed_at_the_same_moment(as_alice):
    body = as_alice.post(SCREENPLAYS, {"title": "Same moment", "content": ""}, format="json").json()

    assert body["created_at"] == body["updated_at"]

import hashlib
import uuid

import pytest
from rest_framework.test import APIClient

from credits.models import CreditsLedger
from tests.rows import COLUMNS

pytestmark = pytest.mark.django_db

LEDGER = "/api/v1/credits_ledger/"
USER_STATISTICS = "/api/v1/user_statistics/"


def apple_key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def test_registering_a_key_opens_an_empty_ledger_row(as_alice, alice):
    response = as_alice.post(LEDGER, {"user_key": apple_key("mara")}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == COLUMNS["credits_ledger"]
    assert body["user_key"] == apple_key("mara")
    assert body["user_id"] == str(alice.pk)
    assert (body["credits"], body["first_clip_granted"], body["first_clip_consumed"], body["granted_at"]) == (
        0,
        False,
        False,
        None,
    )
    assert CreditsLedger.objects.get(pk=body["id"]).user_id == alice.pk


def test_balances_and_owner_cannot_be_set_by_the_client(as_alice, alice, bob):
    response = as_alice.post(
        LEDGER,
        {
            "user_key": apple_key("mara"),
            "credits": 350,
            "first_clip_granted": True,
            "first_clip_consumed": True,
            "granted_at": "2025-01-01T00:00:00Z",
            "user_id": str(bob.pk),
        },
        format="json",
    )

    assert response.status_code == 201
    row = CreditsLedger.objects.get()
    assert (row.credits, row.first_clip_granted, row.first_clip_consumed, row.granted_at) == (0, False, False, None)
    assert row.user_id == alice.pk


def test_registering_the_same_key_again_returns_the_row(as_alice, alice):
    first = as_alice.post(LEDGER, {"user_key": apple_key("mara")}, format="json").json()
    CreditsLedger.objects.filter(pk=first["id"]).update(credits=25)

    again = as_alice.post(LEDGER, {"user_key": apple_key("mara"), "id": str(uuid.uuid4())}, format="json")

    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["credits"] == 25
    assert CreditsLedger.objects.count() == 1


def test_repeating_a_create_with_its_id_returns_the_row(as_alice):
    ledger_id = str(uuid.uuid4())
    first = as_alice.post(LEDGER, {"id": ledger_id, "user_key": apple_key("mara")}, format="json")

    again = as_alice.post(LEDGER, {"id": ledger_id, "user_key": apple_key("mara")}, format="json")

    assert first.status_code == 201
    assert first.json()["id"] == ledger_id
    assert again.status_code == 200
    assert again.json() == first.json()


def test_someone_elses_key_or_id_is_a_conflict_that_reveals_nothing(as_alice, as_bob, alice):
    taken = as_alice.post(LEDGER, {"user_key": apple_key("mara")}, format="json").json()

    by_key = as_bob.post(LEDGER, {"user_key": apple_key("mara")}, format="json")
    by_id = as_bob.post(LEDGER, {"id": taken["id"], "user_key": apple_key("tom")}, format="json")

    for response in (by_key, by_id):
        assert response.status_code == 409
        assert set(response.json()) <= {"detail", "code"}
        assert str(alice.pk) not in response.content.decode()
        assert taken["id"] not in response.content.decode()
    assert list(CreditsLedger.objects.values_list("user_key", "user_id")) == [(apple_key("mara"), alice.pk)]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"user_key": ""},
        {"user_key": None},
        {"user_key": "k" * 201},
        {"user_key": ["k"]},
        {"user_key": "nul\x00key"},
        {"user_key": apple_key("mara"), "id": "not-a-uuid"},
    ],
)
def test_ledger_validation(as_alice, body):
    response = as_alice.post(LEDGER, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) <= {"user_key", "id"}
    assert not CreditsLedger.objects.exists()


def test_the_ledger_lists_and_reads_only_the_users_rows(as_alice, as_bob):
    mine = [as_alice.post(LEDGER, {"user_key": apple_key(name)}, format="json").json()["id"] for name in ("a", "b")]
    theirs = as_bob.post(LEDGER, {"user_key": apple_key("c")}, format="json").json()["id"]

    assert sorted(row["id"] for row in as_alice.get(LEDGER).json()) == sorted(mine)
    assert [row["id"] for row in as_alice.get(LEDGER, {"user_key": apple_key("b")}).json()] == [mine[1]]
    assert as_alice.get(LEDGER, {"user_key": apple_key("c")}).json() == []
    assert as_alice.get(f"{LEDGER}{mine[0]}/").json()["user_key"] == apple_key("a")
    assert as_alice.get(f"{LEDGER}{theirs}/").status_code == 404
    assert as_alice.get(f"{LEDGER}not-a-uuid/").status_code == 404


def test_balances_change_only_through_business_actions(as_alice):
    row_id = as_alice.post(LEDGER, {"user_key": apple_key("mara")}, format="json").json()["id"]

    assert as_alice.patch(f"{LEDGER}{row_id}/", {"credits": 1000}, format="json").status_code == 405
    assert as_alice.put(f"{LEDGER}{row_id}/", {"user_key": apple_key("mara")}, format="json").status_code == 405
    assert as_alice.delete(f"{LEDGER}{row_id}/").status_code == 405
    assert CreditsLedger.objects.get().credits == 0


def test_user_statistics_is_the_users_single_row(as_alice, as_bob, alice):
    for name, credits in (("a", 25), ("b", 70)):
        row_id = as_alice.post(LEDGER, {"user_key": apple_key(name)}, format="json").json()["id"]
        CreditsLedger.objects.filter(pk=row_id).update(credits=credits)
    as_bob.post(LEDGER, {"user_key": apple_key("c")}, format="json")

    rows = as_alice.get(USER_STATISTICS).json()

    assert len(rows) == 1
    assert set(rows[0]) == COLUMNS["user_statistics"]
    assert (rows[0]["user_id"], rows[0]["email"], rows[0]["credits"]) == (str(alice.pk), alice.email, 95)
    assert (rows[0]["total_scenes"], rows[0]["total_screenplays"], rows[0]["completed_videos"]) == (0, 0, 0)
    assert [row["credits"] for row in as_bob.get(USER_STATISTICS).json()] == [0]
    assert as_alice.post(USER_STATISTICS, {}, format="json").status_code == 405


@pytest.mark.parametrize("url", [LEDGER, USER_STATISTICS])
def test_signing_in_is_required(url):
    response = APIClient().get(url)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_bad_bodies_are_refused_without_a_server_error(as_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    assert as_alice.post(LEDGER, "{not json", content_type="application/json").status_code == 400
    assert as_alice.post(LEDGER, '"key"', content_type="application/json").status_code == 400
    assert as_alice.post(LEDGER, "user_key=x", content_type="application/x-www-form-urlencoded").status_code == 415
    assert as_alice.post(LEDGER, {"user_key": "k" * 2000}, format="json").status_code == 413


def test_query_counts_do_not_grow_with_the_rows(as_alice, alice, get_query_count):
    CreditsLedger.objects.create(user_id=alice.pk, user_key=apple_key("0"))
    with_one_row = {url: get_query_count(as_alice, url) for url in (LEDGER, USER_STATISTICS)}

    CreditsLedger.objects.bulk_create(
        CreditsLedger(user_id=alice.pk, user_key=apple_key(str(n))) for n in range(1, 200)
    )

    assert len(as_alice.get(LEDGER, {"limit": 1000}).json()) == 200
    assert {url: get_query_count(as_alice, f"{url}?limit=1000") for url in (LEDGER, USER_STATISTICS)} == with_one_row

"""Thinning the history: autosaves kept on a ladder (the last hour, 10 minutes for a day, then a day), every other
save kept, the current version kept, a bound on one screenplay's rows, and the editor's autosave flag."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from screenplays.models import Screenplay, ScreenplayRevision
from screenplays.services import REVISIONS_THIN_TASK, screenplay_create, screenplay_revisions_thin
from screenplays.tasks import screenplay_revisions_thin_task
from tests.test_hardening import django_probe

pytestmark = pytest.mark.django_db

SCREENPLAYS = "/api/v1/screenplays/"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def with_history(user_id, saves: list[tuple[datetime, bool, str]], title: str = "Night Shift") -> Screenplay:
    """A screenplay whose history is `saves` (when, autosave, source), oldest first, the last its current version."""
    screenplay, _ = screenplay_create(user_id=user_id, title=title)
    ScreenplayRevision.objects.filter(screenplay=screenplay).delete()
    ScreenplayRevision.objects.bulk_create(
        ScreenplayRevision(
            screenplay=screenplay,
            version=version,
            title=title,
            content=f"Draft {version}",
            source=source,
            autosave=autosave,
            created_at=saved_at,
        )
        for version, (saved_at, autosave, source) in enumerate(saves, start=1)
    )
    Screenplay.objects.filter(pk=screenplay.pk).update(version=len(saves), updated_at=saves[-1][0])
    return screenplay


def autosaves(*times: datetime) -> list[tuple[datetime, bool, str]]:
    return [(saved_at, True, "editor") for saved_at in sorted(times)]


def kept(screenplay: Screenplay) -> list[datetime]:
    return list(
        ScreenplayRevision.objects.filter(screenplay=screenplay)
        .order_by("version")
        .values_list("created_at", flat=True)
    )


def test_the_ladder_keeps_the_last_hour_then_one_per_10_minutes_for_a_day_then_one_a_day(alice):
    now = NOW + timedelta(minutes=5)  # the hour and the day end inside a 10-minute bucket
    hour_ago, day_ago = now - timedelta(hours=1), now - timedelta(days=1)
    times = {
        # The day before yesterday: the newest of the day only.
        datetime(2026, 12, 5, 8, tzinfo=UTC): False,
        datetime(2026, 12, 6, tzinfo=UTC) - MICROSECOND: True,
        # Yesterday up to a day ago: its newest. A day ago exactly is the first of the 10-minute part.
        datetime(2026, 12, 6, tzinfo=UTC): False,
        day_ago - MICROSECOND: True,
        day_ago: True,
        # Within the day: the newest of each 10 minutes (10:40, 10:50, and 11:00 up to an hour ago).
        datetime(2026, 12, 7, 10, 40, tzinfo=UTC): False,
        datetime(2026, 12, 7, 10, 50, tzinfo=UTC) - MICROSECOND: True,
        datetime(2026, 12, 7, 10, 50, tzinfo=UTC): False,
        datetime(2026, 12, 7, 11, tzinfo=UTC) - MICROSECOND: True,
        datetime(2026, 12, 7, 11, tzinfo=UTC): False,
        hour_ago - MICROSECOND: True,
        # The last hour, an hour ago exactly included: all of it.
        hour_ago: True,
        hour_ago + MICROSECOND: True,
        now - timedelta(minutes=5): True,
        now - timedelta(minutes=4): True,
    }
    screenplay = with_history(alice.pk, autosaves(*times))

    deleted = screenplay_revisions_thin(now=now)

    assert kept(screenplay) == sorted(saved_at for saved_at, stays in times.items() if stays)
    assert deleted == sum(not stays for stays in times.values())
    assert screenplay_revisions_thin(now=now) == 0


def test_a_kept_autosave_stays_until_its_day_has_a_newer_one(alice):
    morning, evening = datetime(2026, 12, 5, 9, tzinfo=UTC), datetime(2026, 12, 5, 21, tzinfo=UTC)
    screenplay = with_history(alice.pk, autosaves(morning, evening, NOW - timedelta(minutes=1)))

    screenplay_revisions_thin(now=morning + timedelta(days=1, minutes=10))
    assert kept(screenplay)[:2] == [morning, evening]
    screenplay_revisions_thin(now=evening + timedelta(days=1, minutes=10))
    assert kept(screenplay)[:1] == [evening]


def test_manual_saves_restores_and_imports_are_never_thinned(alice):
    old = datetime(2026, 12, 5, 10, tzinfo=UTC)
    saves = [
        (old + timedelta(minutes=minute), False, source)
        for minute, source in enumerate(["import", "editor", "admin", "app", "restore"])
    ]
    saves += autosaves(old + timedelta(minutes=10), old + timedelta(minutes=11), NOW)
    screenplay = with_history(alice.pk, saves)

    assert screenplay_revisions_thin(now=NOW) == 1

    assert list(
        ScreenplayRevision.objects.filter(screenplay=screenplay)
        .order_by("version")
        .values_list("version", "source", "autosave")
    ) == [
        (1, "import", False),
        (2, "editor", False),
        (3, "admin", False),
        (4, "app", False),
        (5, "restore", False),
        (7, "editor", True),
        (8, "editor", True),
    ]


def test_the_current_version_is_kept_even_when_it_is_an_old_autosave(alice):
    old = datetime(2026, 12, 5, 10, tzinfo=UTC)
    screenplay = with_history(alice.pk, autosaves(*(old + timedelta(minutes=minute) for minute in range(5))))

    screenplay_revisions_thin(now=NOW)

    assert list(ScreenplayRevision.objects.filter(screenplay=screenplay).values_list("version", flat=True)) == [5]
    assert Screenplay.objects.get(pk=screenplay.pk).version == 5


def test_other_screenplays_are_untouched(alice, bob):
    old = datetime(2026, 12, 5, 10, tzinfo=UTC)
    thinned = with_history(alice.pk, autosaves(old, old + timedelta(minutes=1), NOW))
    alone_in_its_day = with_history(alice.pk, autosaves(old + timedelta(minutes=2), NOW), title="Day Shift")
    bobs = with_history(bob.pk, autosaves(old + timedelta(minutes=3), NOW), title="Bob's")
    # Autosaved last more than three days ago: settled by earlier runs, not looked at again.
    settled = with_history(bob.pk, autosaves(NOW - timedelta(days=4, minutes=1), NOW - timedelta(days=4)), title="Old")

    assert screenplay_revisions_thin(now=NOW) == 1

    assert len(kept(thinned)) == 2
    assert [len(kept(screenplay)) for screenplay in (alone_in_its_day, bobs, settled)] == [2, 2, 2]


@pytest.mark.django_db(transaction=True)
def test_a_screenplay_being_saved_is_left_to_the_next_run(alice):
    old = datetime(2026, 12, 5, 10, tzinfo=UTC)
    screenplay = with_history(alice.pk, autosaves(old, old + timedelta(minutes=1), NOW))
    locked, saved = threading.Event(), threading.Event()

    def save_under_way() -> None:
        with transaction.atomic():
            Screenplay.objects.select_for_update().get(pk=screenplay.pk)
            locked.set()
            saved.wait(5)
        connection.close()

    writer = threading.Thread(target=save_under_way)
    writer.start()
    locked.wait(5)
    try:
        assert screenplay_revisions_thin(now=NOW) == 0
    finally:
        saved.set()
        writer.join()
    assert screenplay_revisions_thin(now=NOW) == 1


def test_past_the_bound_the_oldest_autosaves_go_and_manual_saves_stay(alice, settings):
    settings.SCREENPLAY_REVISIONS_MAX = 5
    start = NOW - timedelta(minutes=30)
    saves = [
        (start, False, "editor"),
        (start + timedelta(minutes=1), False, "restore"),
        (start + timedelta(minutes=2), False, "import"),
    ]
    saves += autosaves(*(start + timedelta(minutes=3 + minute) for minute in range(6)))
    screenplay = with_history(alice.pk, saves)

    assert screenplay_revisions_thin(now=NOW) == 4

    assert list(
        ScreenplayRevision.objects.filter(screenplay=screenplay).order_by("version").values_list("version", flat=True)
    ) == [
        1,
        2,
        3,
        8,
        9,
    ]


def test_manual_saves_alone_past_the_bound_are_all_kept_with_the_current_version(alice, settings):
    settings.SCREENPLAY_REVISIONS_MAX = 2
    start = NOW - timedelta(minutes=30)
    saves = [(start + timedelta(minutes=minute), False, "editor") for minute in range(3)]
    saves += autosaves(*(start + timedelta(minutes=10 + minute) for minute in range(3)))
    screenplay = with_history(alice.pk, saves)

    screenplay_revisions_thin(now=NOW)

    assert list(
        ScreenplayRevision.objects.filter(screenplay=screenplay).order_by("version").values_list("version", flat=True)
    ) == [1, 2, 3, 6]


def test_the_bound_holds_at_every_save_before_the_task_runs(client, alice, settings):
    settings.SCREENPLAY_REVISIONS_MAX = 3
    client.force_login(alice)
    screenplay, _ = screenplay_create(user_id=alice.pk, title="Night Shift")
    for version in range(1, 7):
        response = client.patch(
            f"{SCREENPLAYS}{screenplay.pk}/",
            {"version": version, "content": f"Draft {version}", "autosave": True},
            content_type="application/json",
        )
        assert response.status_code == 200
        assert ScreenplayRevision.objects.filter(screenplay=screenplay).count() <= 3

    assert list(
        ScreenplayRevision.objects.filter(screenplay=screenplay).order_by("version").values_list("version", flat=True)
    ) == [1, 6, 7]


def test_the_editors_autosave_flag_arrives_through_the_save_endpoint(client, alice):
    client.force_login(alice)
    screenplay, _ = screenplay_create(user_id=alice.pk, title="Night Shift")
    url = f"{SCREENPLAYS}{screenplay.pk}/"

    for version, autosave in ((1, True), (2, False), (3, None)):
        body = {"version": version, "content": f"Draft {version}"}
        if autosave is not None:
            body["autosave"] = autosave
        assert client.patch(url, body, content_type="application/json").status_code == 200

    assert list(
        ScreenplayRevision.objects.filter(screenplay=screenplay)
        .order_by("version")
        .values_list("version", "source", "autosave")
    ) == [
        (1, "app", False),
        (2, "editor", True),
        (3, "editor", False),
        (4, "editor", False),
    ]


def test_the_apps_saves_are_autosaves_unless_it_says_otherwise(as_alice, alice):
    screenplay, _ = screenplay_create(user_id=alice.pk, title="Night Shift")
    url = f"{SCREENPLAYS}{screenplay.pk}/"

    as_alice.patch(url, {"version": 1, "content": "A"}, format="json")
    as_alice.patch(url, {"version": 2, "content": "B", "autosave": False}, format="json")

    assert list(
        ScreenplayRevision.objects.filter(screenplay=screenplay).order_by("version").values_list("autosave", flat=True)
    ) == [False, True, False]


def test_restores_imports_and_creates_are_manual(as_alice, alice):
    imported = as_alice.post(
        f"{SCREENPLAYS}import/",
        {"file": SimpleUploadedFile("night.fountain", b"INT. DINER - NIGHT\n")},
        format="multipart",
    ).json()
    url = f"{SCREENPLAYS}{imported['id']}/"
    as_alice.patch(url, {"version": 1, "content": "INT. PIER - DAY\n", "autosave": True}, format="json")
    assert as_alice.post(f"{url}restore/", {"version": 1, "based_on_version": 2}, format="json").status_code == 200

    assert list(ScreenplayRevision.objects.order_by("version").values_list("source", "autosave")) == [
        ("import", False),
        ("app", True),
        ("restore", False),
    ]


def test_the_history_lists_the_versions_kept_with_their_numbers_and_restores_them(as_alice, alice):
    old = datetime(2026, 12, 5, 10, tzinfo=UTC)
    screenplay = with_history(
        alice.pk, [(old, False, "editor"), *autosaves(old + timedelta(minutes=1), old + timedelta(minutes=2))]
    )
    screenplay_revisions_thin(now=NOW)
    url = f"{SCREENPLAYS}{screenplay.pk}/"

    listed = as_alice.get(f"{url}revisions/").json()
    versions = [revision["version"] for revision in (listed["results"] if isinstance(listed, dict) else listed)]
    assert versions == [3, 1]
    assert as_alice.get(f"{url}revisions/2/").status_code == 404
    assert as_alice.post(f"{url}restore/", {"version": 2, "based_on_version": 3}, format="json").status_code == 404
    restored = as_alice.post(f"{url}restore/", {"version": 1, "based_on_version": 3}, format="json").json()
    assert (restored["version"], restored["content"]) == (4, "Draft 1")
    assert as_alice.get(f"{url}statistics/").json()["version"] == 4


def test_the_thinning_task_thins_and_is_periodic_and_discovered_by_the_worker(alice):
    three_hours_ago = datetime.now(UTC) - timedelta(hours=3)
    in_one_bucket = three_hours_ago.replace(minute=three_hours_ago.minute // 10 * 10, second=0, microsecond=0)
    screenplay = with_history(
        alice.pk, autosaves(in_one_bucket, in_one_bucket + timedelta(minutes=1), datetime.now(UTC))
    )

    screenplay_revisions_thin_task(timestamp=int(time.time()))

    assert len(kept(screenplay)) == 2
    registered, periodic = django_probe(
        "from procrastinate.contrib.django import app; print(sorted(app.tasks));"
        " print(sorted(name for name, _ in app.periodic_registry.periodic_tasks))",
        DEBUG="1",
    )[-2:]
    assert REVISIONS_THIN_TASK in registered
    assert REVISIONS_THIN_TASK in periodic

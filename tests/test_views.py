"""The five database views compute what domain.md says, read through their unmanaged models."""

import math
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone

from clips.models import ClipJob, ProjectOverview, SceneDraft
from continuity.models import ContinuityLog, DailyAnalytics, RecentValidation, Telemetry, TelemetryPerformance
from continuity.services import telemetry_record
from credits.models import CreditsLedger, UserStatistics
from directorstudio.accounts.models import User
from screenplays.models import Screenplay

pytestmark = pytest.mark.django_db

ALICE = uuid.UUID("00000000-0000-4000-8000-00000000a11c")
BOB = uuid.UUID("00000000-0000-4000-8000-000000000b0b")


def at(day: int, hour: int = 12, minute: int = 0, tz: timezone = UTC) -> datetime:
    """A moment in March 2025."""
    return datetime(2025, 3, day, hour, minute, tzinfo=tz)


def log(user_id: uuid.UUID, confidence: float, timestamp: datetime, issues=(), scene_id: int = 1) -> ContinuityLog:
    return ContinuityLog.objects.create(
        user_id=user_id,
        scene_id=scene_id,
        confidence=confidence,
        passed=confidence >= 0.6,
        issues=list(issues) if isinstance(issues, tuple) else issues,
        timestamp=timestamp,
    )


def draft(user_id: uuid.UUID, project_id: str, duration: float, created_at: datetime, updated_at: datetime):
    return SceneDraft.objects.create(
        user_id=user_id,
        project_id=project_id,
        order_index=SceneDraft.objects.filter(user_id=user_id, project_id=project_id).count(),
        prompt_text="A lighthouse at dusk.",
        duration=duration,
        created_at=created_at,
        updated_at=updated_at,
    )


def test_daily_analytics_groups_logs_per_user_and_utc_day():
    for confidence, moment in [(0.9, at(10, 0, 30)), (0.5, at(10, 12)), (1.0, at(10, 23, 30))]:
        log(ALICE, confidence, moment)
    # 23:30 in New York on the 10th is 04:30 UTC on the 11th: days are cut in UTC.
    log(ALICE, 0.7, at(10, 23, 30, tz=timezone(timedelta(hours=-5))))
    log(BOB, 0.3, at(10, 9))

    alice_days = list(
        DailyAnalytics.objects.filter(user_id=ALICE)
        .order_by("validation_date")
        .values_list(
            "validation_date",
            "total_scenes",
            "avg_confidence",
            "scenes_passed",
            "scenes_failed",
            "min_confidence",
            "max_confidence",
            "confidence_stddev",
        )
    )

    # Sample standard deviation (stddev_samp, PostgreSQL's stddev): sqrt((0.01 + 0.09 + 0.04) / 2).
    assert alice_days == [
        (at(10, 0, 0), 3, pytest.approx(0.8), 2, 1, 0.5, 1.0, pytest.approx(math.sqrt(0.07))),
        (at(11, 0, 0), 1, pytest.approx(0.7), 1, 0, 0.7, 0.7, None),
    ]
    bob_day = DailyAnalytics.objects.get(user_id=BOB)
    assert (bob_day.validation_date, bob_day.total_scenes, bob_day.scenes_passed, bob_day.scenes_failed) == (
        at(10, 0, 0),
        1,
        0,
        1,
    )


def test_recent_validations_are_the_last_seven_days_with_their_issue_count():
    now = django_timezone.now()
    log(ALICE, 0.9, now - timedelta(days=8), scene_id=1)
    log(ALICE, 0.49, now - timedelta(days=6), issues=("lamp disappeared", "Tone jumped: calm → furious"), scene_id=2)
    log(ALICE, 1.0, now - timedelta(hours=1), scene_id=3)
    log(ALICE, 0.8, now - timedelta(hours=2), issues={"not": "a list"}, scene_id=4)
    log(BOB, 0.35, now - timedelta(days=2), issues=("a", "b", "c"), scene_id=7)

    assert list(
        RecentValidation.objects.filter(user_id=ALICE)
        .order_by("scene_id")
        .values_list("scene_id", "confidence", "passed", "issue_count", "timestamp")
    ) == [
        (2, 0.49, False, 2, now - timedelta(days=6)),
        (3, 1.0, True, 0, now - timedelta(hours=1)),
        (4, 0.8, True, None, now - timedelta(hours=2)),
    ]
    assert list(RecentValidation.objects.filter(user_id=BOB).values_list("scene_id", "issue_count")) == [(7, 3)]


def test_telemetry_performance_categorises_rates_at_the_boundaries():
    updated_at = at(14, 8)
    for element, attempts, successes in [
        ("lamp", 5, 5),
        ("umbrella", 5, 4),
        ("hat", 10000, 7999),
        ("cane", 2, 1),
        ("parrot", 10000, 4999),
        ("clock", 3, 0),
    ]:
        Telemetry.objects.create(
            user_id=ALICE,
            element=element,
            attempts=attempts,
            successes=successes,
            rate=successes / attempts,
            updated_at=updated_at,
        )
    Telemetry.objects.create(user_id=BOB, element="lamp", attempts=4, successes=1, rate=0.25, updated_at=at(1))

    alice = {
        row.element: (row.attempts, row.successes, row.rate, row.performance_category, row.last_updated)
        for row in TelemetryPerformance.objects.filter(user_id=ALICE)
    }
    assert alice == {
        "lamp": (5, 5, 1.0, "excellent", updated_at),
        "umbrella": (5, 4, 0.8, "excellent", updated_at),
        "hat": (10000, 7999, 0.7999, "good", updated_at),
        "cane": (2, 1, 0.5, "good", updated_at),
        "parrot": (10000, 4999, 0.4999, "poor", updated_at),
        "clock": (3, 0, 0.0, "poor", updated_at),
    }
    bob = TelemetryPerformance.objects.get(user_id=BOB)
    assert (bob.element, bob.performance_category, bob.last_updated) == ("lamp", "poor", at(1))


def test_project_overview_totals_scene_drafts_per_user_and_project():
    draft(ALICE, "harbour", 4.0, created_at=at(2), updated_at=at(5))
    draft(ALICE, "harbour", 4.5, created_at=at(1), updated_at=at(3))
    draft(ALICE, "harbour", 3.5, created_at=at(4), updated_at=at(9))
    draft(ALICE, "desert", 4.0, created_at=at(6), updated_at=at(6))
    # Same project id, another user: another project.
    draft(BOB, "harbour", 2.0, created_at=at(7), updated_at=at(8))

    rows = ProjectOverview.objects.values_list(
        "user_id", "project_id", "scene_count", "total_duration", "project_created_at", "last_updated"
    )
    assert set(rows) == {
        (ALICE, "desert", 1, 4.0, at(6), at(6)),
        (ALICE, "harbour", 3, 12.0, at(1), at(9)),
        (BOB, "harbour", 1, 2.0, at(7), at(8)),
    }


def test_user_statistics_aggregates_each_source_once_per_user():
    User.objects.create_user(id=ALICE, email="alice@example.com")
    User.objects.create_user(id=BOB, email="bob@example.com")
    idle = User.objects.create_user(email="idle@example.com")

    CreditsLedger.objects.create(user_key="a" * 64, user_id=ALICE, credits=10, updated_at=at(2))
    CreditsLedger.objects.create(user_key="b" * 64, user_id=ALICE, credits=15, updated_at=at(3))
    CreditsLedger.objects.create(user_key="c" * 64, user_id=None, credits=99, updated_at=at(20))
    for day in (4, 5, 6):
        draft(ALICE, "harbour", 4.0, created_at=at(day), updated_at=at(day))
    draft(BOB, "harbour", 4.0, created_at=at(1), updated_at=at(11))
    for day in (7, 8):
        Screenplay.objects.create(user_id=ALICE, title="Harbour", content="INT. LIGHTHOUSE - NIGHT", updated_at=at(day))
    for status, completed_at in [
        (ClipJob.Status.COMPLETED, at(13)),
        (ClipJob.Status.COMPLETED, at(12)),
        (ClipJob.Status.FAILED, None),
        (ClipJob.Status.QUEUED, None),
    ]:
        ClipJob.objects.create(
            user_id=ALICE,
            user_key="a" * 64,
            prompt="A lighthouse at dusk.",
            status=status,
            submitted_at=at(10),
            completed_at=completed_at,
        )
    ClipJob.objects.create(user_id=BOB, user_key="d" * 64, prompt="x", status="completed", submitted_at=at(9))
    # Rows of someone who is not a user do not make a row of their own.
    draft(uuid.uuid4(), "orphan", 4.0, created_at=at(1), updated_at=at(1))

    rows = {
        row.user_id: (
            row.email,
            row.credits,
            row.total_scenes,
            row.total_screenplays,
            row.completed_videos,
            row.last_activity,
        )
        for row in UserStatistics.objects.all()
    }
    assert rows == {
        ALICE: ("alice@example.com", 25, 3, 2, 2, at(13)),
        BOB: ("bob@example.com", 0, 1, 0, 1, at(11)),
        idle.id: ("idle@example.com", 0, 0, 0, 0, None),
    }


def test_daily_analytics_of_a_day_without_failures_counts_zero_failed_and_days_without_logs_have_no_row():
    for confidence, moment in [(1.0, at(20, 9)), (0.7, at(20, 10)), (0.6, at(20, 11))]:
        log(ALICE, confidence, moment)
    log(ALICE, 0.35, at(22, 9))

    rows = list(
        DailyAnalytics.objects.filter(user_id=ALICE)
        .order_by("validation_date")
        .values_list("validation_date", "total_scenes", "scenes_passed", "scenes_failed", "min_confidence")
    )

    assert rows == [(at(20, 0), 3, 3, 0, 0.6), (at(22, 0), 1, 0, 1, 0.35)]


def test_recent_validations_count_issues_of_either_shape():
    now = django_timezone.now()
    engine_issue = {"rule": "prop_persistence", "element": "lamp", "message": "lamp disappeared", "severity": "low"}
    log(ALICE, 0.49, now - timedelta(hours=1), issues=[engine_issue, engine_issue], scene_id=1)
    log(ALICE, 0.7, now - timedelta(hours=2), issues=["lamp disappeared (was in scene 1)"], scene_id=2)
    log(ALICE, 0.35, now - timedelta(hours=3), issues=[engine_issue, "Delia vanished from Diner"], scene_id=3)

    assert list(
        RecentValidation.objects.filter(user_id=ALICE).order_by("scene_id").values_list("scene_id", "issue_count")
    ) == [(1, 2), (2, 1), (3, 2)]


def test_telemetry_performance_of_recorded_and_never_tried_elements():
    telemetry_record(
        user_id=ALICE,
        records=[{"element": "lamp", "appeared": True}] * 4 + [{"element": "rope", "appeared": False}] * 2,
    )
    # A row created before any attempt: never tried, stored with rate 0.
    Telemetry.objects.create(user_id=ALICE, element="hat", attempts=0, successes=0, rate=0)

    rows = {
        row.element: (row.attempts, row.successes, row.rate, row.performance_category)
        for row in TelemetryPerformance.objects.filter(user_id=ALICE)
    }

    # An element never recorded has no row at all; prompt enhancement counts it (and "hat") as 0.8.
    assert rows == {"lamp": (4, 4, 1.0, "excellent"), "rope": (2, 0, 0.0, "poor"), "hat": (0, 0, 0.0, "poor")}

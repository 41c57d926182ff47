"""The continuity engine's rules, and the telemetry performance view agreeing with its one definition of the bands."""

import math
import uuid

import pytest

from continuity.engine import (
    PERFORMANCE_BANDS,
    PERFORMANCE_CATEGORIES,
    SceneState,
    Validation,
    performance_category,
    tone_sentiment,
    validate,
)
from continuity.models import Telemetry, TelemetryPerformance

ALICE = uuid.UUID("00000000-0000-4000-8000-00000000a11c")
BOB = uuid.UUID("00000000-0000-4000-8000-000000000b0b")


def scene(
    id: int = 1,
    location: str = "Diner",
    characters: tuple[str, ...] = ("Eli", "Delia"),
    props: tuple[str, ...] = ("envelope",),
    tone: str = "tense",
) -> SceneState:
    return SceneState(id=id, location=location, characters=characters, props=props, tone=tone)


def test_the_first_scene_passes_with_full_confidence():
    assert validate(None, scene()) == Validation(confidence=1.0, passed=True, ask_human=False, issues=[])


def test_an_unchanged_scene_passes_with_full_confidence():
    assert validate(scene(id=4), scene(id=5)) == Validation(confidence=1.0, passed=True, ask_human=False, issues=[])


def test_each_lost_prop_costs_a_factor_of_0_7():
    previous = scene(id=4, props=("envelope", "lantern", "map"))

    one = validate(previous, scene(id=5, props=("envelope", "map")))
    two = validate(previous, scene(id=5, props=("map",)))

    assert one == Validation(0.7, True, False, ["lantern disappeared (was in scene 4)"])
    assert two == Validation(
        0.49, False, True, ["envelope disappeared (was in scene 4)", "lantern disappeared (was in scene 4)"]
    )


def test_a_new_prop_costs_nothing():
    assert validate(scene(props=()), scene(id=2, props=("umbrella",))).confidence == 1.0


def test_a_character_who_vanishes_from_the_same_location_halves_confidence():
    result = validate(scene(id=4), scene(id=5, characters=("Eli",)))

    assert result == Validation(0.5, False, True, ["Delia vanished from Diner"])


def test_a_character_missing_after_a_change_of_location_costs_nothing():
    result = validate(scene(id=4), scene(id=5, location="Parking Lot", characters=("Eli",)))

    assert result == Validation(1.0, True, False, [])


def test_a_lost_prop_and_a_vanished_character_in_the_same_location():
    result = validate(scene(id=4), scene(id=5, characters=("Eli",), props=()))

    assert result == Validation(
        0.35, False, True, ["envelope disappeared (was in scene 4)", "Delia vanished from Diner"]
    )


def test_all_three_rules_together():
    previous = scene(id=4, tone="joyful")
    current = scene(id=5, characters=("Eli",), props=(), tone="bleak")

    result = validate(previous, current)

    assert result == Validation(
        0.21,
        False,
        True,
        [
            "envelope disappeared (was in scene 4)",
            "Delia vanished from Diner",
            "Tone jumped: joyful → bleak",
        ],
    )


def test_confidence_is_rounded_to_four_places():
    previous = scene(props=("a", "b", "c", "d", "e"))

    # 0.7 ** 5 = 0.16807, and 0.7 ** 5 * 0.5 = 0.084035 rounds to 0.084.
    assert validate(previous, scene(id=2, props=())).confidence == 0.1681
    assert validate(previous, scene(id=2, characters=("Eli",), props=())).confidence == 0.084


def test_the_scene_passes_at_exactly_0_6():
    result = validate(scene(tone="joyful"), scene(id=2, tone="bleak"))

    assert result == Validation(0.6, True, False, ["Tone jumped: joyful → bleak"])


def test_tone_whiplash_needs_a_jump_above_0_8():
    # curious 0.3 against eerie -0.5 is a jump of exactly 0.8; against melancholy -0.6 it is 0.9.
    at_threshold = validate(scene(tone="curious"), scene(id=2, tone="eerie"))
    above = validate(scene(tone="curious"), scene(id=2, tone="melancholy"))
    unknown_words = validate(scene(tone="triumphant"), scene(id=2, tone="matter-of-fact"))

    assert at_threshold == Validation(1.0, True, False, [])
    assert above == Validation(0.6, True, False, ["Tone jumped: curious → melancholy"])
    assert unknown_words == Validation(1.0, True, False, [])


def test_tone_sentiment_is_the_mean_of_the_known_words():
    assert tone_sentiment("joyful") == 0.9
    assert tone_sentiment("Tense, but HOPEFUL") == pytest.approx(0.1)
    assert tone_sentiment("matter-of-fact") == 0.0
    assert tone_sentiment("") == 0.0


def test_names_compare_without_case_or_extra_whitespace_and_messages_keep_the_previous_spelling():
    previous = scene(id=7, location="Night  Diner", characters=("Eli Moss", "Delia"), props=("Red Envelope", "map"))
    same = scene(id=8, location=" night diner ", characters=("ELI  MOSS", " delia"), props=("red envelope ", "MAP"))
    changed = scene(id=8, location="NIGHT DINER", characters=("eli moss",), props=("MAP",))

    assert validate(previous, same) == Validation(1.0, True, False, [])
    assert validate(previous, changed) == Validation(
        0.35, False, True, ["Red Envelope disappeared (was in scene 7)", "Delia vanished from Night  Diner"]
    )


def test_performance_bands_are_ordered_best_first():
    assert PERFORMANCE_CATEGORIES == ("excellent", "good", "poor")
    assert [band.lowest_rate for band in PERFORMANCE_BANDS] == sorted(
        (band.lowest_rate for band in PERFORMANCE_BANDS), reverse=True
    )


@pytest.mark.parametrize(
    ("rate", "category"),
    [(1.0, "excellent"), (0.8, "excellent"), (0.7999, "good"), (0.5, "good"), (0.4999, "poor"), (0.0, "poor")],
)
def test_performance_category_names_the_band_of_a_rate(rate, category):
    assert performance_category(rate) == category


@pytest.mark.django_db
def test_the_telemetry_performance_view_agrees_with_performance_category():
    # The view's SQL lives in a frozen migration; this keeps it and the Python bands in step.
    rates = [0.0, 0.4999, math.nextafter(0.5, 0), 0.5, 0.7999, math.nextafter(0.8, 0), 0.8, 1.0]
    for user_id in (ALICE, BOB):
        Telemetry.objects.bulk_create(
            Telemetry(
                user_id=user_id, element=f"element {index}", attempts=10_000, successes=round(rate * 10_000), rate=rate
            )
            for index, rate in enumerate(rates)
        )

    rows = list(TelemetryPerformance.objects.values_list("user_id", "rate", "performance_category"))

    assert len(rows) == 2 * len(rates)
    assert {user_id for user_id, _, _ in rows} == {ALICE, BOB}
    assert sorted(rate for _, rate, _ in rows) == sorted(rates * 2)
    assert all(category == performance_category(rate) for _, rate, category in rows), rows
    assert {category for _, _, category in rows} == set(PERFORMANCE_CATEGORIES)

"""The continuity engine's rules, and the telemetry performance view agreeing with its one definition of the bands."""

import math
import uuid

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from continuity import engine
from continuity.engine import (
    NEVER_TRIED_RATE,
    PERFORMANCE_BANDS,
    PERFORMANCE_CATEGORIES,
    Issue,
    SceneState,
    Validation,
    element_rates,
    enhance_prompt,
    issues_from_json,
    parse_scene_text,
    performance_category,
    tone_sentiment,
    validate,
)
from continuity.models import Telemetry, TelemetryPerformance

ALICE = uuid.UUID("00000000-0000-4000-8000-00000000a11c")
BOB = uuid.UUID("00000000-0000-4000-8000-000000000b0b")
VADER = SentimentIntensityAnalyzer()


def scene(
    id: int = 1,
    location: str = "Diner",
    characters: tuple[str, ...] = ("Eli", "Delia"),
    props: tuple[str, ...] = ("envelope",),
    tone: str = "tense",
    prompt: str = "",
) -> SceneState:
    return SceneState(id=id, location=location, characters=characters, props=props, tone=tone, prompt=prompt)


def lost(prop: str, scene_id: int) -> Issue:
    return Issue("prop_persistence", prop, f"{prop} disappeared (was in scene {scene_id})", "low")


def vanished(character: str, location: str) -> Issue:
    return Issue("character_location", character, f"{character} vanished from {location}", "high")


def jumped(before: str, after: str) -> Issue:
    return Issue("tone_whiplash", after, f"Tone jumped: {before} → {after}", "medium")


def test_the_first_scene_passes_with_full_confidence():
    assert validate(None, scene()) == Validation(confidence=1.0, passed=True, ask_human=False, issues=[])


def test_an_unchanged_scene_passes_with_full_confidence():
    assert validate(scene(id=4), scene(id=5)) == Validation(confidence=1.0, passed=True, ask_human=False, issues=[])


def test_each_lost_prop_costs_a_factor_of_0_7():
    previous = scene(id=4, props=("envelope", "lantern", "map"))

    one = validate(previous, scene(id=5, props=("envelope", "map")))
    two = validate(previous, scene(id=5, props=("map",)))

    assert one == Validation(0.7, True, False, [lost("lantern", 4)])
    assert two == Validation(0.49, False, True, [lost("envelope", 4), lost("lantern", 4)])


def test_a_new_prop_costs_nothing():
    assert validate(scene(props=()), scene(id=2, props=("umbrella",))).confidence == 1.0


def test_a_character_who_vanishes_from_the_same_location_halves_confidence():
    result = validate(scene(id=4), scene(id=5, characters=("Eli",)))

    assert result == Validation(0.5, False, True, [vanished("Delia", "Diner")])


def test_a_character_missing_after_a_change_of_location_costs_nothing():
    result = validate(scene(id=4), scene(id=5, location="Parking Lot", characters=("Eli",)))

    assert result == Validation(1.0, True, False, [])


def test_a_lost_prop_and_a_vanished_character_in_the_same_location():
    result = validate(scene(id=4), scene(id=5, characters=("Eli",), props=()))

    assert result == Validation(0.35, False, True, [lost("envelope", 4), vanished("Delia", "Diner")])


def test_all_three_rules_together():
    previous = scene(id=4, tone="joyful")
    current = scene(id=5, characters=("Eli",), props=(), tone="terrified")

    result = validate(previous, current)

    # 0.7 * 0.5 * 0.6
    assert result == Validation(
        0.21, False, True, [lost("envelope", 4), vanished("Delia", "Diner"), jumped("joyful", "terrified")]
    )


def test_two_vanished_characters_and_a_tone_jump():
    previous = scene(id=1, characters=("Eli", "Delia", "Maya"), props=(), tone="hopeful")
    current = scene(id=2, characters=("Eli",), props=(), tone="tense")

    # 0.5 * 0.5 * 0.6
    assert validate(previous, current) == Validation(
        0.15, False, True, [vanished("Delia", "Diner"), vanished("Maya", "Diner"), jumped("hopeful", "tense")]
    )


def test_confidence_is_rounded_to_four_places():
    previous = scene(props=("a", "b", "c", "d", "e"))

    # 0.7 ** 5 = 0.16807, and 0.7 ** 5 * 0.5 = 0.084035 rounds to 0.084.
    assert validate(previous, scene(id=2, props=())).confidence == 0.1681
    assert validate(previous, scene(id=2, characters=("Eli",), props=())).confidence == 0.084


def test_the_scene_passes_at_exactly_0_6():
    result = validate(scene(tone="joyful"), scene(id=2, tone="terrified"))

    assert result == Validation(0.6, True, False, [jumped("joyful", "terrified")])


def test_tone_sentiment_is_vaders_compound_score():
    for tone in ("joyful", "terrified", "Tense, but HOPEFUL", "matter-of-fact", "not happy at all", ""):
        assert tone_sentiment(tone) == VADER.polarity_scores(tone)["compound"], tone
    assert tone_sentiment("") == 0.0
    assert tone_sentiment("joyful") > 0 > tone_sentiment("terrified")


@pytest.mark.parametrize(
    ("before", "after", "whiplash"),
    [
        ("hopeful", "tense", True),  # 0.5106 against -0.34: a jump of 0.8506
        ("tense", "hopeful", True),  # the same jump the other way
        ("curious", "dread", False),  # 0.3182 against -0.4588: 0.777
        ("joyful", "bleak", False),  # 0.5994 against 0.0 (bleak is not in VADER's lexicon)
        ("triumphant", "matter-of-fact", False),
    ],
)
def test_tone_whiplash_is_a_vader_jump_above_0_8(before, after, whiplash):
    jump = abs(VADER.polarity_scores(before)["compound"] - VADER.polarity_scores(after)["compound"])
    assert (jump > 0.8) is whiplash, jump

    result = validate(scene(tone=before), scene(id=2, tone=after))

    assert result == (
        Validation(0.6, True, False, [jumped(before, after)]) if whiplash else Validation(1.0, True, False)
    )


def test_a_jump_of_exactly_0_8_is_no_whiplash(monkeypatch):
    scores = {"calm": 0.3, "grim": -0.5, "grimmer": -0.5000001}
    monkeypatch.setattr(engine, "tone_sentiment", scores.__getitem__)

    assert validate(scene(tone="calm"), scene(id=2, tone="grim")).issues == []
    assert validate(scene(tone="calm"), scene(id=2, tone="grimmer")).issues == [jumped("calm", "grimmer")]


def test_names_compare_without_case_or_extra_whitespace_and_messages_keep_the_previous_spelling():
    previous = scene(id=7, location="Night  Diner", characters=("Eli Moss", "Delia"), props=("Red Envelope", "map"))
    same = scene(id=8, location=" night diner ", characters=("ELI  MOSS", " delia"), props=("red envelope ", "MAP"))
    changed = scene(id=8, location="NIGHT DINER", characters=("eli moss",), props=("MAP",))

    assert validate(previous, same) == Validation(1.0, True, False, [])
    assert validate(previous, changed) == Validation(
        0.35, False, True, [lost("Red Envelope", 7), vanished("Delia", "Night  Diner")]
    )


def test_issues_are_stored_as_objects():
    assert lost("map", 3).as_json() == {
        "rule": "prop_persistence",
        "element": "map",
        "message": "map disappeared (was in scene 3)",
        "severity": "low",
    }


def test_issues_read_from_either_shape():
    stored = [
        lost("map", 3).as_json(),
        "lantern disappeared (was in scene 1)",
        "Delia vanished from Diner",
        "Tone jumped: calm → furious",
        "The sky changed colour",
        {"message": "half an object"},
        42,
    ]

    assert issues_from_json(stored) == [
        lost("map", 3),
        lost("lantern", 1),
        vanished("Delia", "Diner"),
        jumped("calm", "furious"),
        Issue("unknown", "", "The sky changed colour", ""),
        Issue("unknown", "", "half an object", ""),
        Issue("unknown", "", "42", ""),
    ]
    assert issues_from_json({"not": "a list"}) == []
    assert issues_from_json(None) == []


def test_prompt_enhancement_insists_on_rarely_shown_props():
    rates = element_rates([("Lantern", 10, 4), ("rope", 2, 1), ("map", 4, 1), (" MAP ", 4, 0), ("knife", 0, 0)])
    current = scene(id=2, props=("lantern", "rope", "Map", "knife", "hat"), characters=(), prompt="Dusk")

    assert rates == {"lantern": 0.4, "rope": 0.5, "map": 0.125}
    assert enhance_prompt(None, current, rates) == "Dusk, CLEARLY SHOWING lantern, CLEARLY SHOWING Map"
    # Never tried (no row, or a row without attempts) counts as 0.8: no insistence.
    assert NEVER_TRIED_RATE == 0.8
    assert enhance_prompt(None, current, {}) == "Dusk"


def test_prompt_enhancement_keeps_the_look_of_characters_from_the_previous_scene():
    previous = scene(id=1, location="Dock", characters=("Eli", "Delia Moss"))
    current = scene(id=2, location="Elsewhere", characters=("delia  moss", "Maya", "Eli"), props=(), prompt="Rain")

    assert enhance_prompt(previous, current, {}) == (
        "Rain, delia  moss with same appearance as previous scene, Eli with same appearance as previous scene"
    )
    assert enhance_prompt(None, current, {}) == "Rain"


@pytest.mark.parametrize(
    ("text", "location", "characters", "props", "tone"),
    [
        ("INT. DINER - NIGHT. Rain. MAYA (30s) counts tips; ELI waits.", "Diner", ["Maya", "Eli"], [], ""),
        ("EXT. PARKING LOT - CONTINUOUS", "Parking Lot", [], [], ""),
        ("INT./EXT. OLD CAR - NIGHT. The engine coughs.", "Old Car", [], [], ""),
        (
            "Medium shot, interior, Night Diner, night. Eli waits. Featuring Eli, Delia; visible: envelope, red lamp. "
            "Mood: tense, wry. Cinematic, 16:9.",
            "Night Diner",
            ["Eli", "Delia"],
            ["envelope", "red lamp"],
            "tense, wry",
        ),
        ("A lighthouse at dusk.", "", [], [], ""),
    ],
)
def test_a_scene_is_read_from_its_heading_and_prompt(text, location, characters, props, tone):
    assert parse_scene_text(text) == engine.SceneText(location, characters, props, tone)


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

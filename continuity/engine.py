"""The continuity engine's rules: scene validation, tone scoring and telemetry performance bands, free of Django."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

PASSING_CONFIDENCE = 0.6
TONE_WHIPLASH = 0.8
LOST_PROP_FACTOR = 0.7
VANISHED_CHARACTER_FACTOR = 0.5
TONE_WHIPLASH_FACTOR = 0.6
NEVER_TRIED_RATE = 0.8
ENHANCE_BELOW_RATE = 0.5

# A small sentiment lexicon for tone words, in [-1, 1]; it stands in for the platform's
# sentiment score until the engine switches to VADER.
TONE_SENTIMENT: dict[str, float] = {
    "bleak": -0.8,
    "cold": -0.4,
    "curious": 0.3,
    "dread": -0.8,
    "eerie": -0.5,
    "frantic": -0.4,
    "grief": -0.8,
    "hopeful": 0.6,
    "joyful": 0.9,
    "lonely": -0.6,
    "melancholy": -0.6,
    "menacing": -0.7,
    "ominous": -0.6,
    "panicked": -0.7,
    "playful": 0.6,
    "relieved": 0.3,
    "romantic": 0.7,
    "tender": 0.5,
    "tense": -0.4,
    "triumphant": 0.8,
    "warm": 0.6,
    "whimsical": 0.5,
    "wry": 0.1,
}


@dataclass(frozen=True)
class SceneState:
    """A scene as the engine compares it: its number, place, cast, props, prompt and tone."""

    id: int
    location: str
    characters: Sequence[str]
    props: Sequence[str]
    prompt: str = ""
    tone: str = ""


@dataclass(frozen=True)
class Validation:
    """The engine's verdict on a scene: confidence, whether it passed, whether to ask the writer, and why."""

    confidence: float
    passed: bool
    ask_human: bool
    issues: list[str]


@dataclass(frozen=True)
class PerformanceBand:
    """A telemetry performance category and the lowest rate that reaches it."""

    name: str
    lowest_rate: float


# Best first: a rate belongs to the first band it reaches. The SQL of the
# continuity_telemetry_performance view (a frozen migration) spells the same bands.
PERFORMANCE_BANDS: tuple[PerformanceBand, ...] = (
    PerformanceBand("excellent", 0.8),
    # Below the enhancement threshold the prompt needs help, so the element performs poorly.
    PerformanceBand("good", ENHANCE_BELOW_RATE),
    PerformanceBand("poor", 0.0),
)
PERFORMANCE_CATEGORIES: tuple[str, ...] = tuple(band.name for band in PERFORMANCE_BANDS)


def performance_category(rate: float) -> str:
    """Name the performance band of a telemetry rate."""
    for band in PERFORMANCE_BANDS:
        if rate >= band.lowest_rate:
            return band.name
    return PERFORMANCE_BANDS[-1].name


def tone_sentiment(tone: str) -> float:
    """Score a tone word or phrase in [-1, 1] as the mean of its words known to the lexicon, 0 if none is."""
    scores = [TONE_SENTIMENT[word] for word in re.findall(r"[a-z]+", tone.lower()) if word in TONE_SENTIMENT]
    return sum(scores) / len(scores) if scores else 0.0


def normalize_name(name: str) -> str:
    """Fold a prop, character or location name to the form the rules compare."""
    return " ".join(name.split()).casefold()


def validate(previous: SceneState | None, current: SceneState) -> Validation:
    """Compare a scene with the previous one by the engine's three rules."""
    confidence, issues = 1.0, []
    if previous is not None:
        props = {normalize_name(prop) for prop in current.props}
        for prop in previous.props:
            if normalize_name(prop) not in props:
                confidence *= LOST_PROP_FACTOR
                issues.append(f"{prop} disappeared (was in scene {previous.id})")
        if normalize_name(previous.location) == normalize_name(current.location):
            characters = {normalize_name(character) for character in current.characters}
            for character in previous.characters:
                if normalize_name(character) not in characters:
                    confidence *= VANISHED_CHARACTER_FACTOR
                    issues.append(f"{character} vanished from {previous.location}")
        if abs(tone_sentiment(previous.tone) - tone_sentiment(current.tone)) > TONE_WHIPLASH:
            confidence *= TONE_WHIPLASH_FACTOR
            issues.append(f"Tone jumped: {previous.tone} → {current.tone}")
    confidence = round(confidence, 4)
    passed = confidence >= PASSING_CONFIDENCE
    return Validation(confidence=confidence, passed=passed, ask_human=not passed, issues=issues)

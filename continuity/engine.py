"""The continuity engine's rules: validation, tone, prompt enhancement, scene text and telemetry bands; no Django."""

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

PASSING_CONFIDENCE = 0.6
TONE_WHIPLASH = 0.8
LOST_PROP_FACTOR = 0.7
VANISHED_CHARACTER_FACTOR = 0.5
TONE_WHIPLASH_FACTOR = 0.6
NEVER_TRIED_RATE = 0.8
ENHANCE_BELOW_RATE = 0.5

PROP_PERSISTENCE = "prop_persistence"
CHARACTER_LOCATION = "character_location"
TONE_WHIPLASH_RULE = "tone_whiplash"
RULES: tuple[str, ...] = (PROP_PERSISTENCE, CHARACTER_LOCATION, TONE_WHIPLASH_RULE)
# A rule's severity follows its factor: a vanished character alone fails a scene, a tone jump
# alone leaves it exactly at the pass mark, a lost prop costs least.
SEVERITIES: dict[str, str] = {CHARACTER_LOCATION: "high", TONE_WHIPLASH_RULE: "medium", PROP_PERSISTENCE: "low"}
# Issues the app wrote as plain strings carry no rule; their rule is recovered from the message.
LEGACY_RULE = "unknown"
LEGACY_MESSAGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (PROP_PERSISTENCE, re.compile(r"^(?P<element>.+) disappeared \(was in scene -?\d+\)$")),
    (CHARACTER_LOCATION, re.compile(r"^(?P<element>.+) vanished from .+$")),
    (TONE_WHIPLASH_RULE, re.compile(r"^Tone jumped: .* (?:→|->) (?P<element>.*)$")),
)


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
class Issue:
    """One problem a rule found: which rule, about which element, in words, and how serious."""

    rule: str
    element: str
    message: str
    severity: str

    def as_json(self) -> dict[str, str]:
        """The issue as stored in `continuity_logs.issues` and answered by the API."""
        return {"rule": self.rule, "element": self.element, "message": self.message, "severity": self.severity}


@dataclass(frozen=True)
class Validation:
    """The engine's verdict on a scene: confidence, whether it passed, whether to ask the writer, and why."""

    confidence: float
    passed: bool
    ask_human: bool
    issues: list[Issue] = field(default_factory=list)


def _issue(rule: str, element: str, message: str) -> Issue:
    return Issue(rule=rule, element=element, message=message, severity=SEVERITIES[rule])


def issue_from_json(value: Any) -> Issue:
    """Read a stored issue of either shape: an object of the engine's, or a plain string the app wrote."""
    if isinstance(value, Mapping):
        rule = str(value.get("rule") or LEGACY_RULE)
        return Issue(
            rule=rule,
            element=str(value.get("element") or ""),
            message=str(value.get("message") or value.get("element") or rule),
            severity=str(value.get("severity") or SEVERITIES.get(rule, "")),
        )
    message = value if isinstance(value, str) else str(value)
    for rule, pattern in LEGACY_MESSAGES:
        if match := pattern.match(message):
            return _issue(rule, match["element"], message)
    return Issue(rule=LEGACY_RULE, element="", message=message, severity="")


def issues_from_json(value: Any) -> list[Issue]:
    """Read a stored `issues` column: a JSON array of either shape; anything else holds no issue."""
    return [issue_from_json(item) for item in value] if isinstance(value, list) else []


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


@functools.cache
def _sentiment_analyzer() -> SentimentIntensityAnalyzer:
    # VADER reads its lexicon from the installed package once; nothing is downloaded.
    return SentimentIntensityAnalyzer()


@functools.lru_cache(maxsize=4096)
def tone_sentiment(tone: str) -> float:
    """Score a tone word or phrase in [-1, 1]: VADER's compound score."""
    return _sentiment_analyzer().polarity_scores(tone)["compound"]


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
                issues.append(_issue(PROP_PERSISTENCE, prop, f"{prop} disappeared (was in scene {previous.id})"))
        if normalize_name(previous.location) == normalize_name(current.location):
            characters = {normalize_name(character) for character in current.characters}
            for character in previous.characters:
                if normalize_name(character) not in characters:
                    confidence *= VANISHED_CHARACTER_FACTOR
                    message = f"{character} vanished from {previous.location}"
                    issues.append(_issue(CHARACTER_LOCATION, character, message))
        if abs(tone_sentiment(previous.tone) - tone_sentiment(current.tone)) > TONE_WHIPLASH:
            confidence *= TONE_WHIPLASH_FACTOR
            message = f"Tone jumped: {previous.tone} → {current.tone}"
            issues.append(_issue(TONE_WHIPLASH_RULE, current.tone, message))
    confidence = round(confidence, 4)
    passed = confidence >= PASSING_CONFIDENCE
    return Validation(confidence=confidence, passed=passed, ask_human=not passed, issues=issues)


def element_rates(counts: Iterable[tuple[str, int, int]]) -> dict[str, float]:
    """Telemetry rates by normalized element from (element, attempts, successes); untried elements are left out."""
    totals: dict[str, tuple[int, int]] = {}
    for element, attempts, successes in counts:
        tried, shown = totals.get(normalize_name(element), (0, 0))
        totals[normalize_name(element)] = (tried + attempts, shown + successes)
    return {element: shown / tried for element, (tried, shown) in totals.items() if tried}


def element_rate(rates: Mapping[str, float], element: str) -> float:
    """An element's rate from `element_rates`, NEVER_TRIED_RATE when it was never tried."""
    return rates.get(normalize_name(element), NEVER_TRIED_RATE)


def enhance_prompt(previous: SceneState | None, current: SceneState, rates: Mapping[str, float]) -> str:
    """Strengthen the scene's prompt: insist on props that rarely show up, keep returning characters' looks."""
    prompt = current.prompt
    for prop in current.props:
        if element_rate(rates, prop) < ENHANCE_BELOW_RATE:
            prompt += f", CLEARLY SHOWING {prop}"
    returning = {normalize_name(character) for character in previous.characters} if previous else set()
    for character in current.characters:
        if normalize_name(character) in returning:
            prompt += f", {character} with same appearance as previous scene"
    return prompt


# A scene heading, "INT. DINER - NIGHT" (the editor's drafts start with it), and the demo's
# visual prompt, "Medium shot, interior, Diner, night. … Featuring Eli, Delia; visible: envelope. Mood: tense."
HEADING = re.compile(
    r"^\s*(?:INT\.?/EXT|EXT\.?/INT|I/E|INT|EXT|EST)\.?\s+(?P<location>[^.]+?)(?:\s+-\s+[^.]*)?(?:\.|$)"
)
SETTING = re.compile(r"\b(?:interior and exterior|interior|exterior),\s*(?P<location>[^,.]+)", re.IGNORECASE)
FEATURING = re.compile(r"\bFeaturing\s+(?P<names>[^;.]+)")
VISIBLE = re.compile(r"\bvisible:\s*(?P<props>[^.;]+)", re.IGNORECASE)
MOOD = re.compile(r"\bMood:\s*(?P<tone>[^.;]+)", re.IGNORECASE)
# Screenplay action introduces a character in capitals: "MAYA (30s) counts her tips."
CAPITALISED_NAME = re.compile(r"\b(?P<name>[A-Z][A-Z'\u2019-]+(?:\s+[A-Z][A-Z'\u2019-]+)*)\b(?![a-z])")
NOT_NAMES = frozenset(
    {"INT", "EXT", "EST", "I/E", "DAY", "NIGHT", "CONTINUOUS", "LATER", "CUT", "TO", "FADE", "IN", "OUT"}
)


@dataclass(frozen=True)
class SceneText:
    """What a scene draft's prompt tells about its scene: where, who, which props and the mood, where it says so."""

    location: str
    characters: list[str]
    props: list[str]
    tone: str


def _words_title(text: str) -> str:
    return " ".join(word[:1].upper() + word[1:].lower() for word in text.split())


def _listed(text: str) -> list[str]:
    return [item.strip() for item in re.split(r",|\band\b", text) if item.strip()]


def parse_scene_text(text: str) -> SceneText:
    """Read the location, characters, props and tone of a scene from its heading and prompt."""
    heading = HEADING.match(text) or SETTING.search(text)
    location = _words_title(heading["location"]) if heading else ""
    featuring = FEATURING.search(text)
    if featuring:
        characters = _listed(featuring["names"])
    else:
        body = text[heading.end() :] if heading else text
        found = (
            _words_title(match["name"]) for match in CAPITALISED_NAME.finditer(body) if match["name"] not in NOT_NAMES
        )
        characters = list(dict.fromkeys(name for name in found if len(name) > 1))
    visible = VISIBLE.search(text)
    mood = MOOD.search(text)
    return SceneText(
        location=location,
        characters=characters,
        props=_listed(visible["props"]) if visible else [],
        tone=mood["tone"].strip() if mood else "",
    )

"""Writes of scene states, continuity logs and telemetry: validation, telemetry records, scenes started from drafts."""

import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DataError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from clips.models import SceneDraft
from clips.selectors import scene_draft_list
from continuity import engine
from continuity.models import ContinuityLog, SceneLink, SceneState, Telemetry
from continuity.selectors import engine_scene, scene_state_before, scene_state_list, telemetry_list, telemetry_rates
from directorstudio.errors import Conflict, InvalidInput, NotFound
from directorstudio.services import row_create_idempotent, row_update
from screenplays.fountain import Scene, prompt_heading, scan_scenes
from screenplays.selectors import screenplay_list

SCENE_FIELDS = ("location", "characters", "props", "prompt", "tone")


def telemetry_rate(*, attempts: int, successes: int) -> float:
    """Return successes / attempts, or 0 for an element with no attempts stored yet.

    The engine's "never tried counts as 0.8" applies to elements without a row; a stored row
    with no attempts has no success either.
    """
    return successes / attempts if attempts else 0.0


def telemetry_create(*, user_id: uuid.UUID, values: dict[str, Any]) -> tuple[Telemetry, bool]:
    """Create the user's telemetry row for an element, or return the one already stored for it unchanged."""
    attempts = values.get("attempts", 0)
    successes = values.get("successes", 0)
    return row_create_idempotent(
        model=Telemetry,
        user_id=user_id,
        values={
            **values,
            "attempts": attempts,
            "successes": successes,
            "rate": telemetry_rate(attempts=attempts, successes=successes),
            "user_id": user_id,
        },
        key_fields=("element",),
    )


def telemetry_update(*, telemetry: Telemetry, values: dict[str, Any]) -> Telemetry:
    """Change a telemetry row's counts (or timestamp) and recompute its rate."""
    attempts = values.get("attempts", telemetry.attempts)
    successes = values.get("successes", telemetry.successes)
    return row_update(row=telemetry, values={**values, "rate": telemetry_rate(attempts=attempts, successes=successes)})


@dataclass(frozen=True)
class SceneValidation:
    """One scene's validation as stored and answered: the scene, the engine's verdict and the enhanced prompt."""

    scene_id: int
    validation: engine.Validation
    enhanced_prompt: str


def scene_states_validate(
    *, user_id: uuid.UUID, scenes: Sequence[Mapping[str, Any]], opens_sequence: bool = False
) -> list[SceneValidation]:
    """Validate scenes in order, store each as the user's scene state and log every validation, all or nothing.

    Each scene is compared with its `previous_id` when given, else with the scene before it in
    `scenes`; the first with the user's state of the greatest id below its own, or with nothing
    when `opens_sequence`.
    """
    ids = [scene["id"] for scene in scenes]
    if len(set(ids)) != len(ids):
        raise InvalidInput({"scenes": ["Each scene id may appear only once."]})
    if any(scene.get("previous_id") == scene["id"] for scene in scenes):
        raise InvalidInput({"previous_id": ["A scene cannot be compared with itself."]})
    with transaction.atomic():
        referenced = {scene["previous_id"] for scene in scenes if scene.get("previous_id") is not None}
        known = {row.id: engine_scene(row) for row in scene_state_list(user_id=user_id).filter(id__in=referenced)}
        before = None if opens_sequence or not scenes else scene_state_before(user_id=user_id, scene_id=ids[0])
        previous = engine_scene(before) if before is not None else None
        rates = telemetry_rates(user_id=user_id)
        results = []
        for scene in scenes:
            current = engine.SceneState(id=scene["id"], **{name: scene[name] for name in SCENE_FIELDS})
            if (previous_id := scene.get("previous_id")) is not None:
                if previous_id not in known:
                    raise InvalidInput({"previous_id": [f"You have no scene state {previous_id}."]})
                previous = known[previous_id]
            validation = engine.validate(previous, current)
            results.append(SceneValidation(current.id, validation, engine.enhance_prompt(previous, current, rates)))
            known[current.id] = previous = current
        now = timezone.now()
        SceneState.objects.bulk_create(
            [
                SceneState(
                    user_id=user_id,
                    id=scene["id"],
                    timestamp=now,
                    created_at=now,
                    updated_at=now,
                    **{name: scene[name] for name in SCENE_FIELDS},
                )
                # By id, so concurrent validations of the same scenes lock them in one order.
                for scene in sorted(scenes, key=lambda scene: scene["id"])
            ],
            update_conflicts=True,
            unique_fields=["user_id", "id"],
            update_fields=[*SCENE_FIELDS, "updated_at"],
        )
        ContinuityLog.objects.bulk_create(
            ContinuityLog(
                user_id=user_id,
                scene_id=result.scene_id,
                confidence=result.validation.confidence,
                passed=result.validation.passed,
                issues=[issue.as_json() for issue in result.validation.issues],
                timestamp=now,
                created_at=now,
            )
            for result in results
        )
    return results


# One statement per element, the arithmetic done by PostgreSQL on the row it locks, so
# concurrent records of the same element add up instead of overwriting each other.
TELEMETRY_RECORD = """
INSERT INTO continuity_telemetry AS t (user_id, element, attempts, successes, rate, "timestamp", created_at, updated_at)
VALUES (%(user_id)s, %(element)s, %(attempts)s, %(successes)s,
        %(successes)s::double precision / %(attempts)s, now(), now(), now())
ON CONFLICT (user_id, element) DO UPDATE SET
    attempts = t.attempts + EXCLUDED.attempts,
    successes = t.successes + EXCLUDED.successes,
    rate = (t.successes + EXCLUDED.successes)::double precision / (t.attempts + EXCLUDED.attempts),
    updated_at = now()
"""


def telemetry_record(*, user_id: uuid.UUID, records: Sequence[Mapping[str, Any]]) -> list[Telemetry]:
    """Count attempts and successes of prompt elements (`{"element", "appeared"}`) and answer their rows.

    Counters that would pass PostgreSQL's integer range are a Conflict (`telemetry_full`).
    """
    counts: dict[str, tuple[int, int]] = {}
    for record in records:
        attempts, successes = counts.get(record["element"], (0, 0))
        counts[record["element"]] = (attempts + 1, successes + bool(record["appeared"]))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Sorted, so two calls that share elements lock their rows in the same order.
            for element, (attempts, successes) in sorted(counts.items()):
                cursor.execute(
                    TELEMETRY_RECORD,
                    {"user_id": user_id, "element": element, "attempts": attempts, "successes": successes},
                )
    except DataError:
        raise Conflict("These counters cannot count any higher.", code="telemetry_full") from None
    return list(telemetry_list(user_id=user_id).filter(element__in=counts))


def _script_scenes(*, user_id: uuid.UUID, drafts: Iterable[SceneDraft]) -> dict[uuid.UUID, Scene]:
    """The screenplay scene each draft was made from, for drafts of a project that is one of the user's screenplays.

    A draft made from a scene keeps its heading at the start of its prompt; drafts of one heading
    take that heading's scenes in timeline order. A draft whose prompt no longer opens with a
    heading of its screenplay has none.
    """
    by_project: dict[str, list[SceneDraft]] = defaultdict(list)
    for draft in sorted(drafts, key=lambda draft: draft.order_index):
        by_project[draft.project_id].append(draft)
    contents = dict(
        screenplay_list(user_id=user_id)
        .filter(pk__in=[project for project in by_project if _is_uuid(project)])
        .values_list("id", "content")
    )
    found: dict[uuid.UUID, Scene] = {}
    for screenplay_id, content in contents.items():
        scenes: dict[str, deque[Scene]] = defaultdict(deque)
        for scene in scan_scenes(content, elements=True):
            scenes[scene.heading].append(scene)
        for draft in by_project[str(screenplay_id)]:
            heading = prompt_heading(draft.prompt_text, scenes)
            if heading is not None and scenes[heading]:
                found[draft.id] = scenes[heading].popleft()
    return found


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def scene_states_start_from_drafts(*, user_id: uuid.UUID, scene_draft_ids: Sequence[uuid.UUID]) -> list[SceneState]:
    """Start a scene state for each scene draft without one, from its prompt, numbered after the user's last state.

    The link from draft to state is kept in `continuity_scene_links`; a draft already linked
    keeps its state. A draft that is not the user's is NotFound.
    """
    with transaction.atomic():
        # One numbering per user at a time: the next ids come from the current greatest one.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"continuity-states:{user_id}"])
        drafts = {draft.id: draft for draft in scene_draft_list(user_id=user_id).filter(id__in=scene_draft_ids)}
        if len(drafts) != len(set(scene_draft_ids)):
            raise NotFound("No such scene draft.")
        # Links whose state was deleted since are dropped, so their drafts start afresh and their ids are free.
        SceneLink.objects.owned_by(user_id).exclude(
            scene_state_id__in=scene_state_list(user_id=user_id).values("id")
        ).delete()
        linked = set(
            SceneLink.objects.owned_by(user_id)
            .filter(scene_draft_id__in=drafts)
            .values_list("scene_draft_id", flat=True)
        )
        next_id = (scene_state_list(user_id=user_id).aggregate(last=Max("id"))["last"] or 0) + 1
        now = timezone.now()
        script_scenes = _script_scenes(user_id=user_id, drafts=drafts.values())
        started: dict[uuid.UUID, SceneState] = {}
        for draft_id in dict.fromkeys(scene_draft_ids):
            if draft_id in linked:
                continue
            prompt = drafts[draft_id].prompt_text
            text = engine.parse_scene_text(prompt)
            scene = script_scenes.get(draft_id)
            started[draft_id] = SceneState(
                user_id=user_id,
                id=next_id + len(started),
                location=text.location,
                characters=list(scene.characters) if scene else text.characters,
                props=list(dict.fromkeys([*scene.props, *text.props])) if scene else text.props,
                prompt=prompt,
                tone=text.tone,
                timestamp=now,
                created_at=now,
                updated_at=now,
            )
        SceneState.objects.bulk_create(started.values())
        SceneLink.objects.bulk_create(
            SceneLink(scene_draft_id=draft_id, user_id=user_id, scene_state_id=state.id, created_at=now)
            for draft_id, state in started.items()
        )
    return list(started.values())

"""Reads of scene states, continuity logs, telemetry and the continuity views, always within one user's rows."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from clips.models import SceneDraft
from clips.selectors import scene_draft_list
from continuity import engine
from continuity.models import (
    ContinuityLog,
    DailyAnalytics,
    RecentValidation,
    SceneLink,
    SceneState,
    Telemetry,
    TelemetryPerformance,
)
from directorstudio.errors import InvalidInput, NotFound


def scene_state_list(*, user_id: uuid.UUID | None) -> QuerySet[SceneState]:
    """The user's scene states, by the app's scene number."""
    return SceneState.objects.owned_by(user_id).order_by("id")


def continuity_log_list(*, user_id: uuid.UUID | None) -> QuerySet[ContinuityLog]:
    """The user's continuity validations, newest first."""
    return ContinuityLog.objects.owned_by(user_id).order_by("-timestamp", "id")


def telemetry_list(*, user_id: uuid.UUID | None) -> QuerySet[Telemetry]:
    """The user's telemetry, one row per prompt element, by element."""
    return Telemetry.objects.owned_by(user_id).order_by("element")


def daily_analytics_list(*, user_id: uuid.UUID | None) -> QuerySet[DailyAnalytics]:
    """The user's validations per UTC day, newest day first."""
    return DailyAnalytics.objects.owned_by(user_id).order_by("-validation_date")


def recent_validation_list(*, user_id: uuid.UUID | None) -> QuerySet[RecentValidation]:
    """The user's validations of the last seven days, newest first."""
    return RecentValidation.objects.owned_by(user_id).order_by("-timestamp", "scene_id")


def telemetry_performance_list(*, user_id: uuid.UUID | None) -> QuerySet[TelemetryPerformance]:
    """The user's telemetry with its performance category, by element."""
    return TelemetryPerformance.objects.owned_by(user_id).order_by("element")


def scene_state_before(*, user_id: uuid.UUID | None, scene_id: int) -> SceneState | None:
    """The user's scene state with the greatest id below `scene_id`: the scene a new one follows by default."""
    return SceneState.objects.owned_by(user_id).filter(id__lt=scene_id).order_by("-id").first()


def telemetry_rates(*, user_id: uuid.UUID | None) -> dict[str, float]:
    """The user's telemetry rates by normalized element, for prompt enhancement; untried elements are absent."""
    return engine.element_rates(Telemetry.objects.owned_by(user_id).values_list("element", "attempts", "successes"))


def engine_scene(row: SceneState) -> engine.SceneState:
    """A stored scene state as the engine compares it."""
    return engine.SceneState(
        id=row.id, location=row.location, characters=row.characters, props=row.props, prompt=row.prompt, tone=row.tone
    )


def prompt_enhanced(*, user_id: uuid.UUID, scene: Mapping[str, Any], previous_id: int | None = None) -> str:
    """Apply the enhancement rules to a scene with the user's telemetry and their previous scene state.

    The previous state is `previous_id`, else the state with the greatest id below the scene's
    `id`, else none (a scene without `id` keeps no character's look).
    """
    current = engine.SceneState(
        id=scene.get("id", 0),
        location=scene.get("location", ""),
        characters=scene.get("characters", []),
        props=scene.get("props", []),
        prompt=scene.get("prompt", ""),
        tone=scene.get("tone", ""),
    )
    if previous_id is not None:
        row = SceneState.objects.owned_by(user_id).filter(id=previous_id).first()
        if row is None:
            raise InvalidInput({"previous_id": [f"You have no scene state {previous_id}."]})
    elif "id" in scene:
        row = scene_state_before(user_id=user_id, scene_id=scene["id"])
    else:
        row = None
    previous = engine_scene(row) if row is not None else None
    return engine.enhance_prompt(previous, current, telemetry_rates(user_id=user_id))


@dataclass(frozen=True)
class ProjectScene:
    """One scene of a project's timeline on the continuity page: its draft, linked state and latest validation."""

    draft: SceneDraft
    state: SceneState | None
    log: ContinuityLog | None

    @property
    def issues(self) -> list[engine.Issue]:
        """The latest validation's issues, whichever shape they were stored in."""
        return engine.issues_from_json(self.log.issues) if self.log else []


def project_scene_list(*, user_id: uuid.UUID, project_id: str) -> list[ProjectScene]:
    """The project's scene drafts in timeline order with their linked scene states and latest validations.

    A project nobody of this user's drafts belongs to is NotFound.
    """
    drafts = list(scene_draft_list(user_id=user_id).filter(project_id=project_id))
    if not drafts:
        raise NotFound("No such project.")
    links = dict(
        SceneLink.objects.owned_by(user_id)
        .filter(scene_draft_id__in=[draft.id for draft in drafts])
        .values_list("scene_draft_id", "scene_state_id")
    )
    states = {state.id: state for state in scene_state_list(user_id=user_id).filter(id__in=links.values())}
    logs = {
        log.scene_id: log
        for log in ContinuityLog.objects.owned_by(user_id)
        .filter(scene_id__in=states)
        .order_by("scene_id", "-timestamp")
        .distinct("scene_id")
    }
    scenes = []
    for draft in drafts:
        state = states.get(links.get(draft.id))
        scenes.append(ProjectScene(draft=draft, state=state, log=logs.get(state.id) if state else None))
    return scenes


def scene_draft_checks(*, user_id: uuid.UUID, project_id: str) -> dict[str, dict[str, Any]]:
    """The latest validation of each of the project's scene drafts that has one, by draft id, for its timeline card."""
    return {
        str(scene.draft.id): {
            "passed": scene.log.passed,
            "confidence": scene.log.confidence,
            "issues": [issue.message for issue in scene.issues],
        }
        for scene in project_scene_list(user_id=user_id, project_id=project_id)
        if scene.log is not None
    }


def scene_state_drafts(*, user_id: uuid.UUID | None, scene_ids: Iterable[int]) -> dict[int, SceneDraft]:
    """The scene draft each of the user's scene states was started from, by state id, for those linked to one."""
    links = SceneLink.objects.owned_by(user_id).filter(scene_state_id__in=list(scene_ids)).select_related("scene_draft")
    return {link.scene_state_id: link.scene_draft for link in links}


def recent_log_list(*, user_id: uuid.UUID | None, days: int = 7) -> QuerySet[ContinuityLog]:
    """The user's validations of the last `days` days with their issues, newest first."""
    return continuity_log_list(user_id=user_id).filter(timestamp__gte=timezone.now() - timedelta(days=days))

"""The continuity app's relations on `/rest/v1`, and its function: validating a sequence of scenes."""

import uuid
from typing import Any

from continuity import selectors
from continuity.models import ContinuityLog, SceneState
from continuity.serializers import (
    ContinuityLogSerializer,
    SceneStateSerializer,
    TelemetrySerializer,
    ValidateBatchSerializer,
    ValidationResultSerializer,
)
from continuity.services import scene_states_validate, telemetry_create, telemetry_update
from directorstudio.facade.rest.registry import (
    Function,
    Relation,
    owned_row_create,
    plain_row_delete,
    plain_row_update,
    register,
    register_function,
)


def _telemetry_create(*, user_id: uuid.UUID, values: dict[str, Any]) -> tuple[Any, bool]:
    return telemetry_create(user_id=user_id, values=values)


def _telemetry_update(*, user_id: uuid.UUID, row: Any, values: dict[str, Any]) -> Any:
    return telemetry_update(telemetry=row, values=values)


register(
    Relation(
        name="continuity_scene_states",
        rows=selectors.scene_state_list,
        serializer=SceneStateSerializer,
        create=owned_row_create(SceneState),
        update=plain_row_update,
        delete=plain_row_delete,
    )
)
register(
    Relation(
        name="continuity_logs",
        rows=selectors.continuity_log_list,
        serializer=ContinuityLogSerializer,
        create=owned_row_create(ContinuityLog),
        delete=plain_row_delete,
    )
)
register(
    Relation(
        name="continuity_telemetry",
        rows=selectors.telemetry_list,
        serializer=TelemetrySerializer,
        create=_telemetry_create,
        update=_telemetry_update,
        conflict_keys=(("element",), ("user_id", "element")),
    )
)
register(Relation(name="continuity_daily_analytics", rows=selectors.daily_analytics_list))
register(Relation(name="continuity_recent_validations", rows=selectors.recent_validation_list))
register(Relation(name="continuity_telemetry_performance", rows=selectors.telemetry_performance_list))


def validate_continuity(*, user_id: uuid.UUID, scenes: list, opens_sequence: bool) -> list[dict[str, Any]]:
    """Each scene validated against the one before, stored as a scene state and logged, all or nothing."""
    results = scene_states_validate(user_id=user_id, scenes=scenes, opens_sequence=opens_sequence)
    return ValidationResultSerializer(results, many=True).data


register_function(Function(name="validate_continuity", call=validate_continuity, arguments=ValidateBatchSerializer))

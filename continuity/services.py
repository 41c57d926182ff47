import uuid
from typing import Any

from continuity.models import Telemetry
from directorstudio.services import row_create_idempotent, row_update


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

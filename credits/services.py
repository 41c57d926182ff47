import uuid

from django.db import IntegrityError

from credits.models import CreditsLedger
from directorstudio.exceptions import RowConflict
from directorstudio.services import row_create_idempotent


class UserKeyTaken(RowConflict):
    default_detail = "This user key cannot be registered."
    default_code = "user_key_taken"


def ledger_register(
    *, user_id: uuid.UUID, user_key: str, ledger_id: uuid.UUID | None = None
) -> tuple[CreditsLedger, bool]:
    """Open a ledger row with no credits for the user's Apple-account key, or return the user's row for that key.

    A key is registered once: a repeat by the same user (same `id` or same `user_key`) returns the
    stored row; a key or id registered to anybody else is a conflict that shows nothing of that row.
    """
    owned_rows = CreditsLedger.objects.filter(user_id=user_id)
    existing = owned_rows.filter(user_key=user_key).first()
    if existing is not None:
        return existing, False
    values = {"user_id": user_id, "user_key": user_key, **({"id": ledger_id} if ledger_id is not None else {})}
    try:
        return row_create_idempotent(owned_rows=owned_rows, values=values)
    except IntegrityError:
        existing = owned_rows.filter(user_key=user_key).first()
        if existing is not None:  # a concurrent repeat of the same registration won the race
            return existing, False
        raise UserKeyTaken() from None

"""Every change of a credit balance: the only place that writes `credits_ledger.credits`."""

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from credits.models import CreditsLedger
from directorstudio.errors import Conflict, InsufficientCredits, InvalidInput
from directorstudio.services import row_create_idempotent

CLIP_JOB_COST = 1


class UserKeyTaken(Conflict):
    """The Apple-account key is registered to somebody else."""

    code = "user_key_taken"
    message = "This user key cannot be registered."


def ledger_register(
    *, user_id: uuid.UUID, user_key: str, ledger_id: uuid.UUID | None = None
) -> tuple[CreditsLedger, bool]:
    """Open a ledger row with no credits for the user's Apple-account key, or return the user's row for that key.

    A key is registered once: a repeat by the same user (same `id` or same `user_key`) returns the
    stored row; a key or id registered to anybody else is a conflict that shows nothing of that row.
    """
    owned_rows = CreditsLedger.objects.owned_by(user_id)
    existing = owned_rows.filter(user_key=user_key).first()
    if existing is not None:
        return existing, False
    values = {"user_id": user_id, "user_key": user_key, **({"id": ledger_id} if ledger_id is not None else {})}
    try:
        return row_create_idempotent(model=CreditsLedger, user_id=user_id, values=values)
    except IntegrityError:
        existing = owned_rows.filter(user_key=user_key).first()
        if existing is not None:  # a concurrent repeat of the same registration won the race
            return existing, False
        raise UserKeyTaken() from None


def credits_spend_for_clip_job(*, user_id: uuid.UUID, user_key: str) -> CreditsLedger:
    """Take one clip's credit from the user's ledger row for `user_key`; too few credits is InsufficientCredits.

    The ledger row is locked, so concurrent spends never take the same credit twice. The first
    spend after the free first clip was granted marks that clip consumed.
    """
    with transaction.atomic():
        ledger = CreditsLedger.objects.select_for_update().owned_by(user_id).filter(user_key=user_key).first()
        if ledger is None or ledger.credits < CLIP_JOB_COST:
            raise InsufficientCredits(credits=ledger.credits if ledger is not None else 0)
        ledger.credits -= CLIP_JOB_COST
        ledger.updated_at = timezone.now()
        if ledger.first_clip_granted and not ledger.first_clip_consumed:
            ledger.first_clip_consumed = True
        ledger.save(update_fields=["credits", "first_clip_consumed", "updated_at"])
    return ledger


def credits_first_clip_grant(*, ledger_id: uuid.UUID) -> CreditsLedger:
    """Grant a key its free first clip (one credit), once ever; a repeat changes nothing."""
    with transaction.atomic():
        ledger = CreditsLedger.objects.select_for_update().get(pk=ledger_id)
        if not ledger.first_clip_granted:
            ledger.credits += 1
            ledger.first_clip_granted = True
            ledger.granted_at = ledger.updated_at = timezone.now()
            ledger.save(update_fields=["credits", "first_clip_granted", "granted_at", "updated_at"])
    return ledger


def credits_grant(*, ledger_id: uuid.UUID, amount: int) -> CreditsLedger:
    """Add `amount` (more than zero) credits to a ledger row."""
    if amount <= 0:
        raise InvalidInput({"amount": ["Must be greater than zero."]})
    with transaction.atomic():
        ledger = CreditsLedger.objects.select_for_update().get(pk=ledger_id)
        ledger.credits += amount
        ledger.updated_at = timezone.now()
        ledger.save(update_fields=["credits", "updated_at"])
    return ledger

"""Every change of a credit balance: the only place that writes `credits_ledger.credits`.

Each change locks the ledger row, applies a signed amount (never below zero) and appends a
`CreditMovement`, so the sum of a key's movements always equals its balance.
"""

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from credits import appstore
from credits.models import CREDITS_MAX, CreditMovement, CreditsLedger, MovementReason
from directorstudio.errors import Conflict, InsufficientCredits, InvalidInput, NotFound
from directorstudio.services import row_create_idempotent

CLIP_JOB_COST = 1
FIRST_CLIP_CREDITS = 1
# One grant or revoke by staff moves at most this many credits (a typo guard, not a policy).
ADMIN_MOVE_MAX = 100_000
# App Store notification types that take a purchase's credits back.
STORE_TAKE_BACK = frozenset({"REFUND", "REVOKE"})


class UserKeyTaken(Conflict):
    """The Apple-account key is registered to somebody else."""

    code = "user_key_taken"
    message = "This user key cannot be registered."


class TransactionTaken(Conflict):
    """An App Store transaction already credited somebody else's key."""

    code = "transaction_taken"
    message = "This purchase has already been used."


def _move(
    *,
    ledger: CreditsLedger,
    amount: int,
    reason: MovementReason,
    note: str = "",
    clip_job_id: uuid.UUID | None = None,
    app_store_transaction_id: str | None = None,
    staff_user_id: uuid.UUID | None = None,
) -> CreditMovement:
    """Apply `amount` to a ledger row the caller has locked, and record the movement; never below zero."""
    balance = ledger.credits + amount
    if balance < 0:
        raise InsufficientCredits(credits=ledger.credits)
    if balance > CREDITS_MAX:
        raise InvalidInput(
            {"amount": [f"A key may hold at most {CREDITS_MAX} credits; this one has {ledger.credits}."]}
        )
    now = timezone.now()
    ledger.credits = balance
    ledger.updated_at = now
    ledger.save(update_fields=["credits", "first_clip_granted", "first_clip_consumed", "granted_at", "updated_at"])
    return CreditMovement.objects.create(
        ledger=ledger,
        user_key=ledger.user_key,
        amount=amount,
        balance_after=balance,
        reason=reason,
        note=note,
        clip_job_id=clip_job_id,
        app_store_transaction_id=app_store_transaction_id,
        staff_user_id=staff_user_id,
        created_at=now,
    )


def _locked_ledger(*, user_id: uuid.UUID, user_key: str) -> CreditsLedger | None:
    return CreditsLedger.objects.select_for_update().owned_by(user_id).filter(user_key=user_key).first()


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


def ledger_claim_first_clip(*, user_id: uuid.UUID, user_key: str) -> CreditsLedger:
    """Bind the key's ledger row to the user (creating it, or taking a row the app wrote before sign-in) and grant
    the free first clip, once per key ever; repeated or concurrent claims grant once and answer the same row."""
    while True:
        with transaction.atomic():
            ledger = CreditsLedger.objects.select_for_update().filter(user_key=user_key).first()
            if ledger is not None:
                if ledger.user_id is None:
                    ledger.user_id = user_id
                    ledger.save(update_fields=["user_id"])
                elif ledger.user_id != user_id:
                    raise UserKeyTaken()
                _first_clip_grant(ledger=ledger)
                return ledger
        try:
            with transaction.atomic():
                CreditsLedger.objects.create(user_id=user_id, user_key=user_key)
        except IntegrityError:
            pass  # a concurrent claim created the row first: lock it on the next turn


def _first_clip_grant(*, ledger: CreditsLedger) -> None:
    if ledger.first_clip_granted:
        return
    ledger.first_clip_granted = True
    ledger.granted_at = timezone.now()
    _move(ledger=ledger, amount=FIRST_CLIP_CREDITS, reason=MovementReason.FIRST_CLIP)


def credits_first_clip_grant(*, ledger_id: uuid.UUID) -> CreditsLedger:
    """Grant a key its free first clip (one credit), once ever; a repeat changes nothing."""
    with transaction.atomic():
        ledger = CreditsLedger.objects.select_for_update().get(pk=ledger_id)
        _first_clip_grant(ledger=ledger)
    return ledger


def credits_spend_for_clip_job(*, user_id: uuid.UUID, user_key: str, clip_job_id: uuid.UUID) -> CreditsLedger:
    """Take one clip's credit from the user's ledger row for `user_key`; too few credits is InsufficientCredits.

    The ledger row is locked, so concurrent spends never take the same credit twice. The first
    spend after the free first clip was granted marks that clip consumed.
    """
    with transaction.atomic():
        ledger = _locked_ledger(user_id=user_id, user_key=user_key)
        if ledger is None:
            raise InsufficientCredits(credits=0)
        if ledger.first_clip_granted and not ledger.first_clip_consumed:
            ledger.first_clip_consumed = True
        _move(ledger=ledger, amount=-CLIP_JOB_COST, reason=MovementReason.CLIP_JOB, clip_job_id=clip_job_id)
    return ledger


def credits_refund_for_clip_job(
    *, clip_job_id: uuid.UUID, note: str = "", staff_user_id: uuid.UUID | None = None
) -> CreditsLedger | None:
    """Give back the credit a clip job was paid with, once ever; None when it was never paid or is refunded.

    Staff who cancel a job give their reason and name, kept on the refund.
    """
    spend = CreditMovement.objects.filter(clip_job_id=clip_job_id, reason=MovementReason.CLIP_JOB).first()
    if spend is None:
        return None
    with transaction.atomic():
        ledger = CreditsLedger.objects.select_for_update().get(pk=spend.ledger_id)
        # Checked under the ledger lock, which every refund of this job takes first.
        if CreditMovement.objects.filter(clip_job_id=clip_job_id, reason=MovementReason.CLIP_JOB_REFUND).exists():
            return None
        _move(
            ledger=ledger,
            amount=-spend.amount,
            reason=MovementReason.CLIP_JOB_REFUND,
            note=note,
            clip_job_id=clip_job_id,
            staff_user_id=staff_user_id,
        )
    return ledger


def _staff_amount(amount: int) -> None:
    if not 0 < amount <= ADMIN_MOVE_MAX:
        raise InvalidInput({"amount": [f"Must be a whole number from 1 to {ADMIN_MOVE_MAX}."]})


def credits_grant(
    *,
    ledger_id: uuid.UUID,
    amount: int,
    note: str,
    staff_user_id: uuid.UUID | None = None,
    reason: MovementReason = MovementReason.ADMIN_GRANT,
) -> CreditsLedger:
    """Add `amount` credits to a ledger row, with the reason people will read in its history."""
    _staff_amount(amount)
    if not note.strip():
        raise InvalidInput({"note": ["Say why the credits are granted."]})
    with transaction.atomic():
        ledger = CreditsLedger.objects.select_for_update().get(pk=ledger_id)
        _move(ledger=ledger, amount=amount, reason=reason, note=note.strip(), staff_user_id=staff_user_id)
    return ledger


def credits_revoke(*, ledger_id: uuid.UUID, amount: int, note: str, staff_user_id: uuid.UUID | None) -> CreditsLedger:
    """Take `amount` credits from a ledger row (at most its balance), with the reason people will read."""
    _staff_amount(amount)
    if not note.strip():
        raise InvalidInput({"note": ["Say why the credits are revoked."]})
    with transaction.atomic():
        ledger = CreditsLedger.objects.select_for_update().get(pk=ledger_id)
        if amount > ledger.credits:
            raise InvalidInput({"amount": [f"This row has {ledger.credits} credits: revoke at most that many."]})
        _move(
            ledger=ledger,
            amount=-amount,
            reason=MovementReason.ADMIN_REVOKE,
            note=note.strip(),
            staff_user_id=staff_user_id,
        )
    return ledger


def credits_purchase(*, user_id: uuid.UUID, user_key: str, signed_transaction: str) -> tuple[CreditsLedger, bool]:
    """Credit a verified App Store purchase to the user's row for `user_key`, once per transaction ever.

    Returns the row and whether this call credited it; a repeat of the same transaction answers
    the row unchanged, and a transaction that already credited somebody else's key is a conflict.
    """
    purchase = appstore.verified_purchase(signed_transaction=signed_transaction)
    with transaction.atomic():
        ledger = _locked_ledger(user_id=user_id, user_key=user_key)
        if ledger is None:
            raise NotFound("You have no ledger row for this user key: claim it first.")
        earlier = CreditMovement.objects.filter(
            app_store_transaction_id=purchase.transaction_id, reason=MovementReason.PURCHASE
        ).first()
        if earlier is not None:
            if earlier.ledger_id != ledger.pk:
                raise TransactionTaken()
            return ledger, False
        try:
            with transaction.atomic():
                _move(
                    ledger=ledger,
                    amount=purchase.credits,
                    reason=MovementReason.PURCHASE,
                    note=f"{purchase.product_id} ({purchase.environment})",
                    app_store_transaction_id=purchase.transaction_id,
                )
        except IntegrityError:  # the same transaction credited another key at this very moment
            raise TransactionTaken() from None
    return ledger, True


def credits_app_store_notification(*, signed_payload: str) -> CreditMovement | None:
    """Apply a verified App Store Server Notification: a REFUND or REVOKE takes the purchase's credits back.

    What is left is taken, never below zero; the shortfall is written in the movement's note.
    Other notifications, unknown transactions and repeats change nothing (None).
    """
    notification = appstore.verified_notification(signed_payload=signed_payload)
    if notification.notification_type not in STORE_TAKE_BACK or notification.purchase is None:
        return None
    transaction_id = notification.purchase.transaction_id
    purchase = CreditMovement.objects.filter(
        app_store_transaction_id=transaction_id, reason=MovementReason.PURCHASE
    ).first()
    if purchase is None:
        return None
    with transaction.atomic():
        ledger = CreditsLedger.objects.select_for_update().get(pk=purchase.ledger_id)
        if CreditMovement.objects.filter(
            app_store_transaction_id=transaction_id, reason=MovementReason.APP_STORE_REFUND
        ).exists():
            return None
        taken = min(purchase.amount, ledger.credits)
        shortfall = purchase.amount - taken
        note = f"{notification.notification_type} of {purchase.amount} credits"
        if shortfall:
            note += f"; {shortfall} had already been spent and could not be taken back"
        return _move(
            ledger=ledger,
            amount=-taken,
            reason=MovementReason.APP_STORE_REFUND,
            note=note,
            app_store_transaction_id=transaction_id,
        )

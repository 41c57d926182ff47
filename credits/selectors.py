"""Reads of the credits ledger and user statistics, always within one user's rows."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from credits.models import CreditMovement, CreditsLedger, MovementReason, UserStatistics
from directorstudio.errors import InsufficientCredits


def credits_ledger_list(*, user_id: uuid.UUID | None) -> QuerySet[CreditsLedger]:
    """The user's ledger rows, one per registered Apple-account key, most recently changed first."""
    return CreditsLedger.objects.owned_by(user_id).order_by("-updated_at", "id")


def user_statistics_list(*, user_id: uuid.UUID | None) -> QuerySet[UserStatistics]:
    """The user's row of the user_statistics view."""
    return UserStatistics.objects.owned_by(user_id).order_by("user_id")


def ledger_discrepancies() -> QuerySet[CreditsLedger]:
    """Ledger rows whose balance differs from the sum of their movements, each with that sum as `moved`."""
    return (
        CreditsLedger.objects.annotate(moved=Coalesce(Sum("movements__amount"), Value(0)))
        .exclude(credits=F("moved"))
        .order_by("user_key")
    )


def ledger_latest_movement_mismatches() -> QuerySet[CreditsLedger]:
    """Ledger rows whose balance is not the one their latest movement left (0 without one), it as `moved`.

    One probe of the ledger's movements index per row, where ledger_discrepancies sums every movement: a
    balance changed outside the credits services shows here; a movement changed or removed afterwards
    shows only in ledger_discrepancies (`manage.py credits_reconcile`).
    """
    latest = CreditMovement.objects.filter(ledger=OuterRef("pk")).order_by("-created_at").values("balance_after")
    return (
        CreditsLedger.objects.annotate(moved=Coalesce(Subquery(latest[:1]), Value(0)))
        .exclude(credits=F("moved"))
        .order_by("user_key")
    )


@dataclass(frozen=True)
class CreditsDay:
    """Where credits went on one day: bought in the App Store, spent on clips, refunded, granted, taken back."""

    day: date
    bought: int = 0
    spent: int = 0
    refunded: int = 0
    granted: int = 0
    taken_back: int = 0


# Which movements make each figure of a CreditsDay; spent and taken back are counted as positive numbers.
DAILY_FLOWS = {
    "bought": (1, [MovementReason.PURCHASE]),
    "spent": (-1, [MovementReason.CLIP_JOB]),
    "refunded": (1, [MovementReason.CLIP_JOB_REFUND]),
    "granted": (1, [MovementReason.ADMIN_GRANT, MovementReason.FIRST_CLIP, MovementReason.OPENING_BALANCE]),
    "taken_back": (-1, [MovementReason.ADMIN_REVOKE, MovementReason.APP_STORE_REFUND]),
}


def credits_daily_flows(*, start: date, end: date) -> list[CreditsDay]:
    """Every day from `start` to `end` (in the site's time zone) with the credits that moved on it."""
    first = timezone.make_aware(datetime.combine(start, time.min))
    rows = (
        CreditMovement.objects.filter(created_at__gte=first)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day")
        .annotate(
            **{
                name: Coalesce(Sum("amount", filter=Q(reason__in=reasons)), Value(0)) * sign
                for name, (sign, reasons) in DAILY_FLOWS.items()
            }
        )
    )
    by_day = {row.pop("day"): row for row in rows}
    days = (start + timedelta(days=offset) for offset in range((end - start).days + 1))
    return [CreditsDay(day, **by_day.get(day, {})) for day in days]


def credits_cover_check(*, user_id: uuid.UUID, user_key: str, amount: int) -> CreditsLedger:
    """The user's ledger row for `user_key` when it holds at least `amount` credits; InsufficientCredits otherwise."""
    ledger = credits_ledger_list(user_id=user_id).filter(user_key=user_key).first()
    if ledger is None or ledger.credits < amount:
        raise InsufficientCredits(credits=0 if ledger is None else ledger.credits)
    return ledger

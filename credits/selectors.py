"""Reads of the credits ledger and user statistics, always within one user's rows."""

import uuid

from django.db.models import F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from credits.models import CreditsLedger, UserStatistics


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

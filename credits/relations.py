"""The credits app's relations on `/rest/v1`, and its functions: checking, claiming and buying credits."""

import uuid
from typing import Any

from rest_framework import serializers

from credits.models import CreditsLedger
from credits.selectors import credits_cover_check, credits_ledger_list, user_statistics_list
from credits.serializers import CreditsLedgerSerializer, PurchaseSerializer, UserKeySerializer
from credits.services import credits_purchase, ledger_claim_first_clip, ledger_register
from directorstudio.facade.rest.registry import Function, Relation, register, register_function


def _ledger_register(*, user_id: uuid.UUID, values: dict[str, Any]) -> tuple[CreditsLedger, bool]:
    return ledger_register(user_id=user_id, user_key=values["user_key"], ledger_id=values.get("id"))


register(
    Relation(
        name="credits_ledger",
        rows=credits_ledger_list,
        serializer=CreditsLedgerSerializer,
        create=_ledger_register,
        # Balances move only through the credits services (purchases, grants, clip jobs), never by a write.
        protected=frozenset({"credits", "first_clip_granted", "first_clip_consumed", "granted_at"}),
        conflict_keys=(("id",), ("user_key",)),
    )
)
register(Relation(name="user_statistics", rows=user_statistics_list))


class ConsumeCreditsArguments(UserKeySerializer):
    """`consume_credits(user_key, amount)`."""

    amount = serializers.IntegerField(min_value=1, max_value=1000, default=1)


def consume_credits(*, user_id: uuid.UUID, user_key: str, amount: int) -> int:
    """The balance when it covers `amount`, else P0001 with the balance: the check before a clip job's insert.

    The credit itself is taken by the `clip_jobs` insert that follows (one transaction with the job), so
    the app's call sequence "consume_credits, then insert the clip job" spends one credit per clip, not two.
    """
    return credits_cover_check(user_id=user_id, user_key=user_key, amount=amount).credits


def claim_first_clip(*, user_id: uuid.UUID, user_key: str) -> dict[str, Any]:
    """The key's ledger row, bound to the user, with the free first clip granted once per key ever."""
    return CreditsLedgerSerializer(ledger_claim_first_clip(user_id=user_id, user_key=user_key)).data


def verify_purchase(*, user_id: uuid.UUID, user_key: str, signed_transaction: str) -> dict[str, Any]:
    """A StoreKit 2 purchase verified against Apple's roots and credited once; the ledger row after it."""
    ledger, _ = credits_purchase(user_id=user_id, user_key=user_key, signed_transaction=signed_transaction)
    return CreditsLedgerSerializer(ledger).data


register_function(Function(name="consume_credits", call=consume_credits, arguments=ConsumeCreditsArguments))
register_function(Function(name="claim_first_clip", call=claim_first_clip, arguments=UserKeySerializer))
register_function(Function(name="verify_purchase", call=verify_purchase, arguments=PurchaseSerializer))

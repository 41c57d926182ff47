"""The credits' metrics, read from the database at each scrape: movements by reason, their count and credits."""

from collections.abc import Iterator

from django.db.models import Count, Sum
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from credits.models import CreditMovement, MovementReason


class CreditMovementsCollector(Collector):
    """Credit movements by reason since the ledger began: how many, and the credits they added or took."""

    def collect(self) -> Iterator[CounterMetricFamily]:
        rows = {reason: (0, 0) for reason in MovementReason.values}
        rows.update(
            (reason, (count, credits or 0))
            for reason, count, credits in CreditMovement.objects.values_list("reason")
            .annotate(count=Count("id"), credits=Sum("amount"))
            .order_by()
        )
        movements = CounterMetricFamily(
            "directorstudio_credit_movements", "Credit movements by reason.", labels=["reason"]
        )
        credits = CounterMetricFamily(
            "directorstudio_credit_movement_credits",
            "Credits moved by reason (added positive, taken negative).",
            labels=["reason"],
        )
        for reason, (count, amount) in sorted(rows.items()):
            movements.add_metric([reason], count)
            credits.add_metric([reason], amount)
        yield movements
        yield credits

"""Carry what the operations page reads in the movements' indexes: each balance left, each day's reasons and amounts.

The page checks every ledger row against the balance its latest movement left, and sums the
credits of each day, from these indexes alone, without reading the movements' rows.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built CONCURRENTLY so an existing (Supabase) database keeps taking writes meanwhile.
    atomic = False

    dependencies = [("credits", "0006_bounded_balances")]

    operations = [
        RemoveIndexConcurrently(model_name="creditmovement", name="credits_movements_ledger_idx"),
        AddIndexConcurrently(
            model_name="creditmovement",
            index=models.Index(
                fields=["ledger", "-created_at"], include=["balance_after"], name="credits_movements_ledger_idx"
            ),
        ),
        RemoveIndexConcurrently(model_name="creditmovement", name="credits_movements_created_idx"),
        AddIndexConcurrently(
            model_name="creditmovement",
            index=models.Index(
                fields=["-created_at"], include=["reason", "amount"], name="credits_movements_created_idx"
            ),
        ),
    ]

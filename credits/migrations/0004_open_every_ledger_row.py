"""Open every existing ledger row (Supabase's or the demo's) with an opening-balance movement.

From then on the sum of a key's movements equals its balance, which `credits_reconcile` checks.
Rows with a negative balance are left for `credits_reconcile` to report.
"""

from django.db import migrations

OPEN_LEDGER_ROWS = """
INSERT INTO credits_movements (id, ledger_id, user_key, amount, balance_after, reason, note, created_at)
SELECT gen_random_uuid(), ledger.id, ledger.user_key, ledger.credits, ledger.credits, 'opening_balance',
       'The balance when the movement history began.', now()
FROM credits_ledger AS ledger
WHERE NOT EXISTS (SELECT 1 FROM credits_movements AS movement WHERE movement.ledger_id = ledger.id)
  -- A negative balance (possible in a database adopted without the CHECK) opens nothing:
  -- credits_reconcile then reports the row instead of the history hiding it.
  AND ledger.credits >= 0
"""


class Migration(migrations.Migration):
    dependencies = [("credits", "0003_credit_movements")]

    operations = [migrations.RunSQL(OPEN_LEDGER_ROWS, migrations.RunSQL.noop)]

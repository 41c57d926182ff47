"""Give a database adopted with `migrate --fake-initial` the ledger's indexes and constraints.

The checks are added NOT VALID first, so rows that break one (a negative balance) are reported,
not lost; duplicated keys keep the unique constraint from being made and are reported too.
"""

from django.db import migrations

from directorstudio.supabase import declared_constraints_adopt


def adopt(apps, schema_editor):
    declared_constraints_adopt(schema_editor=schema_editor, models=[apps.get_model("credits", "CreditsLedger")])


class Migration(migrations.Migration):
    dependencies = [("credits", "0004_open_every_ledger_row")]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]

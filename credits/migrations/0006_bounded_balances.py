"""Bound a key's balance, and keep user_statistics answering when a user's keys sum past an integer.

The check is added through the adoption path (NOT VALID, then validated), so a database that
already holds a larger balance keeps the row and reports it. The view caps its integer column
instead of failing the whole query with an overflow.
"""

import importlib

from django.db import migrations, models

from directorstudio.supabase import declared_constraints_adopt

user_statistics = importlib.import_module("credits.migrations.0002_user_statistics_view")
UNCAPPED = "COALESCE(ledger_totals.credits, 0)::integer AS credits"
CAPPED = "LEAST(COALESCE(ledger_totals.credits, 0), 2147483647)::integer AS credits"


def adopt(apps, schema_editor):
    declared_constraints_adopt(schema_editor=schema_editor, models=[apps.get_model("credits", "CreditsLedger")])


def view_with(sql: str):
    """Replace user_statistics with `sql` over the users of this database, keeping the view's options."""

    def replace(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('auth.users') IS NOT NULL")
            has_auth_users = cursor.fetchone()[0]
            cursor.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass('user_statistics')")
            options = cursor.fetchone()
        users = user_statistics.SUPABASE_AND_LOCAL_USERS if has_auth_users else user_statistics.LOCAL_USERS
        schema_editor.execute(f"CREATE OR REPLACE VIEW user_statistics AS {sql.format(users=users)}")
        if options and options[0]:
            schema_editor.execute(f"ALTER VIEW user_statistics SET ({', '.join(options[0])})")

    return replace


class Migration(migrations.Migration):
    dependencies = [("credits", "0005_adopt_existing_database")]

    operations = [
        # The state learns of the check first, so that `adopt` (which reads the state's models) adds it.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="creditsledger",
                    constraint=models.CheckConstraint(
                        condition=models.Q(credits__lte=1_000_000), name="credits_ledger_credits_at_most_the_maximum"
                    ),
                )
            ],
        ),
        migrations.RunPython(adopt, migrations.RunPython.noop),
        migrations.RunPython(
            view_with(user_statistics.USER_STATISTICS.replace(UNCAPPED, CAPPED)),
            view_with(user_statistics.USER_STATISTICS),
        ),
    ]

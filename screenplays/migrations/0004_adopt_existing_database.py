"""Give a database adopted with `migrate --fake-initial` what the initial migration would have made.

The declared indexes and checks are added where missing (checks NOT VALID first, so rows that
break one are reported, not lost), and the foreign keys of sections and revisions cascade in the
database, so a screenplay deleted straight in Supabase takes them along.
"""

from django.db import migrations

from directorstudio.supabase import declared_constraints_adopt

# A screenplay deleted straight in Supabase takes its sections and its history along.
CASCADING_TABLES = ("screenplay_sections", "screenplay_revisions")


def cascade_sql(table: str) -> str:
    return f"""
DO $$
DECLARE foreign_key record;
BEGIN
    FOR foreign_key IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = '{table}'::regclass AND contype = 'f' AND confrelid = 'screenplays'::regclass
    LOOP
        EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', foreign_key.conname);
    END LOOP;
END $$;
ALTER TABLE {table} ADD CONSTRAINT {table}_screenplay_id_fkey
    FOREIGN KEY (screenplay_id) REFERENCES screenplays (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE {table} VALIDATE CONSTRAINT {table}_screenplay_id_fkey;
"""


def adopt(apps, schema_editor):
    models = [apps.get_model("screenplays", name) for name in ("Screenplay", "ScreenplaySection")]
    declared_constraints_adopt(schema_editor=schema_editor, models=models)


class Migration(migrations.Migration):
    dependencies = [("screenplays", "0003_screenplay_revisions")]

    operations = [
        migrations.RunPython(adopt, migrations.RunPython.noop),
        *(migrations.RunSQL(cascade_sql(table), migrations.RunSQL.noop) for table in CASCADING_TABLES),
    ]

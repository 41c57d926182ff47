"""Create the project_overview view: scene drafts per user and project."""

from django.db import migrations

PROJECT_OVERVIEW = """
SELECT
    project_id,
    user_id,
    count(*) AS scene_count,
    sum(duration) AS total_duration,
    min(created_at) AS project_created_at,
    max(updated_at) AS last_updated
FROM scene_drafts
GROUP BY user_id, project_id
"""


def replace_view(schema_editor, name, query):
    # CREATE OR REPLACE keeps an existing view's grants but resets its options
    # (Supabase projects often set security_invoker), so those are put back.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)", [name])
        row = cursor.fetchone()
    schema_editor.execute(f"CREATE OR REPLACE VIEW {name} AS {query}")
    if row and row[0]:
        schema_editor.execute(f"ALTER VIEW {name} SET ({', '.join(row[0])})")


def create_view(apps, schema_editor):
    replace_view(schema_editor, "project_overview", PROJECT_OVERVIEW)


def drop_view(apps, schema_editor):
    schema_editor.execute("DROP VIEW IF EXISTS project_overview")


class Migration(migrations.Migration):

    dependencies = [
        ("clips", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_view, drop_view, elidable=False),
    ]

"""Create the continuity views: daily analytics, recent validations and telemetry performance."""

from django.db import migrations

# validation_date is the UTC day of the log, whatever the session's time zone.
DAILY_ANALYTICS = """
SELECT
    user_id,
    date_trunc('day', "timestamp", 'UTC') AS validation_date,
    count(*) AS total_scenes,
    avg(confidence) AS avg_confidence,
    count(*) FILTER (WHERE passed) AS scenes_passed,
    count(*) FILTER (WHERE NOT passed) AS scenes_failed,
    min(confidence) AS min_confidence,
    max(confidence) AS max_confidence,
    stddev_samp(confidence) AS confidence_stddev
FROM continuity_logs
GROUP BY user_id, date_trunc('day', "timestamp", 'UTC')
"""

# A log whose issues are not a JSON array has no countable issues: NULL rather than an error.
RECENT_VALIDATIONS = """
SELECT
    user_id,
    scene_id,
    confidence,
    passed,
    CASE WHEN jsonb_typeof(issues) = 'array' THEN jsonb_array_length(issues) END::integer AS issue_count,
    "timestamp"
FROM continuity_logs
WHERE "timestamp" >= now() - interval '7 days'
"""

# The 0.5 threshold is the one below which prompt enhancement insists on a prop.
TELEMETRY_PERFORMANCE = """
SELECT
    user_id,
    element,
    attempts,
    successes,
    rate,
    CASE
        WHEN rate >= 0.8 THEN 'excellent'
        WHEN rate >= 0.5 THEN 'good'
        ELSE 'poor'
    END AS performance_category,
    updated_at AS last_updated
FROM continuity_telemetry
"""

VIEWS = {
    "continuity_daily_analytics": DAILY_ANALYTICS,
    "continuity_recent_validations": RECENT_VALIDATIONS,
    "continuity_telemetry_performance": TELEMETRY_PERFORMANCE,
}


def replace_view(schema_editor, name, query):
    # CREATE OR REPLACE keeps an existing view's grants but resets its options
    # (Supabase projects often set security_invoker), so those are put back.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)", [name])
        row = cursor.fetchone()
    schema_editor.execute(f"CREATE OR REPLACE VIEW {name} AS {query}")
    if row and row[0]:
        schema_editor.execute(f"ALTER VIEW {name} SET ({', '.join(row[0])})")


def create_views(apps, schema_editor):
    for name, query in VIEWS.items():
        replace_view(schema_editor, name, query)


def drop_views(apps, schema_editor):
    for name in VIEWS:
        schema_editor.execute(f"DROP VIEW IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("continuity", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_views, drop_views, elidable=False),
    ]

"""Create the user_statistics view: per user, credits, scene drafts, screenplays, completed clips."""

from django.db import migrations

# Our own users. Their id is the Supabase auth user id.
LOCAL_USERS = """
    SELECT id, email
    FROM accounts_user
"""

# In a Supabase database: the auth users as well, with the email Supabase holds for them.
SUPABASE_AND_LOCAL_USERS = """
    SELECT
        COALESCE(auth_user.id, local_user.id) AS id,
        COALESCE(auth_user.email, local_user.email) AS email
    FROM auth.users AS auth_user
    FULL JOIN accounts_user AS local_user ON local_user.id = auth_user.id
"""

# Each source is aggregated per user before the join, so counts are never multiplied.
# A user without ledger rows has 0 credits; GREATEST ignores the sources a user has no rows in.
# email has the type of auth.users.email, varchar(255): CREATE OR REPLACE VIEW refuses to change
# a column's type, so a Supabase view reading auth.users could not be replaced otherwise.
USER_STATISTICS = """
SELECT
    users.id AS user_id,
    users.email::character varying(255) AS email,
    COALESCE(ledger_totals.credits, 0)::integer AS credits,
    COALESCE(scene_totals.total, 0) AS total_scenes,
    COALESCE(screenplay_totals.total, 0) AS total_screenplays,
    COALESCE(clip_totals.completed, 0) AS completed_videos,
    GREATEST(
        ledger_totals.last_activity,
        scene_totals.last_activity,
        screenplay_totals.last_activity,
        clip_totals.last_activity
    ) AS last_activity
FROM ({users}) AS users
LEFT JOIN (
    SELECT user_id, sum(credits) AS credits, max(updated_at) AS last_activity
    FROM credits_ledger
    GROUP BY user_id
) AS ledger_totals ON ledger_totals.user_id = users.id
LEFT JOIN (
    SELECT user_id, count(*) AS total, max(updated_at) AS last_activity
    FROM scene_drafts
    GROUP BY user_id
) AS scene_totals ON scene_totals.user_id = users.id
LEFT JOIN (
    SELECT user_id, count(*) AS total, max(updated_at) AS last_activity
    FROM screenplays
    GROUP BY user_id
) AS screenplay_totals ON screenplay_totals.user_id = users.id
LEFT JOIN (
    SELECT
        user_id,
        count(*) FILTER (WHERE status = 'completed') AS completed,
        max(GREATEST(submitted_at, completed_at)) AS last_activity
    FROM clip_jobs
    GROUP BY user_id
) AS clip_totals ON clip_totals.user_id = users.id
"""


def create_view(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('auth.users') IS NOT NULL")
        has_auth_users = cursor.fetchone()[0]
        # CREATE OR REPLACE keeps an existing view's grants but resets its options
        # (Supabase projects often set security_invoker), so those are put back.
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass('user_statistics')")
        row = cursor.fetchone()
    users = SUPABASE_AND_LOCAL_USERS if has_auth_users else LOCAL_USERS
    schema_editor.execute(f"CREATE OR REPLACE VIEW user_statistics AS {USER_STATISTICS.format(users=users)}")
    if row and row[0]:
        schema_editor.execute(f"ALTER VIEW user_statistics SET ({', '.join(row[0])})")


def drop_view(apps, schema_editor):
    schema_editor.execute("DROP VIEW IF EXISTS user_statistics")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("clips", "0001_initial"),
        ("credits", "0001_initial"),
        ("screenplays", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_view, drop_view, elidable=False),
    ]

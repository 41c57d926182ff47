"""What running on a Supabase database asks of the server beyond the schema."""

from django.apps import apps
from django.conf import settings
from django.core.cache.backends.db import DatabaseCache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder

# The relations of schema.md, shared with the mobile app: Supabase's own policies rule them.
# Every other table is the server's, and is closed to Supabase's Data API.
SHARED_RELATIONS = frozenset(
    {
        "screenplays",
        "screenplay_sections",
        "scene_drafts",
        "clip_jobs",
        "credits_ledger",
        "continuity_scene_states",
        "continuity_logs",
        "continuity_telemetry",
        "video_uploads",
        "project_overview",
        "user_statistics",
        "continuity_daily_analytics",
        "continuity_recent_validations",
        "continuity_telemetry_performance",
    }
)


def is_supabase_database(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """A Supabase database is recognised by its `auth.users` table."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regclass('auth.users') IS NOT NULL")
        return cursor.fetchone()[0]


def server_table_names() -> set[str]:
    """The tables the server itself creates (its models', Django's migrations and cache tables), not the shared ones."""
    tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    tables.add(MigrationRecorder.Migration._meta.db_table)
    tables.update(
        cache["LOCATION"]
        for cache in settings.CACHES.values()
        if cache["BACKEND"] == f"{DatabaseCache.__module__}.{DatabaseCache.__name__}"
    )
    return tables - SHARED_RELATIONS


def server_tables_close_to_data_api(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """On a Supabase database, turn on row-level security for the server's own tables; return those changed.

    Supabase's Data API answers for every table in `public` to its `anon` and `authenticated`
    roles, and the server's tables hold password hashes, sessions, refresh tokens and the
    credit history. Row-level security with no policy shuts those roles out, while the server,
    connecting as the tables' owner, is not affected.
    """
    if not is_supabase_database(using=using):
        return []
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
            " AND relkind IN ('r', 'p') AND NOT relrowsecurity AND relname = ANY(%s)",
            [sorted(server_table_names())],
        )
        to_close = [name for (name,) in cursor.fetchall()]
        for table in to_close:
            cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} ENABLE ROW LEVEL SECURITY")
    return sorted(to_close)

"""What running on a Supabase database asks of the server beyond the schema."""

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder

# The apps whose tables are the schema's, shared with the mobile app; Supabase's policies rule them.
SCHEMA_APPS = ("screenplays", "clips", "credits", "continuity")


def is_supabase_database(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """A Supabase database is recognised by its `auth.users` table."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regclass('auth.users') IS NOT NULL")
        return cursor.fetchone()[0]


def server_tables_close_to_data_api(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """On a Supabase database, turn on row-level security for the server's own tables; return those changed.

    Supabase's Data API answers for every table in `public` to its `anon` and `authenticated`
    roles, and Django's tables hold password hashes, sessions and refresh tokens. Row-level
    security with no policy shuts those roles out, while the server, connecting as the
    tables' owner, is not affected.
    """
    if not is_supabase_database(using=using):
        return []
    connection = connections[using]
    schema_tables = {model._meta.db_table for name in SCHEMA_APPS for model in apps.get_app_config(name).get_models()}
    server_tables = set(connection.introspection.django_table_names(only_existing=True)) - schema_tables
    server_tables.add(MigrationRecorder.Migration._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
            " AND relkind = 'r' AND NOT relrowsecurity AND relname = ANY(%s)",
            [sorted(server_tables)],
        )
        to_close = [name for (name,) in cursor.fetchall()]
        for table in to_close:
            cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} ENABLE ROW LEVEL SECURITY")
    return sorted(to_close)

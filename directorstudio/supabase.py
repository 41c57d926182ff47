"""What running on a Supabase database asks of the server beyond the schema."""

import logging
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.core.cache.backends.db import DatabaseCache
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import CheckConstraint, Model

logger = logging.getLogger(__name__)

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


def declared_constraints_adopt(*, schema_editor, models: Iterable[type[Model]]) -> list[str]:
    """Create the indexes and constraints `models` declare that an adopted database lacks; return what was refused.

    `migrate --fake-initial` takes a table that already exists as it is, without the initial
    migration's indexes and constraints. A check is added NOT VALID, so it binds new rows at once,
    then validated; existing rows that break it are reported (and kept), as are duplicates that
    keep a unique constraint from being made.
    """
    refused = []
    connection = schema_editor.connection
    for model in models:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s)"
                " UNION SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
                [connection.ops.quote_name(table), table],
            )
            present = {name for (name,) in cursor.fetchall()}
        for index in model._meta.indexes:
            if index.name not in present:
                schema_editor.add_index(model, index)
        for constraint in model._meta.constraints:
            if constraint.name in present:
                continue
            if isinstance(constraint, CheckConstraint):
                refused += _check_add(schema_editor=schema_editor, model=model, constraint=constraint)
                continue
            try:
                with transaction.atomic(using=connection.alias):
                    schema_editor.add_constraint(model, constraint)
            except IntegrityError:
                refused.append(f"{table}: rows break {constraint.name}; fix them and migrate again.")
    for message in refused:
        logger.warning(message)
    return refused


def _check_add(*, schema_editor, model: type[Model], constraint: CheckConstraint) -> list[str]:
    connection = schema_editor.connection
    table, name = (connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(constraint.name))
    condition = constraint._get_check_sql(model, schema_editor)
    schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID")
    with connection.cursor() as cursor:
        # The table and the condition come from the model's own declaration, not from input.
        cursor.execute(f"SELECT count(*) FROM {table} WHERE NOT ({condition})")  # noqa: S608
        breaking = cursor.fetchone()[0]
    if breaking:
        return [
            f"{model._meta.db_table}: {breaking} existing rows break {constraint.name}; it binds new rows, and "
            f"`ALTER TABLE {table} VALIDATE CONSTRAINT {name}` succeeds once they are fixed."
        ]
    schema_editor.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")
    return []

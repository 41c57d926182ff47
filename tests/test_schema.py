"""The migrated database has exactly the relations and columns of the schema file."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from tests.schema_spec import SHARED_SCHEMA, VENDORED_SCHEMA, Column, parse_schema

TABLES = {
    "clip_jobs",
    "continuity_logs",
    "continuity_scene_states",
    "continuity_telemetry",
    "credits_ledger",
    "scene_drafts",
    "screenplay_sections",
    "screenplays",
    "video_uploads",
}
VIEWS = {
    "continuity_daily_analytics",
    "continuity_recent_validations",
    "continuity_telemetry_performance",
    "project_overview",
    "user_statistics",
}
SCHEMA = parse_schema(VENDORED_SCHEMA.read_text())


def database_columns(relation: str) -> list[Column]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT column_name, data_type, is_nullable
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = %s
            ORDER BY ordinal_position
            """,
            [relation],
        )
        return [Column(name, data_type, is_nullable == "YES") for name, data_type, is_nullable in cursor.fetchall()]


def test_schema_file_lists_the_nine_tables_and_five_views():
    assert set(SCHEMA) == TABLES | VIEWS
    for relation in VIEWS:
        assert all(column.nullable for column in SCHEMA[relation]), relation


def test_the_shared_schema_beside_this_checkout_if_any_is_the_vendored_copy():
    """The database is checked against docs/schema.md, always in the repository, so nothing here is skipped."""
    shared = SHARED_SCHEMA.read_text() if SHARED_SCHEMA.exists() else None

    assert shared in (None, VENDORED_SCHEMA.read_text())


@pytest.mark.parametrize(
    "line",
    [
        "  - `id`: UUID (mandatory)",
        "  - `id`: SERIAL (required)",
        "  - id: UUID (required)",
        "### View: `project_overview`",
    ],
)
def test_parser_refuses_lines_it_does_not_understand(line):
    with pytest.raises(ValueError, match="line 3"):
        parse_schema(f"Preamble.\n### Table: `clip_jobs`\n{line}\n")


@pytest.mark.django_db
@pytest.mark.parametrize("relation", sorted(TABLES | VIEWS))
def test_relation_has_exactly_the_schema_columns_in_order(relation):
    assert database_columns(relation) == SCHEMA[relation]


@pytest.mark.django_db
def test_tables_are_base_tables_and_views_are_views():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        table_types = dict(cursor.fetchall())
    assert {relation: table_types.get(relation) for relation in TABLES} == dict.fromkeys(TABLES, "BASE TABLE")
    assert {relation: table_types.get(relation) for relation in VIEWS} == dict.fromkeys(VIEWS, "VIEW")


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


@pytest.mark.django_db
def test_every_declared_index_and_constraint_exists_in_the_migrated_database():
    """Catches a migration that tells Django's state of a constraint but never makes it in the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint UNION SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        )
        present = {name for (name,) in cursor.fetchall()}
    declared = {
        item.name
        for model in apps.get_models()
        if model._meta.managed
        for item in (*model._meta.constraints, *model._meta.indexes)
    }

    assert declared - present == set()

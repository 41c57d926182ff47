"""`migrate --fake-initial` adopts an existing Supabase database without touching its rows."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from directorstudio.supabase import SHARED_RELATIONS, server_table_names, server_tables_close_to_data_api
from tests.schema_spec import parse_schema, schema_path

REPO_DIR = Path(__file__).resolve().parent.parent
ALICE = "00000000-0000-4000-8000-00000000a11c"
BOB = "00000000-0000-4000-8000-000000000b0b"

# Supabase keys each table by `id`, except the two the app keys per user.
PRIMARY_KEYS = {"continuity_telemetry": ("user_id", "element"), "continuity_scene_states": ("user_id", "id")}
TABLES = [
    name for name, columns in parse_schema(schema_path().read_text()).items() if not all(c.nullable for c in columns)
]

SUPABASE_AUTH = """
CREATE SCHEMA auth;
CREATE TABLE auth.users (
    instance_id uuid,
    id uuid PRIMARY KEY,
    aud character varying(255),
    role character varying(255),
    email character varying(255),
    encrypted_password character varying(255),
    raw_user_meta_data jsonb,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid
$$;
"""

SUPABASE_VIEWS = """
CREATE VIEW project_overview WITH (security_invoker = true) AS
SELECT project_id, user_id, count(*) AS scene_count, sum(duration) AS total_duration,
       min(created_at) AS project_created_at, max(updated_at) AS last_updated
FROM scene_drafts GROUP BY project_id, user_id;

CREATE VIEW user_statistics AS
SELECT u.id AS user_id, u.email,
       COALESCE((SELECT sum(c.credits) FROM credits_ledger c WHERE c.user_id = u.id), 0)::integer AS credits,
       (SELECT count(*) FROM scene_drafts s WHERE s.user_id = u.id) AS total_scenes,
       (SELECT count(*) FROM screenplays p WHERE p.user_id = u.id) AS total_screenplays,
       (SELECT count(*) FROM clip_jobs j WHERE j.user_id = u.id AND j.status = 'completed') AS completed_videos,
       (SELECT max(s.updated_at) FROM scene_drafts s WHERE s.user_id = u.id) AS last_activity
FROM auth.users u;

CREATE VIEW continuity_daily_analytics AS
SELECT user_id, date_trunc('day', "timestamp") AS validation_date, count(*) AS total_scenes,
       avg(confidence) AS avg_confidence, count(*) FILTER (WHERE passed) AS scenes_passed,
       count(*) FILTER (WHERE NOT passed) AS scenes_failed, min(confidence) AS min_confidence,
       max(confidence) AS max_confidence, stddev(confidence) AS confidence_stddev
FROM continuity_logs GROUP BY user_id, date_trunc('day', "timestamp");

CREATE VIEW continuity_recent_validations AS
SELECT user_id, scene_id, confidence, passed, jsonb_array_length(issues) AS issue_count, "timestamp"
FROM continuity_logs WHERE "timestamp" > now() - interval '7 days' ORDER BY "timestamp" DESC;

CREATE VIEW continuity_telemetry_performance AS
SELECT user_id, element, attempts, successes, rate,
       CASE WHEN rate >= 0.8 THEN 'excellent' WHEN rate >= 0.5 THEN 'good' ELSE 'poor' END AS performance_category,
       updated_at AS last_updated
FROM continuity_telemetry;
"""

SUPABASE_ROWS = f"""
INSERT INTO auth.users (id, aud, role, email, created_at, updated_at) VALUES
    ('{ALICE}', 'authenticated', 'authenticated', 'alice@supabase.example', '2025-01-02 10:00Z', '2025-01-02 10:00Z'),
    ('{BOB}', 'authenticated', 'authenticated', 'bob@supabase.example', '2025-01-03 10:00Z', '2025-01-03 10:00Z');
INSERT INTO screenplays VALUES
    ('5c000000-0000-4000-8000-000000000001', '{ALICE}', 'Harbour', 'INT. LIGHTHOUSE - NIGHT', 3,
     '2025-02-01 09:00Z', '2025-02-03 09:00Z');
INSERT INTO screenplay_sections VALUES
    ('5e000000-0000-4000-8000-000000000001', '5c000000-0000-4000-8000-000000000001', 'INT. LIGHTHOUSE - NIGHT',
     'The lamp turns.', 0, '2025-02-01 09:00Z');
INSERT INTO scene_drafts VALUES
    ('5d000000-0000-4000-8000-000000000001', '{ALICE}', 'harbour', 0, 'The lamp turns.', 4, 'INT', 'wide',
     '2025-02-02 09:00Z', '2025-02-04 09:00Z'),
    ('5d000000-0000-4000-8000-000000000002', '{ALICE}', 'harbour', 1, 'A gull lands.', 4.5, NULL, NULL,
     '2025-02-02 09:05Z', '2025-02-02 09:05Z');
INSERT INTO clip_jobs VALUES
    ('c1000000-0000-4000-8000-000000000001', '{ALICE}', 'aaaa', 'The lamp turns.', 'completed',
     '2025-02-05 09:00Z', '2025-02-05 09:02Z', 'https://video.example/1.mp4', NULL),
    ('c1000000-0000-4000-8000-000000000002', '{BOB}', 'bbbb', 'A gull lands.', 'failed',
     '2025-02-06 09:00Z', NULL, NULL, 'content policy');
INSERT INTO video_uploads VALUES
    ('f1000000-0000-4000-8000-000000000001', 'harbour', 0, 'alice/harbour/0.mp4', '2025-02-07 09:00', '{ALICE}');
INSERT INTO credits_ledger VALUES
    ('ce000000-0000-4000-8000-000000000001', 'aaaa', 24, true, true, '2025-01-02 10:00Z', '2025-02-05 09:00Z',
     '{ALICE}'),
    ('ce000000-0000-4000-8000-000000000002', 'bbbb', 1, true, false, '2025-01-03 10:00Z', '2025-02-06 09:01Z',
     '{BOB}');
INSERT INTO continuity_scene_states VALUES
    (1, 'LIGHTHOUSE', '["KEEPER"]', '["lamp"]', 'The lamp turns.', 'calm', '2025-02-02 09:00Z', '{ALICE}',
     '2025-02-02 09:00Z', '2025-02-02 09:00Z');
INSERT INTO continuity_logs VALUES
    ('10000000-0000-4000-8000-000000000001', 2, 0.42, '["lamp disappeared (was in scene 1)"]', false,
     now() - interval '1 day', '{ALICE}', now() - interval '1 day');
INSERT INTO continuity_telemetry VALUES
    ('lamp', 4, 3, 0.75, '2025-02-05 09:03Z', '{ALICE}', '2025-02-05 09:03Z', '2025-02-05 09:03Z');
"""


def create_table(table: str) -> sql.Composed:
    columns = parse_schema(schema_path().read_text())[table]
    definitions = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(column.name), sql.SQL(column.data_type), sql.SQL("" if column.nullable else " NOT NULL")
        )
        for column in columns
    ]
    key = PRIMARY_KEYS.get(table, ("id",))
    definitions.append(sql.SQL("PRIMARY KEY ({})").format(sql.SQL(", ").join(map(sql.Identifier, key))))
    return sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), sql.SQL(", ").join(definitions))


def row_dump(database: psycopg.Connection) -> dict[str, list[str]]:
    return {
        table: [
            row[0] for row in database.execute(sql.SQL("SELECT t::text FROM {} AS t ORDER BY 1").format(sql.SQL(table)))
        ]
        for table in [*TABLES, "auth.users"]
    }


@pytest.fixture
def supabase_database():
    """A database shaped like an existing DirectorStudio Supabase project, dropped afterwards."""
    settings = connection.settings_dict
    server = {"user": settings["USER"], "host": settings["HOST"], "port": settings["PORT"], "autocommit": True}
    name = f"supabase_compat_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dbname="postgres", **server) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(dbname=name, **server) as database:
            database.execute(SUPABASE_AUTH)
            for table in TABLES:
                database.execute(create_table(table))
                if table != "screenplay_sections":
                    database.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(sql.Identifier(table)))
                    database.execute(
                        sql.SQL("CREATE POLICY owner_only ON {} USING (auth.uid() = user_id)").format(
                            sql.Identifier(table)
                        )
                    )
            database.execute(
                "ALTER TABLE screenplay_sections"
                " ADD FOREIGN KEY (screenplay_id) REFERENCES screenplays ON DELETE CASCADE"
            )
            database.execute(SUPABASE_VIEWS)
            database.execute(SUPABASE_ROWS)
            yield database
    finally:
        with psycopg.connect(dbname="postgres", **server) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def manage(database: psycopg.Connection, *arguments: str, **environment: str) -> subprocess.CompletedProcess:
    """Run manage.py against `database` as a deployment would: DATABASE_URL in the environment."""
    info = database.info
    url = f"postgres://{info.user}@/{info.dbname}?host={info.host}&port={info.port}"
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=REPO_DIR,
        env={**os.environ, "DATABASE_URL": url, **environment},
        capture_output=True,
        text=True,
        timeout=300,
    )


def migrate_fake_initial(database: psycopg.Connection) -> subprocess.CompletedProcess:
    return manage(database, "migrate", "--fake-initial", "--no-input")


def test_migrate_fake_initial_adopts_a_supabase_database(supabase_database):
    rows_before = row_dump(supabase_database)

    result = migrate_fake_initial(supabase_database)

    assert result.returncode == 0, result.stderr
    for app in ("screenplays", "clips", "credits", "continuity"):
        assert f"Applying {app}.0001_initial... FAKED" in result.stdout
    assert "Applying accounts.0001_initial... OK" in result.stdout
    assert row_dump(supabase_database) == rows_before
    # Every existing ledger row opens its movement history with its balance, so the two agree from day one.
    assert supabase_database.execute(
        "SELECT count(*), bool_and(movement.amount = ledger.credits AND movement.reason = 'opening_balance')"
        " FROM credits_ledger AS ledger JOIN credits_movements AS movement ON movement.ledger_id = ledger.id"
    ).fetchone() == (supabase_database.execute("SELECT count(*) FROM credits_ledger").fetchone()[0], True)

    # The views are ours now, with the options Supabase had given them.
    assert supabase_database.execute(
        "SELECT reloptions FROM pg_class WHERE oid = 'project_overview'::regclass"
    ).fetchone() == (["security_invoker=true"],)
    assert supabase_database.execute(
        "SELECT scene_count, total_duration FROM project_overview WHERE user_id = %s", [ALICE]
    ).fetchall() == [(2, 8.5)]
    assert supabase_database.execute("SELECT issue_count FROM continuity_recent_validations").fetchall() == [(1,)]
    assert supabase_database.execute(
        "SELECT performance_category FROM continuity_telemetry_performance"
    ).fetchall() == [("good",)]
    assert supabase_database.execute("SELECT total_scenes FROM continuity_daily_analytics").fetchall() == [(1,)]


def constraints(database: psycopg.Connection, table: str) -> dict[str, bool]:
    """The table's constraints by name, each with whether PostgreSQL has validated it."""
    return dict(
        database.execute("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = %s::regclass", [table])
    )


def test_migrate_gives_an_adopted_database_the_declared_constraints_and_a_cascading_section_key(supabase_database):
    assert migrate_fake_initial(supabase_database).returncode == 0

    adopted = {
        name: valid
        for table in ("credits_ledger", "screenplays", "scene_drafts", "clip_jobs", "continuity_logs")
        for name, valid in constraints(supabase_database, table).items()
    }
    assert adopted.items() >= {
        ("credits_ledger_credits_nonnegative", True),
        ("credits_ledger_credits_at_most_the_maximum", True),
        ("credits_ledger_user_key_unique", True),
        ("screenplays_version_positive", True),
        ("scene_drafts_duration_at_most_600", True),
        ("clip_jobs_status_known", True),
        ("continuity_logs_confidence_range", True),
    }
    assert {"screenplays_user_updated_idx", "credits_ledger_user_idx", "sections_screenplay_order_idx"} <= {
        name for (name,) in supabase_database.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    }
    screenplay = supabase_database.execute("SELECT screenplay_id FROM screenplay_sections LIMIT 1").fetchone()[0]
    supabase_database.execute("DELETE FROM screenplays WHERE id = %s", [screenplay])
    for table in ("screenplay_sections", "screenplay_revisions"):
        assert supabase_database.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE screenplay_id = %s").format(sql.Identifier(table)), [screenplay]
        ).fetchone() == (0,)


def test_rows_that_break_a_rule_are_reported_and_kept_while_the_rule_binds_new_rows(supabase_database):
    supabase_database.execute(
        "INSERT INTO credits_ledger (id, user_key, credits, user_id) VALUES (gen_random_uuid(), 'overdrawn', -2, %s)",
        [ALICE],
    )

    result = migrate_fake_initial(supabase_database)

    assert result.returncode == 0, result.stderr
    assert "1 existing rows break credits_ledger_credits_nonnegative" in result.stderr
    assert constraints(supabase_database, "credits_ledger")["credits_ledger_credits_nonnegative"] is False
    assert supabase_database.execute("SELECT credits FROM credits_ledger WHERE user_key = 'overdrawn'").fetchone() == (
        -2,
    )
    with pytest.raises(psycopg.errors.CheckViolation):
        supabase_database.execute("UPDATE credits_ledger SET credits = -5 WHERE user_key <> 'overdrawn'")
    reconcile = manage(supabase_database, "credits_reconcile")
    assert reconcile.returncode != 0
    assert "overdrawn" in reconcile.stdout


def test_migrate_closes_the_servers_own_tables_to_the_data_api(supabase_database):
    assert migrate_fake_initial(supabase_database).returncode == 0

    security = dict(
        supabase_database.execute(
            "SELECT relname, relrowsecurity FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
        ).fetchall()
    )
    # Every table but the schema's is the server's, whichever app made it: all of them are closed.
    server_tables = set(security) - SHARED_RELATIONS
    assert {"accounts_user", "accounts_refreshtoken", "django_session", "auth_group"} <= server_tables
    assert server_table_names() == server_tables
    assert {name: security[name] for name in server_tables} == dict.fromkeys(server_tables, True)
    again = migrate_fake_initial(supabase_database)
    assert again.returncode == 0, again.stderr
    assert "No migrations to apply." in again.stdout


def test_the_shared_relations_are_exactly_the_schema_files():
    assert parse_schema(schema_path().read_text()).keys() == SHARED_RELATIONS


@pytest.mark.django_db
def test_a_database_without_supabase_auth_keeps_row_level_security_off():
    assert server_tables_close_to_data_api() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT relrowsecurity FROM pg_class WHERE oid = 'accounts_user'::regclass")
        assert cursor.fetchone() == (False,)


def test_user_statistics_takes_supabase_users_and_their_emails(supabase_database):
    assert migrate_fake_initial(supabase_database).returncode == 0
    # docs/supabase.md, step 6: a staff user only we know, and staff rights for a Supabase user
    # who is known here under another address.
    staff = manage(
        supabase_database,
        "createsuperuser",
        "--no-input",
        "--email",
        "staff@studio.example",
        DJANGO_SUPERUSER_PASSWORD="a long staff password",
    )
    assert staff.returncode == 0, staff.stderr
    promoted = manage(
        supabase_database,
        "shell",
        "-c",
        "from directorstudio.accounts.models import User; "
        f"User.objects.create_superuser(id='{ALICE}', email='alice@elsewhere.example', password='another long one')",
    )
    assert promoted.returncode == 0, promoted.stderr
    (staff_id,) = supabase_database.execute(
        "SELECT id::text FROM accounts_user WHERE email = 'staff@studio.example' AND is_staff"
    ).fetchone()

    rows = supabase_database.execute(
        """
        SELECT user_id::text, email, credits, total_scenes, total_screenplays, completed_videos, last_activity::text
        FROM user_statistics ORDER BY email
        """
    ).fetchall()

    assert rows == [
        (ALICE, "alice@supabase.example", 24, 2, 1, 1, "2025-02-05 09:02:00+00"),
        (BOB, "bob@supabase.example", 1, 0, 0, 0, "2025-02-06 09:01:00+00"),
        (staff_id, "staff@studio.example", 0, 0, 0, 0, None),
    ]

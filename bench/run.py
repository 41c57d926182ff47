"""Measure the admin changelists, the operations page and the REST API lists on big tables: time and SQL queries.

Run from the checkout: `DEBUG=1 .venv/bin/python bench/run.py [--rows 1000000] [--reuse] [--drop]`.
The benchmark keeps its own database, bench_directorstudio, on the embedded PostgreSQL server;
see bench/README.md for what each case measures.
"""

import argparse
import hashlib
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import psycopg
from harness import BASE_DIR, database_url, embedded_admin_url

BENCH_DATABASE = "bench_directorstudio"
USERS = 1000
SMALL_USER_ROWS = 10
LOAD_CHUNK = 250_000
RUNS = 5
# Queries slower than this get their plan printed (EXPLAIN ANALYZE) after the results table.
EXPLAIN_THRESHOLD_MS = 50.0

BIG_USER = "0"  # owns rows USERS, 2*USERS, ...: about rows / USERS of each table
SMALL_USER = "small"

# Every loader selects from `r`: g (the row number), owner (a text key; md5('bench-user-' || owner) is the
# user id, see user_id()), j (the row's number within its owner's rows) and at (a time in the past year).
ROWS_SQL = """
    SELECT g, j, COALESCE(%(owner)s::text, (g %% %(users)s)::text) AS owner,
           (%(subjects)s::text[])[1 + j %% 12] AS subject,
           now() - ((g * 7919) %% 31536000) * interval '1 second' AS at
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g, LATERAL (SELECT g / %(users)s AS j) AS n
"""

CLIP_JOBS_SQL = (
    """
INSERT INTO clip_jobs (id, user_id, user_key, prompt, status, submitted_at, completed_at, download_url, error_message)
SELECT gen_random_uuid(), md5('bench-user-' || owner)::uuid, 'bench-key-' || owner, subject || ', take ' || g,
       status, at, CASE WHEN status IN ('completed', 'failed', 'cancelled') THEN at + interval '3 minutes' END,
       CASE WHEN status = 'completed' THEN 'https://videos.example.com/clips/' || g || '.mp4' END,
       CASE WHEN status = 'failed' THEN 'The video service timed out.' END
FROM ("""
    + ROWS_SQL
    + """) AS r, LATERAL (
    SELECT (ARRAY['queued', 'processing', 'failed', 'failed', 'cancelled', 'cancelled'])[1 + j %% 20] AS picked
) AS p, LATERAL (SELECT COALESCE(picked, 'completed') AS status) AS s
"""
)

# Projects of 100 scenes: md5('bench-project-' || owner || '-' || j / 100), see project_id().
SCENE_DRAFTS_SQL = (
    """
INSERT INTO scene_drafts (id, user_id, project_id, order_index, prompt_text, duration, scene_type, shot_type,
                          created_at, updated_at)
SELECT gen_random_uuid(), md5('bench-user-' || owner)::uuid, md5('bench-project-' || owner || '-' || j / 100)::uuid,
       j %% 100, subject || ', scene ' || g, 2 + g %% 8, CASE WHEN j %% 2 = 0 THEN 'INT' ELSE 'EXT' END,
       (ARRAY['wide', 'medium', 'close-up'])[1 + j %% 3], at, at + interval '1 hour'
FROM ("""
    + ROWS_SQL
    + """) AS r
"""
)

CONTINUITY_LOGS_SQL = (
    """
INSERT INTO continuity_logs (id, scene_id, confidence, issues, passed, timestamp, user_id, created_at)
SELECT gen_random_uuid(), j, confidence,
       CASE WHEN confidence >= 0.6 THEN '[]'::jsonb
            ELSE '["Prop umbrella missing", "Lighting changed from dusk to noon"]'::jsonb END,
       confidence >= 0.6, at, md5('bench-user-' || owner)::uuid, at
FROM ("""
    + ROWS_SQL
    + """) AS r, LATERAL (SELECT ((g * 37) %% 101) / 100.0 AS confidence) AS c
"""
)

# One ledger row per owner; the movements' sum is written into its balance once they are loaded.
CREDITS_LEDGER_SQL = """
INSERT INTO credits_ledger (id, user_key, credits, user_id, updated_at)
SELECT gen_random_uuid(), 'bench-key-' || owner, 0, md5('bench-user-' || owner)::uuid, now()
FROM (SELECT g::text AS owner FROM generate_series(0, %(users)s - 1) AS g UNION ALL SELECT %(small)s) AS o
"""
CREDITS_LEDGER_BALANCES_SQL = """
UPDATE credits_ledger AS ledger SET credits = moved.total
FROM (SELECT ledger_id, SUM(amount) AS total FROM credits_movements GROUP BY ledger_id) AS moved
WHERE ledger.id = moved.ledger_id
"""

# Each owner's k-th movement (k counts from 0): a purchase of 10 every 10th, a clip job's refund every 20th
# (k = 5, 25, ...), otherwise a clip job's credit spent; balance_after is the running sum in closed form, and
# an owner's movements are made in k order, spread over the past year (the owner's last one the latest).
CREDIT_MOVEMENTS_SQL = (
    """
INSERT INTO credits_movements (id, ledger_id, user_key, amount, balance_after, reason, note, clip_job_id,
                               app_store_transaction_id, created_at)
SELECT gen_random_uuid(), ledger.id, ledger.user_key, m.amount,
       10 * (k / 10 + 1) + (k + 15) / 20 - (k + 1 - (k / 10 + 1) - (k + 15) / 20), m.reason, '',
       CASE WHEN m.reason <> 'purchase' THEN md5('bench-job-' || owner || '-' || g)::uuid END,
       CASE WHEN m.reason = 'purchase' THEN 'bench-' || owner || '-' || g END,
       now() - ((%(per_owner)s - k) * step + g %% step) * interval '1 second'
FROM ("""
    + ROWS_SQL
    + """) AS r
JOIN credits_ledger AS ledger ON ledger.user_key = 'bench-key-' || r.owner,
LATERAL (SELECT (g - 1) / %(users)s AS k, 31536000 / %(per_owner)s AS step) AS n,
LATERAL (
    SELECT CASE WHEN k %% 10 = 0 THEN 10 WHEN k %% 20 = 5 THEN 1 ELSE -1 END AS amount,
           CASE WHEN k %% 10 = 0 THEN 'purchase' WHEN k %% 20 = 5 THEN 'clip_job_refund' ELSE 'clip_job' END AS reason
) AS m
"""
)

LOADS = {
    "clip_jobs": CLIP_JOBS_SQL,
    "scene_drafts": SCENE_DRAFTS_SQL,
    "continuity_logs": CONTINUITY_LOGS_SQL,
    "credits_movements": CREDIT_MOVEMENTS_SQL,
}
SUBJECTS = [
    "A lighthouse at dusk",
    "Two detectives argue in the rain",
    "A drone shot over a desert highway",
    "Close-up of a violinist's hands",
    "A crowded night market",
    "A fox crossing a snowy field",
    "An astronaut repairs a satellite",
    "Children running through a sprinkler",
    "A chef plating dessert",
    "Storm clouds over a wheat field",
    "A train leaving the station",
    "A cat asleep on a windowsill",
]


def user_id(owner: str) -> uuid.UUID:
    """The user id the loaders give the owner."""
    return uuid.UUID(hashlib.md5(f"bench-user-{owner}".encode()).hexdigest())  # noqa: S324 - not security


def project_id(owner: str, project: int) -> str:
    """The id the scene drafts loader gives the owner's project."""
    return str(uuid.UUID(hashlib.md5(f"bench-project-{owner}-{project}".encode()).hexdigest()))  # noqa: S324


def prepare_database(*, drop: bool) -> None:
    """Create (or drop) the benchmark database on the embedded server and point DATABASE_URL at it."""
    admin = embedded_admin_url()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]).fetchone()
        if drop:
            connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
            print(f"Dropped {BENCH_DATABASE}.")
            return
        if not exists:
            connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    os.environ["DATABASE_URL"] = database_url(admin, BENCH_DATABASE)


def load_rows(rows: int, *, reuse: bool) -> None:
    """Fill the four big tables with `rows` rows each over USERS users, plus SMALL_USER_ROWS for the small user.

    Each owner also gets one ledger row, whose balance is the sum of its movements.
    """
    from django.db import connection

    expected = rows + SMALL_USER_ROWS
    with connection.cursor() as cursor:
        counts = {}
        for table in LOADS:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - table names are constants
            counts[table] = cursor.fetchone()[0]
        if reuse and all(count == expected for count in counts.values()):
            print(f"Reusing {BENCH_DATABASE}: {expected:,} rows in each table.", file=sys.stderr)
            return
        # CASCADE: tables of the server's own that reference these (continuity_scene_links) go empty with them.
        cursor.execute(f"TRUNCATE {', '.join(LOADS)}, credits_ledger CASCADE")
        started = time.perf_counter()
        cursor.execute(CREDITS_LEDGER_SQL, {"users": USERS, "small": SMALL_USER})
        common = {"subjects": SUBJECTS, "per_owner": -(-rows // USERS)}
        for table, sql in LOADS.items():
            table_started = time.perf_counter()
            for first in range(1, rows + 1, LOAD_CHUNK):
                last = min(first + LOAD_CHUNK - 1, rows)
                cursor.execute(sql, {**common, "owner": None, "users": USERS, "first": first, "last": last})
            print(f"Loaded {rows:,} rows into {table} in {time.perf_counter() - table_started:.1f} s.", file=sys.stderr)
        for sql in LOADS.values():
            # The small user's rows are rows 1..SMALL_USER_ROWS again, with another owner.
            small = {"owner": SMALL_USER, "users": 1, "per_owner": SMALL_USER_ROWS, "first": 1, "last": SMALL_USER_ROWS}
            cursor.execute(sql, {**common, **small})
        cursor.execute(CREDITS_LEDGER_BALANCES_SQL)
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(LOADS)}, credits_ledger")
        print(f"Loaded and analyzed everything in {time.perf_counter() - started:.1f} s.", file=sys.stderr)


@dataclass
class Result:
    surface: str
    case: str
    median_ms: float
    queries: int
    sql_ms: float
    date_hierarchy_ms: float
    slowest_ms: float
    slow_queries: list[tuple[float, str]]  # (ms, SQL) of the last run's queries over EXPLAIN_THRESHOLD_MS


def measure(client, surface: str, case: str, url: str, **headers) -> Result:
    """Request `url` once to warm up, then RUNS times: the median wall time and the queries of the last run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, **headers)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:500]!r}")
    timings = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.get(url, **headers)
            timings.append((time.perf_counter() - started) * 1000)
    query_ms = [(float(query["time"]) * 1000, query["sql"]) for query in captured.captured_queries]
    result = Result(
        surface,
        case,
        statistics.median(timings),
        len(captured.captured_queries),
        sum(ms for ms, _ in query_ms),
        sum(ms for ms, sql in query_ms if is_date_hierarchy_query(sql)),
        max(ms for ms, _ in query_ms),
        [(ms, sql) for ms, sql in query_ms if ms >= EXPLAIN_THRESHOLD_MS],
    )
    print(f"{surface} | {case}: {result.median_ms:.0f} ms, {result.queries} queries", file=sys.stderr)
    return result


def is_date_hierarchy_query(sql: str) -> bool:
    """Whether `sql` is one of the admin date hierarchy's queries: its date range, or the years or months in it."""
    return 'AS "first"' in sql or "DATE_TRUNC(" in sql


def admin_results() -> list[Result]:
    """Measure the changelists of the three big tables and the operations page as a superuser."""
    from django.test import Client
    from django.utils import timezone

    from directorstudio.accounts.models import User

    admin, _ = User.objects.get_or_create(
        email="bench-admin@example.com", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    big_user = user_id(BIG_USER)
    # The parameters of the date filter's "Past 7 days" link.
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    past_week = urlencode({"created_at__gte": today - timedelta(days=7), "created_at__lt": today + timedelta(days=1)})
    cases = {
        "clip_jobs": (
            "/admin/clips/clipjob/",
            [
                ("status = failed", "status__exact=failed"),
                ("search: prompt text", "q=lighthouse"),
                ("search: word in no row", "q=zeppelin"),
                ("date hierarchy: this year", urlencode({"submitted_at__year": today.year})),
                (
                    "date hierarchy: this month",
                    urlencode({"submitted_at__year": today.year, "submitted_at__month": today.month}),
                ),
            ],
        ),
        "scene_drafts": (
            "/admin/clips/scenedraft/",
            [("created in the past 7 days", past_week), ("search: prompt text", "q=lighthouse")],
        ),
        "continuity_logs": (
            "/admin/continuity/continuitylog/",
            [("passed = no", "passed__exact=0"), ("search: scene_id", "q=42")],
        ),
    }
    results = []
    for table, (url, specific) in cases.items():
        common = [("page 1", ""), ("page 500", "p=500"), *specific[:1], ("search: user_id", f"q={big_user}")]
        for case, query in common + specific[1:]:
            results.append(measure(client, f"admin {table}", case, f"{url}?{query}" if query else url))
    # Every clip job and every credit movement feed it: counts, timings, the credits per day, the reconcile.
    results.append(measure(client, "admin operations", "the whole page", "/admin/operations/"))
    return results


def api_results() -> list[Result]:
    """Measure the API lists for a user with rows / USERS rows per table and for one with SMALL_USER_ROWS."""
    from django.test import Client

    from clips.models import ClipJob
    from directorstudio.accounts.models import User
    from directorstudio.accounts.tokens import access_token_issue

    client = Client()
    results = []
    for owner in (BIG_USER, SMALL_USER):
        user, _ = User.objects.get_or_create(id=user_id(owner), defaults={"email": f"bench-{owner}@example.com"})
        token = access_token_issue(user=user).token
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        project = project_id(owner, 0)
        rows = f"{ClipJob.objects.filter(user_id=user.pk).count():,} rows"
        for path, query in [
            ("/api/v1/clip_jobs/", ""),
            ("/api/v1/clip_jobs/", "limit=1000"),
            ("/api/v1/clip_jobs/", "offset=900"),
            ("/api/v1/clip_jobs/", "status=failed"),
            ("/api/v1/scene_drafts/", f"project_id={project}"),
            ("/api/v1/scene_drafts/", ""),
            ("/api/v1/scene_drafts/", "offset=900"),
            ("/api/v1/continuity_logs/", ""),
            ("/api/v1/continuity_logs/", "offset=900"),
        ]:
            url = f"{path}?{query}" if query else path
            case = url.replace(project, "<a project>")
            results.append(measure(client, f"API, user with {rows}", case, url, **headers))
    return results


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| surface | case | median ms | queries | SQL ms | date hierarchy SQL ms | slowest query ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        figures = [r.median_ms, r.queries, r.sql_ms, r.date_hierarchy_ms, r.slowest_ms]
        lines.append(f"| {r.surface} | {r.case} | " + " | ".join(f"{figure:.0f}" for figure in figures) + " |")
    return "\n".join(lines)


def slow_query_plans(results: list[Result]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of every distinct query that took EXPLAIN_THRESHOLD_MS or more."""
    from django.db import connection

    sections, seen = [], set()
    for result in results:
        for ms, sql in result.slow_queries:
            if sql in seen:
                continue
            seen.add(sql)
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            sections.append(
                f"#### {result.surface}: {result.case} ({ms:.0f} ms)\n\n```sql\n{sql}\n```\n\n```\n{plan}\n```"
            )
    return "\n\n".join(sections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in each big table (default 1,000,000)")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded rows when the counts match")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database and stop")
    args = parser.parse_args()

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "directorstudio.settings")
    prepare_database(drop=args.drop)
    if args.drop:
        return

    import django
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()  # lets the test client's "testserver" host in
    call_command("migrate", verbosity=0)
    load_rows(args.rows, reuse=args.reuse)

    started = time.perf_counter()
    results = admin_results() + api_results()
    print(f"Measured in {time.perf_counter() - started:.0f} s.", file=sys.stderr)
    print(f"### {args.rows:,} rows in clip_jobs, scene_drafts, continuity_logs and credits_movements, {USERS} users\n")
    print(markdown_table(results))
    plans = slow_query_plans(results)
    if plans:
        print(f"\n### Plans of the queries that took {EXPLAIN_THRESHOLD_MS:.0f} ms or more\n")
        print(plans)


if __name__ == "__main__":
    main()

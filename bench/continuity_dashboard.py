"""Measure one writer's continuity dashboard over 1,000,000 continuity_logs rows of many users.

Run from the checkout: `DEBUG=1 .venv/bin/python bench/continuity_dashboard.py [--rows 1000000] [--users 2000]`.
It creates its own migrated database, bench_continuity, the way the test suite does (on the embedded
PostgreSQL unless DATABASE_URL is set), fills it with generate_series, times each query the
dashboard runs (EXPLAIN ANALYZE) and the whole page (Django's test client), and drops the database.
"""

import argparse
import statistics
import time
import uuid

import harness

harness.django_setup("bench_continuity", browser=False, force_name=True)

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from directorstudio.accounts.models import User  # noqa: E402

RUNS = 15

# Logs spread over the last year; the writer measured gets `mine` of them, the rest go to `users` others.
FILL_LOGS = """
INSERT INTO continuity_logs (id, user_id, scene_id, confidence, issues, passed, "timestamp", created_at)
SELECT gen_random_uuid(), CASE WHEN n <= %(mine)s THEN %(writer)s::uuid ELSE users.ids[1 + n %% %(users)s] END,
       1 + n %% 400, c, CASE WHEN c < 1 THEN '[{"rule": "prop_persistence", "element": "lamp",
       "message": "lamp disappeared (was in scene 3)", "severity": "low"}]'::jsonb ELSE '[]'::jsonb END,
       c >= 0.6, t, t
FROM (SELECT array_agg(gen_random_uuid()) AS ids FROM generate_series(1, %(users)s)) AS users,
     generate_series(1, %(rows)s) AS n,
     LATERAL (SELECT (ARRAY[1.0, 1.0, 0.7, 0.6, 0.49, 0.35, 0.21])[1 + (n::bigint * 7919) %% 7] AS c,
                     now() - (n::bigint * 104729 %% 525600) * interval '1 minute' AS t) AS v
"""
FILL_TELEMETRY = """
INSERT INTO continuity_telemetry (user_id, element, attempts, successes, rate, "timestamp", created_at, updated_at)
SELECT CASE WHEN u = 0 THEN %(writer)s::uuid ELSE md5(u::text)::uuid END, 'element ' || e,
       10, e %% 11, (e %% 11) / 10.0, now(), now(), now()
FROM generate_series(0, %(users)s) AS u, generate_series(1, 40) AS e
"""
# The queries the dashboard runs for one writer (see continuity/views.py), as the ORM writes them.
QUERIES = {
    "daily analytics, 365 days": "SELECT * FROM continuity_daily_analytics WHERE user_id = %(writer)s "
    "AND validation_date >= now() - interval '365 days' ORDER BY validation_date DESC",
    "recent validations with issues (20)": "SELECT * FROM continuity_logs WHERE user_id = %(writer)s "
    'AND "timestamp" >= now() - interval \'7 days\' ORDER BY "timestamp" DESC, id LIMIT 20',
    "telemetry performance": "SELECT * FROM continuity_telemetry_performance WHERE user_id = %(writer)s "
    "ORDER BY element",
}


def timed(function, runs: int = RUNS) -> list[float]:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def explain(sql: str, params: dict) -> tuple[float, str]:
    """The execution time PostgreSQL reports for `sql`, and the plan's top access path."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0][0]
    node = plan["Plan"]
    while "Plans" in node and node["Node Type"] not in {"Index Scan", "Bitmap Heap Scan", "Seq Scan"}:
        node = node["Plans"][0]
    return plan["Execution Time"], f"{node['Node Type']} {node.get('Index Name', node.get('Relation Name', ''))}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--mine", type=int, default=5000, help="logs of the writer measured")
    options = parser.parse_args()

    database = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        writer = User.objects.create_user(f"bench-continuity-{uuid.uuid4().hex[:8]}@directorstudio.local")
        params = {"writer": writer.id, "users": options.users, "rows": options.rows, "mine": options.mine}
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(FILL_LOGS, params)
            cursor.execute(FILL_TELEMETRY, params)
            cursor.execute("ANALYZE continuity_logs; ANALYZE continuity_telemetry")
        print(f"Filled {options.rows:,} logs of {options.users + 1:,} users in {time.perf_counter() - started:.0f} s\n")

        print("| query | median | p95 | plan |\n| --- | --- | --- | --- |")
        for name, sql in QUERIES.items():
            results = [explain(sql, params) for _ in range(RUNS)]
            times = sorted(result[0] for result in results)
            print(
                f"| {name} | {statistics.median(times):.2f} ms | {times[int(0.95 * (RUNS - 1))]:.2f} ms "
                f"| {results[0][1]} |"
            )

        client = Client(HTTP_HOST="localhost")
        client.force_login(writer)
        for days in (30, 365):
            url = f"/continuity/?days={days}"
            queries = []
            with connection.execute_wrapper(
                lambda execute, sql, *args, queries=queries: queries.append(sql) or execute(sql, *args)
            ):
                assert client.get(url).status_code == 200
            times = sorted(timed(lambda url=url: client.get(url)))
            print(
                f"| page {url} ({len(queries)} queries) | {statistics.median(times):.1f} ms "
                f"| {times[int(0.95 * (RUNS - 1))]:.1f} ms | |"
            )
    finally:
        connection.creation.destroy_test_db(database, verbosity=0)


if __name__ == "__main__":
    main()

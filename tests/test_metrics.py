"""GET /metrics: closed to the public, requests by route and status, the fleet's figures from the database, the
worker's runs, every gunicorn worker's requests summed (prometheus-client's multiprocess mode), and a worker's own
figures served on its metrics port, closed the same way."""

import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from clips import providers
from clips.models import ClipJob
from clips.services import clip_job_submit
from clips.tasks import clip_job_run_task
from credits.models import CreditsLedger
from tests.gunicorn_server import PRODUCTION_GUNICORN, app_environment, wait_until_serving
from tests.seaweedfs import free_ports
from tests.test_clip_jobs_pipeline import PROCRASTINATE_TABLES
from tests.test_faults import QuickProvider
from tests.test_stalled_jobs import statuses, wait_for, worker

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
TOKEN = "scrape-" + uuid.uuid4().hex


def samples(body: str) -> dict[tuple[str, frozenset], float]:
    """Each sample of a Prometheus text exposition by its name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def scrape(**headers) -> dict[tuple[str, frozenset], float]:
    response = Client().get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")  # the Prometheus text format
    return samples(response.content.decode())


def value(scraped: dict, name: str, **labels) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scraper(settings):
    settings.METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def test_the_metrics_are_closed_to_the_public(settings):
    assert Client().get("/metrics").status_code == 404  # nothing allowed by default, not even this host

    settings.METRICS_TOKEN = TOKEN
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", REMOTE_ADDR="203.0.113.9").status_code == 200

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8", "::1"]
    assert Client().get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    # Through a proxy the connection's address is the proxy's: an allowed address is not enough.
    assert Client().get("/metrics", REMOTE_ADDR="10.20.30.40", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404


def test_requests_are_counted_and_timed_by_route_method_and_status(scraper):
    before = scrape(**scraper)
    client = Client()
    for _ in range(3):
        client.get("/healthz")
    client.get(f"/no-such-page-{uuid.uuid4()}")

    after = scrape(**scraper)

    healthz = {"route": "healthz", "method": "GET", "status": "200"}
    missing = {"route": "unmatched", "method": "GET", "status": "404"}
    name = "directorstudio_http_requests_total"
    assert value(after, name, **healthz) - value(before, name, **healthz) == 3
    assert value(after, name, **missing) - value(before, name, **missing) == 1
    timed = "directorstudio_http_request_duration_seconds_count"
    assert value(after, timed, route="healthz", method="GET") - value(before, timed, route="healthz", method="GET") == 3


def test_the_fleets_figures_come_from_the_database(scraper, alice, monkeypatch):
    CreditsLedger.objects.create(user_id=alice.pk, user_key="m" * 64, credits=5)
    jobs = [clip_job_submit(user_id=alice.pk, user_key="m" * 64, prompt=f"Shot {i}")[0] for i in range(3)]
    ClipJob.objects.filter(pk=jobs[0].pk).update(submitted_at=timezone.now() - timedelta(minutes=10))
    monkeypatch.setattr(providers, "get_provider", QuickProvider)
    runs = "directorstudio_clip_job_runs_total"
    before = scrape(**scraper)

    clip_job_run_task(clip_job_id=str(jobs[2].pk))  # as the worker runs it
    scraped = scrape(**scraper)

    assert value(scraped, "directorstudio_clip_jobs", status="queued") == 2
    assert value(scraped, "directorstudio_clip_jobs", status="completed") == 1
    assert value(scraped, "directorstudio_clip_jobs", status="failed") == 0
    assert value(scraped, "directorstudio_clip_jobs_queued") == 2
    assert 600 <= value(scraped, "directorstudio_clip_jobs_oldest_queued_age_seconds") < 3600
    assert value(scraped, "directorstudio_credit_movements_total", reason="clip_job") == 3
    assert value(scraped, "directorstudio_credit_movement_credits_total", reason="clip_job") == -3
    assert value(scraped, "directorstudio_credit_movements_total", reason="purchase") == 0
    completed = {"provider": "local", "outcome": "completed"}
    assert value(scraped, runs, **completed) - value(before, runs, **completed) == 1
    timed = "directorstudio_clip_job_run_duration_seconds_count"
    assert value(scraped, timed, provider="local") - value(before, timed, provider="local") == 1


def test_a_real_gunicorn_sums_every_workers_requests(settings):
    port, _ = free_ports(2)
    env = app_environment(
        base_url=f"http://127.0.0.1:{port}", GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="3", METRICS_TOKEN=TOKEN
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        PRODUCTION_GUNICORN, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}")
        for _ in range(30):  # a new connection each: the requests spread over the workers
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        refused = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        scraped = requests.get(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)

    assert refused.status_code == 404
    assert scraped.status_code == 200, scraped.text + stderr.decode()[-3000:]
    healthz = {"route": "healthz", "method": "GET", "status": "200"}
    # wait_until_serving's HEAD requests are counted apart; every GET is here, whichever worker answered it.
    assert value(samples(scraped.text), "directorstudio_http_requests_total", **healthz) == 30


@pytest.mark.django_db(transaction=True)
def test_a_worker_serves_its_runs_on_its_own_metrics_port_closed_to_the_public(alice, tmp_path):
    port, _ = free_ports(2)
    CreditsLedger.objects.create(user_id=alice.pk, user_key="m" * 64, credits=2)
    jobs = [clip_job_submit(user_id=alice.pk, user_key="m" * 64, prompt=f"Shot {i}")[0] for i in range(2)]
    url = f"http://127.0.0.1:{port}/metrics"
    allowed = {"Authorization": f"Bearer {TOKEN}"}
    try:
        with worker(tmp_path, CLIP_PROVIDER="local", WORKER_METRICS_PORT=str(port), METRICS_TOKEN=TOKEN):
            wait_for(lambda: statuses(*jobs) == ["completed", "completed"], seconds=90)
            refused = [
                requests.get(url, timeout=10),
                requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=10),
                requests.get(f"http://127.0.0.1:{port}/", headers=allowed, timeout=10),
            ]
            scraped = requests.get(url, headers=allowed, timeout=10)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {PROCRASTINATE_TABLES} CASCADE")

    assert [response.status_code for response in refused] == [404, 404, 404]
    assert scraped.status_code == 200 and scraped.headers["Content-Type"].startswith("text/plain; version=")
    figures = samples(scraped.text)
    assert value(figures, "directorstudio_clip_job_runs_total", provider="local", outcome="completed") == 2
    assert value(figures, "directorstudio_clip_job_run_duration_seconds_count", provider="local") == 2
    # The queue's figures are read from the database by the web hosts, not by a worker.
    assert not any(name.startswith("directorstudio_clip_jobs") for name, _ in figures)

"""The clip pipeline's metrics: each worker run's outcome and duration by provider, and (read from the database at
each scrape, the same on every host) clip jobs by status, the queue's depth and its oldest job's age."""

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from clips.models import ClipJob

CLIP_JOB_RUNS = Counter(
    "directorstudio_clip_job_runs_total",
    "Clip job runs by a worker, by provider and outcome (completed, failed, retry, handed_back, not_queued, error).",
    ["provider", "outcome"],
)
CLIP_JOB_RUN_SECONDS = Histogram(
    "directorstudio_clip_job_run_duration_seconds",
    "Time a worker took to run a clip job (generate and store its clip), by provider.",
    ["provider"],
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900),
)


class ClipJobsCollector(Collector):
    """Clip jobs by status, and the queue: how many jobs wait and how long the oldest has waited."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        by_status = dict.fromkeys(ClipJob.Status.values, 0)
        by_status.update(ClipJob.objects.values_list("status").annotate(count=Count("id")).order_by())
        jobs = GaugeMetricFamily("directorstudio_clip_jobs", "Clip jobs by status.", labels=["status"])
        for status, count in sorted(by_status.items()):
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily(
            "directorstudio_clip_jobs_queued", "Clip jobs waiting for a worker.", value=by_status[ClipJob.Status.QUEUED]
        )
        oldest = ClipJob.objects.filter(status=ClipJob.Status.QUEUED).aggregate(oldest=Min("submitted_at"))["oldest"]
        age = (timezone.now() - oldest).total_seconds() if oldest else 0
        yield GaugeMetricFamily(
            "directorstudio_clip_jobs_oldest_queued_age_seconds",
            "How long the oldest queued clip job has waited (0 when none waits).",
            value=max(age, 0),
        )

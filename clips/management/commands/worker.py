"""`manage.py worker`: a Procrastinate worker, as `manage.py procrastinate worker` (the same options), that also
serves its own metrics at WORKER_METRICS_ADDRESS:WORKER_METRICS_PORT when the port is set (directorstudio/metrics.py).

Its shutdown is every worker's (clips/worker.py): SIGTERM gives running clip jobs CLIP_WORKER_SHUTDOWN_SECONDS.
"""

from typing import Any

from django.conf import settings
from procrastinate.contrib.django.management.commands import procrastinate

from directorstudio.metrics import metrics_serve


class Command(procrastinate.Command):
    help = "Run a worker (the options of `procrastinate worker`), serving its metrics on WORKER_METRICS_PORT if set."

    def run_from_argv(self, argv: list[str]) -> None:
        super().run_from_argv([*argv[:2], "worker", *argv[2:]])

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.WORKER_METRICS_PORT:
            metrics_serve(address=settings.WORKER_METRICS_ADDRESS, port=settings.WORKER_METRICS_PORT)
        super().handle(*args, **options)

from django.core.management.base import BaseCommand
from django.urls import reverse

from directorstudio.demo.services import DEFAULT_PASSWORD, seed_demo_data


class Command(BaseCommand):
    help = (
        "Fill a fresh database with demo writers, screenplays, scene drafts, clip jobs, credits and continuity "
        "data, then print the logins. Does nothing but print the logins when the demo admin already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password of the demo admin and writer (default: {DEFAULT_PASSWORD}).",
        )

    def handle(self, *args, password: str, **options) -> None:
        summary = seed_demo_data(password=password)
        if summary.created:
            for table, count in summary.counts.items():
                self.stdout.write(f"  {table:<24} {count:>5}")
            self.stdout.write(self.style.SUCCESS("Demo data ready."))
        else:
            self.stdout.write(self.style.WARNING("Demo data already present; nothing changed."))
        shown_password = summary.password or "(the password set when the demo was seeded)"
        self.stdout.write(f"  Admin ({reverse('admin:index')}): {summary.admin_email} / {shown_password}")
        self.stdout.write(f"  Writer: {summary.writer_email} / {shown_password}")

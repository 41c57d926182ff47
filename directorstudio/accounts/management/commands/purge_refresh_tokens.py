from django.core.management.base import BaseCommand

from directorstudio.accounts.services import refresh_tokens_purge


class Command(BaseCommand):
    help = (
        "Delete expired refresh tokens and those revoked longer ago than REFRESH_TOKEN_REVOKED_RETENTION_HOURS "
        "(the worker also does it every hour)."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Purged {refresh_tokens_purge()} refresh tokens.")

"""The worker's account tasks (Procrastinate autodiscovers this module): the hourly refresh token purge."""

from procrastinate.contrib.django import app

from directorstudio.accounts.services import refresh_tokens_purge

REFRESH_TOKENS_PURGE_TASK = "accounts.refresh_tokens_purge"


@app.periodic(cron="17 * * * *", periodic_id="hourly")
@app.task(name=REFRESH_TOKENS_PURGE_TASK)
def refresh_tokens_purge_task(timestamp: int) -> None:
    """Delete expired refresh tokens and revoked ones past their retention."""
    refresh_tokens_purge()

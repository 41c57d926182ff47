"""The worker's screenplay tasks (Procrastinate): count the pages of each saved version in the background, and
thin old autosaves every 10 minutes."""

import uuid

from procrastinate.contrib.django import app

from screenplays.services import (
    PAGE_COUNT_TASK,
    REVISIONS_THIN_TASK,
    SCREENPLAY_QUEUE,
    screenplay_revision_page_count,
    screenplay_revisions_thin,
)


@app.task(name=PAGE_COUNT_TASK, queue=SCREENPLAY_QUEUE)
def screenplay_revision_page_count_task(screenplay_id: str, version: int) -> None:
    """Render a saved version's PDF once, so lists and the editor show the page count the export will have."""
    screenplay_revision_page_count(screenplay_id=uuid.UUID(screenplay_id), version=version)


# Every 10 minutes, the finest step of the ladder: an autosave is thinned at most 10 minutes after it left one.
@app.periodic(cron="*/10 * * * *", periodic_id="every_10_minutes")
@app.task(name=REVISIONS_THIN_TASK, queue=SCREENPLAY_QUEUE)
def screenplay_revisions_thin_task(timestamp: int) -> None:
    """Delete the autosaves the history no longer keeps: past the hour one per 10 minutes, past the day one a day."""
    screenplay_revisions_thin()

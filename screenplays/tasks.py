"""The worker's screenplay tasks (Procrastinate): count the pages of each saved version in the background."""

import uuid

from procrastinate.contrib.django import app

from screenplays.services import PAGE_COUNT_TASK, SCREENPLAY_QUEUE, screenplay_revision_page_count


@app.task(name=PAGE_COUNT_TASK, queue=SCREENPLAY_QUEUE)
def screenplay_revision_page_count_task(screenplay_id: str, version: int) -> None:
    """Render a saved version's PDF once, so lists and the editor show the page count the export will have."""
    screenplay_revision_page_count(screenplay_id=uuid.UUID(screenplay_id), version=version)

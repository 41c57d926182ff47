"""Carry the status (and the completion time) in the clip jobs' submission and queue indexes.

The operations page counts jobs by status, times recent ones and measures the queue from these
indexes alone, without reading the table's rows.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built CONCURRENTLY so an existing (Supabase) database keeps taking writes meanwhile.
    atomic = False

    dependencies = [("clips", "0007_storage_objects")]

    operations = [
        RemoveIndexConcurrently(model_name="clipjob", name="clip_jobs_submitted_idx"),
        AddIndexConcurrently(
            model_name="clipjob",
            index=models.Index(
                fields=["submitted_at"], include=["status", "completed_at"], name="clip_jobs_submitted_idx"
            ),
        ),
        RemoveIndexConcurrently(model_name="clipjob", name="clip_jobs_unfinished_idx"),
        AddIndexConcurrently(
            model_name="clipjob",
            index=models.Index(
                condition=models.Q(("status__in", ["queued", "processing"])),
                fields=["submitted_at"],
                include=["status"],
                name="clip_jobs_unfinished_idx",
            ),
        ),
    ]

"""Index continuity logs by scene, newest first: the admin's search by scene_id reads its 50 rows from it."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built CONCURRENTLY so an existing (Supabase) database keeps taking writes meanwhile.
    atomic = False

    dependencies = [("continuity", "0005_adopt_existing_database")]

    operations = [
        AddIndexConcurrently(
            model_name="continuitylog",
            index=models.Index(fields=["scene_id", "-timestamp"], name="continuity_logs_scene_time_idx"),
        ),
    ]

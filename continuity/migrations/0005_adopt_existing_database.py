"""Give a database adopted with `migrate --fake-initial` the continuity tables' indexes and checks.

Checks are added NOT VALID first, so rows that break one are reported, not lost.
"""

from django.db import migrations

from directorstudio.supabase import declared_constraints_adopt


def adopt(apps, schema_editor):
    models = [apps.get_model("continuity", name) for name in ("SceneState", "ContinuityLog", "Telemetry")]
    declared_constraints_adopt(schema_editor=schema_editor, models=models)


class Migration(migrations.Migration):
    dependencies = [("continuity", "0004_scene_links")]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]

"""Give a database adopted with `migrate --fake-initial` the clip jobs' and uploads' indexes and checks.

Checks are added NOT VALID first, so rows that break one are reported, not lost.
"""

from django.db import migrations

from directorstudio.supabase import declared_constraints_adopt


def adopt(apps, schema_editor):
    models = [apps.get_model("clips", name) for name in ("ClipJob", "VideoUpload")]
    declared_constraints_adopt(schema_editor=schema_editor, models=models)


class Migration(migrations.Migration):
    dependencies = [("clips", "0005_timeline")]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]

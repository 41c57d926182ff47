"""Create the database cache tables of settings.CACHES, so that `migrate` alone readies the shared rate limits."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    """What `manage.py createcachetable` does: create each missing DatabaseCache table (none for other caches)."""
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_refreshtoken")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]

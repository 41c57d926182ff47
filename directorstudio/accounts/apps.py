from django.apps import AppConfig
from django.db.models.signals import post_migrate


def close_server_tables_after_migrate(sender, using: str, **kwargs) -> None:
    from directorstudio.supabase import server_tables_close_to_data_api

    server_tables_close_to_data_api(using=using)


class AccountsConfig(AppConfig):
    """People who sign in: writers (through Supabase or a password) and staff."""

    name = "directorstudio.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every migrate may add a table; on Supabase each must be closed to the Data API at once.
        post_migrate.connect(close_server_tables_after_migrate, sender=self)

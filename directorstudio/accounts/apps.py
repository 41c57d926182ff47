from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People who sign in: writers (through Supabase or a password) and staff."""

    name = "directorstudio.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class CreditsConfig(AppConfig):
    """The money: the credits ledger and per-user statistics."""

    name = "credits"
    verbose_name = "Credits"

from django.apps import AppConfig


class ScreenplaysConfig(AppConfig):
    """The writing: screenplays and their sections."""

    name = "screenplays"
    verbose_name = "Screenplays"

from django.apps import AppConfig


class ContinuityConfig(AppConfig):
    """The continuity engine's scene states, validation logs, telemetry and analytics."""

    name = "continuity"
    verbose_name = "Continuity"

from django.apps import AppConfig


class ClipsConfig(AppConfig):
    """The production: scene drafts on a project's timeline, clip jobs and uploaded videos."""

    name = "clips"
    verbose_name = "Clips"

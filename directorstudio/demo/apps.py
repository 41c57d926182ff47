from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for newcomers: `manage.py seed_demo` fills a fresh database with a living product."""

    name = "directorstudio.demo"
    label = "demo"
    verbose_name = "Demo data"

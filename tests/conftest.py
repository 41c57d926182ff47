import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings):
    """Render pages without the manifest that only `collectstatic` writes (bin/test checks that step apart)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()

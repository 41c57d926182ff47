import uuid
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from directorstudio.accounts.models import User
from directorstudio.facade.keys import anon_key_issue
from tests.seaweedfs import S3Store, seaweedfs
from tests.stores import LocalStore, S3StoreUnderTest
from tests.tokens import signed_in


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings):
    """Render pages without the manifest that only `collectstatic` writes (bin/test checks that step apart)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def s3_store(tmp_path_factory) -> Iterator[S3Store]:
    """A real S3 store (SeaweedFS on loopback) for the session, started when a test first needs it."""
    with seaweedfs(data_dir=tmp_path_factory.mktemp("seaweedfs")) as store:
        yield store


@pytest.fixture(params=["local", "s3"])
def store(request, settings, tmp_path) -> LocalStore | S3StoreUnderTest:
    """The default storage a test keeps files in: local files, then (the same test again) S3."""
    if request.param == "local":
        under_test = LocalStore(settings=settings, root=tmp_path / "media")
    else:
        s3_store = request.getfixturevalue("s3_store")
        under_test = S3StoreUnderTest(settings=settings, store=s3_store, location=f"test-{uuid.uuid4().hex}")
    under_test.use()
    return under_test


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def anon_key() -> str:
    """The project's anon key, as `manage.py supabase_anon_key` prints it."""
    return anon_key_issue()


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice@example.com")


@pytest.fixture
def bob() -> User:
    return User.objects.create_user("bob@example.com")


@pytest.fixture
def as_alice(alice) -> APIClient:
    """An API client signed in as alice with a Supabase-style Bearer token."""
    return signed_in(alice)


@pytest.fixture
def as_bob(bob) -> APIClient:
    """An API client signed in as bob with a Supabase-style Bearer token."""
    return signed_in(bob)


@pytest.fixture
def get_query_count() -> Callable[..., int]:
    """A function that GETs `url` with `client` (and query `params`), checks the 200 and returns its query count."""

    def query_count(client: APIClient, url: str, params: dict | None = None) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params or {})
        assert response.status_code == 200, response.content
        return len(queries)

    return query_count

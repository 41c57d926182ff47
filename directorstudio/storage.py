"""The default storage's backends, whose failures become the project's errors here, once, for every caller.

A store that refuses a connection, times out, answers 5xx or refuses the app's key (S3), or a disk that fails
(local files), raises StorageUnavailable; a full disk StorageFull. Both are ServiceUnavailable: the API answers 503
with Retry-After, a page 503, and the worker retries the job. A missing file stays FileNotFoundError, and anything
else (a bug, a request the store finds malformed) passes unchanged.
"""

import contextlib
import functools
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError, HTTPClientError, IncompleteReadError
from botocore.exceptions import ConnectionError as StoreConnectionError
from django.core.files import File, storage
from s3transfer.exceptions import RetriesExceededError
from storages.backends import s3

from directorstudio.errors import NO_SPACE_ERRNOS, StorageFull, StorageUnavailable

# How long a presigned URL of the store opens its object: enough to start a download, short so a leaked one soon dies.
PRESIGNED_URL_SECONDS = 300

logger = logging.getLogger(__name__)
# The store refuses the app's key (revoked, mistyped, or lacking a right docs/deploy.md lists): every call fails
# alike, so to this app the store is unavailable, and the operator is told why.
REFUSED_KEY_STATUSES = frozenset({401, 403})

# botocore's and s3transfer's errors for a store refused, timed out, or cut off mid-transfer.
UNREACHABLE_STORE_ERRORS = (StoreConnectionError, HTTPClientError, IncompleteReadError, RetriesExceededError)


def storage_error(error: Exception) -> StorageFull | StorageUnavailable | None:
    """The project's error for a storage backend's failure; None when `error` is not one."""
    if isinstance(error, UNREACHABLE_STORE_ERRORS):
        return StorageUnavailable()
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if status in REFUSED_KEY_STATUSES:
            logger.error(
                "The object store refused this app's key (%s): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and "
                "the key's rights.",
                error.response.get("Error", {}).get("Code"),
            )
            return StorageUnavailable()
        return StorageUnavailable() if status >= 500 else None
    if isinstance(error, OSError) and not isinstance(error, FileNotFoundError):
        return StorageFull() if error.errno in NO_SPACE_ERRNOS else StorageUnavailable()
    return None


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Raise the project's error for a storage backend's failure in the block; other exceptions pass unchanged."""
    try:
        yield
    except Exception as error:
        translated = storage_error(error)
        if translated is None:
            raise
        raise translated from error


class _TranslatedStream:
    """A stored file's stream (a local file, an S3 object) whose attributes and calls raise the project's errors."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        with storage_errors():
            value = getattr(self._stream, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            with storage_errors():
                return value(*args, **kwargs)

        return call


class StorageErrorsMixin:
    """A storage backend whose every call, and every read or write of a file it opened, raises the project's errors."""

    def _open(self, name: str, mode: str = "rb") -> File:
        with storage_errors():
            opened = super()._open(name, mode)
        return File(_TranslatedStream(opened), name=opened.name)

    def _save(self, name: str, content: File) -> str:
        with storage_errors():
            return super()._save(name, content)

    def delete(self, name: str) -> None:
        with storage_errors():
            super().delete(name)

    def exists(self, name: str) -> bool:
        with storage_errors():
            return super().exists(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        with storage_errors():
            return super().listdir(path)

    def size(self, name: str) -> int:
        with storage_errors():
            return super().size(name)

    def get_modified_time(self, name: str) -> Any:
        with storage_errors():
            return super().get_modified_time(name)


class FileSystemStorage(StorageErrorsMixin, storage.FileSystemStorage):
    """Files under MEDIA_ROOT; a failing disk is StorageUnavailable, a full one StorageFull."""


class S3Storage(StorageErrorsMixin, s3.S3Storage):
    """Objects in an S3-compatible bucket (django-storages); a store down, slow or failing is StorageUnavailable."""


def presigned_url(backend: storage.Storage, name: str, *, method: str = "GET") -> str | None:
    """A short-lived URL where the store itself serves `name` for this HTTP method (Range and slow clients included);
    None when the backend has none (local files), and the app serves the file."""
    if not isinstance(backend, s3.S3Storage) or not backend.querystring_auth:
        return None
    with storage_errors():
        return backend.url(name, expire=PRESIGNED_URL_SECONDS, http_method=method)


def store_origin(backend: storage.Storage) -> str | None:
    """The origin (scheme, host and port) of the store's presigned URLs; None for local files.

    Presigning is computed here, without a request to the store.
    """
    url = presigned_url(backend, "origin")
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"

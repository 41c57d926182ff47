"""The bucket registry: each app declares its buckets in `<app>/buckets.py` with `buckets.register(...)`.

The registry imports no app: the first use imports every installed app's `buckets` module, as the admin
autodiscovers `admin.py`. A bucket answers for one user at a time (`user_id`), as Storage's row-level security
does: another user's object does not exist for them.
"""

import pathlib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import autodiscover_modules

from directorstudio.facade.storage.errors import StorageError

SORT_COLUMNS = ("name", "updated_at", "created_at", "last_accessed_at")


@dataclass(frozen=True)
class StoredObject:
    """One object of a bucket as Storage describes it, and where Django's default storage keeps its bytes."""

    id: uuid.UUID
    name: str
    storage_name: str
    size: int
    mimetype: str
    cache_control: str
    created_at: datetime
    updated_at: datetime
    last_accessed_at: datetime
    user_metadata: dict[str, Any] | None = None

    @property
    def etag(self) -> str:
        """A strong ETag that changes whenever the object's bytes are replaced."""
        return f'"{self.size:x}-{int(self.updated_at.timestamp() * 1_000_000):x}"'


@dataclass(frozen=True)
class ObjectUpload:
    """A file a request uploads, spooled to a local path, with the metadata the request gave it."""

    path: pathlib.Path
    size: int
    mimetype: str
    cache_control: str
    user_metadata: dict[str, Any] | None = field(default=None)


class Bucket:
    """A private bucket: reads for its owner's objects; every write refused as row-level security refuses it.

    A declaration subclasses it, sets `id`, and overrides what its bucket allows; a bucket that takes uploads
    sets `read_only` off and its `file_size_limit`.
    """

    id: str = ""
    read_only = True
    file_size_limit: int | None = None
    allowed_mime_types: list[str] | None = None
    created_at = datetime(2026, 1, 1, tzinfo=UTC)

    def describe(self) -> dict[str, Any]:
        """The bucket as Storage's `GET /bucket` lists it."""
        created = self.created_at.isoformat()
        return {
            "id": self.id,
            "name": self.id,
            "owner": "",
            "public": False,
            "type": "STANDARD",
            "file_size_limit": self.file_size_limit,
            "allowed_mime_types": self.allowed_mime_types,
            "created_at": created,
            "updated_at": created,
        }

    def object_get(self, *, user_id: uuid.UUID, name: str) -> StoredObject:
        """The user's object `name`; NotFound otherwise."""
        raise NotImplementedError

    def folder_names(self, *, user_id: uuid.UUID, prefix: str, search: str) -> list[str]:
        """The distinct folder names directly below `prefix` of the user's objects whose names start with
        `prefix + search` (case-insensitive), sorted.
        """
        return []

    def file_objects(
        self, *, user_id: uuid.UUID, prefix: str, search: str, sort_column: str, descending: bool, limit: int
    ) -> list[StoredObject]:
        """The first `limit` of the user's objects directly below `prefix` whose names start with `prefix + search`
        (case-insensitive), in `sort_column` order (then by name).
        """
        raise NotImplementedError

    def object_response(
        self, request: HttpRequest, obj: StoredObject, *, download: str | None, signed: bool
    ) -> HttpResponse:
        """The object's bytes for a GET or HEAD (with Range); `signed` when the request holds a signed URL."""
        raise NotImplementedError

    def object_upload(self, *, user_id: uuid.UUID, name: str, upload: ObjectUpload, upsert: bool) -> StoredObject:
        """Store an uploaded file as the user's object `name`, replacing it only when `upsert`."""
        raise StorageError.access_denied()

    def objects_remove(self, *, user_id: uuid.UUID, names: list[str]) -> list[StoredObject]:
        """Delete those of the user's objects named; the objects deleted (none when nothing may be deleted)."""
        return []

    def object_move(self, *, user_id: uuid.UUID, source: str, destination: str) -> StoredObject:
        """Rename the user's object `source` to `destination`, which must be free."""
        raise StorageError.access_denied()

    def object_copy(self, *, user_id: uuid.UUID, source: str, destination: str, upsert: bool) -> StoredObject:
        """Copy the user's object `source` to `destination`, replacing it only when `upsert`."""
        raise StorageError.access_denied()


class BucketRegistry:
    """The buckets the facade serves, by id; filled from the apps' `buckets.py` modules at first use."""

    def __init__(self) -> None:
        self._buckets: dict[str, Bucket] = {}
        self._discovered = False
        self._lock = threading.Lock()

    def register(self, bucket: Bucket) -> Bucket:
        """Serve `bucket` under its id."""
        if not bucket.id or bucket.id in self._buckets:
            raise ValueError(f"A bucket needs an id of its own, not {bucket.id!r}.")
        self._buckets[bucket.id] = bucket
        return bucket

    def _discover(self) -> None:
        with self._lock:
            if not self._discovered:
                autodiscover_modules("buckets")
                self._discovered = True

    def all(self) -> list[Bucket]:
        """Every bucket, by id."""
        self._discover()
        return [self._buckets[bucket_id] for bucket_id in sorted(self._buckets)]

    def get(self, bucket_id: str) -> Bucket:
        """The bucket `bucket_id`; Storage's NoSuchBucket error when there is none."""
        self._discover()
        try:
            return self._buckets[bucket_id]
        except KeyError:
            raise StorageError.no_such_bucket() from None


buckets = BucketRegistry()

"""The default storage a test stores files in (local files, or the suite's SeaweedFS), and how to take it down."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.config import Config

from tests.seaweedfs import S3Store, free_ports


@dataclass
class LocalStore:
    """Local files under a fresh MEDIA_ROOT (the project's FileSystemStorage)."""

    settings: Any  # pytest-django's settings fixture
    root: Path
    backend = "local"

    def use(self) -> None:
        self.settings.MEDIA_ROOT = str(self.root)
        self.settings.STORAGES = {
            **self.settings.STORAGES,
            "default": {"BACKEND": "directorstudio.storage.FileSystemStorage"},
        }

    def environment(self) -> dict[str, str]:
        """The environment that gives another process of the app this storage."""
        return {"STORAGE_BACKEND": "local", "MEDIA_ROOT": str(self.root)}

    def names(self) -> list[str]:
        """The names of every stored file, sorted."""
        return sorted(str(path.relative_to(self.root)) for path in self.root.rglob("*") if path.is_file())

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """A disk that fails in the block: every write under MEDIA_ROOT meets ENOTDIR, as on a broken volume."""
        broken = self.root.parent / "broken-volume"
        broken.write_bytes(b"")
        self.settings.MEDIA_ROOT = str(broken / "media")
        try:
            yield
        finally:
            self.settings.MEDIA_ROOT = str(self.root)


@dataclass
class S3StoreUnderTest:
    """The suite's SeaweedFS through the project's S3Storage, under a folder (`location`) of this test's own."""

    settings: Any  # pytest-django's settings fixture
    store: S3Store
    location: str
    backend = "s3"

    def use(self, *, endpoint_url: str | None = None, read_timeout: float = 10, secret_key: str | None = None) -> None:
        self.settings.STORAGES = {
            **self.settings.STORAGES,
            "default": {
                "BACKEND": "directorstudio.storage.S3Storage",
                "OPTIONS": {
                    "bucket_name": self.store.bucket,
                    "access_key": self.store.access_key,
                    "secret_key": secret_key or self.store.secret_key,
                    "endpoint_url": endpoint_url or self.store.endpoint_url,
                    "region_name": "us-east-1",
                    "location": self.location,
                    "addressing_style": "path",
                    "default_acl": None,
                    "querystring_auth": True,
                    "file_overwrite": True,
                    # Without retries, so an outage fails at once.
                    "client_config": Config(
                        s3={"addressing_style": "path"},
                        connect_timeout=2,
                        read_timeout=read_timeout,
                        retries={"total_max_attempts": 1},
                    ),
                },
            },
        }

    def environment(self) -> dict[str, str]:
        """The environment that gives another process of the app this storage."""
        return {
            "STORAGE_BACKEND": "s3",
            "AWS_STORAGE_BUCKET_NAME": self.store.bucket,
            "AWS_ACCESS_KEY_ID": self.store.access_key,
            "AWS_SECRET_ACCESS_KEY": self.store.secret_key,
            "AWS_S3_ENDPOINT_URL": self.store.endpoint_url,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_LOCATION": self.location,
            "AWS_S3_ADDRESSING_STYLE": "path",
        }

    def names(self) -> list[str]:
        """The names of every stored object of this test, sorted."""
        pages = (
            self.store.client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.store.bucket, Prefix=f"{self.location}/")
        )
        prefix = len(self.location) + 1
        return sorted(item["Key"][prefix:] for page in pages for item in page.get("Contents", []))

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """The store unreachable in the block: its address refuses connections."""
        (closed_port,) = free_ports(1)
        self.use(endpoint_url=f"http://127.0.0.1:{closed_port}")
        try:
            yield
        finally:
            self.use()

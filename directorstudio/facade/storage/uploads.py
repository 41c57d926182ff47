"""Reading an upload as Storage takes it: a multipart form whose file part may have no name, or the raw body.

supabase-swift and supabase-js send the file part of their multipart form with an empty field name, which
Django's parser reads but never hands over; an upload handler sees every file part, named or not, so the
first one is spooled here. Either way the bytes go to a local file, counted against the bucket's limit as
they arrive: a larger upload stops at the limit, before the rest is read.
"""

import base64
import binascii
import contextlib
import json
import pathlib
import re
from collections.abc import Iterator
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError

from directorstudio.facade.storage.buckets import ObjectUpload
from directorstudio.facade.storage.errors import StorageError
from directorstudio.workdirs import workdir

CHUNK_SIZE = 256 * 1024
UPLOAD_WORKDIR = "storage-upload-"
# A folder untouched this long was left by a killed upload: no request lasts an hour (gunicorn ends one after
# GUNICORN_TIMEOUT, 30 s by default).
UPLOAD_WORKDIR_STALE_SECONDS = 3600
DEFAULT_MIMETYPE = "text/plain;charset=UTF-8"
HEADER_VALUE = re.compile(r"[\x20-\x7e]{1,255}")


class UploadTooLarge(Exception):
    """The upload passed its bucket's limit while it was read."""


class FirstFilePartHandler(FileUploadHandler):
    """Spool the first file part of a multipart body to `path`, whatever its field name, up to `limit` bytes."""

    def __init__(self, *, path: pathlib.Path, limit: int) -> None:
        super().__init__()
        self.path = path
        self.limit = limit
        self.size = 0
        self.mimetype: str | None = None
        self._handle = None

    def new_file(self, field_name: str, file_name: str, content_type: str, *args: Any, **kwargs: Any) -> None:
        if self.mimetype is not None:  # Storage takes one file per upload
            raise SkipFile()
        self.mimetype = content_type or DEFAULT_MIMETYPE
        self._handle = self.path.open("wb")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self._handle is None:
            return None
        self.size += len(raw_data)
        if self.size > self.limit:
            raise UploadTooLarge()
        self._handle.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> None:
        self.close()
        return None

    def upload_complete(self) -> None:
        self.close()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _user_metadata(text: str | None) -> dict[str, Any] | None:
    """The user metadata of an upload (a JSON object); InvalidRequest when it is not one."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise StorageError.invalid_request("metadata must be a JSON object")
    return value


def _header_metadata(header: str | None) -> dict[str, Any] | None:
    """The `x-metadata` header's user metadata (base64 of a JSON object), as Storage reads it."""
    if not header:
        return None
    try:
        return _user_metadata(base64.b64decode(header, validate=True).decode())
    except (binascii.Error, UnicodeDecodeError):
        raise StorageError.invalid_request("x-metadata must be base64 of a JSON object") from None


def _header_value(value: str, *, field: str) -> str:
    """A value the object's downloads will answer as a header: printable ASCII; InvalidRequest otherwise."""
    if not HEADER_VALUE.fullmatch(value):
        raise StorageError.invalid_request(f"{field} must be printable ASCII of at most 255 characters")
    return value


def _multipart_upload(request: HttpRequest, *, path: pathlib.Path, limit: int) -> ObjectUpload:
    handler = FirstFilePartHandler(path=path, limit=limit)
    request.upload_handlers = [handler]
    try:
        fields, _ = request.parse_file_upload(request.META, request)
    except MultiPartParserError as error:
        raise StorageError.invalid_request(f"The multipart body cannot be read: {error}") from error
    finally:
        handler.close()
    if handler.mimetype is None:
        raise StorageError.invalid_request("No content provided")
    cache_seconds = fields.get("cacheControl")
    return ObjectUpload(
        path=path,
        size=handler.size,
        mimetype=_header_value(fields.get("contentType") or handler.mimetype, field="contentType"),
        cache_control=_header_value(f"max-age={cache_seconds}" if cache_seconds else "no-cache", field="cacheControl"),
        user_metadata=_user_metadata(fields.get("metadata") or fields.get("userMetadata")),
    )


def _raw_upload(request: HttpRequest, *, path: pathlib.Path, limit: int) -> ObjectUpload:
    size = 0
    with path.open("wb") as handle:
        while chunk := request.read(CHUNK_SIZE):
            size += len(chunk)
            if size > limit:
                raise UploadTooLarge()
            handle.write(chunk)
    return ObjectUpload(
        path=path,
        size=size,
        mimetype=_header_value(request.META.get("CONTENT_TYPE") or DEFAULT_MIMETYPE, field="Content-Type"),
        cache_control=_header_value(request.headers.get("Cache-Control") or "no-cache", field="Cache-Control"),
        user_metadata=_header_metadata(request.headers.get("X-Metadata")),
    )


@contextlib.contextmanager
def spooled_upload(request: HttpRequest, *, limit: int) -> Iterator[ObjectUpload]:
    """The request's upload in a local file that lives for the block; EntityTooLarge past `limit` bytes."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    # A multipart body carries its form fields and boundaries beside the file: allow them a little room.
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise StorageError.entity_too_large(limit)
    with workdir(prefix=UPLOAD_WORKDIR, stale_seconds=UPLOAD_WORKDIR_STALE_SECONDS) as folder:
        path = folder / "object"
        try:
            if request.content_type == "multipart/form-data":
                yield _multipart_upload(request, path=path, limit=limit)
            else:
                yield _raw_upload(request, path=path, limit=limit)
        except UploadTooLarge:
            raise StorageError.entity_too_large(limit) from None

"""Finished clips in storage and the signed, absolute URLs that serve them (see `clips/views.py`).

A clip job's MP4 and JPEG poster are kept through Django's default storage (local files or S3) under
names derived from the job id. Their URLs are absolute (`PUBLIC_BASE_URL`), need no header, and carry
a signature (django.core.signing, its own salt) over the job id, its owner and the kind of file, so
they cannot be guessed nor turned into another clip's URL. They never expire (they are stored in
`clip_jobs.download_url`); signatures made before a `SECRET_KEY` rotation keep working while the old
key is in `SECRET_KEY_FALLBACKS`.
"""

from __future__ import annotations

import contextlib
import pathlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.urls import reverse

from directorstudio.errors import NO_SPACE_ERRNOS, NotFound, StorageFull

SIGNING_SALT = "directorstudio.clips.downloads"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class ClipFileKind:
    """One kind of stored clip file: its name suffix in storage and URLs, and its content type."""

    name: str
    extension: str
    content_type: str
    folder: str = "clips"


VIDEO = ClipFileKind("video", "mp4", "video/mp4")
POSTER = ClipFileKind("poster", "jpg", "image/jpeg")
# A project's exported film (the id is the film export's) and a video a writer uploaded (the upload's id).
FILM = ClipFileKind("film", "mp4", "video/mp4", folder="films")
UPLOAD = ClipFileKind("upload", "mp4", "video/mp4", folder="uploads")
KINDS = {kind.name: kind for kind in (VIDEO, POSTER, FILM, UPLOAD)}


def clip_file_name(*, clip_job_id: uuid.UUID, kind: ClipFileKind) -> str:
    """The storage name of a clip job's (or export's, upload's) file of this kind, e.g. `clips/<id>.mp4`."""
    return f"{kind.folder}/{uuid.UUID(str(clip_job_id))}.{kind.extension}"


@contextlib.contextmanager
def no_space_as_storage_full() -> Iterator[None]:
    """Raise StorageFull for an OSError that says the disk (or a quota) is full; other errors pass unchanged."""
    try:
        yield
    except OSError as error:
        if error.errno in NO_SPACE_ERRNOS:
            raise StorageFull() from error
        raise


def clip_files_save(*, clip_job_id: uuid.UUID, video_path: pathlib.Path, poster_path: pathlib.Path) -> None:
    """Store a finished clip's MP4 and JPEG poster, replacing earlier files of the job; both or neither are kept."""
    names = [clip_file_name(clip_job_id=clip_job_id, kind=kind) for kind in (VIDEO, POSTER)]
    try:
        for name, path in zip(names, (video_path, poster_path), strict=True):
            stored_file_save(name=name, path=path)
    except BaseException:
        for name in names:
            default_storage.delete(name)
        raise


def stored_file_save(*, name: str, path: pathlib.Path) -> None:
    """Store the file at `path` under `name`, replacing an earlier file of that name; on failure nothing is left.

    A full disk (StorageFull) or a store that fails (StorageUnavailable), both ServiceUnavailable that the storage
    backend raises (directorstudio/storage.py) and a later try may overcome, is raised after the partial file is
    deleted.
    """
    default_storage.delete(name)
    try:
        with pathlib.Path(path).open("rb") as handle:
            stored = default_storage.save(name, File(handle, name=pathlib.PurePath(name).name))
    except BaseException:
        default_storage.delete(name)
        raise
    if stored != name:  # a concurrent save won the name: keep its file, drop ours
        default_storage.delete(stored)


def _signed_value(*, clip_job_id: uuid.UUID, user_id: uuid.UUID, kind: ClipFileKind) -> str:
    """The text a URL's signature covers: the job, its owner and the kind of file."""
    return f"{uuid.UUID(str(clip_job_id))}:{uuid.UUID(str(user_id))}:{kind.name}"


def _signer() -> signing.Signer:
    """The signer of clip URLs: SECRET_KEY (and its fallbacks when checking) with the downloads salt."""
    return signing.Signer(salt=SIGNING_SALT)


def _clip_url(*, clip_job_id: uuid.UUID, user_id: uuid.UUID, kind: ClipFileKind) -> str:
    """The absolute signed URL of a clip job's file of this kind."""
    signed = _signer().sign(_signed_value(clip_job_id=clip_job_id, user_id=user_id, kind=kind))
    signature = signed.rsplit(_signer().sep, 1)[1]
    path = reverse(
        f"clips:{kind.name}",
        kwargs={"clip_job_id": uuid.UUID(str(clip_job_id)), "user_id": uuid.UUID(str(user_id)), "signature": signature},
    )
    base = str(getattr(settings, "PUBLIC_BASE_URL", "") or DEFAULT_PUBLIC_BASE_URL).rstrip("/")
    return f"{base}{path}"


def clip_download_url(*, clip_job_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The absolute, signed, non-expiring URL of a clip job's MP4, for `clip_jobs.download_url`."""
    return _clip_url(clip_job_id=clip_job_id, user_id=user_id, kind=VIDEO)


def clip_poster_url(*, clip_job_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The absolute, signed, non-expiring URL of a clip job's JPEG poster."""
    return _clip_url(clip_job_id=clip_job_id, user_id=user_id, kind=POSTER)


def film_download_url(*, film_export_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The absolute, signed, non-expiring URL of a film export's MP4."""
    return _clip_url(clip_job_id=film_export_id, user_id=user_id, kind=FILM)


def video_upload_url(*, video_upload_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The absolute, signed, non-expiring URL of an uploaded video's stored MP4."""
    return _clip_url(clip_job_id=video_upload_id, user_id=user_id, kind=UPLOAD)


def clip_file_for_signature(*, clip_job_id: uuid.UUID, user_id: uuid.UUID, kind: str, signature: str) -> ClipFileKind:
    """The kind of file a URL's signature opens; `NotFound` when the signature is not this job's, owner's and kind's."""
    file_kind = KINDS.get(kind)
    if file_kind is None:
        raise NotFound()
    value = _signed_value(clip_job_id=clip_job_id, user_id=user_id, kind=file_kind)
    try:
        _signer().unsign(f"{value}{_signer().sep}{signature}")
    except signing.BadSignature as error:
        raise NotFound() from error
    return file_kind

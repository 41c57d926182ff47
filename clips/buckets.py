"""The app's Storage buckets (/storage/v1), found by the facade's registry as the admin finds `admin.py`.

- `videos`: the video files the app uploads (`<project>/<id>.mp4`, then named by its `video_uploads` row's
  `filename`), each user's own, bounded and probed as the timeline's uploads are.
- `clips`: the rendered clips of the user's finished clip jobs (`<job id>.mp4` and its poster `<job id>.jpg`),
  read-only: the worker writes them.
"""

import uuid
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import http_date

from clips import downloads
from clips.models import ClipJob, StorageObject
from clips.selectors import clip_job_list, storage_object_files, storage_object_folders, storage_object_get
from clips.services import (
    VIDEOS_BUCKET,
    VideoUnplayable,
    storage_object_copy,
    storage_object_move,
    storage_objects_remove,
    video_object_upload,
)
from clips.views import stored_file_response
from directorstudio.errors import NotFound
from directorstudio.facade.storage.buckets import Bucket, ObjectUpload, StoredObject, buckets
from directorstudio.facade.storage.errors import StorageError
from directorstudio.storage import presigned_url


class StoredFileResponses:
    """Objects served from Django's default storage: Range on this server, or for a signed URL on S3 a redirect
    to a short-lived presigned address, so slow downloads never hold a web worker.
    """

    def object_response(
        self, request: HttpRequest, obj: StoredObject, *, download: str | None, signed: bool
    ) -> HttpResponse:
        headers = {
            "Accept-Ranges": "bytes",
            "Cache-Control": obj.cache_control,
            "Content-Type": obj.mimetype,
            "ETag": obj.etag,
            "Last-Modified": http_date(obj.updated_at.timestamp()),
            "X-Content-Type-Options": "nosniff",
        }
        if download is not None:
            filename = download or obj.name.rsplit("/", 1)[-1]
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        # Response-header overrides are left out of the presigned address: stores that sign it the legacy way
        # (SigV2, SeaweedFS) refuse them, so a download asked as an attachment is streamed from here instead.
        store_url = presigned_url(default_storage, obj.storage_name, method=request.method) if signed else None
        if store_url and download is None:
            return HttpResponseRedirect(store_url, headers={"Cache-Control": "no-store"})
        return stored_file_response(
            request, name=obj.storage_name, size=obj.size, headers=headers, etag=obj.etag, modified=obj.updated_at
        )


def _stored_object(obj: StorageObject) -> StoredObject:
    return StoredObject(
        id=obj.id,
        name=obj.name,
        storage_name=obj.stored_name,
        size=obj.size,
        mimetype=obj.mimetype,
        cache_control=obj.cache_control,
        created_at=obj.created_at,
        updated_at=obj.updated_at,
        last_accessed_at=obj.last_accessed_at,
        user_metadata=obj.user_metadata,
    )


class VideosBucket(StoredFileResponses, Bucket):
    """The video files the app uploads, each user's own; a file that is not a playable video is refused."""

    id = VIDEOS_BUCKET
    read_only = False
    allowed_mime_types = ["video/*"]

    @property
    def file_size_limit(self) -> int:
        return settings.VIDEO_UPLOAD_MAX_BYTES

    def object_get(self, *, user_id: uuid.UUID, name: str) -> StoredObject:
        return _stored_object(storage_object_get(user_id=user_id, bucket_id=self.id, name=name))

    def folder_names(self, *, user_id: uuid.UUID, prefix: str, search: str) -> list[str]:
        return storage_object_folders(user_id=user_id, bucket_id=self.id, prefix=prefix, search=search)

    def file_objects(
        self, *, user_id: uuid.UUID, prefix: str, search: str, sort_column: str, descending: bool, limit: int
    ) -> list[StoredObject]:
        rows = storage_object_files(
            user_id=user_id,
            bucket_id=self.id,
            prefix=prefix,
            search=search,
            sort_column=sort_column,
            descending=descending,
            limit=limit,
        )
        return [_stored_object(row) for row in rows]

    def object_upload(self, *, user_id: uuid.UUID, name: str, upload: ObjectUpload, upsert: bool) -> StoredObject:
        try:
            row = video_object_upload(
                user_id=user_id,
                name=name,
                path=upload.path,
                mimetype=upload.mimetype,
                cache_control=upload.cache_control,
                user_metadata=upload.user_metadata,
                upsert=upsert,
            )
        except VideoUnplayable as error:
            raise StorageError.invalid_mime_type(error.message) from error
        return _stored_object(row)

    def objects_remove(self, *, user_id: uuid.UUID, names: list[str]) -> list[StoredObject]:
        removed = storage_objects_remove(user_id=user_id, bucket_id=self.id, names=names)
        return [_stored_object(row) for row in removed]

    def object_move(self, *, user_id: uuid.UUID, source: str, destination: str) -> StoredObject:
        row = storage_object_move(user_id=user_id, bucket_id=self.id, source=source, destination=destination)
        return _stored_object(row)

    def object_copy(self, *, user_id: uuid.UUID, source: str, destination: str, upsert: bool) -> StoredObject:
        row = storage_object_copy(
            user_id=user_id, bucket_id=self.id, source=source, destination=destination, upsert=upsert
        )
        return _stored_object(row)


class ClipsBucket(StoredFileResponses, Bucket):
    """The MP4 and JPEG poster of each of the user's finished clip jobs, as `<job id>.mp4` and `<job id>.jpg`."""

    id = "clips"
    allowed_mime_types = [downloads.VIDEO.content_type, downloads.POSTER.content_type]
    KINDS = {kind.extension: kind for kind in (downloads.VIDEO, downloads.POSTER)}

    def _object(self, job: ClipJob, kind: downloads.ClipFileKind) -> StoredObject:
        """The job's file of this kind; NotFound when it is not stored."""
        storage_name = downloads.clip_file_name(clip_job_id=job.id, kind=kind)
        try:
            size = default_storage.size(storage_name)
        except FileNotFoundError as error:
            raise NotFound("Object not found") from error
        finished = job.completed_at or job.submitted_at
        # The poster's id is derived from its job's, so each object keeps one id.
        object_id = job.id if kind is downloads.VIDEO else uuid.uuid5(job.id, kind.name)
        return StoredObject(
            id=object_id,
            name=f"{job.id}.{kind.extension}",
            storage_name=storage_name,
            size=size,
            mimetype=kind.content_type,
            cache_control="private, max-age=86400",
            created_at=finished,
            updated_at=finished,
            last_accessed_at=finished,
        )

    def _finished_jobs(self, *, user_id: uuid.UUID) -> QuerySet[ClipJob]:
        return clip_job_list(user_id=user_id).filter(status=ClipJob.Status.COMPLETED)

    def object_get(self, *, user_id: uuid.UUID, name: str) -> StoredObject:
        stem, _, extension = name.partition(".")
        kind = self.KINDS.get(extension)
        try:
            canonical = str(uuid.UUID(stem)) == stem
        except ValueError:
            canonical = False
        job = self._finished_jobs(user_id=user_id).filter(pk=stem).first() if kind and canonical else None
        if job is None:
            raise NotFound("Object not found")
        return self._object(job, kind)

    def file_objects(
        self, *, user_id: uuid.UUID, prefix: str, search: str, sort_column: str, descending: bool, limit: int
    ) -> list[StoredObject]:
        if prefix:  # the bucket has no folders
            return []
        jobs = self._finished_jobs(user_id=user_id).only("id", "submitted_at", "completed_at")
        entries = [(f"{job.id}.{kind.extension}", job, kind) for job in jobs for kind in self.KINDS.values()]
        entries = [entry for entry in entries if entry[0].startswith(search.lower())]
        if sort_column == "name":
            entries.sort(key=lambda entry: entry[0], reverse=descending)
        else:  # created, updated and last accessed are all the time the clip was finished
            entries.sort(
                key=lambda entry: (entry[1].completed_at or entry[1].submitted_at, entry[0]), reverse=descending
            )
        found = []
        for _, job, kind in entries:
            if len(found) == limit:
                break
            try:
                found.append(self._object(job, kind))
            except NotFound:  # a finished job whose file is gone is not listed
                continue
        return found


buckets.register(VideosBucket())
buckets.register(ClipsBucket())

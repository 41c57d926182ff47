"""The writers' project pages (the projects list and a project's timeline), and the signed files: a clip job's
stored MP4 or poster, an exported film or an uploaded video, served to whoever holds its URL with HTTP Range support.

No session or token is needed (the app's player and a `<video>` tag send no header): the signature
in the URL is the permission. A bad signature and a missing file are both a plain 404. On S3 the URL
answers a redirect to a short-lived presigned URL of the object, so the store, not a web worker, serves
the bytes (Range and slow clients included). On local files the file is streamed from the storage API
in chunks, only the requested bytes, under gunicorn or any WSGI server.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

from clips.downloads import ClipFileKind, clip_file_for_signature, clip_file_name, clip_poster_url
from clips.models import SCENE_DURATION_MAX
from clips.selectors import project_overview_list, project_poster_clip_jobs, project_scene_drafts, project_state_get
from clips.serializers import ProjectStateSerializer, SceneDraftSerializer
from continuity.selectors import scene_draft_checks
from directorstudio.errors import NotFound
from directorstudio.storage import presigned_url
from screenplays.selectors import screenplay_list, screenplay_scene_headings, screenplay_titles

CHUNK_SIZE = 64 * 1024
RANGE_RE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


# Only `bytes` ranges are understood; a header in another unit, or malformed, is ignored (200 with the
# whole file), as RFC 9110 allows. Of several ranges only the first is served, as a plain 206 of it.
def parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """The first range of a `Range` header as inclusive (first, last); None to ignore it, False if unsatisfiable."""
    unit, _, ranges = header.partition("=")
    if unit.strip().lower() != "bytes" or not ranges.strip():
        return None
    match = RANGE_RE.match(ranges.split(",")[0])
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            return False
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        return False
    return start, min(end, size - 1)


def read_range(name: str, start: int, length: int) -> Iterator[bytes]:
    """Yield `length` bytes of the stored file `name` from offset `start`, a chunk at a time."""
    with default_storage.open(name, "rb") as handle:
        if start:
            handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def _modified_time(name: str) -> datetime | None:
    """The stored file's modification time, or None when the backend cannot tell."""
    try:
        return default_storage.get_modified_time(name)
    except (NotImplementedError, OSError, AttributeError):
        return None


def serve_clip_file(
    request: HttpRequest, *, clip_job_id: uuid.UUID, user_id: uuid.UUID, signature: str, kind: str
) -> HttpResponse:
    """Answer a GET or HEAD of a signed clip file: 302 to the store's presigned URL (S3), or 200 whole, 206 a range,
    416 out of range; 404 otherwise."""
    try:
        file_kind: ClipFileKind = clip_file_for_signature(
            clip_job_id=clip_job_id, user_id=user_id, kind=kind, signature=signature
        )
    except NotFound as error:
        raise Http404() from error
    name = clip_file_name(clip_job_id=clip_job_id, kind=file_kind)
    try:
        if not default_storage.exists(name):
            raise Http404()
        store_url = presigned_url(default_storage, name, method=request.method)
        if store_url:
            # The presigned URL expires soon: no cache may keep this answer.
            return HttpResponseRedirect(store_url, headers={"Cache-Control": "no-store"})
        size = default_storage.size(name)
    except (FileNotFoundError, OSError) as error:
        raise Http404() from error

    modified = _modified_time(name)
    etag = f'"{size:x}-{int(modified.timestamp() * 1000):x}"' if modified else None
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=86400",
        "Content-Type": file_kind.content_type,
        "X-Content-Type-Options": "nosniff",
    }
    if etag:
        headers["ETag"] = etag
    if modified:
        headers["Last-Modified"] = http_date(modified.timestamp())

    return stored_file_response(request, name=name, size=size, headers=headers, etag=etag, modified=modified)


def stored_file_response(
    request: HttpRequest,
    *,
    name: str,
    size: int,
    headers: dict[str, str],
    etag: str | None,
    modified: datetime | None,
) -> HttpResponse:
    """A stored file's answer to GET or HEAD: 304 for a matching `If-None-Match`, 206 a range, 416 out of range,
    else 200 whole, streamed from the storage API in chunks (only the requested bytes)."""
    if etag and etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponse(status=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})

    byte_range = None
    range_header = request.headers.get("Range")
    if range_header and _if_range_holds(request.headers.get("If-Range"), etag=etag, modified=modified):
        byte_range = parse_range(range_header, size)
        if byte_range is False:
            return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})

    status, start, length = 200, 0, size
    if byte_range:
        first, last = byte_range
        status, start, length = 206, first, last - first + 1
        headers = {**headers, "Content-Range": f"bytes {first}-{last}/{size}"}
    headers = {**headers, "Content-Length": str(length)}

    if request.method == "HEAD":
        return HttpResponse(status=status, headers=headers)
    return StreamingHttpResponse(read_range(name, start, length), status=status, headers=headers)


def _if_range_holds(if_range: str | None, *, etag: str | None, modified: datetime | None) -> bool:
    """Whether a `Range` may be honoured: no `If-Range`, or one naming the file as it is now."""
    if not if_range:
        return True
    if if_range.startswith('"') or if_range.startswith("W/"):
        return etag is not None and if_range == etag
    when = parse_http_date_safe(if_range)
    return when is not None and modified is not None and int(modified.timestamp()) == when


@require_safe
def clip_video(request: HttpRequest, clip_job_id: uuid.UUID, user_id: uuid.UUID, signature: str) -> HttpResponse:
    """A clip job's MP4, for its signed URL."""
    return serve_clip_file(request, clip_job_id=clip_job_id, user_id=user_id, signature=signature, kind="video")


@require_safe
def clip_poster(request: HttpRequest, clip_job_id: uuid.UUID, user_id: uuid.UUID, signature: str) -> HttpResponse:
    """A clip job's JPEG poster, for its signed URL."""
    return serve_clip_file(request, clip_job_id=clip_job_id, user_id=user_id, signature=signature, kind="poster")


@require_safe
def film_video(request: HttpRequest, clip_job_id: uuid.UUID, user_id: uuid.UUID, signature: str) -> HttpResponse:
    """A film export's MP4, for its signed URL."""
    return serve_clip_file(request, clip_job_id=clip_job_id, user_id=user_id, signature=signature, kind="film")


@require_safe
def upload_video(request: HttpRequest, clip_job_id: uuid.UUID, user_id: uuid.UUID, signature: str) -> HttpResponse:
    """An uploaded video's stored MP4, for its signed URL."""
    return serve_clip_file(request, clip_job_id=clip_job_id, user_id=user_id, signature=signature, kind="upload")


def _minutes_seconds(seconds: float) -> str:
    """A running time as m:ss (rounded to the second)."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


@login_required
def project_list_page(request: HttpRequest) -> HttpResponse:
    """The writer's projects, most recently changed first, with their running time and a poster; create or open one."""
    projects = list(project_overview_list(user_id=request.user.id))
    project_ids = [project.project_id for project in projects]
    titles = screenplay_titles(user_id=request.user.id, ids=project_ids)
    posters = project_poster_clip_jobs(user_id=request.user.id, project_ids=project_ids)
    for project in projects:
        project.name = titles.get(project.project_id) or project.project_id
        project.running_time = _minutes_seconds(project.total_duration or 0)
        poster = posters.get(project.project_id)
        project.poster_url = poster and clip_poster_url(clip_job_id=poster.id, user_id=poster.user_id)
    screenplays = screenplay_list(user_id=request.user.id).only("id", "title")
    return render(request, "clips/projects.html", {"projects": projects, "screenplays": screenplays})


@login_required
def timeline_page(request: HttpRequest, project_id: str) -> HttpResponse:
    """One of the writer's projects as a timeline; a project of nobody's scenes but another writer's is a 404."""
    try:
        scenes = project_scene_drafts(user_id=request.user.id, project_id=project_id)
    except NotFound as error:
        raise Http404(error.message) from error
    name = screenplay_titles(user_id=request.user.id, ids=[project_id]).get(project_id)
    data = {
        "project": {"id": project_id, "name": name or project_id, "from_screenplay": name is not None},
        "scenes": SceneDraftSerializer(scenes, many=True).data,
        "state": ProjectStateSerializer(project_state_get(user_id=request.user.id, project_id=project_id)).data,
        "duration_max": SCENE_DURATION_MAX,
        "upload_max_bytes": settings.VIDEO_UPLOAD_MAX_BYTES,
        "continuity": scene_draft_checks(user_id=request.user.id, project_id=project_id),
        "headings": screenplay_scene_headings(user_id=request.user.id, project_id=project_id),
    }
    context = {"project_id": project_id, "project_name": name or project_id, "timeline_data": data}
    return render(request, "clips/timeline.html", context)

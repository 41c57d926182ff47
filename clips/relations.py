"""The clips app's relations on `/rest/v1`, and its functions: submitting, cancelling, reordering."""

import uuid
from typing import Any

from rest_framework import serializers

from clips.models import SceneDraft, VideoUpload
from clips.selectors import clip_job_list, project_overview_list, scene_draft_list, video_upload_list
from clips.serializers import (
    PROMPT_MAX,
    USER_KEY_MAX,
    ClipJobSerializer,
    SceneDraftReorderSerializer,
    SceneDraftSerializer,
    VideoUploadSerializer,
)
from clips.services import (
    clip_job_cancel,
    clip_job_submit,
    scene_drafts_reorder,
    video_upload_delete,
)
from directorstudio.facade.rest.registry import (
    Function,
    Relation,
    owned_row_create,
    plain_row_delete,
    plain_row_update,
    register,
    register_function,
)
from directorstudio.throttling import ClipSubmitThrottle


def _clip_job_create(*, user_id: uuid.UUID, values: dict[str, Any]) -> tuple[Any, bool]:
    return clip_job_submit(user_id=user_id, **values)


def _video_upload_delete(*, user_id: uuid.UUID, row: VideoUpload) -> None:
    video_upload_delete(user_id=user_id, video_upload_id=row.pk)


register(
    Relation(
        name="scene_drafts",
        rows=scene_draft_list,
        serializer=SceneDraftSerializer,
        create=owned_row_create(SceneDraft),
        update=plain_row_update,
        delete=plain_row_delete,
    )
)
register(
    Relation(
        name="clip_jobs",
        rows=clip_job_list,
        serializer=ClipJobSerializer,
        create=_clip_job_create,
        create_throttle=ClipSubmitThrottle,
    )
)
register(
    Relation(
        name="video_uploads",
        rows=video_upload_list,
        serializer=VideoUploadSerializer,
        create=owned_row_create(VideoUpload),
        update=plain_row_update,
        delete=_video_upload_delete,
    )
)
register(Relation(name="project_overview", rows=project_overview_list))


class ClipJobSubmitArguments(serializers.Serializer):
    """`submit_clip_job(prompt, user_key?, id?)`."""

    prompt = serializers.CharField(max_length=PROMPT_MAX)
    user_key = serializers.CharField(max_length=USER_KEY_MAX, required=False)
    id = serializers.UUIDField(required=False)


class ClipJobCancelArguments(serializers.Serializer):
    """`cancel_clip_job(clip_job_id)`."""

    clip_job_id = serializers.UUIDField()


def submit_clip_job(*, user_id: uuid.UUID, **arguments: Any) -> dict[str, Any]:
    """A clip job paid with one credit, as `POST /rest/v1/clip_jobs` makes it."""
    job, _ = clip_job_submit(user_id=user_id, **arguments)
    return ClipJobSerializer(job).data


def cancel_clip_job(*, user_id: uuid.UUID, clip_job_id: uuid.UUID) -> dict[str, Any]:
    """The queued job cancelled and its credit refunded, once."""
    return ClipJobSerializer(clip_job_cancel(user_id=user_id, clip_job_id=clip_job_id)).data


def reorder_project(*, user_id: uuid.UUID, project_id: str, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The project's scene drafts in their new order."""
    return SceneDraftSerializer(scene_drafts_reorder(user_id=user_id, project_id=project_id, ids=ids), many=True).data


register_function(Function(name="submit_clip_job", call=submit_clip_job, arguments=ClipJobSubmitArguments))
register_function(Function(name="cancel_clip_job", call=cancel_clip_job, arguments=ClipJobCancelArguments))
register_function(Function(name="reorder_project", call=reorder_project, arguments=SceneDraftReorderSerializer))

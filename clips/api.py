import uuid
from typing import Any

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clips.filters import ClipJobFilter, ProjectOverviewFilter, SceneDraftFilter, VideoUploadFilter
from clips.selectors import clip_job_list, project_overview_list, scene_draft_list, video_upload_list
from clips.serializers import (
    ClipJobSerializer,
    ProjectOverviewSerializer,
    SceneDraftReorderSerializer,
    SceneDraftSerializer,
    VideoUploadSerializer,
)
from clips.services import clip_job_cancel, clip_job_submit, scene_drafts_reorder
from directorstudio.api import OwnedRowViewSet, OwnedViewRowViewSet
from directorstudio.errors import NotFound
from directorstudio.openapi import WRITE_ERRORS, error_responses, owned_row_schema


@owned_row_schema(
    SceneDraftSerializer,
    rows="scene drafts",
    reorder=extend_schema(
        summary="Reorder a project's scene drafts",
        description="Sets `order_index` 0..n-1 in the order of `ids`, which must name every scene draft of the "
        "project exactly once. Answers the project's scene drafts in their new order.",
        request=SceneDraftReorderSerializer,
        responses={200: SceneDraftSerializer(many=True), **error_responses(400, 401, 413, 415)},
    ),
)
class SceneDraftViewSet(OwnedRowViewSet):
    """The signed-in user's scene drafts, by project and `order_index`."""

    rows = staticmethod(scene_draft_list)
    serializer_class = SceneDraftSerializer
    filterset_class = SceneDraftFilter

    @action(detail=False, methods=["post"], serializer_class=SceneDraftReorderSerializer, filterset_class=None)
    def reorder(self, request: Request) -> Response:
        order = SceneDraftReorderSerializer(data=request.data)
        order.is_valid(raise_exception=True)
        scenes = scene_drafts_reorder(user_id=request.user.pk, **order.validated_data)
        return Response(SceneDraftSerializer(scenes, many=True).data)


@owned_row_schema(
    ClipJobSerializer,
    rows="clip jobs",
    create=extend_schema(
        summary="Submit a clip job",
        description="Takes one credit from your `credits_ledger` row for `user_key` (which may be left out when "
        "you have exactly one ledger row) and queues the job (`status` queued) for a worker, which moves it to "
        "processing, then completed (`download_url`, `completed_at`) or failed (`error_message`, the credit "
        "given back). Without a credit left the answer is 402 and nothing is stored. Repeating the create with "
        "the same `id` returns the first job and takes no second credit. Poll the job to follow it.",
        responses={
            201: ClipJobSerializer,
            200: OpenApiResponse(ClipJobSerializer, description="The same create repeated: the first job."),
            **error_responses(*WRITE_ERRORS, 402),
        },
    ),
    cancel=extend_schema(
        summary="Cancel a queued clip job",
        description="A queued job becomes cancelled and its credit goes back to the ledger, once: cancelling it "
        "again answers the cancelled job and changes nothing. A job already processing, completed or failed "
        "cannot be cancelled (409, `code` not_cancellable). The body may be left out; if sent, it is `{}`.",
        request=OpenApiTypes.OBJECT,
        responses={200: ClipJobSerializer, **error_responses(*WRITE_ERRORS, 404)},
    ),
)
class ClipJobViewSet(OwnedRowViewSet):
    """The signed-in user's clip jobs, newest first; created by spending a credit, changed only by a cancel."""

    rows = staticmethod(clip_job_list)
    serializer_class = ClipJobSerializer
    filterset_class = ClipJobFilter
    http_method_names = ["get", "post", "head", "options"]

    def perform_create_row(self, values: dict[str, Any]) -> tuple[models.Model, bool]:
        return clip_job_submit(user_id=self.request.user.pk, **values)

    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request: Request, pk: str) -> Response:
        request.data  # noqa: B018 - a body, if any, is parsed: malformed, too large or not JSON is refused
        try:
            clip_job_id = uuid.UUID(pk)
        except ValueError:
            raise NotFound() from None
        job = clip_job_cancel(user_id=request.user.pk, clip_job_id=clip_job_id)
        return Response(ClipJobSerializer(job).data)


@owned_row_schema(VideoUploadSerializer, rows="video uploads")
class VideoUploadViewSet(OwnedRowViewSet):
    """The signed-in user's video uploads, by project and `order_index`."""

    rows = staticmethod(video_upload_list)
    serializer_class = VideoUploadSerializer
    filterset_class = VideoUploadFilter


@extend_schema_view(
    list=extend_schema(
        summary="List your projects' overviews",
        description="Per project: scene count, total duration, first creation and last change of its scene drafts.",
        responses={200: ProjectOverviewSerializer(many=True), **error_responses(400, 401)},
    )
)
class ProjectOverviewViewSet(OwnedViewRowViewSet):
    """The signed-in user's rows of the project_overview view, most recently changed first."""

    rows = staticmethod(project_overview_list)
    serializer_class = ProjectOverviewSerializer
    filterset_class = ProjectOverviewFilter

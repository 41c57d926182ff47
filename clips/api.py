import uuid
from typing import Any

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from clips.filters import ClipJobFilter, ProjectOverviewFilter, SceneDraftFilter, VideoUploadFilter
from clips.selectors import (
    clip_job_list,
    film_export_list,
    project_overview_list,
    project_state_get,
    scene_draft_list,
    video_upload_list,
)
from clips.serializers import (
    PROJECT_ID_MAX,
    ClipJobSerializer,
    FilmExportSerializer,
    ProjectClipsSubmitSerializer,
    ProjectOverviewSerializer,
    ProjectStateSerializer,
    SceneClipJobSerializer,
    SceneClipSubmitSerializer,
    SceneDraftReorderSerializer,
    SceneDraftSerializer,
    VideoUploadFileSerializer,
    VideoUploadReorderSerializer,
    VideoUploadSerializer,
)
from clips.services import (
    clip_job_cancel,
    clip_job_submit,
    film_export_start,
    project_clips_submit,
    scene_draft_clip_submit,
    scene_drafts_reorder,
    video_upload_create,
    video_upload_delete,
    video_uploads_reorder,
)
from directorstudio.api import LeanReadsMixin, OwnedRowsMixin, OwnedRowViewSet, OwnedViewRowViewSet
from directorstudio.errors import NotFound
from directorstudio.openapi import READ_ERRORS, WRITE_ERRORS, error_responses, owned_row_schema
from directorstudio.parsers import SizeLimitedJSONParser
from directorstudio.renderers import FastJSONRenderer
from directorstudio.throttling import ClipSubmitThrottle


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
    clip_job_submit_for_scene=extend_schema(
        operation_id="scene_drafts_clip_job_create",
        summary="Submit a clip job for a scene draft",
        description="Like `POST /clip_jobs/` with the scene's `prompt_text` (one credit; `user_key` may be left "
        "out when you have exactly one ledger row), and the job is remembered as the scene's latest clip "
        "(see `project_states`). 402 without a credit left; 429 past CLIP_SUBMIT_RATE submissions.",
        request=SceneClipSubmitSerializer,
        responses={201: SceneClipJobSerializer, **error_responses(*WRITE_ERRORS, 402, 404, 429)},
    ),
    clip_jobs_submit_for_project=extend_schema(
        summary="Submit a clip job for every scene of a project without a clip",
        description="Every scene whose latest clip job is neither queued, processing nor completed gets one, "
        "one credit each. All or nothing: 402 (and nothing submitted) when the credits do not cover them all. "
        "The call counts as one submission against CLIP_SUBMIT_RATE (429 past it).",
        request=ProjectClipsSubmitSerializer,
        responses={201: SceneClipJobSerializer(many=True), **error_responses(*WRITE_ERRORS, 402, 429)},
    ),
)
class SceneDraftViewSet(LeanReadsMixin, OwnedRowViewSet):
    """The signed-in user's scene drafts, by project and `order_index`; the timeline reads a project's at once."""

    rows = staticmethod(scene_draft_list)
    serializer_class = SceneDraftSerializer
    filterset_class = SceneDraftFilter
    renderer_classes = [FastJSONRenderer]

    @action(detail=False, methods=["post"], serializer_class=SceneDraftReorderSerializer, filterset_class=None)
    def reorder(self, request: Request) -> Response:
        order = SceneDraftReorderSerializer(data=request.data)
        order.is_valid(raise_exception=True)
        scenes = scene_drafts_reorder(user_id=request.user.pk, **order.validated_data)
        return Response(SceneDraftSerializer(scenes, many=True).data)

    @action(
        detail=True,
        methods=["post"],
        url_path="clip_jobs",
        serializer_class=SceneClipSubmitSerializer,
        filterset_class=None,
        throttle_classes=[ClipSubmitThrottle],
    )
    def clip_job_submit_for_scene(self, request: Request, pk: str) -> Response:
        values = SceneClipSubmitSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        job = scene_draft_clip_submit(user_id=request.user.pk, scene_draft_id=_uuid_or_404(pk), **values.validated_data)
        return Response(SceneClipJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @action(
        detail=False,
        methods=["post"],
        url_path="clip_jobs",
        serializer_class=ProjectClipsSubmitSerializer,
        filterset_class=None,
        throttle_classes=[ClipSubmitThrottle],
        pagination_class=None,
    )
    def clip_jobs_submit_for_project(self, request: Request) -> Response:
        values = ProjectClipsSubmitSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        jobs = project_clips_submit(user_id=request.user.pk, **values.validated_data)
        return Response(SceneClipJobSerializer(jobs, many=True).data, status=status.HTTP_201_CREATED)


def _uuid_or_404(pk: str) -> uuid.UUID:
    """The path's id as a UUID; anything else names no row."""
    try:
        return uuid.UUID(pk)
    except ValueError:
        raise NotFound() from None


@owned_row_schema(
    ClipJobSerializer,
    rows="clip jobs",
    create=extend_schema(
        summary="Submit a clip job",
        description="Takes one credit from your `credits_ledger` row for `user_key` (which may be left out when "
        "you have exactly one ledger row) and queues the job (`status` queued) for a worker, which moves it to "
        "processing, then completed (`download_url`, `completed_at`) or failed (`error_message`, the credit "
        "given back). Without a credit left the answer is 402 and nothing is stored. Repeating the create with "
        "the same `id` returns the first job and takes no second credit. Poll the job to follow it. Submissions "
        "(with the scene drafts' two submit calls) are limited per user to CLIP_SUBMIT_RATE (default 60 a "
        "minute): past it the answer is 429 with `Retry-After`.",
        responses={
            201: ClipJobSerializer,
            200: OpenApiResponse(ClipJobSerializer, description="The same create repeated: the first job."),
            **error_responses(*WRITE_ERRORS, 402, 429),
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
class ClipJobViewSet(LeanReadsMixin, OwnedRowViewSet):
    """The signed-in user's clip jobs, newest first; created by spending a credit, changed only by a cancel.

    Polling a job (`retrieve`) is the API's most frequent call, hence the lean reads and renderer.
    """

    rows = staticmethod(clip_job_list)
    serializer_class = ClipJobSerializer
    filterset_class = ClipJobFilter
    renderer_classes = [FastJSONRenderer]
    http_method_names = ["get", "post", "head", "options"]

    def get_throttles(self) -> list[BaseThrottle]:
        """A submission counts against CLIP_SUBMIT_RATE; reads and cancels are not limited."""
        return [ClipSubmitThrottle()] if self.action == "create" else super().get_throttles()

    def perform_create_row(self, values: dict[str, Any]) -> tuple[models.Model, bool]:
        return clip_job_submit(user_id=self.request.user.pk, **values)

    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request: Request, pk: str) -> Response:
        request.data  # noqa: B018 - a body, if any, is parsed: malformed, too large or not JSON is refused
        job = clip_job_cancel(user_id=request.user.pk, clip_job_id=_uuid_or_404(pk))
        return Response(ClipJobSerializer(job).data)


@owned_row_schema(
    VideoUploadSerializer,
    rows="video uploads",
    create=extend_schema(
        summary="Create one of your video uploads, or upload a video file",
        description="JSON: a row naming a file stored elsewhere (`user_id` from the token; your own `id` makes "
        "repeating it safe). Multipart with `file`: the video is probed with ffmpeg (a file that is not a "
        "playable video, or larger than VIDEO_UPLOAD_MAX_BYTES, is a 400 and nothing is stored), stored as an "
        "MP4 and `filename` names the stored object; without `order_index` it goes last in the project.",
        request={"application/json": VideoUploadSerializer, "multipart/form-data": VideoUploadFileSerializer},
        responses={201: VideoUploadSerializer, 200: VideoUploadSerializer, **error_responses(*WRITE_ERRORS)},
    ),
    destroy=extend_schema(
        summary="Delete one of your video uploads",
        description="A file this server stored for the upload is deleted with the row.",
        responses={204: None, **error_responses(*READ_ERRORS)},
    ),
    reorder=extend_schema(
        summary="Reorder a project's video uploads",
        description="Sets `order_index` 0..n-1 in the order of `ids`, which must name every video upload of the "
        "project exactly once. Answers the project's uploads in their new order.",
        request=VideoUploadReorderSerializer,
        responses={200: VideoUploadSerializer(many=True), **error_responses(400, 401, 413, 415)},
    ),
)
class VideoUploadViewSet(OwnedRowViewSet):
    """The signed-in user's video uploads, by project and `order_index`; a multipart create stores the file."""

    rows = staticmethod(video_upload_list)
    serializer_class = VideoUploadSerializer
    filterset_class = VideoUploadFilter
    parser_classes = [SizeLimitedJSONParser, MultiPartParser]

    def create(self, request: Request, *args, **kwargs) -> Response:
        if "file" not in request.FILES:
            return super().create(request, *args, **kwargs)
        values = VideoUploadFileSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        row = video_upload_create(
            user_id=request.user.pk,
            project_id=data["project_id"],
            upload=data["file"],
            order_index=data.get("order_index"),
        )
        return Response(VideoUploadSerializer(row).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: models.Model) -> None:
        video_upload_delete(user_id=self.request.user.pk, video_upload_id=instance.pk)

    @action(detail=False, methods=["post"], serializer_class=VideoUploadReorderSerializer, filterset_class=None)
    def reorder(self, request: Request) -> Response:
        order = VideoUploadReorderSerializer(data=request.data)
        order.is_valid(raise_exception=True)
        uploads = video_uploads_reorder(user_id=request.user.pk, **order.validated_data)
        return Response(VideoUploadSerializer(uploads, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="List your film exports",
        responses={200: FilmExportSerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(
        summary="Read one of your film exports", responses={200: FilmExportSerializer, **error_responses(*READ_ERRORS)}
    ),
    create=extend_schema(
        summary="Export a project's film",
        description="Queues a worker that joins the project's finished clips, in scene order, into one MP4 "
        "(`missing`: skip a scene without a clip, or show its prompt as a title card). Follow `status` and "
        "`progress`; when completed, `download_url` is the film's signed URL.",
        responses={201: FilmExportSerializer, **error_responses(*WRITE_ERRORS)},
    ),
)
class FilmExportViewSet(OwnedRowsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in user's film exports, newest first; a create starts one."""

    rows = staticmethod(film_export_list)
    serializer_class = FilmExportSerializer

    def create(self, request: Request) -> Response:
        values = FilmExportSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        export = film_export_start(user_id=request.user.pk, **values.validated_data)
        return Response(FilmExportSerializer(export).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    retrieve=extend_schema(
        summary="Read a project's state on the timeline",
        description="In one answer, whatever the project's size: each scene's latest clip job (with its poster "
        "and when its run started), your credits, the project's video uploads (with their signed URLs) and its "
        "latest film export. Poll it to follow clips and exports.",
        parameters=[OpenApiParameter("project_id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: ProjectStateSerializer, **error_responses(*READ_ERRORS)},
    )
)
class ProjectStateViewSet(viewsets.ViewSet):
    """A project's timeline state (clips, credits, uploads, export) for the signed-in user."""

    lookup_field = "project_id"
    lookup_value_regex = f"[^/]{{1,{PROJECT_ID_MAX}}}"

    def retrieve(self, request: Request, project_id: str) -> Response:
        state = project_state_get(user_id=request.user.pk, project_id=project_id)
        return Response(ProjectStateSerializer(state).data)


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

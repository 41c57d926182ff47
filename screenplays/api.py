from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from clips.serializers import SceneDraftSerializer
from directorstudio.api import OwnedRowViewSet
from directorstudio.errors import VersionConflict
from directorstudio.openapi import READ_ERRORS, WRITE_ERRORS, error_responses, owned_row_schema
from directorstudio.parsers import RequestBodyTooLarge
from screenplays.filters import ScreenplayFilter, ScreenplaySectionFilter
from screenplays.models import RevisionSource, Screenplay
from screenplays.selectors import (
    screenplay_list,
    screenplay_revision_get,
    screenplay_revision_list,
    screenplay_section_list,
)
from screenplays.serializers import (
    ScreenplayExportQuerySerializer,
    ScreenplayImportSerializer,
    ScreenplayRestoreSerializer,
    ScreenplayRevisionDetailSerializer,
    ScreenplayRevisionSerializer,
    ScreenplaySceneDraftsSerializer,
    ScreenplaySectionSerializer,
    ScreenplaySerializer,
    ScreenplayStatisticsSerializer,
    ScreenplayUpdateSerializer,
)
from screenplays.services import (
    screenplay_create,
    screenplay_delete,
    screenplay_export,
    screenplay_import,
    screenplay_restore,
    screenplay_scene_drafts_create,
    screenplay_statistics,
    screenplay_update,
)

# Room for a multipart body's boundaries and other fields around an import's file.
_MULTIPART_OVERHEAD = 64 * 1024

_update_responses = {
    200: ScreenplaySerializer,
    **error_responses(*WRITE_ERRORS, 404),
    409: OpenApiResponse(
        response=inline_serializer(
            "ScreenplayVersionConflict",
            fields={
                "detail": serializers.CharField(),
                "code": serializers.CharField(),
                "current": ScreenplaySerializer(),
            },
        ),
        description="The screenplay changed since `version`; the body has the `current` row.",
    ),
}
_update_description = (
    "`version` is the version the edit is based on. When it is still the stored one the change is saved "
    "and `version` grows by one; otherwise nothing changes and the answer is 409 with the current row."
)


_version_parameter = OpenApiParameter(
    "version", OpenApiTypes.INT, OpenApiParameter.PATH, description="A saved version."
)


class FileFormatNegotiation(DefaultContentNegotiation):
    """Content negotiation that leaves `?format=` to the view (the export's file format); errors answer JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@owned_row_schema(
    ScreenplaySerializer,
    rows="screenplays",
    revisions=extend_schema(
        summary="List the saved versions of one of your screenplays",
        description="The saved versions kept, from any client, newest first, without content (autosaves are "
        "thinned as they age). `source` is the client that saved it (app, editor, admin, restore, import); "
        "`page_count` is known once its PDF was rendered.",
        responses={200: ScreenplayRevisionSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    revision=extend_schema(
        summary="Read one saved version of one of your screenplays",
        parameters=[_version_parameter],
        responses={200: ScreenplayRevisionDetailSerializer, **error_responses(*READ_ERRORS)},
    ),
    restore=extend_schema(
        summary="Restore a saved version of one of your screenplays",
        description="Saves the title and content of `version` as the next version (a restore is a new version). "
        "`based_on_version` must be the stored version, else the answer is 409 with the current row.",
        request=ScreenplayRestoreSerializer,
        responses=_update_responses,
    ),
    statistics=extend_schema(
        summary="Count the scenes, words, pages and speakers of one of your screenplays",
        description="Pages are the PDF export's; the running time is a minute a page.",
        responses={200: ScreenplayStatisticsSerializer, **error_responses(*READ_ERRORS)},
    ),
    export=extend_schema(
        summary="Download one of your screenplays as PDF, Final Draft or Fountain",
        description="A file download (`Content-Disposition: attachment`) named after the title.",
        parameters=[ScreenplayExportQuerySerializer],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "application/xml"): OpenApiTypes.BINARY,
            (200, "text/plain"): OpenApiTypes.BINARY,
            **error_responses(400, *READ_ERRORS),
        },
    ),
    import_file=extend_schema(
        summary="Import a screenplay file",
        description="A multipart upload of a `.fountain`, `.txt` or Final Draft `.fdx` file (at most "
        f"{settings.SCREENPLAY_IMPORT_MAX_BYTES} bytes) becomes a new screenplay at version 1. A bad or hostile "
        "file is a 400 on `file` and stores nothing. The title is `title`, else the title page's, else the file name.",
        request={"multipart/form-data": ScreenplayImportSerializer},
        responses={
            201: ScreenplaySerializer,
            **error_responses(400, 401, 413),
            415: OpenApiResponse(description="The body is not `multipart/form-data`."),
        },
    ),
    scene_drafts=extend_schema(
        summary="Turn one of your screenplays into its project's scene drafts",
        description="One scene draft per scene heading, in the project whose `project_id` is the screenplay's id: "
        "`prompt_text` from the heading and the scene's first action, `duration` the `default_duration`, "
        "`scene_type` INT, EXT or INT/EXT. With `mode` create, a project that has drafts already is a 409 "
        "(`code` scene_drafts_exist): send replace (delete them first) or append (add after them). "
        "Answers all the project's scene drafts in order.",
        request=ScreenplaySceneDraftsSerializer,
        responses={201: SceneDraftSerializer(many=True), **error_responses(*WRITE_ERRORS, 404)},
    ),
    update=extend_schema(
        summary="Replace one of your screenplays",
        description=_update_description,
        request=ScreenplayUpdateSerializer,
        responses=_update_responses,
    ),
    partial_update=extend_schema(
        summary="Change some columns of one of your screenplays",
        description=_update_description,
        request=ScreenplayUpdateSerializer,
        responses=_update_responses,
    ),
)
class ScreenplayViewSet(OwnedRowViewSet):
    """The signed-in user's screenplays, most recently changed first, with their history, statistics and files."""

    rows = staticmethod(screenplay_list)
    serializer_class = ScreenplaySerializer
    filterset_class = ScreenplayFilter

    def get_serializer_class(self):
        if self.action in {"update", "partial_update"}:
            return ScreenplayUpdateSerializer
        return super().get_serializer_class()

    def _source(self) -> str:
        """The client saving: the browser editor (signed in with a session) or the app (with a token)."""
        if isinstance(self.request.successful_authenticator, SessionAuthentication):
            return RevisionSource.EDITOR
        return RevisionSource.APP

    def _conflict(self, conflict: VersionConflict) -> Response:
        return Response(
            {
                "detail": conflict.message,
                "code": conflict.code,
                "current": ScreenplaySerializer(conflict.current).data,
            },
            status=status.HTTP_409_CONFLICT,
        )

    def perform_create_row(self, values: dict[str, Any]) -> tuple[Screenplay, bool]:
        return screenplay_create(
            user_id=self.request.user.pk, source=self._source(), saved_by=self.request.user.pk, **values
        )

    def update(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().update(request, *args, **kwargs)
        except VersionConflict as conflict:
            return self._conflict(conflict)

    def perform_update(self, serializer: ScreenplayUpdateSerializer) -> None:
        values = dict(serializer.validated_data)
        based_on_version = values.pop("version")
        autosave = values.pop("autosave", None)
        serializer.instance = screenplay_update(
            screenplay_id=serializer.instance.pk,
            based_on_version=based_on_version,
            values=values,
            saved_by=self.request.user.pk,
            source=self._source(),
            autosave=autosave,
        )

    def perform_destroy(self, instance: Screenplay) -> None:
        screenplay_delete(screenplay_id=instance.pk)

    @action(detail=True, methods=["get"], filterset_class=None)
    def revisions(self, request: Request, pk: str) -> Response:
        screenplay = self.get_object()
        page = self.paginate_queryset(screenplay_revision_list(user_id=request.user.pk, screenplay_id=screenplay.pk))
        return self.get_paginated_response(ScreenplayRevisionSerializer(page, many=True).data)

    @action(
        detail=True,
        methods=["get"],
        url_path=r"revisions/(?P<version>[0-9]{1,9})",
        filterset_class=None,
        pagination_class=None,
    )
    def revision(self, request: Request, pk: str, version: str) -> Response:
        screenplay = self.get_object()
        revision = screenplay_revision_get(user_id=request.user.pk, screenplay_id=screenplay.pk, version=int(version))
        return Response(ScreenplayRevisionDetailSerializer(revision).data)

    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def restore(self, request: Request, pk: str) -> Response:
        screenplay = self.get_object()
        restore = ScreenplayRestoreSerializer(data=request.data)
        restore.is_valid(raise_exception=True)
        try:
            restored = screenplay_restore(
                screenplay_id=screenplay.pk, saved_by=request.user.pk, **restore.validated_data
            )
        except VersionConflict as conflict:
            return self._conflict(conflict)
        return Response(ScreenplaySerializer(restored).data)

    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def statistics(self, request: Request, pk: str) -> Response:
        return Response(screenplay_statistics(screenplay=self.get_object()))

    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        pagination_class=None,
        content_negotiation_class=FileFormatNegotiation,
    )
    def export(self, request: Request, pk: str) -> HttpResponse:
        query = ScreenplayExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        exported = screenplay_export(screenplay=self.get_object(), format=query.validated_data["format"])
        response = HttpResponse(exported.data, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response

    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser],
        filterset_class=None,
        pagination_class=None,
    )
    def import_file(self, request: Request) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.SCREENPLAY_IMPORT_MAX_BYTES + _MULTIPART_OVERHEAD:
            raise RequestBodyTooLarge(f"An import takes files of at most {settings.SCREENPLAY_IMPORT_MAX_BYTES} bytes.")
        upload = ScreenplayImportSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        screenplay = screenplay_import(
            user_id=request.user.pk,
            filename=file.name,
            data=file.read(settings.SCREENPLAY_IMPORT_MAX_BYTES + 1),
            title=upload.validated_data.get("title"),
        )
        return Response(ScreenplaySerializer(screenplay).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="scene_drafts", filterset_class=None, pagination_class=None)
    def scene_drafts(self, request: Request, pk: str) -> Response:
        screenplay = self.get_object()
        options = ScreenplaySceneDraftsSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        drafts = screenplay_scene_drafts_create(
            user_id=request.user.pk, screenplay_id=screenplay.pk, **options.validated_data
        )
        return Response(SceneDraftSerializer(drafts, many=True).data, status=status.HTTP_201_CREATED)


@owned_row_schema(ScreenplaySectionSerializer, rows="screenplay sections")
class ScreenplaySectionViewSet(OwnedRowViewSet):
    """The sections of the signed-in user's screenplays, in screenplay and `order_index` order."""

    rows = staticmethod(screenplay_section_list)
    serializer_class = ScreenplaySectionSerializer
    filterset_class = ScreenplaySectionFilter

    def owner_values(self) -> dict:
        return {}

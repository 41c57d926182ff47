from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from directorstudio.api import OwnedRowViewSet
from directorstudio.errors import VersionConflict
from directorstudio.openapi import WRITE_ERRORS, error_responses, owned_row_schema
from screenplays.filters import ScreenplayFilter, ScreenplaySectionFilter
from screenplays.selectors import screenplay_list, screenplay_section_list
from screenplays.serializers import ScreenplaySectionSerializer, ScreenplaySerializer, ScreenplayUpdateSerializer
from screenplays.services import screenplay_update

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


@owned_row_schema(
    ScreenplaySerializer,
    rows="screenplays",
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
    """The signed-in user's screenplays, most recently changed first."""

    rows = staticmethod(screenplay_list)
    serializer_class = ScreenplaySerializer
    filterset_class = ScreenplayFilter

    def get_serializer_class(self):
        if self.action in {"update", "partial_update"}:
            return ScreenplayUpdateSerializer
        return super().get_serializer_class()

    def update(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().update(request, *args, **kwargs)
        except VersionConflict as conflict:
            return Response(
                {
                    "detail": conflict.message,
                    "code": conflict.code,
                    "current": ScreenplaySerializer(conflict.current).data,
                },
                status=status.HTTP_409_CONFLICT,
            )

    def perform_update(self, serializer: ScreenplayUpdateSerializer) -> None:
        values = dict(serializer.validated_data)
        based_on_version = values.pop("version")
        serializer.instance = screenplay_update(
            screenplay_id=serializer.instance.pk, based_on_version=based_on_version, values=values
        )


@owned_row_schema(ScreenplaySectionSerializer, rows="screenplay sections")
class ScreenplaySectionViewSet(OwnedRowViewSet):
    """The sections of the signed-in user's screenplays, in screenplay and `order_index` order."""

    rows = staticmethod(screenplay_section_list)
    serializer_class = ScreenplaySectionSerializer
    filterset_class = ScreenplaySectionFilter

    def owner_values(self) -> dict:
        return {}

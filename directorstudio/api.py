from collections.abc import Callable
from typing import Any

from django.db import models
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from directorstudio.services import row_create_idempotent, row_update

RowsSelector = Callable[..., models.QuerySet]


class OwnedRowsMixin:
    """Reads the signed-in user's rows through the app's selector `rows(*, user_id)`."""

    rows: RowsSelector

    def get_queryset(self) -> models.QuerySet:
        return self.rows(user_id=self.request.user.pk)


class OwnedRowViewSet(
    OwnedRowsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """CRUD over the signed-in user's own rows; anybody else's row is a 404.

    `rows` is the app's selector of the user's rows (wrap it in `staticmethod`). `key_fields` are
    the columns a client may send to make a create idempotent. Subclasses change behaviour through
    `owner_values` and the services they call.
    """

    key_fields: tuple[str, ...] = ("id",)
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def owner_values(self) -> dict[str, Any]:
        """Columns a new row takes from the signed-in user rather than from the body."""
        return {"user_id": self.request.user.pk}

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row, created = self.perform_create_row(serializer.validated_data)
        return Response(
            self.get_serializer(row).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def perform_create_row(self, values: dict[str, Any]) -> tuple[models.Model, bool]:
        return row_create_idempotent(
            model=self.get_queryset().model,
            user_id=self.request.user.pk,
            values={**values, **self.owner_values()},
            key_fields=self.key_fields,
        )

    def perform_update(self, serializer) -> None:
        serializer.instance = row_update(row=serializer.instance, values=serializer.validated_data)


class OwnedViewRowViewSet(OwnedRowsMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Read-only listing of a database view's rows that belong to the signed-in user."""

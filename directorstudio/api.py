import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from directorstudio.querysets import CompiledRead
from directorstudio.services import row_create_idempotent, row_update

RowsSelector = Callable[..., models.QuerySet]


class OwnedRowsMixin:
    """Reads the signed-in user's rows through the app's selector `rows(*, user_id)`."""

    rows: RowsSelector

    def get_queryset(self) -> models.QuerySet:
        return self.rows(user_id=self.request.user.pk)

    def filter_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        """The list's query filters apply to the list only: a single row is found by its id alone."""
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


@functools.cache
def _row_columns(serializer_class: type[serializers.ModelSerializer]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The serializer's columns, and those of them that are timestamps: the only values `values()` gives otherwise.

    UUIDs are left to the renderer, which writes them as str() does, as DRF's UUIDField and encoder do.
    """
    model = serializer_class.Meta.model
    columns = tuple(serializer_class.Meta.fields)
    timestamps = tuple(name for name in columns if isinstance(model._meta.get_field(name), models.DateTimeField))
    return columns, timestamps


def _answer_rows(timestamps: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of `values()` with their timestamps written as OffsetDateTimeField writes them."""
    tz = timezone.get_current_timezone()
    rows = list(rows)
    for row in rows:
        for name in timestamps:
            if row[name] is not None:
                row[name] = row[name].astimezone(tz).isoformat()
    return rows


@functools.cache
def _row_read(rows: RowsSelector, serializer_class: type[serializers.ModelSerializer]) -> CompiledRead:
    """One of the user's rows by its id, from the selector `rows`, compiled once per selector and serializer."""
    columns, _ = _row_columns(serializer_class)
    return CompiledRead(
        lambda user_id, row_id: rows(user_id=user_id).filter(pk=row_id).order_by().values(*columns),
        names=("user_id", "row_id"),
    )


class LeanReadsMixin:
    """`list` and `retrieve` answer from `values()` of the serializer's columns: no model instances, no serializer.

    For the hottest reads (the clip status poll, a project's scene drafts), where building model
    instances and running DRF's fields cost more than the query. Only for a serializer whose fields
    are all plain model columns, nothing computed or renamed; the answers are the serializer's, key
    for key and value for value (a test compares them).
    """

    def list(self, request: Request, *args, **kwargs) -> Response:
        columns, timestamps = _row_columns(self.get_serializer_class())
        queryset = self.filter_queryset(self.get_queryset()).values(*columns)
        page = self.paginate_queryset(queryset)
        rows = _answer_rows(timestamps, queryset if page is None else page)
        return Response(rows) if page is None else self.get_paginated_response(rows)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        serializer_class = self.get_serializer_class()
        _, timestamps = _row_columns(serializer_class)
        primary_key = serializer_class.Meta.model._meta.pk
        try:
            row_id = primary_key.to_python(kwargs[self.lookup_url_kwarg or self.lookup_field])
        except ValidationError:
            raise Http404 from None  # as GenericAPIView.get_object: an id that is not an id is not found
        # Object permissions are not checked: the rows are the user's own and IsAuthenticated has none.
        row = _row_read(self.rows, serializer_class).row(user_id=request.user.pk, row_id=row_id)
        if row is None:
            raise Http404
        return Response(_answer_rows(timestamps, [row])[0])


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

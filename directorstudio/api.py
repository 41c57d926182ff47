import functools
import random
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone
from django_filters import Filter, FilterSet
from django_filters.constants import EMPTY_VALUES
from django_filters.utils import translate_validation
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from directorstudio.querysets import CompiledRead, answer_column
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


@functools.cache
def _filter_set(filterset_class: type[FilterSet]) -> FilterSet:
    """An unbound filter set, built once: its form class and filters serve every request of a lean list.

    A FilterSet copies its filters and builds its form class again for every request, which cost the
    500-row scene list more than its query; the form validates the request's values as it would.
    """
    return filterset_class(queryset=filterset_class._meta.model.objects.none())


def _stand_in(filter_: Filter) -> Any:
    """The filter's value while its list compiles: a unique time for a time bound, a UUID (text to a text column)."""
    if issubclass(filter_.field_class, forms.DateTimeField):
        return datetime(2001, 1, 1, tzinfo=UTC) + timedelta(microseconds=random.randint(1, 10**15))  # noqa: S311
    return uuid.uuid4()


@functools.lru_cache(maxsize=1024)
def _list_read(
    rows: RowsSelector,
    serializer_class: type[serializers.ModelSerializer],
    filterset_class: type[FilterSet],
    names: tuple[str, ...],
    offset: int,
    limit: int,
) -> CompiledRead:
    """A page of the user's rows filtered by the filters `names`, compiled once per shape (filters and page).

    The filters are the filter set's own, so the SQL is what django-filter would have the ORM run;
    the columns are read as the API writes them (`answer_column`).
    """
    columns, _ = _row_columns(serializer_class)
    filters = _filter_set(filterset_class).filters
    model = serializer_class.Meta.model
    # Every column an expression, so that the SQL's columns are in the serializer's order.
    selected = [answer_column(model._meta.get_field(name)) for name in columns]

    def build(user_id: uuid.UUID, **values: Any) -> models.QuerySet:
        queryset = rows(user_id=user_id)
        for name, value in values.items():
            queryset = filters[name].filter(queryset, value)
        return queryset[offset : offset + limit].values_list(*selected)

    return CompiledRead(build, names=("user_id", *names), stand_ins={name: _stand_in(filters[name]) for name in names})


class LeanReadsMixin:
    """`list` and `retrieve` answer from SQL compiled once of the serializer's columns: no queryset, no serializer.

    For the hottest reads (the clip status poll, a project's scene drafts), where building model
    instances and running DRF's fields, then building the filter set and the queryset, cost more
    than the query. Only for a serializer whose fields are all plain model columns, nothing computed
    or renamed, and (for `list`) a view with a `filterset_class` and RowPagination; the answers are
    the serializer's, key for key and value for value (tests compare them byte for byte).
    """

    def list(self, request: Request, *args, **kwargs) -> Response:
        serializer_class = self.get_serializer_class()
        form = _filter_set(self.filterset_class).form.__class__(request.query_params)
        if not form.is_valid():
            raise translate_validation(form.errors)  # as django-filter's backend answers it
        values = {name: value for name, value in form.cleaned_data.items() if value not in EMPTY_VALUES}
        offset, limit = self.paginator.page_bounds(request)
        read = _list_read(self.rows, serializer_class, self.filterset_class, tuple(values), offset, limit + 1)
        columns, _ = _row_columns(serializer_class)
        rows = [dict(zip(columns, row, strict=True)) for row in read.rows(user_id=request.user.pk, **values)]
        return self.get_paginated_response(self.paginator.page_rows(rows))

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

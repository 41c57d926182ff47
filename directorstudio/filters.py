from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import models
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField

# Date ranges are `<column>__gte` / `<column>__lte` with ISO 8601 times, across the whole API.


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, handed on in UTC: PostgreSQL refuses the offsets beyond ±15:59 that ISO 8601 allows."""

    default_error_messages = {"overflow": "This time is out of range."}

    def to_python(self, value: str | None) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["overflow"], code="overflow") from None


class UTCIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class RowFilterSet(filters.FilterSet):
    """A FilterSet whose time bounds always reach the database in UTC."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.DateTimeField: {"filter_class": UTCIsoDateTimeFilter},
    }

from datetime import UTC, datetime

from django.db import models


class UTCTimestampField(models.DateTimeField):
    """A `timestamp without time zone` column holding UTC wall-clock time, aware in Python."""

    def db_type(self, connection) -> str:
        return "timestamp without time zone"

    def from_db_value(self, value, expression, connection):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

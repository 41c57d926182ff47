from datetime import datetime

from django.db import models
from rest_framework import serializers

# PostgreSQL `integer` columns; a larger number would fail in the database, not in validation.
INTEGER_MAX = 2**31 - 1


class OffsetDateTimeField(serializers.DateTimeField):
    """An ISO 8601 timestamp with its offset spelled out (`+00:00`), as Supabase answers it, never `Z`."""

    def to_representation(self, value: datetime | str | None) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return self.enforce_timezone(value).isoformat()


class RowSerializer(serializers.ModelSerializer):
    """A row of one of the schema's relations, its keys the column names, its timestamps as Supabase writes them."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: OffsetDateTimeField,
    }


class OwnedRowSerializer(RowSerializer):
    """A table row with every column; the client may choose `id` when creating it, never change it later."""

    id = serializers.UUIDField(
        required=False, help_text="Optional on create: the client's own UUID, which makes repeating the create safe."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["id"].read_only = True
        return fields

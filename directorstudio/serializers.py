from rest_framework import serializers

# PostgreSQL `integer` columns; a larger number would fail in the database, not in validation.
INTEGER_MAX = 2**31 - 1


class OwnedRowSerializer(serializers.ModelSerializer):
    """A table row with every column; the client may choose `id` when creating it, never change it later."""

    id = serializers.UUIDField(
        required=False, help_text="Optional on create: the client's own UUID, which makes repeating the create safe."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["id"].read_only = True
        return fields

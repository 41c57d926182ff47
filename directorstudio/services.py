from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from directorstudio.errors import IdTaken, InvalidInput

Row = TypeVar("Row", bound=models.Model)


def _has_column(model: type[models.Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def row_full_clean(*, row: models.Model) -> None:
    """Run the model's validation before a save, refusing bad values with the project's InvalidInput."""
    try:
        row.full_clean()
    except ValidationError as error:
        raise InvalidInput(error.message_dict) from None


def row_create_idempotent(
    *, model: type[Row], user_id: Any, values: dict[str, Any], key_fields: Iterable[str] = ("id",)
) -> tuple[Row, bool]:
    """Create a row of the user's, or return their existing row when a client repeats a create with the same key.

    Offline-first clients retry creates with their own ids. A repeat returns the stored row
    (created is False); a key that belongs to somebody else's row is a conflict that shows
    nothing of that row.
    """
    owned_rows = model._default_manager.owned_by(user_id)
    key = {field: values[field] for field in key_fields if values.get(field) is not None}
    if len(key) == len(tuple(key_fields)):
        existing = owned_rows.filter(**key).first()
        if existing is not None:
            return existing, False
    now = timezone.now()  # one moment for both, so a new row's created_at equals its updated_at
    stamps = {name: now for name in ("created_at", "updated_at") if _has_column(model, name) and name not in values}
    try:
        with transaction.atomic():
            return model._default_manager.create(**values, **stamps), True
    except IntegrityError:
        if not key:
            raise
        existing = owned_rows.filter(**key).first()
        if existing is not None:  # a concurrent repeat of the same create won the race
            return existing, False
        if model._default_manager.filter(**key).exists():
            raise IdTaken() from None
        raise


def row_update(*, row: Row, values: dict[str, Any]) -> Row:
    """Apply `values` to `row` and save it, refreshing `updated_at` where the table has one."""
    for field, value in values.items():
        setattr(row, field, value)
    if _has_column(type(row), "updated_at"):
        row.updated_at = timezone.now()
    with transaction.atomic():
        row.save()
    return row


def row_delete(*, row: models.Model) -> None:
    """Delete `row` (and what cascades from it) in one transaction."""
    with transaction.atomic():
        row.delete()

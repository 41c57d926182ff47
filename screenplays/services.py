import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from directorstudio.errors import NotFound, VersionConflict
from directorstudio.services import row_full_clean
from screenplays.models import Screenplay


def screenplay_update(*, screenplay_id: uuid.UUID, based_on_version: int, values: dict[str, Any]) -> Screenplay:
    """Save an edit made on `based_on_version` and bump the version by one; an older base is a conflict.

    The row is locked first, so two saves based on the same version cannot both win.
    """
    with transaction.atomic():
        current = Screenplay.objects.select_for_update().filter(pk=screenplay_id).first()
        if current is None:
            raise NotFound("No such screenplay.")
        if current.version != based_on_version:
            raise VersionConflict(
                current,
                f"The screenplay was saved elsewhere since version {based_on_version}: "
                f"it is now at version {current.version}.",
            )
        for field, value in values.items():
            setattr(current, field, value)
        current.version += 1
        current.updated_at = timezone.now()
        row_full_clean(row=current)
        current.save()
    return current

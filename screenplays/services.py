from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound

from directorstudio.exceptions import RowConflict
from screenplays.models import Screenplay


class ScreenplayVersionConflict(RowConflict):
    default_detail = "The screenplay changed since the version this edit is based on."
    default_code = "version_conflict"

    def __init__(self, current: Screenplay) -> None:
        super().__init__()
        self.current = current


def screenplay_update(*, screenplay: Screenplay, based_on_version: int, values: dict[str, Any]) -> Screenplay:
    """Save an edit made on `based_on_version` and bump the version by one; an older base is a conflict.

    The row is locked first, so two saves based on the same version cannot both win.
    """
    with transaction.atomic():
        current = Screenplay.objects.select_for_update().filter(pk=screenplay.pk).first()
        if current is None:
            raise NotFound()
        if current.version != based_on_version:
            raise ScreenplayVersionConflict(current)
        for field, value in values.items():
            setattr(current, field, value)
        current.version += 1
        current.updated_at = timezone.now()
        current.save()
    return current

"""The one definition of "the rows this user owns", shared by every model with an owner."""

import uuid
from typing import Self

from django.db import models


class OwnedQuerySet(models.QuerySet):
    """Rows with an owner; `owner_lookup` is the lookup that names the owner's user id."""

    owner_lookup = "user_id"

    def owned_by(self, user_id: uuid.UUID | None) -> Self:
        """The rows of the user `user_id` (none for an anonymous caller, whose id is None)."""
        if user_id is None:
            return self.none()
        return self.filter(**{self.owner_lookup: user_id})


class SectionQuerySet(OwnedQuerySet):
    """Screenplay sections, owned through their screenplay."""

    owner_lookup = "screenplay__user_id"

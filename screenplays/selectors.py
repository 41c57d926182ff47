"""Reads of screenplays and their sections, always within one user's rows."""

import uuid

from django.db.models import QuerySet

from directorstudio.errors import NotFound
from screenplays.models import Screenplay, ScreenplaySection


def screenplay_list(*, user_id: uuid.UUID | None) -> QuerySet[Screenplay]:
    """The user's screenplays, most recently changed first."""
    return Screenplay.objects.owned_by(user_id).order_by("-updated_at", "id")


def screenplay_get(*, user_id: uuid.UUID | None, screenplay_id: uuid.UUID) -> Screenplay:
    """One of the user's screenplays; anybody else's is as unknown as a made-up id."""
    screenplay = Screenplay.objects.owned_by(user_id).filter(pk=screenplay_id).first()
    if screenplay is None:
        raise NotFound("No such screenplay.")
    return screenplay


def screenplay_section_list(*, user_id: uuid.UUID | None) -> QuerySet[ScreenplaySection]:
    """The sections of the user's screenplays, in screenplay and `order_index` order."""
    return ScreenplaySection.objects.owned_by(user_id).order_by("screenplay_id", "order_index", "id")

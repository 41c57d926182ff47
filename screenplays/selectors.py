"""Reads of screenplays and their sections, always within one user's rows."""

import uuid

from django.db.models import QuerySet

from directorstudio.errors import NotFound
from screenplays.models import Screenplay, ScreenplayRevision, ScreenplaySection


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


def screenplay_revision_list(*, user_id: uuid.UUID | None, screenplay_id: uuid.UUID) -> QuerySet[ScreenplayRevision]:
    """The saved versions of one of the user's screenplays, newest first, without their content."""
    return (
        ScreenplayRevision.objects.owned_by(user_id)
        .filter(screenplay_id=screenplay_id)
        .defer("content")
        .order_by("-version")
    )


def screenplay_revision_get(*, user_id: uuid.UUID | None, screenplay_id: uuid.UUID, version: int) -> ScreenplayRevision:
    """One saved version of one of the user's screenplays, with its content."""
    revision = ScreenplayRevision.objects.owned_by(user_id).filter(screenplay_id=screenplay_id, version=version).first()
    if revision is None:
        raise NotFound("This screenplay has no such saved version.")
    return revision

"""Reads of screenplays and their sections, always within one user's rows."""

import uuid
from collections.abc import Iterable

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower

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


# The orders of the screenplays list, by the name its page uses; a leading "-" is the descending one.
SUMMARY_ORDERS = {
    "title": (Lower("title").asc(), "id"),
    "-title": (Lower("title").desc(), "id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "id"),
    "pages": (F("page_count").asc(nulls_last=True), Lower("title"), "id"),
    "-pages": (F("page_count").desc(nulls_last=True), Lower("title"), "id"),
}


def screenplay_summary_list(
    *, user_id: uuid.UUID | None, title_contains: str = "", order: str = "-updated"
) -> QuerySet[Screenplay]:
    """The user's screenplays with `scene_count` and `page_count` (once counted), in one of `SUMMARY_ORDERS`.

    `title_contains` narrows them to titles holding that text, whatever its case; by default the
    most recently changed come first.
    """
    pages = ScreenplayRevision.objects.filter(screenplay=OuterRef("pk"), version=OuterRef("version")).values(
        "page_count"
    )
    screenplays = screenplay_list(user_id=user_id)
    if title_contains:
        screenplays = screenplays.filter(title__icontains=title_contains)
    return screenplays.annotate(
        scene_count=Count("sections"), page_count=Subquery(pages[:1], output_field=IntegerField())
    ).order_by(*SUMMARY_ORDERS[order])


def screenplay_scene_headings(*, user_id: uuid.UUID | None, project_id: str) -> list[str]:
    """The scene headings of the user's screenplay whose id is `project_id`, in order; none for other projects."""
    try:
        screenplay_id = uuid.UUID(project_id)
    except ValueError:
        return []
    return list(
        screenplay_section_list(user_id=user_id).filter(screenplay_id=screenplay_id).values_list("heading", flat=True)
    )


def screenplay_titles(*, user_id: uuid.UUID | None, ids: Iterable[str]) -> dict[str, str]:
    """The titles of the user's screenplays among `ids` (texts, such as project ids), keyed by those texts."""
    uuids = []
    for text in ids:
        try:
            uuids.append(uuid.UUID(text))
        except ValueError:
            continue
    rows = screenplay_list(user_id=user_id).filter(pk__in=uuids).values_list("id", "title")
    return {str(screenplay_id): title for screenplay_id, title in rows}

"""The screenplays app's relations on `/rest/v1`: screenplays and their sections."""

import uuid
from typing import Any

from rest_framework import serializers

from directorstudio.facade.rest.registry import Embed, Relation, plain_row_delete, plain_row_update, register
from directorstudio.serializers import INTEGER_MAX
from directorstudio.services import row_create_idempotent
from screenplays.models import RevisionSource, Screenplay, ScreenplaySection
from screenplays.selectors import screenplay_list, screenplay_section_list
from screenplays.serializers import ScreenplaySectionSerializer, ScreenplaySerializer
from screenplays.services import screenplay_create, screenplay_delete, screenplay_update


class ScreenplayWriteSerializer(ScreenplaySerializer):
    """A screenplay written through `/rest/v1`: `version`, when sent, is the one the edit is based on or makes."""

    version = serializers.IntegerField(min_value=1, max_value=INTEGER_MAX, required=False)


def _screenplay_create(*, user_id: uuid.UUID, values: dict[str, Any]) -> tuple[Screenplay, bool]:
    values.pop("version", None)
    return screenplay_create(user_id=user_id, source=RevisionSource.APP, saved_by=user_id, **values)


def _screenplay_update(*, user_id: uuid.UUID, row: Screenplay, values: dict[str, Any]) -> Screenplay:
    """Save the change as the next version; a `version` older than the stored one is a VersionConflict.

    A Supabase client writes the version it makes (stored + 1) where `/api/v1/` sends the one it was
    based on, so either is taken as based on the stored version.
    """
    version = values.pop("version", row.version)
    based_on_version = row.version if version == row.version + 1 else version
    values.pop("id", None)
    return screenplay_update(
        screenplay_id=row.pk,
        based_on_version=based_on_version,
        values=values,
        saved_by=user_id,
        source=RevisionSource.APP,
    )


def _screenplay_delete(*, user_id: uuid.UUID, row: Screenplay) -> None:
    screenplay_delete(screenplay_id=row.pk)


def _section_create(*, user_id: uuid.UUID, values: dict[str, Any]) -> tuple[ScreenplaySection, bool]:
    return row_create_idempotent(model=ScreenplaySection, user_id=user_id, values=values)


register(
    Relation(
        name="screenplays",
        rows=screenplay_list,
        serializer=ScreenplayWriteSerializer,
        create=_screenplay_create,
        update=_screenplay_update,
        delete=_screenplay_delete,
        embeds=(Embed("screenplay_sections", column="id", target_column="screenplay_id", many=True),),
    )
)
register(
    Relation(
        name="screenplay_sections",
        rows=screenplay_section_list,
        serializer=ScreenplaySectionSerializer,
        create=_section_create,
        update=plain_row_update,
        delete=plain_row_delete,
        embeds=(Embed("screenplays", column="screenplay_id", target_column="id", many=False),),
    )
)

from django_filters import rest_framework as filters

from directorstudio.filters import RowFilterSet
from screenplays.models import Screenplay, ScreenplaySection


class ScreenplayFilter(RowFilterSet):
    """Screenplays by title words and by when they were created or last changed."""

    title__icontains = filters.CharFilter(field_name="title", lookup_expr="icontains", max_length=300)

    class Meta:
        model = Screenplay
        fields = {"created_at": ["gte", "lte"], "updated_at": ["gte", "lte"]}


class ScreenplaySectionFilter(RowFilterSet):
    """Sections of one screenplay."""

    screenplay_id = filters.UUIDFilter(field_name="screenplay_id")

    class Meta:
        model = ScreenplaySection
        fields = {"created_at": ["gte", "lte"]}

from django_filters import rest_framework as filters

from credits.models import CreditsLedger
from credits.serializers import USER_KEY_MAX
from directorstudio.filters import RowFilterSet


class CreditsLedgerFilter(RowFilterSet):
    user_key = filters.CharFilter(max_length=USER_KEY_MAX)

    class Meta:
        model = CreditsLedger
        fields: list[str] = []

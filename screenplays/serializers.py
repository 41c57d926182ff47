from rest_framework import serializers

from directorstudio.serializers import INTEGER_MAX, OwnedRowSerializer
from screenplays.models import Screenplay, ScreenplaySection
from screenplays.selectors import screenplay_list

TITLE_MAX = 300
HEADING_MAX = 500
CONTENT_MAX = 500_000


class ScreenplaySerializer(OwnedRowSerializer):
    """A screenplay row; an update must carry the `version` it was based on."""

    title = serializers.CharField(max_length=TITLE_MAX)
    content = serializers.CharField(max_length=CONTENT_MAX, required=False, allow_blank=True, trim_whitespace=False)
    version = serializers.IntegerField(
        read_only=True,
        help_text="Starts at 1 and grows by one with every saved change. "
        "An update (PUT or PATCH) must send the version it was based on; an older one is answered 409.",
    )

    class Meta:
        model = Screenplay
        fields = ["id", "user_id", "title", "content", "version", "created_at", "updated_at"]
        read_only_fields = ["user_id", "created_at", "updated_at"]


class ScreenplayUpdateSerializer(ScreenplaySerializer):
    """A screenplay update, which names the version the edit is based on."""

    version = serializers.IntegerField(
        min_value=1, max_value=INTEGER_MAX, help_text="The version this edit is based on; an older one is answered 409."
    )

    def validate(self, attrs: dict) -> dict:
        # A partial update skips "required", but no edit may leave out the version it is based on.
        if "version" not in attrs:
            raise serializers.ValidationError({"version": [self.fields["version"].error_messages["required"]]})
        return attrs


class UserScreenplayField(serializers.PrimaryKeyRelatedField):
    """A screenplay id among the signed-in user's screenplays; anybody else's is as unknown as a made-up one."""

    def get_queryset(self):
        return screenplay_list(user_id=self.context["request"].user.pk)


class ScreenplaySectionSerializer(OwnedRowSerializer):
    """A screenplay section row; its screenplay must be one of the signed-in user's."""

    screenplay_id = UserScreenplayField(source="screenplay", pk_field=serializers.UUIDField())
    heading = serializers.CharField(max_length=HEADING_MAX)
    content = serializers.CharField(max_length=CONTENT_MAX, required=False, allow_blank=True, trim_whitespace=False)
    order_index = serializers.IntegerField(min_value=0, max_value=INTEGER_MAX)

    class Meta:
        model = ScreenplaySection
        fields = ["id", "screenplay_id", "heading", "content", "order_index", "created_at"]
        read_only_fields = ["created_at"]

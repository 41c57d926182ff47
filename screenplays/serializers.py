from rest_framework import serializers

from directorstudio.serializers import INTEGER_MAX, OwnedRowSerializer, RowSerializer
from screenplays.models import Screenplay, ScreenplayRevision, ScreenplaySection
from screenplays.selectors import screenplay_list
from screenplays.services import EXPORT_FORMATS, TITLE_MAX

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
    autosave = serializers.BooleanField(
        required=False,
        write_only=True,
        help_text="true: a save nobody asked for, thinned as it ages; false: kept. "
        "Left out: true with a token (the app), false signed in with a session (the editor).",
    )

    class Meta(ScreenplaySerializer.Meta):
        fields = [*ScreenplaySerializer.Meta.fields, "autosave"]

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


class ScreenplayRevisionSerializer(RowSerializer):
    """A saved version of a screenplay, without its content."""

    class Meta:
        model = ScreenplayRevision
        fields = ["version", "title", "source", "saved_by", "created_at", "page_count"]
        read_only_fields = fields


class ScreenplayRevisionDetailSerializer(ScreenplayRevisionSerializer):
    """A saved version of a screenplay with its content."""

    class Meta(ScreenplayRevisionSerializer.Meta):
        fields = [*ScreenplayRevisionSerializer.Meta.fields, "content"]
        read_only_fields = fields


class ScreenplayRestoreSerializer(serializers.Serializer):
    """The saved version to restore and the version the restore is based on."""

    version = serializers.IntegerField(min_value=1, max_value=INTEGER_MAX, help_text="The saved version to restore.")
    based_on_version = serializers.IntegerField(
        min_value=1, max_value=INTEGER_MAX, help_text="The screenplay's version the restore is based on; older is 409."
    )


class CharacterLinesSerializer(serializers.Serializer):
    """A speaking character and their number of speeches."""

    name = serializers.CharField()
    lines = serializers.IntegerField()


class ScreenplayStatisticsSerializer(serializers.Serializer):
    """Counts over the screenplay's current version."""

    scenes = serializers.IntegerField()
    words = serializers.IntegerField(help_text="Words of dialogue and action (notes, boneyard and cues excluded).")
    pages = serializers.IntegerField(help_text="Pages of the PDF export.")
    running_time_seconds = serializers.IntegerField(help_text="A minute a page.")
    characters = CharacterLinesSerializer(many=True, help_text="Speakers, most speeches first.")
    int_ext = serializers.DictField(child=serializers.IntegerField(), help_text="Scenes by INT, EXT and INT/EXT.")
    day_night = serializers.DictField(child=serializers.IntegerField(), help_text="Scenes by time of day.")
    locations = serializers.ListField(child=serializers.CharField(), help_text="Places in order of appearance.")
    version = serializers.IntegerField(help_text="The screenplay version counted.")


class ScreenplayExportQuerySerializer(serializers.Serializer):
    """The export's file format."""

    format = serializers.ChoiceField(choices=EXPORT_FORMATS, help_text="pdf, fdx (Final Draft) or fountain.")


class ScreenplayImportSerializer(serializers.Serializer):
    """A screenplay file to import, and an optional title."""

    file = serializers.FileField(help_text="A .fountain, .txt or Final Draft .fdx file.")
    title = serializers.CharField(
        max_length=TITLE_MAX, required=False, allow_blank=True, help_text="Else the title page's, else the file name."
    )


class ScreenplaySceneDraftsSerializer(serializers.Serializer):
    """How to turn the screenplay's scenes into its project's scene drafts."""

    mode = serializers.ChoiceField(
        choices=["create", "replace", "append"],
        default="create",
        help_text="create (409 scene_drafts_exist when the project has drafts), replace them, or append after them.",
    )
    default_duration = serializers.FloatField(
        default=4.0, min_value=0.1, max_value=3600, help_text="Seconds, each new draft's duration."
    )

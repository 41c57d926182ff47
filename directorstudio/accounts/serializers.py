from rest_framework import serializers

from directorstudio.accounts.models import User

PASSWORD_GRANT = "password"
REFRESH_TOKEN_GRANT = "refresh_token"


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email"]


class TokenRequestSerializer(serializers.Serializer):
    """Either `email` and `password` (password grant) or `refresh_token` (refresh grant)."""

    grant_type = serializers.ChoiceField(choices=[PASSWORD_GRANT, REFRESH_TOKEN_GRANT], default=PASSWORD_GRANT)
    email = serializers.CharField(required=False, max_length=254)
    password = serializers.CharField(required=False, write_only=True, trim_whitespace=False, max_length=4096)
    refresh_token = serializers.CharField(required=False, max_length=256)

    def validate(self, attrs: dict) -> dict:
        required = ["email", "password"] if attrs["grant_type"] == PASSWORD_GRANT else ["refresh_token"]
        missing = {field: "This field is required." for field in required if not attrs.get(field)}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField(help_text="A Supabase-format JWT (HS256) for `Authorization: Bearer`.")
    token_type = serializers.CharField(help_text='Always "bearer".')
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    expires_at = serializers.IntegerField(help_text="When the access token expires, as a Unix timestamp.")
    refresh_token = serializers.CharField(help_text="Single use: exchange it once with the refresh_token grant.")
    user = UserSerializer()


class AuthErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(
        help_text="invalid_grant, invalid_token, token_expired, user_inactive or user_conflict."
    )

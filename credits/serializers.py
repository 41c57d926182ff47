from rest_framework import serializers

from credits.models import CreditsLedger, UserStatistics
from directorstudio.serializers import OwnedRowSerializer, RowSerializer

USER_KEY_MAX = 200
# Apple's JWS with its three-certificate chain is a few kilobytes; this leaves ample room.
SIGNED_DATA_MAX = 64_000


class CreditsLedgerSerializer(OwnedRowSerializer):
    """A ledger row; the client sends only `user_key` (and maybe `id`), the balances are the server's."""

    # The key is a SHA-256 hex digest in today's app, but the column is free text and rows
    # written by other clients may hold other keys, so only its length is checked.
    user_key = serializers.CharField(
        max_length=USER_KEY_MAX, help_text="Key derived from the Sign in with Apple identity (a SHA-256 hex digest)."
    )

    class Meta:
        model = CreditsLedger
        fields = [
            "id",
            "user_key",
            "credits",
            "first_clip_granted",
            "first_clip_consumed",
            "granted_at",
            "updated_at",
            "user_id",
        ]
        read_only_fields = [
            "credits",
            "first_clip_granted",
            "first_clip_consumed",
            "granted_at",
            "updated_at",
            "user_id",
        ]


class UserStatisticsSerializer(RowSerializer):
    class Meta:
        model = UserStatistics
        fields = [
            "user_id",
            "email",
            "credits",
            "total_scenes",
            "total_screenplays",
            "completed_videos",
            "last_activity",
        ]


class UserKeySerializer(serializers.Serializer):
    """The Apple-account key a credits action is about."""

    user_key = serializers.CharField(
        max_length=USER_KEY_MAX, help_text="Key derived from the Sign in with Apple identity."
    )


class PurchaseSerializer(UserKeySerializer):
    """A StoreKit 2 purchase to credit to one of your keys."""

    signed_transaction = serializers.CharField(
        max_length=SIGNED_DATA_MAX,
        help_text="The transaction's JWS as StoreKit 2 hands it to the app (jwsRepresentation).",
    )


class AppStoreNotificationSerializer(serializers.Serializer):
    """An App Store Server Notification V2 as Apple posts it."""

    signedPayload = serializers.CharField(max_length=SIGNED_DATA_MAX)

from django.contrib import admin

from credits.models import CreditsLedger, UserStatistics
from directorstudio.admin import DatabaseViewAdmin, DirectorStudioModelAdmin, text_start


@admin.register(CreditsLedger)
class CreditsLedgerAdmin(DirectorStudioModelAdmin):
    list_display = (
        text_start("user_key", 16),
        "credits",
        "first_clip_granted",
        "first_clip_consumed",
        "user_id",
        "granted_at",
        "updated_at",
    )
    search_fields = ("=id", "=user_id", "=user_key")
    list_filter = ("first_clip_granted", "first_clip_consumed", "granted_at", "updated_at")
    date_hierarchy = "updated_at"
    ordering = ("user_key",)
    # Balances change only through the credits services, never by typing a number.
    readonly_fields = ("id", "credits", "first_clip_granted", "first_clip_consumed", "granted_at", "updated_at")
    fields = (
        "id",
        "user_key",
        "user_id",
        "credits",
        "first_clip_granted",
        "first_clip_consumed",
        "granted_at",
        "updated_at",
    )


@admin.register(UserStatistics)
class UserStatisticsAdmin(DatabaseViewAdmin):
    list_display = (
        "email",
        "user_id",
        "credits",
        "total_scenes",
        "total_screenplays",
        "completed_videos",
        "last_activity",
    )
    search_fields = ("=user_id", "email")
    list_filter = ("last_activity",)
    date_hierarchy = "last_activity"

from django.contrib import admin

from clips.models import ClipJob, FilmExport, ProjectOverview, SceneDraft, VideoUpload
from directorstudio.admin import DatabaseViewAdmin, DirectorStudioModelAdmin, ReadOnlyModelAdmin, text_start


@admin.register(SceneDraft)
class SceneDraftAdmin(DirectorStudioModelAdmin):
    list_display = (
        "project_id",
        "order_index",
        text_start("prompt_text", 60),
        "duration",
        "scene_type",
        "shot_type",
        "user_id",
        "updated_at",
    )
    list_display_links = ("project_id", "order_index")
    search_fields = ("=id", "=user_id", "=project_id", "prompt_text")
    uuid_text_search_fields = ("project_id",)
    list_filter = ("created_at", "updated_at")
    date_hierarchy = "created_at"
    ordering = ("user_id", "project_id", "order_index")
    readonly_fields = ("id", "created_at", "updated_at")
    fields = (
        "id",
        "user_id",
        "project_id",
        "order_index",
        "prompt_text",
        "duration",
        "scene_type",
        "shot_type",
        "created_at",
        "updated_at",
    )


@admin.register(ClipJob)
class ClipJobAdmin(DirectorStudioModelAdmin):
    list_display = (
        text_start("prompt", 40),
        "status",
        text_start("user_id", 9),
        text_start("user_key", 12),
        "submitted_at",
        "completed_at",
    )
    search_fields = ("=id", "=user_id", "=user_key", "prompt")
    list_filter = ("status", "submitted_at", "completed_at")
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at",)  # newest first, from clip_jobs_submitted_idx
    readonly_fields = ("id",)
    fields = (
        "id",
        "user_id",
        "user_key",
        "prompt",
        "status",
        "submitted_at",
        "completed_at",
        "download_url",
        "error_message",
    )


@admin.register(VideoUpload)
class VideoUploadAdmin(DirectorStudioModelAdmin):
    list_display = ("filename", "project_id", "order_index", "user_id", "uploaded_at")
    search_fields = ("=id", "=user_id", "=project_id", "filename")
    uuid_text_search_fields = ("project_id",)
    list_filter = ("uploaded_at",)
    date_hierarchy = "uploaded_at"
    ordering = ("user_id", "project_id", "order_index")
    readonly_fields = ("id",)
    fields = ("id", "user_id", "project_id", "order_index", "filename", "uploaded_at")


@admin.register(ProjectOverview)
class ProjectOverviewAdmin(DatabaseViewAdmin):
    list_display = ("project_id", "user_id", "scene_count", "total_duration", "project_created_at", "last_updated")
    search_fields = ("=user_id", "=project_id")
    uuid_text_search_fields = ("project_id",)
    list_filter = ("last_updated", "project_created_at")
    date_hierarchy = "last_updated"


@admin.register(FilmExport)
class FilmExportAdmin(ReadOnlyModelAdmin):
    list_display = ("project_id", "status", "missing", "progress", "duration", "user_id", "created_at")
    search_fields = ("=id", "=user_id", "=project_id")
    list_filter = ("status", "created_at")
    ordering = ("-created_at",)

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from directorstudio.admin import DirectorStudioModelAdmin
from screenplays.models import Screenplay, ScreenplaySection

# A screenplay's page edits at most this many sections inline; the sections admin has them all.
INLINE_SECTION_LIMIT = 50


class FirstSectionsFormSet(BaseInlineFormSet):
    """An inline formset over a screenplay's first INLINE_SECTION_LIMIT sections."""

    def get_queryset(self):
        if not hasattr(self, "_limited_queryset"):
            self._limited_queryset = super().get_queryset().order_by("order_index", "id")[:INLINE_SECTION_LIMIT]
        return self._limited_queryset


class ScreenplaySectionInline(admin.TabularInline):
    model = ScreenplaySection
    formset = FirstSectionsFormSet
    fields = ("order_index", "heading", "content")
    extra = 0
    show_change_link = True


@admin.register(Screenplay)
class ScreenplayAdmin(DirectorStudioModelAdmin):
    list_display = ("title", "version", "user_id", "created_at", "updated_at")
    search_fields = ("=id", "=user_id", "title")
    list_filter = ("created_at", "updated_at")
    date_hierarchy = "updated_at"
    ordering = ("user_id", "-updated_at")
    readonly_fields = ("id", "version", "created_at", "updated_at", "all_sections")
    fields = ("id", "user_id", "title", "content", "version", "created_at", "updated_at", "all_sections")
    inlines = (ScreenplaySectionInline,)

    @admin.display(description="sections")
    def all_sections(self, obj: Screenplay) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:screenplays_screenplaysection_changelist")
        return format_html(
            'The first {} sections are below; <a href="{}?screenplay__id__exact={}">all sections</a>.',
            INLINE_SECTION_LIMIT,
            url,
            obj.pk,
        )

    def save_model(self, request: HttpRequest, obj: Screenplay, form, change: bool) -> None:
        """Save the screenplay; a changed one moves to the next version, so app edits based on the old one conflict."""
        if change and form.has_changed():
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(ScreenplaySection)
class ScreenplaySectionAdmin(DirectorStudioModelAdmin):
    list_display = ("heading", "order_index", "screenplay", "created_at")
    list_select_related = ("screenplay",)
    search_fields = ("=id", "=screenplay", "heading")
    list_filter = ("created_at",)
    date_hierarchy = "created_at"
    ordering = ("screenplay_id", "order_index")
    readonly_fields = ("id", "created_at")
    fields = ("id", "screenplay", "order_index", "heading", "content", "created_at")
    autocomplete_fields = ("screenplay",)

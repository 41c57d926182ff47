from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from directorstudio.admin import DirectorStudioModelAdmin
from screenplays.models import Screenplay, ScreenplaySection
from screenplays.services import screenplay_update

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


class ScreenplayAdminForm(forms.ModelForm):
    """The screenplay form, which remembers the version it was opened at so a newer save is not overwritten."""

    based_on_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Screenplay
        fields = ("user_id", "title", "content")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["based_on_version"].initial = self.instance.version


@admin.register(Screenplay)
class ScreenplayAdmin(DirectorStudioModelAdmin):
    list_display = ("title", "version", "user_id", "created_at", "updated_at")
    search_fields = ("=id", "=user_id", "title")
    list_filter = ("created_at", "updated_at")
    date_hierarchy = "updated_at"
    ordering = ("user_id", "-updated_at")
    readonly_fields = ("id", "version", "created_at", "updated_at", "all_sections")
    form = ScreenplayAdminForm
    fields = (
        "id",
        "user_id",
        "title",
        "content",
        "version",
        "based_on_version",
        "created_at",
        "updated_at",
        "all_sections",
    )
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

    def save_model(self, request: HttpRequest, obj: Screenplay, form: ScreenplayAdminForm, change: bool) -> None:
        """Save a change like the app does, as the next version; an app edit based on the old one then conflicts."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        values = {name: form.cleaned_data[name] for name in form.changed_data if name != "based_on_version"}
        if values:
            saved = screenplay_update(
                screenplay_id=obj.pk, based_on_version=form.cleaned_data["based_on_version"], values=values
            )
            obj.version, obj.updated_at = saved.version, saved.updated_at


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

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from directorstudio.admin import DirectorStudioModelAdmin
from screenplays.models import RevisionSource, Screenplay, ScreenplayRevision, ScreenplaySection
from screenplays.services import screenplay_create, screenplay_update

# A screenplay's page edits at most this many sections inline; the sections admin has them all.
INLINE_SECTION_LIMIT = 50
# A screenplay's page lists its latest saved versions, at most this many.
HISTORY_LIMIT = 20


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
    list_display = ("title", "version", "owner", "created_at", "updated_at")
    search_fields = ("=id", "=user_id", "title")
    list_filter = ("created_at", "updated_at")
    date_hierarchy = "updated_at"
    ordering = ("user_id", "-updated_at")
    readonly_fields = ("id", "version", "created_at", "updated_at", "all_sections", "history")
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
        "history",
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

    @admin.display(description="history")
    def history(self, obj: Screenplay) -> str:
        """The latest saved versions: version, source, who saved it and when."""
        if obj.pk is None:
            return "-"
        revisions = ScreenplayRevision.objects.filter(screenplay=obj).order_by("-version")[:HISTORY_LIMIT]
        rows = format_html_join(
            "",
            "<li>v{} · {} · {} · {} · {}</li>",
            (
                (r.version, r.source, r.title, r.saved_by or "unknown", date_format(r.created_at, "DATETIME_FORMAT"))
                for r in revisions.only("version", "source", "title", "saved_by", "created_at")
            ),
        )
        return format_html("<ul>{}</ul>", rows) if rows else "-"

    def save_model(self, request: HttpRequest, obj: Screenplay, form: ScreenplayAdminForm, change: bool) -> None:
        """Save like the app does: version 1 for a new screenplay, the next for a change, each kept in history."""
        if not change:
            created, _ = screenplay_create(
                user_id=form.cleaned_data["user_id"],
                title=form.cleaned_data["title"],
                content=form.cleaned_data["content"],
                id=obj.pk,
                source=RevisionSource.ADMIN,
                saved_by=request.user.pk,
            )
            obj.pk, obj.version = created.pk, created.version
            obj.created_at, obj.updated_at = created.created_at, created.updated_at
            obj._state.adding, obj._state.db = False, created._state.db
            return
        values = {name: form.cleaned_data[name] for name in form.changed_data if name != "based_on_version"}
        if values:
            saved = screenplay_update(
                screenplay_id=obj.pk,
                based_on_version=form.cleaned_data["based_on_version"],
                values=values,
                saved_by=request.user.pk,
                source=RevisionSource.ADMIN,
            )
            obj.version, obj.updated_at = saved.version, saved.updated_at


@admin.register(ScreenplaySection)
class ScreenplaySectionAdmin(DirectorStudioModelAdmin):
    list_display = ("heading", "order_index", "screenplay", "owner", "created_at")
    list_select_related = ("screenplay",)
    owner_field = "screenplay__user_id"
    fixed_after_add = ("screenplay",)
    search_fields = ("=id", "=screenplay", "heading")
    list_filter = ("created_at",)
    date_hierarchy = "created_at"
    ordering = ("screenplay_id", "order_index")
    readonly_fields = ("id", "created_at")
    fields = ("id", "screenplay", "order_index", "heading", "content", "created_at")
    autocomplete_fields = ("screenplay",)

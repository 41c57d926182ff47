"""The DirectorStudio admin site and the pieces every app's admin shares."""

import calendar
import dataclasses
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models, transaction
from django.db.models.base import ModelBase
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import capfirst, smart_split, unescape_string_literal

from directorstudio.accounts.forms import AdminSignInForm
from directorstudio.accounts.models import User
from directorstudio.errors import DomainError, InvalidInput

# Separates the parts of a composite primary key in an admin object id. Each part is
# admin-quoted first, which escapes commas, so splitting on it is unambiguous.
KEY_SEPARATOR = ","


def object_key(obj: models.Model) -> str:
    """Return the admin object id of `obj`: its primary key, or its key parts quoted and joined."""
    if not obj._meta.is_composite_pk:
        return str(obj.pk)
    return KEY_SEPARATOR.join(quote(field.value_to_string(obj)) for field in obj._meta.pk.fields)


def estimated_row_count(model: type[models.Model], using: str) -> int:
    """Return PostgreSQL's planner estimate of the rows in `model`'s table (-1 when never analyzed)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    return row[0] if row and row[0] is not None else -1


class EstimatedCountPaginator(Paginator):
    """A paginator that trusts PostgreSQL's row estimate instead of counting a big unfiltered table."""

    # Below this many rows an exact count is cheap, and exact numbers are nicer.
    estimate_threshold = 100_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, models.QuerySet) and not queryset.query.where and not queryset.query.distinct:
            estimate = estimated_row_count(queryset.model, queryset.db)
            if estimate >= self.estimate_threshold:
                return estimate
        return super().count


class PrettyJSONFormField(forms.JSONField):
    """A JSON form field that shows its value indented, one item per line."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


def shorten(text: str, limit: int) -> str:
    """Return `text` cut to at most `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def json_summary(value: Any, limit: int = 80) -> str:
    """Return a one-line rendering of a JSON value for a changelist column."""
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return shorten(", ".join(str(item) for item in value), limit)
    return shorten(json.dumps(value, ensure_ascii=False), limit)


def text_start(field_name: str, limit: int):
    """Return a changelist column showing the start of a long column (text or UUID), so rows stay one line high."""

    @admin.display(description=field_name.replace("_", " "), ordering=field_name)
    def column(obj: models.Model) -> str | None:
        value = getattr(obj, field_name)
        return None if value is None else shorten(str(value), limit)

    column.__name__ = f"{field_name}_start"
    return column


def pretty_json(value: Any) -> str:
    """Return a JSON value indented in a <pre> block, for read-only detail pages."""
    return format_html("<pre>{}</pre>", json.dumps(value, ensure_ascii=False, indent=2))


def is_uuid(word: str) -> bool:
    """Whether a search word spells a UUID."""
    try:
        uuid.UUID(word)
    except ValueError:
        return False
    return True


def leads_an_index(model: type[models.Model], field_name: str) -> bool:
    """Whether `field_name` is a column of `model` that leads one of its indexes, making its MIN and MAX cheap."""
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:  # a path across a relation
        return False
    if field.db_index or field.unique:
        return True
    return any(index.fields and index.fields[0].removeprefix("-") == field_name for index in model._meta.indexes)


class TableDateRange:
    """What Django's date_hierarchy tag asks of a changelist's queryset, answered from the table's date range.

    Django's tag asks for the MIN and MAX of the date column, then for the years, months or
    days that hold rows: a SELECT DISTINCT DATE_TRUNC(...) that reads every row of the list.
    Here one MIN/MAX over the unfiltered table answers both, with two probes of an index on
    the column: the periods are every year, month or day between the first and the last
    date. So a link may lead to an empty period, and searches and filters do not narrow
    the links (the rows listed still honour them).
    """

    def __init__(self, changelist: ChangeList) -> None:
        self.changelist = changelist
        self.field_name = changelist.date_hierarchy

    @cached_property
    def date_range(self) -> dict[str, date | datetime | None]:
        """The first and last date of the table, as Django's tag asks for them."""
        field = self.field_name
        return self.changelist.root_queryset.aggregate(first=models.Min(field), last=models.Max(field))

    def aggregate(self, **aggregates: models.Aggregate) -> dict[str, date | datetime | None]:
        """Return the table's date range: the tag only ever asks for first=Min(column), last=Max(column)."""
        return self.date_range

    def dates(self, field_name: str, kind: str) -> list[date]:
        """Return the first day of every year, month or day to link to, like QuerySet.dates()."""
        first, last = (self._local_date(self.date_range[end]) for end in ("first", "last"))
        if first is None or last is None:
            return []
        if kind == "year":
            return [date(year, 1, 1) for year in range(first.year, last.year + 1)]
        # The drilled-down year and month; without them Django's tag drilled down to the range's own.
        params = self.changelist.params
        year = int(params.get(f"{self.field_name}__year", first.year))
        if kind == "month":
            months = [date(year, month, 1) for month in range(1, 13)]
            return [start for start in months if first.replace(day=1) <= start <= last]
        month = int(params.get(f"{self.field_name}__month", first.month))
        days = [date(year, month, day) for day in range(1, calendar.monthrange(year, month)[1] + 1)]
        return [day for day in days if first <= day <= last]

    def datetimes(self, field_name: str, kind: str) -> list[datetime]:
        """Return the start of every year, month or day to link to, like QuerySet.datetimes()."""
        return [timezone.make_aware(datetime.combine(day, time.min)) for day in self.dates(field_name, kind)]

    @staticmethod
    def _local_date(value: date | datetime | None) -> date | None:
        if isinstance(value, datetime):
            return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
        return value


class TableDateRangeChangeList:
    """A changelist as Django's date_hierarchy tag sees it, whose queryset is a TableDateRange."""

    def __init__(self, changelist: ChangeList) -> None:
        self._changelist = changelist
        self.queryset = TableDateRange(changelist)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._changelist, name)


def date_drilldown_is_valid(year: str | None, month: str | None, day: str | None) -> bool:
    """Whether a date hierarchy's year, month and day parameters name a period Django can bound.

    Django turns a year into [1 Jan, 1 Jan of the next year), a month and a day likewise, so the
    period and the one after it must both exist: years 1 to 9998, a month only within a year, a day
    only within a month.
    """
    if year is None or (day is not None and month is None):
        return False
    try:
        start = date(int(year), int(month or 1), int(day or 1))
    except (ValueError, OverflowError):
        return False
    return start.year < date.max.year


# A search word matches the owners whose email contains it, at most this many (a word like "a" matches everybody),
# and on a table whose owner is across a relation, at most this many of their related rows (ledger rows, screenplays).
OWNER_SEARCH_LIMIT = 100
OWNED_SEARCH_LIMIT = 1000


def owner_emails(user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """The email of each account among `user_ids`, in one query; unknown and missing ids are left out."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    return dict(User.objects.filter(pk__in=ids).values_list("pk", "email")) if ids else {}


def owners_by_email(word: str) -> list[uuid.UUID]:
    """The ids of the accounts whose email contains `word`, at most OWNER_SEARCH_LIMIT."""
    return list(User.objects.filter(email__icontains=word).values_list("pk", flat=True)[:OWNER_SEARCH_LIMIT])


def owner_id(row: models.Model, owner_field: str) -> uuid.UUID | None:
    """The user id at `owner_field` of `row`, following its relations ("ledger__user_id": row.ledger.user_id)."""
    value = row
    for name in owner_field.split("__"):
        value = getattr(value, name, None)
    return value


def owned_condition(model: type[models.Model], owner_field: str, owners: list[uuid.UUID]) -> models.Q:
    """Rows of `model` whose owner is among `owners`, as a condition on the table's own indexed columns.

    Across a relation the related rows are looked up first, so the condition is a list of ids, which
    PostgreSQL can OR with the other search conditions from their indexes, with no join.
    """
    relation, _, rest = owner_field.partition("__")
    if not rest:
        return models.Q((f"{owner_field}__in", owners))
    related = model._meta.get_field(relation).related_model.objects.filter(**{f"{rest}__in": owners})
    return models.Q((f"{relation}__in", list(related.values_list("pk", flat=True)[:OWNED_SEARCH_LIMIT])))


class DirectorStudioChangeList(ChangeList):
    """A changelist that ignores a date drilldown naming no real period (year 0, month 13, day 32, ...).

    Django would answer it with a 500 (year 9999) or an error page; the list is shown unfiltered
    by date instead, and the date hierarchy starts from the top. Any other filter naming no date
    is refused like a bad parameter. The page's owners' emails are read in one query.
    """

    def get_queryset(self, request: HttpRequest, exclude_parameters: list[str] | None = None) -> models.QuerySet:
        if self.date_hierarchy:
            names = [f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day")]
            if any(name in self.params for name in names) and not date_drilldown_is_valid(
                *(self.params.get(name) for name in names)
            ):
                for name in names:
                    self.params.pop(name, None)
                    self.filter_params.pop(name, None)
                messages.warning(request, "That date does not exist, so the list is not filtered by date.")
        queryset = super().get_queryset(request, exclude_parameters)
        # A lookup whose value names no date (created_at__year=99999, =0) fails only when its SQL is
        # written, after Django's check of the parameters: write it now, so it is refused like any
        # other bad parameter rather than with a 500 when the page reads the rows.
        try:
            queryset.query.get_compiler(queryset.db).as_sql()
        except EmptyResultSet:
            pass
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error
        return queryset

    def get_results(self, request: HttpRequest) -> None:
        """Fetch the page's rows, and their owners' emails with one more query."""
        super().get_results(request)
        owner_field = self.model_admin.owner_field
        if owner_field:
            emails = owner_emails(owner_id(row, owner_field) for row in self.result_list)
            for row in self.result_list:
                row.owner_email = emails.get(owner_id(row, owner_field))


def date_hierarchy(changelist: ChangeList) -> dict | None:
    """Return Django's date hierarchy context, listing periods from the table's date range where an index allows.

    Where the column leads no index (the database views, small tables) Django's own query
    is no dearer than a MIN/MAX, and lists exactly the periods that hold rows.
    """
    if leads_an_index(changelist.model, changelist.date_hierarchy):
        changelist = TableDateRangeChangeList(changelist)
    return admin_list.date_hierarchy(changelist)


# Text columns that hold paragraphs; every other text column (title, heading, user_key, ...) is one line.
PARAGRAPH_TEXT_COLUMNS = frozenset({"content", "prompt", "prompt_text", "error_message"})


def refused_form(form_class: type[forms.ModelForm], refusal: DomainError) -> type[forms.ModelForm]:
    """`form_class`, made to fail validation with the messages of a business rule's refusal."""

    class RefusedForm(form_class):
        def clean(self) -> dict:
            cleaned_data = super().clean()
            field_errors = refusal.field_errors if isinstance(refusal, InvalidInput) else {}
            for field, field_messages in field_errors.items():
                for message in field_messages:
                    self.add_error(field if field in self.fields else None, message)
            if not field_errors:
                self.add_error(None, ValidationError(refusal.message, code=refusal.code))
            return cleaned_data

    return RefusedForm


def rows_count(count: int) -> str:
    """`count` rows in words: "1 row", "2 rows"."""
    return f"{count} row" if count == 1 else f"{count} rows"


class ReasonForm(forms.Form):
    """Why staff change the selected rows: required, kept in their history."""

    note = forms.CharField(
        label="Reason", max_length=500, help_text="Why the rows change; people read it in their history."
    )


@dataclass(frozen=True)
class RowsAction:
    """A change staff make to the selected rows with a reason, through a service, all rows or none.

    `change(row, cleaned_data)` makes it for one row; `done(**cleaned_data)` says what was done, for
    the message and each row's admin log.
    """

    name: str
    title: str
    intro: str
    change: Callable[[models.Model, dict], object]
    done: Callable[..., str]
    row_label: Callable[[models.Model], str] = str
    form_class: type[forms.Form] = ReasonForm
    initial: dict = dataclasses.field(default_factory=dict)


class DirectorStudioModelAdmin(admin.ModelAdmin):
    """The base of every DirectorStudio admin: fast on big tables, index-friendly search, readable JSON."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    formfield_overrides = {models.JSONField: {"form_class": PrettyJSONFormField}}
    # Text "=" search fields whose values are UUID strings, searched by UUID words like the uuid columns.
    uuid_text_search_fields: tuple[str, ...] = ()
    # Set on tables whose rows are history that must stay: no row is ever deleted, and the pages say why.
    no_delete_reason: str = ""
    # Columns set when a row is added and never changed by hand afterwards (the owner, above all).
    fixed_after_add: tuple[str, ...] = ("user_id",)
    # Where the owner's user id is (a path across a relation on tables without the column, whose list then
    # selects the related row); "" for no owner. Its account's email is shown beside it on the change page
    # and in the `owner` column, and searched.
    owner_field: str = "user_id"

    @admin.display(description="owner")
    def owner(self, obj: models.Model) -> str:
        """The owner's email, their user id on hover; the id's start when no account has it."""
        user_id = owner_id(obj, self.owner_field)
        if user_id is None:
            return "-"
        return format_html('<span title="{}">{}</span>', user_id, obj.owner_email or shorten(str(user_id), 9))

    @admin.display(description="owner's email")
    def owner_email(self, obj: models.Model) -> str:
        """The email of the row's owner, for its change page."""
        user_id = owner_id(obj, self.owner_field)
        return owner_emails([user_id]).get(user_id, "no account") if user_id is not None else "-"

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        columns = {field.name for field in self.opts.concrete_fields}
        fixed = tuple(name for name in self.fixed_after_add if name in columns and name not in readonly)
        return readonly + fixed + (("owner_email",) if self.owner_field else ())

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None) -> list:
        """The change page's fields, the owner's email just after the owner."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.owner_field:
            return fieldsets
        anchor = self.owner_field.split("__")[0]
        placed = []
        for name, options in fieldsets:
            fields = [field for field in options["fields"] if field != "owner_email"]
            if anchor in fields:
                fields.insert(fields.index(anchor) + 1, "owner_email")
            placed.append((name, {**options, "fields": fields}))
        return placed

    def run_rows_action(
        self, request: HttpRequest, queryset: models.QuerySet, action: RowsAction
    ) -> HttpResponse | None:
        """Ask for the action's form (the reason), then change every row in one transaction, or none of them.

        The form posts back to where it was opened: the changelist's action, or one row's own page.
        """
        form = action.form_class(request.POST if "apply" in request.POST else None, initial=action.initial)
        rows = list(queryset)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/rows_action.html",
                {
                    **self.admin_site.each_context(request),
                    "title": action.title,
                    "intro": action.intro,
                    "opts": self.opts,
                    "form": form,
                    "rows": [(row.pk, action.row_label(row)) for row in rows],
                    "rows_count": rows_count(len(rows)),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "action": action.name,
                },
            )
        done = action.done(**form.cleaned_data)
        row = None
        try:
            with transaction.atomic():
                for row in rows:
                    action.change(row, form.cleaned_data)
                    self.log_change(request, row, done)
        except DomainError as refusal:
            self.message_user(request, f"Nothing was changed: {row}: {refusal.message}", messages.ERROR)
            return None
        self.message_user(request, f"{done} ({rows_count(len(rows))}).")
        return None

    def response_action(self, request: HttpRequest, queryset: models.QuerySet) -> HttpResponse | None:
        """Refuse a selection that names no row by its key (a forged form) with a message, not a 500."""
        try:
            return super().response_action(request, queryset)
        except ValidationError:
            self.message_user(request, "The selected rows do not exist; nothing was changed.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        """Allow the owner filter the account's admin page links to, across a relation too."""
        return lookup == f"{self.owner_field}__exact" or super().lookup_allowed(lookup, value, request)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return not self.no_delete_reason and super().has_delete_permission(request, obj)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return super().changelist_view(request, {"no_delete_reason": self.no_delete_reason, **(extra_context or {})})

    def render_change_form(self, request: HttpRequest, context: dict, *args: Any, **kwargs: Any) -> HttpResponse:
        context.setdefault("no_delete_reason", self.no_delete_reason)
        return super().render_change_form(request, context, *args, **kwargs)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        """Where rows are never deleted, lead back to the row with the reason rather than to a bare 403."""
        if not self.no_delete_reason:
            return super().delete_view(request, object_id, extra_context)
        messages.warning(request, self.no_delete_reason)
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=(object_id,))
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return DirectorStudioChangeList

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        """Say why a list's filters were dropped: Django then shows the list unfiltered, without a word."""
        try:
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, "The filters in the address are not valid, so the list is shown unfiltered.")
            raise

    def formfield_for_dbfield(self, db_field: models.Field, request: HttpRequest, **kwargs: Any):
        """Edit one-line text columns in a text input rather than a tall textarea."""
        if (
            isinstance(db_field, models.TextField)
            and not db_field.choices
            and db_field.name not in PARAGRAPH_TEXT_COLUMNS
        ):
            kwargs.setdefault("widget", forms.TextInput(attrs={"class": "vTextField", "style": "width: 40em"}))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet, search_term: str
    ) -> tuple[models.QuerySet, bool]:
        """Search text fields by substring and "=" fields by their exact, typed value.

        An "=" field (a uuid or a number) is only compared with words that parse as its
        type, so PostgreSQL can use its index instead of casting every row to text. A word
        that is a UUID is an id: it is matched against the "=" fields holding UUIDs only, as
        any other condition ORed in (a substring, a ledger key) keeps PostgreSQL from
        answering the search from the id indexes alone. Any other word also finds the rows of the
        owners whose email contains it, looked up first so the rows are filtered by a list of ids.
        """
        search_fields = self.get_search_fields(request)
        if not search_fields or not search_term:
            return queryset, False
        id_fields = [spec for spec in search_fields if spec.startswith("=") and self._holds_uuids(spec[1:])]
        term_queries = []
        for word in smart_split(search_term):
            if word.startswith(('"', "'")) and word[0] == word[-1]:
                word = unescape_string_literal(word)
            specs = id_fields if id_fields and is_uuid(word) else search_fields
            alternatives = [q for spec in specs if (q := self._search_condition(spec, word)) is not None]
            if self.owner_field and specs is search_fields and (owners := owners_by_email(word)):
                alternatives.append(owned_condition(self.model, self.owner_field, owners))
            if not alternatives:
                return queryset.none(), False
            term_queries.append(models.Q.create(alternatives, connector=models.Q.OR))
        return queryset.filter(models.Q.create(term_queries)), False

    def _holds_uuids(self, name: str) -> bool:
        field = self.opts.get_field(name)
        target = field.target_field if field.is_relation else field
        return isinstance(target, models.UUIDField) or name in self.uuid_text_search_fields

    def _search_condition(self, spec: str, word: str) -> models.Q | None:
        if spec.startswith("="):
            name = spec.removeprefix("=")
            field = self.opts.get_field(name)
            try:
                return models.Q((name, field.to_python(word)))
            except (ValidationError, ValueError, TypeError):
                return None
        if spec.startswith("^"):
            return models.Q((f"{spec.removeprefix('^')}__istartswith", word))
        return models.Q((f"{spec}__icontains", word))

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """Show a business rule's refusal of a save as form errors, with what staff typed kept, never as a 500.

        Django runs the save in a transaction, which the refusal rolls back; the form is then
        built again from the same POST, this time carrying the refusal as its errors.
        """
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:
            if request.method != "POST" or hasattr(request, "_domain_refusal"):
                raise
            request._domain_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: models.Model | None = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_domain_refusal", None)
        return form if refusal is None else refused_form(form, refusal)

    def save_model(self, request: HttpRequest, obj: models.Model, form: forms.ModelForm, change: bool) -> None:
        """Save the row, refreshing `updated_at` on a change where the table has one."""
        if change and any(field.name == "updated_at" for field in obj._meta.concrete_fields):
            obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


class ReadOnlyModelAdmin(DirectorStudioModelAdmin):
    """A read-only admin: list and detail, never add, change or delete."""

    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class DatabaseViewAdmin(ReadOnlyModelAdmin):
    """The admin of a database view, which is read-only."""


class CompositeKeyChangeList(DirectorStudioChangeList):
    """A changelist whose row links carry the row's composite key."""

    def url_for_result(self, result: models.Model) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(quote(object_key(result)),),
            current_app=self.model_admin.admin_site.name,
        )


class CompositePrimaryKeyAdminMixin:
    """Make a ModelAdmin work for a model with a composite primary key.

    The admin object id of a row is its key parts, each admin-quoted, joined by
    KEY_SEPARATOR (see object_key); URLs carry it quoted once more, like any object id.
    The site mixes this in for every composite-key model. Bulk actions are off: the
    action checkboxes and the delete-selected confirmation only know single-column keys.
    """

    actions = None
    change_form_template = "admin/composite_pk/change_form.html"
    delete_confirmation_template = "admin/composite_pk/delete_confirmation.html"
    object_history_template = "admin/composite_pk/object_history.html"

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return CompositeKeyChangeList

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> models.Model | None:
        """Return the row whose key parts are encoded in `object_id`, or None."""
        if from_field is not None:
            return super().get_object(request, object_id, from_field)
        fields = self.opts.pk.fields
        parts = object_id.split(KEY_SEPARATOR)
        if len(parts) != len(fields):
            return None
        queryset = self.get_queryset(request)
        try:
            key = {field.attname: field.to_python(unquote(part)) for field, part in zip(fields, parts, strict=True)}
            return queryset.get(**key)
        except (queryset.model.DoesNotExist, ValidationError, ValueError):
            return None

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> tuple[str, ...]:
        """Freeze the key parts of an existing row: changing them would save a new row beside the old one."""
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        return readonly + tuple(field.name for field in self.opts.pk.fields if field.name not in readonly)

    def _object_urls(self, obj: models.Model) -> dict[str, str]:
        key = quote(object_key(obj))
        prefix = f"admin:{self.opts.app_label}_{self.opts.model_name}"
        return {
            f"{view}_url": reverse(f"{prefix}_{view}", args=(key,), current_app=self.admin_site.name)
            for view in ("change", "history", "delete")
        }

    def render_change_form(self, request: HttpRequest, context: dict, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            # The stock submit row links to delete by obj.pk; the object tools link by key instead.
            context.update(self._object_urls(obj), show_delete=False)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_delete_form(self, request: HttpRequest, context: dict) -> HttpResponse:
        context.update(self._object_urls(context["object"]))
        return super().render_delete_form(request, context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        urls = self._object_urls(obj) if obj is not None else {}
        return super().history_view(request, object_id, {**urls, **(extra_context or {})})

    def response_add(self, request: HttpRequest, obj: models.Model, post_url_continue: str | None = None):
        if post_url_continue is None:
            post_url_continue = self._object_urls(obj)["change_url"]
        return super().response_add(request, obj, post_url_continue)

    def get_deleted_objects(self, objs: Iterable[models.Model], request: HttpRequest):
        """List the rows to delete; nothing cascades, as no foreign key can point at a composite key."""
        objs = list(objs)
        name = capfirst(self.opts.verbose_name)
        to_delete = [
            format_html('{}: <a href="{}">{}</a>', name, self._object_urls(obj)["change_url"], obj) for obj in objs
        ]
        perms_needed = {self.opts.verbose_name} if not self.has_delete_permission(request) else set()
        return to_delete, {self.opts.verbose_name_plural: len(objs)}, perms_needed, []

    def _log(self, request: HttpRequest, objs: Iterable[models.Model], action_flag: int, message: Any = "") -> list:
        if isinstance(message, list):
            message = json.dumps(message)
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        return LogEntry.objects.bulk_create(
            LogEntry(
                user_id=request.user.pk,
                content_type=content_type,
                object_id=object_key(obj),
                object_repr=str(obj)[:200],
                action_flag=action_flag,
                change_message=message,
            )
            for obj in objs
        )

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> LogEntry:
        return self._log(request, [obj], ADDITION, message)[0]

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> LogEntry:
        return self._log(request, [obj], CHANGE, message)[0]

    def log_deletions(self, request: HttpRequest, queryset: Iterable[models.Model]) -> list:
        return self._log(request, queryset, DELETION)


class DirectorStudioAdminSite(admin.AdminSite):
    """The staff console over every table and view of the DirectorStudio database."""

    login_form = AdminSignInForm
    site_header = "DirectorStudio administration"
    site_title = "DirectorStudio admin"
    index_title = "Tables and views"
    # The index lists every table; the sidebar's 300 px are the list columns' at 1280 px.
    enable_nav_sidebar = False

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self._pages: list[tuple[str, Callable, str, str]] = []

    def register_page(self, route: str, view: Callable, *, name: str, title: str) -> None:
        """Add a staff-only page of an app's own (the operations page) to the site, linked from the index."""
        self._pages.append((route, view, name, title))

    def get_urls(self) -> list:
        pages = [path(route, self.admin_view(view), name=name) for route, view, name, _ in self._pages]
        return pages + super().get_urls()

    def each_context(self, request: HttpRequest) -> dict:
        return {
            **super().each_context(request),
            "site_pages": [(title, reverse(f"{self.name}:{name}")) for _, _, name, title in self._pages],
        }

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        """Register models like AdminSite does, accepting composite primary keys too."""
        models_ = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        admin_class = admin_class or DirectorStudioModelAdmin
        plain = [model for model in models_ if not model._meta.is_composite_pk]
        if plain:
            super().register(plain, admin_class, **options)
        for model in models_:
            if model._meta.is_composite_pk:
                self._register_composite(model, admin_class, options)

    def _register_composite(self, model: type[models.Model], admin_class: type, options: dict) -> None:
        if self.is_registered(model):
            raise admin.sites.AlreadyRegistered(f"The model {model.__name__} is already registered.")
        if model._meta.abstract:
            raise ImproperlyConfigured(f"The model {model.__name__} is abstract, so it cannot be registered.")
        if not issubclass(admin_class, CompositePrimaryKeyAdminMixin):
            options = {"__module__": admin_class.__module__, **options}
            admin_class = type(admin_class.__name__, (CompositePrimaryKeyAdminMixin, admin_class), options)
        elif options:
            admin_class = type(admin_class.__name__, (admin_class,), {"__module__": __name__, **options})
        self._registry[model] = admin_class(model, self)

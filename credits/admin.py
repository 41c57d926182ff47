from django import forms
from django.contrib import admin
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from credits.models import CreditMovement, CreditsLedger, UserStatistics
from credits.services import ADMIN_MOVE_MAX, credits_grant, credits_revoke
from directorstudio.admin import (
    DatabaseViewAdmin,
    DirectorStudioModelAdmin,
    ReadOnlyModelAdmin,
    RowsAction,
    shorten,
    text_start,
)

GRANT, REVOKE = "grant", "revoke"
# Why neither a ledger row nor a movement is ever deleted.
CREDITS_HISTORY_STAYS = (
    "Ledger rows and their movements are never deleted: the movements are the history of every credit, "
    "and a balance must always agree with them. Revoke credits with a reason instead."
)
# A ledger row's page lists its latest movements; the movements list has them all.
INLINE_MOVEMENT_LIMIT = 50


class CreditMoveForm(forms.Form):
    """Credits to grant or revoke, and why: the reason is required and kept in the row's history."""

    direction = forms.ChoiceField(
        choices=[(GRANT, "Grant credits"), (REVOKE, "Revoke credits")], initial=GRANT, required=False
    )
    amount = forms.IntegerField(min_value=1, max_value=ADMIN_MOVE_MAX, required=False)
    note = forms.CharField(
        label="Reason",
        max_length=500,
        required=False,
        help_text="Why the credits change; people read it in the row's history.",
    )

    def clean(self) -> dict:
        cleaned_data = super().clean()
        if cleaned_data.get("amount") and not (cleaned_data.get("note") or "").strip():
            self.add_error("note", "Say why the credits change.")
        return cleaned_data


class CreditsLedgerAdminForm(CreditMoveForm, forms.ModelForm):
    """A ledger row, with a grant or revoke of credits made through the credits services on save."""

    class Meta:
        model = CreditsLedger
        fields = ("user_key", "user_id")


class RequiredCreditMoveForm(CreditMoveForm):
    """The bulk grant's form, where an amount is required."""

    amount = forms.IntegerField(min_value=1, max_value=ADMIN_MOVE_MAX)
    note = forms.CharField(label="Reason", max_length=500)


class LatestMovementsFormSet(BaseInlineFormSet):
    """The latest INLINE_MOVEMENT_LIMIT movements of a ledger row."""

    def get_queryset(self) -> models.QuerySet:
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset().order_by("-created_at")[:INLINE_MOVEMENT_LIMIT]
        return self._latest


class CreditMovementInline(admin.TabularInline):
    model = CreditMovement
    formset = LatestMovementsFormSet
    fields = ("created_at", "amount", "balance_after", "reason", "note", "clip_job_id", "staff_user")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = f"movements (the latest {INLINE_MOVEMENT_LIMIT})"

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


def credits_move(*, ledger_id, direction: str, amount: int, note: str, staff_user_id) -> CreditsLedger:
    """Grant or revoke credits on one ledger row through the credits services."""
    move = credits_grant if direction == GRANT else credits_revoke
    return move(ledger_id=ledger_id, amount=amount, note=note, staff_user_id=staff_user_id)


def credit_move_message(*, direction: str, amount: int, note: str, **_other) -> str:
    """How a grant or revoke reads in messages and the admin log."""
    return f"{'Revoked' if direction == REVOKE else 'Granted'} {amount} credits: {note.strip()}"


@admin.register(CreditsLedger)
class CreditsLedgerAdmin(DirectorStudioModelAdmin):
    form = CreditsLedgerAdminForm
    list_display = (
        text_start("user_key", 12),
        "credits",
        "first_clip_granted",
        "first_clip_consumed",
        "owner",
        "updated_at",
    )
    search_fields = ("=id", "=user_id", "=user_key")
    # A key belongs to one Apple account and one user: neither is retyped by hand.
    fixed_after_add = ("user_key", "user_id")
    list_filter = ("first_clip_granted", "first_clip_consumed", "granted_at", "updated_at")
    date_hierarchy = "updated_at"
    ordering = ("user_key",)
    # Balances change only through the credits services, never by typing a number.
    readonly_fields = (
        "id",
        "credits",
        "first_clip_granted",
        "first_clip_consumed",
        "granted_at",
        "updated_at",
        "history",
    )
    fieldsets = (
        (None, {"fields": ("id", "user_key", "user_id", "updated_at")}),
        ("Balance", {"fields": ("credits", "first_clip_granted", "first_clip_consumed", "granted_at", "history")}),
        (
            "Grant or revoke credits",
            {
                "fields": ("direction", "amount", "note"),
                "description": "Recorded as a movement with your name and reason, and in the admin log.",
            },
        ),
    )
    inlines = (CreditMovementInline,)
    actions = ("grant_credits",)
    no_delete_reason = CREDITS_HISTORY_STAYS

    @admin.display(description="history")
    def history(self, obj: CreditsLedger) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:credits_creditmovement_changelist")
        return format_html('<a href="{}?ledger__id__exact={}">Every movement of this row</a>', url, obj.pk)

    def save_model(self, request: HttpRequest, obj: CreditsLedger, form: CreditsLedgerAdminForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        amount = form.cleaned_data.get("amount")
        if amount:
            saved = credits_move(
                ledger_id=obj.pk,
                direction=form.cleaned_data["direction"] or GRANT,
                amount=amount,
                note=form.cleaned_data["note"],
                staff_user_id=request.user.pk,
            )
            obj.credits, obj.updated_at = saved.credits, saved.updated_at

    def construct_change_message(self, request: HttpRequest, form: CreditsLedgerAdminForm, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        amount = form.cleaned_data.get("amount")
        if not amount:
            return message
        return [*message, {"changed": {"fields": [credit_move_message(**form.cleaned_data)]}}]

    @admin.action(description="Grant or revoke credits on the selected rows")
    def grant_credits(self, request: HttpRequest, queryset: models.QuerySet[CreditsLedger]) -> HttpResponse | None:
        return self.run_rows_action(
            request,
            queryset,
            RowsAction(
                name="grant_credits",
                title="Grant or revoke credits",
                intro="The change is recorded on each row as a movement with your name and this reason, "
                "and in the admin log.",
                change=lambda ledger, data: credits_move(ledger_id=ledger.pk, staff_user_id=request.user.pk, **data),
                done=credit_move_message,
                row_label=lambda ledger: f"{shorten(ledger.user_key, 20)}: {ledger.credits} credits",
                form_class=RequiredCreditMoveForm,
                initial={"direction": GRANT},
            ),
        )


@admin.register(CreditMovement)
class CreditMovementAdmin(ReadOnlyModelAdmin):
    """Every balance change, append-only: the audit trail of the credits ledger."""

    no_delete_reason = CREDITS_HISTORY_STAYS
    list_display = (
        "created_at",
        text_start("user_key", 9),
        "amount",
        "balance_after",
        "reason",
        text_start("note", 28),
        "owner",
        "staff_user",
    )
    list_select_related = ("staff_user", "ledger")
    owner_field = "ledger__user_id"
    search_fields = ("=user_key", "=app_store_transaction_id", "=clip_job_id", "=ledger")
    list_filter = ("reason", "created_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = (
        "id",
        "ledger",
        "user_key",
        "amount",
        "balance_after",
        "reason",
        "note",
        "clip_job_id",
        "app_store_transaction_id",
        "staff_user",
        "created_at",
    )
    readonly_fields = fields


@admin.register(UserStatistics)
class UserStatisticsAdmin(DatabaseViewAdmin):
    owner_field = ""  # the view has the email
    list_display = (
        "email",
        "credits",
        "total_scenes",
        "total_screenplays",
        "completed_videos",
        "last_activity",
    )
    search_fields = ("=user_id", "email")
    list_filter = ("last_activity",)
    date_hierarchy = "last_activity"

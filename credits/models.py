import uuid

from django.conf import settings
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from directorstudio.querysets import OwnedQuerySet

# No key holds more credits than this (a pack is at most 350): a typo or a bug meets a wall, and sums stay small.
CREDITS_MAX = 1_000_000


class CreditsLedger(models.Model):
    """The credit balance of one `user_key` (an Apple-account key), never below zero."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    user_key = models.TextField(help_text="SHA-256 hex key derived from the Sign in with Apple identity.")
    credits = models.IntegerField(default=0, db_default=0)
    first_clip_granted = models.BooleanField(null=True, blank=True, default=False, db_default=False)
    first_clip_consumed = models.BooleanField(null=True, blank=True, default=False, db_default=False)
    granted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True, default=timezone.now, db_default=Now())
    user_id = models.UUIDField(null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "credits_ledger"
        ordering = ["-updated_at"]
        verbose_name = "credits ledger row"
        verbose_name_plural = "credits ledger"
        indexes = [models.Index(fields=["user_id"], name="credits_ledger_user_idx")]
        constraints = [
            models.UniqueConstraint(fields=["user_key"], name="credits_ledger_user_key_unique"),
            models.CheckConstraint(condition=models.Q(credits__gte=0), name="credits_ledger_credits_nonnegative"),
            models.CheckConstraint(
                condition=models.Q(credits__lte=CREDITS_MAX), name="credits_ledger_credits_at_most_the_maximum"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_key[:12]}…: {self.credits}"


class MovementReason(models.TextChoices):
    """Why a balance changed."""

    OPENING_BALANCE = "opening_balance", "opening balance"
    FIRST_CLIP = "first_clip", "free first clip"
    PURCHASE = "purchase", "App Store purchase"
    ADMIN_GRANT = "admin_grant", "granted by staff"
    ADMIN_REVOKE = "admin_revoke", "revoked by staff"
    CLIP_JOB = "clip_job", "spent on a clip job"
    CLIP_JOB_REFUND = "clip_job_refund", "clip job refunded"
    APP_STORE_REFUND = "app_store_refund", "refunded by the App Store"


class CreditMovement(models.Model):
    """One change of a ledger row's balance, append-only: the sum of a key's movements is its balance."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    ledger = models.ForeignKey(CreditsLedger, on_delete=models.PROTECT, related_name="movements")
    user_key = models.TextField(help_text="The ledger row's key when the movement was made.")
    amount = models.IntegerField(help_text="Credits added (positive) or taken (negative).")
    balance_after = models.IntegerField()
    reason = models.TextField(choices=MovementReason.choices)
    note = models.TextField(blank=True, default="", db_default="")
    clip_job_id = models.UUIDField(null=True, blank=True)
    app_store_transaction_id = models.TextField(null=True, blank=True)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = "credits_movements"
        ordering = ["-created_at"]
        verbose_name = "credit movement"
        indexes = [
            # With the balance each left, and each day's reasons and amounts, read from the index only (the
            # operations page's check of every balance, and its credits per day).
            models.Index(
                fields=["ledger", "-created_at"], include=["balance_after"], name="credits_movements_ledger_idx"
            ),
            models.Index(fields=["-created_at"], include=["reason", "amount"], name="credits_movements_created_idx"),
            models.Index(fields=["user_key"], name="credits_movements_key_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="credits_movements_balance_nonnegative"
            ),
            models.CheckConstraint(
                # Only the opening balance, and a store refund of credits already spent, may move nothing.
                condition=~models.Q(amount=0)
                | models.Q(reason__in=[MovementReason.OPENING_BALANCE, MovementReason.APP_STORE_REFUND]),
                name="credits_movements_amount_nonzero",
            ),
            # A job is paid once and refunded once; a store transaction credits once and is taken back once.
            models.UniqueConstraint(
                fields=["clip_job_id", "reason"],
                condition=models.Q(clip_job_id__isnull=False),
                name="credits_movements_clip_job_once",
            ),
            models.UniqueConstraint(
                fields=["app_store_transaction_id", "reason"],
                condition=models.Q(app_store_transaction_id__isnull=False),
                name="credits_movements_transaction_once",
            ),
            models.UniqueConstraint(
                fields=["ledger"],
                condition=models.Q(reason=MovementReason.FIRST_CLIP),
                name="credits_movements_first_clip_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.get_reason_display()} → {self.balance_after}"


class UserStatistics(models.Model):
    """Per user: email, credits, scene drafts, screenplays, completed clips, last activity (a view)."""

    user_id = models.UUIDField(primary_key=True)
    email = models.CharField(max_length=255, null=True)
    credits = models.IntegerField(null=True)
    total_scenes = models.BigIntegerField(null=True)
    total_screenplays = models.BigIntegerField(null=True)
    completed_videos = models.BigIntegerField(null=True)
    last_activity = models.DateTimeField(null=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "user_statistics"
        ordering = ["-last_activity"]
        verbose_name = "user statistics"
        verbose_name_plural = "user statistics"

    def __str__(self) -> str:
        return self.email or str(self.user_id)

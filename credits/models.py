import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from directorstudio.querysets import OwnedQuerySet


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
        ]

    def __str__(self) -> str:
        return f"{self.user_key[:12]}…: {self.credits}"


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

import uuid

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from directorstudio.accounts.managers import UserManager


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in; `id` is the Supabase auth user id used as `user_id` in every table."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # What the mobile app keeps about its user (GoTrue's `user_metadata`); the server reads none of it.
    user_metadata = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email


class RefreshToken(models.Model):
    """An opaque, single-use refresh token for the API, stored as a SHA-256 digest.

    Tokens of one sign-in share a `session_id`; refreshing revokes the presented token and issues
    the next one in the same session.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    session_id = models.UUIDField(db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "refresh token"
        verbose_name_plural = "refresh tokens"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d %H:%M})"


class Identity(models.Model):
    """A sign-in provider's account linked to a user, e.g. Apple's `sub` for Sign in with Apple."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    provider = models.CharField(max_length=32)
    subject = models.CharField(max_length=255, help_text="The provider's id of the account (its `sub` claim).")
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "identity"
        verbose_name_plural = "identities"
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="accounts_identity_provider_subject_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"

"""Writes for signing in to the API: users known from their tokens, token pairs and their rotation."""

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone

from directorstudio.accounts.models import RefreshToken, User
from directorstudio.accounts.tokens import AccessToken, TokenError, access_token_issue

logger = logging.getLogger(__name__)

# Supabase users without an email address (phone or anonymous sign-ins) still need a unique login.
PLACEHOLDER_EMAIL_DOMAIN = "users.invalid"


@dataclass(frozen=True)
class TokenPair:
    access: AccessToken
    refresh_token: str
    user: User


def user_from_token_claims(claims: dict[str, Any]) -> User:
    """Return the active user a verified token is for, creating them on their first request.

    A new user gets the token's `sub` as id and its `email` claim as email. When another user
    already has that email, the token is refused (code `user_conflict`) rather than guessing which
    account is meant; an admin has to resolve it. Emails of known users are not updated from tokens.
    """
    user_id = claims["sub"]
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        email = claims.get("email") or f"{user_id}@{PLACEHOLDER_EMAIL_DOMAIN}"
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, id=user_id)
        except IntegrityError:
            # Either a concurrent first request created this user, or the email belongs to someone else.
            user = User.objects.filter(pk=user_id).first()
            if user is None:
                logger.warning("Refused a token for user %s: its email is another user's.", user_id)
                raise TokenError("The token's email belongs to another user.", code="user_conflict") from None
    if not user.is_active:
        raise TokenError("This user is deactivated.", code="user_inactive")
    return user


def token_pair_for_password(*, email: str, password: str) -> TokenPair:
    """Sign a user in with email and password and start a new session.

    Unknown email, wrong password and deactivated user all fail alike, so callers cannot tell
    which addresses have accounts.
    """
    user = authenticate(email=email.strip().lower(), password=password)
    if user is None:
        raise TokenError("Invalid login credentials.", code="invalid_grant")
    with transaction.atomic():
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        return _token_pair_create(user=user, session_id=uuid.uuid4())


def token_pair_refresh(*, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair in the same session; the presented token is revoked.

    Presenting an already revoked token means it was copied or replayed, so the whole session is
    revoked, as Supabase does.
    """
    now = timezone.now()
    with transaction.atomic():
        stored = (
            RefreshToken.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(token_hash=_digest(refresh_token))
            .first()
        )
        if stored is not None and stored.revoked_at is None and stored.expires_at > now and stored.user.is_active:
            stored.revoked_at = now
            stored.save(update_fields=["revoked_at"])
            return _token_pair_create(user=stored.user, session_id=stored.session_id)
        if stored is not None and stored.revoked_at is not None:
            RefreshToken.objects.filter(session_id=stored.session_id, revoked_at__isnull=True).update(revoked_at=now)
    # Raised after the block, so that revoking a replayed token's session is committed.
    raise TokenError("Invalid refresh token.", code="invalid_grant")


@transaction.atomic
def refresh_tokens_revoke(*, user: User) -> int:
    """Sign the user out of every API session by revoking their refresh tokens; return how many."""
    return RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _token_pair_create(*, user: User, session_id: uuid.UUID) -> TokenPair:
    refresh_token = secrets.token_urlsafe(32)
    RefreshToken.objects.create(
        user=user,
        session_id=session_id,
        token_hash=_digest(refresh_token),
        expires_at=timezone.now() + settings.REFRESH_TOKEN_LIFETIME,
    )
    access = access_token_issue(user=user, session_id=session_id)
    return TokenPair(access=access, refresh_token=refresh_token, user=user)


def _digest(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()

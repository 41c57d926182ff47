"""Writes for signing in: the API's users known from their tokens, token pairs and their rotation;
writers' sign-up and the sign-in rate limit of the browser pages."""

import copy
import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from directorstudio.accounts.models import RefreshToken, User
from directorstudio.accounts.tokens import AccessToken, TokenError, access_token_issue
from directorstudio.errors import Conflict, DomainError, InvalidInput

logger = logging.getLogger(__name__)

# Supabase users without an email address (phone or anonymous sign-ins) still need a unique login.
PLACEHOLDER_EMAIL_DOMAIN = "users.invalid"

# The API's users this process has recently found provisioned and active, by id: (until when, the user).
# A token naming one of them costs no query of the users table until the entry expires
# (API_USER_CACHE_SECONDS), so a user deactivated or deleted by another process is refused at most
# that long afterwards; a save or delete in this process updates the entry at once (the receivers below).
_known_users: dict[uuid.UUID, tuple[float, User]] = {}
# Past this many users the memory is emptied and refilled by the next requests: a bound, not an LRU.
KNOWN_USERS_MAX = 10_000


@dataclass(frozen=True)
class TokenPair:
    access: AccessToken
    refresh_token: str
    user: User


def user_from_token_claims(claims: dict[str, Any]) -> User:
    """Return the active user a verified token is for, creating them on their first request.

    A new user gets the token's `sub` as id and its `email` claim as email. Supabase leaves the
    claim empty for phone and anonymous users, and the `sub` alone names the user, so a claim that
    is not an address the users table can hold (empty, not a string, not an email, too long) is
    treated as absent: the user gets a placeholder address, as a phone user does. When another
    user already has that email, the token is refused (code `user_conflict`) rather than guessing
    which account is meant; an admin has to resolve it. Emails of known users are not updated from tokens.
    A user found active is remembered by this process for API_USER_CACHE_SECONDS (see `_known_users`).
    """
    user_id = claims["sub"]
    known = _known_users.get(user_id)
    if known is not None and known[0] > time.monotonic():
        # A copy, so that what one request changes on its user never reaches the next request's.
        return copy.copy(known[1])
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        email = _usable_email(claims.get("email"))
        if email is None:
            if claims.get("email"):
                logger.warning(
                    "Provisioned user %s without the token's email claim: it is not a usable address.", user_id
                )
            email = f"{user_id}@{PLACEHOLDER_EMAIL_DOMAIN}"
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
    _known_user_remember(user)
    return user


def _known_user_remember(user: User) -> None:
    """Remember an active user for API_USER_CACHE_SECONDS (a copy: the caller may go on changing theirs)."""
    if settings.API_USER_CACHE_SECONDS <= 0:
        return
    if len(_known_users) >= KNOWN_USERS_MAX:
        _known_users.clear()
    _known_users[user.pk] = (time.monotonic() + settings.API_USER_CACHE_SECONDS, copy.copy(user))


@receiver(post_save, sender=User, dispatch_uid="accounts.known_users.saved")
def known_user_saved(sender: type[User], instance: User, **kwargs: Any) -> None:
    """A user saved in this process is remembered as saved when active (no lookup needed), forgotten otherwise.

    Remembering a just-saved user, rather than only forgetting them, spares their first request the
    lookup; if the save is rolled back, the entry is wrong for at most API_USER_CACHE_SECONDS, the
    bound that holds anyway for changes made by other processes.
    """
    if instance.is_active:
        _known_user_remember(instance)
    else:
        _known_users.pop(instance.pk, None)


@receiver(post_delete, sender=User, dispatch_uid="accounts.known_users.deleted")
def known_user_deleted(sender: type[User], instance: User, **kwargs: Any) -> None:
    """A user deleted in this process is looked up again on their next request."""
    _known_users.pop(instance.pk, None)


def _usable_email(claim: Any) -> str | None:
    """The `email` claim when it is an address the users table can hold, else None."""
    if not isinstance(claim, str) or len(claim) > User._meta.get_field("email").max_length:
        return None
    try:
        validate_email(claim)
    except ValidationError:
        return None
    return claim


def token_pair_for_password(*, email: str, password: str, address: str) -> TokenPair:
    """Sign a user in with email and password from the client `address` and start a new session.

    Unknown email, wrong password and deactivated user all fail alike, so callers cannot tell
    which addresses have accounts. Failures count against the account and the address as the
    writers' sign-in does; past the limits `SignInThrottled` is raised, even for the right password.
    """
    email = email.strip().lower()
    sign_in_check_allowed(email=email, address=address)
    user = authenticate(email=email, password=password)
    if user is None:
        sign_in_failure_record(email=email, address=address)
        raise TokenError("Invalid login credentials.", code="invalid_grant")
    sign_in_success_record(email=email)
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


def refresh_tokens_purge() -> int:
    """Delete expired refresh tokens and those revoked longer ago than REFRESH_TOKEN_REVOKED_RETENTION; return how many.

    A revoked token is kept that long (a day by default, as Supabase does) so that replaying it
    still revokes its session; after that a replay is merely refused.
    """
    now = timezone.now()
    deleted, _ = RefreshToken.objects.filter(
        Q(expires_at__lte=now) | Q(revoked_at__lte=now - settings.REFRESH_TOKEN_REVOKED_RETENTION)
    ).delete()
    return deleted


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


# --- Writers' accounts in the browser ---------------------------------------------------------


def writer_sign_up(*, email: str, password: str) -> User:
    """Create a writer (never staff) with this email and password.

    The email is normalised and lower-cased as the user manager stores it; an address already
    taken (compared case-insensitively, as the database's unique index does) raises `Conflict`,
    a password Django's validators refuse raises `InvalidInput` with its messages under `password`.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    if not email:
        raise InvalidInput({"email": ["Enter an email address."]})
    try:
        password_validation.validate_password(password, user=User(email=email))
    except ValidationError as error:
        raise InvalidInput({"password": list(error.messages)}) from None
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("An account with this email address already exists.", code="email_taken")
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password)
    except IntegrityError:
        # Another sign-up with the same address won the race.
        raise Conflict("An account with this email address already exists.", code="email_taken") from None


class SignInThrottled(DomainError):
    """Too many failed sign-ins for this account or from this address; wait and try again."""

    code = "sign_in_throttled"
    message = "Too many failed sign-in attempts. Please wait a few minutes and try again, or reset your password."


@dataclass(frozen=True)
class SignInLimits:
    """Failed sign-ins allowed per account and per client address within one window."""

    per_account: int
    per_address: int
    window_seconds: int


def sign_in_limits() -> SignInLimits:
    return SignInLimits(
        per_account=settings.SIGN_IN_FAILURES_PER_ACCOUNT,
        per_address=settings.SIGN_IN_FAILURES_PER_ADDRESS,
        window_seconds=settings.SIGN_IN_FAILURE_WINDOW_SECONDS,
    )


def sign_in_check_allowed(*, email: str, address: str) -> None:
    """Raise `SignInThrottled` when this account or this address has used up its failed sign-ins.

    Counted in the default cache, so every worker must share it (CACHE_URL). An unknown email is
    counted like a known one, so the limit does not tell which addresses have accounts.
    """
    limits = sign_in_limits()
    counts = cache.get_many([_account_key(email), _address_key(address)])
    if counts.get(_account_key(email), 0) >= limits.per_account:
        raise SignInThrottled()
    if counts.get(_address_key(address), 0) >= limits.per_address:
        raise SignInThrottled()


def sign_in_failure_record(*, email: str, address: str) -> None:
    """Count one failed sign-in against the account and the address (a fixed window from the first failure)."""
    window = sign_in_limits().window_seconds
    for key in (_account_key(email), _address_key(address)):
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=window)


def sign_in_success_record(*, email: str) -> None:
    """A correct password clears the account's failures (the address keeps its count)."""
    cache.delete(_account_key(email))


def _account_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"sign-in-failures:account:{digest}"


def _address_key(address: str) -> str:
    return f"sign-in-failures:address:{address or 'unknown'}"

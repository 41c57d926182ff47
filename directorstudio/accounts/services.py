"""Writes for signing in: the API's users known from their tokens, token pairs and their rotation,
sessions and their sign-out, Sign in with Apple; sign-up and account changes; the sign-in rate limit."""

import copy
import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
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

from directorstudio.accounts.models import Identity, RefreshToken, User
from directorstudio.accounts.tokens import AccessToken, TokenError, access_token_issue, apple_id_token_verify
from directorstudio.errors import Conflict, DomainError, InvalidInput, NotFound

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
    return _session_start(user=user)


class RefreshTokenRefused(TokenError):
    """A refresh token that cannot be exchanged; `reason`: not_found, already_used, expired or user_inactive."""

    def __init__(self, reason: str) -> None:
        super().__init__("Invalid refresh token.", code="invalid_grant")
        self.reason = reason


def token_pair_refresh(*, refresh_token: str, reuse_interval: timedelta = timedelta(0)) -> TokenPair:
    """Exchange a refresh token for a new pair in the same session; the presented token is revoked.

    A token revoked less than `reuse_interval` ago, in a session still signed in, is exchanged again
    (GoTrue's reuse interval: a client retrying a refresh whose answer it lost stays signed in).
    Presenting a revoked token otherwise means it was copied or replayed, so the whole session is
    revoked, as Supabase does. Raises `RefreshTokenRefused`.
    """
    now = timezone.now()
    with transaction.atomic():
        stored = (
            RefreshToken.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(token_hash=_digest(refresh_token))
            .first()
        )
        if stored is None:
            reason = "not_found"
        elif stored.revoked_at is not None and not (
            stored.revoked_at > now - reuse_interval and _session_signed_in(session_id=stored.session_id, now=now)
        ):
            RefreshToken.objects.filter(session_id=stored.session_id, revoked_at__isnull=True).update(revoked_at=now)
            reason = "already_used"
        elif not stored.user.is_active:
            reason = "user_inactive"
        elif stored.expires_at <= now:
            reason = "expired"
        else:
            if stored.revoked_at is None:
                stored.revoked_at = now
                stored.save(update_fields=["revoked_at"])
            return _token_pair_create(user=stored.user, session_id=stored.session_id)
    # Raised after the block, so that revoking a replayed token's session is committed.
    raise RefreshTokenRefused(reason)


def _session_signed_in(*, session_id: uuid.UUID, now: datetime) -> bool:
    return RefreshToken.objects.filter(session_id=session_id, revoked_at__isnull=True, expires_at__gt=now).exists()


def refresh_tokens_revoke(*, user: User) -> int:
    """Sign the user out of every API session by revoking their refresh tokens; return how many."""
    return sessions_sign_out(user=user, session_id=None, scope="global")


SIGN_OUT_SCOPES = ("global", "local", "others")


@transaction.atomic
def sessions_sign_out(*, user: User, session_id: uuid.UUID | None, scope: str) -> int:
    """Sign the user out of sessions as GoTrue's logout scopes do; return how many refresh tokens were revoked.

    `global`: every session; `local`: the session `session_id`; `others`: every session but that one.
    Without a session id (a token not issued at a sign-in) every scope signs out of every session.
    """
    if scope not in SIGN_OUT_SCOPES:
        raise InvalidInput({"scope": [f"Unsupported logout scope {scope!r}."]})
    tokens = RefreshToken.objects.filter(user=user, revoked_at__isnull=True)
    if session_id is not None and scope == "local":
        tokens = tokens.filter(session_id=session_id)
    elif session_id is not None and scope == "others":
        tokens = tokens.exclude(session_id=session_id)
    return tokens.update(revoked_at=timezone.now())


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


def _session_start(*, user: User) -> TokenPair:
    """Record the sign-in and return the first token pair of a new session."""
    with transaction.atomic():
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        return _token_pair_create(user=user, session_id=uuid.uuid4())


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


# --- Sign-up and account changes (the writers' pages, the app's /auth/v1) --------------------------


class WeakPassword(InvalidInput):
    """Django's password validators refused a password; `reasons` are their codes (e.g. password_too_short)."""

    code = "weak_password"

    def __init__(self, error: ValidationError) -> None:
        super().__init__({"password": list(error.messages)})
        self.reasons = [item.code for item in error.error_list]


class SamePassword(InvalidInput):
    """The new password is the one the user already has."""

    code = "same_password"


def writer_sign_up(*, email: str, password: str, user_metadata: dict[str, Any] | None = None) -> User:
    """Create a writer (never staff) with this email and password.

    The email is normalised and lower-cased as the user manager stores it; an address already
    taken (compared case-insensitively, as the database's unique index does) raises `Conflict`,
    an invalid one `InvalidInput`, a password Django's validators refuse `WeakPassword` (an
    `InvalidInput` with its messages under `password`).
    """
    email = _email_checked(email)
    _password_check(password, user=User(email=email))
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("An account with this email address already exists.", code="email_taken")
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, user_metadata=user_metadata or {})
    except IntegrityError:
        # Another sign-up with the same address won the race.
        raise Conflict("An account with this email address already exists.", code="email_taken") from None


def token_pair_for_sign_up(*, email: str, password: str, user_metadata: dict[str, Any] | None = None) -> TokenPair:
    """Sign a new writer up (`writer_sign_up`, same errors) and start their first session."""
    with transaction.atomic():
        user = writer_sign_up(email=email, password=password, user_metadata=user_metadata)
        return _session_start(user=user)


def user_update(
    *,
    user_id: uuid.UUID,
    email: str | None = None,
    password: str | None = None,
    user_metadata: dict[str, Any] | None = None,
    session_id: uuid.UUID | None = None,
) -> User:
    """Change a user's email, password and metadata, as GoTrue's `PUT /user` does.

    The metadata is merged into what is stored, a key set to None is removed. A new password must
    pass Django's validators and differ from the current one, and it signs the user out of their
    other sessions (all but `session_id`). An email of another user raises `Conflict`.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound()
        if email is not None:
            email = _email_checked(email)
            if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                raise Conflict("A user with this email address has already been registered.", code="email_exists")
            user.email = email
        if password:
            if user.check_password(password):
                raise SamePassword({"password": ["New password should be different from the old password."]})
            _password_check(password, user=user)
            user.set_password(password)
            sessions_sign_out(user=user, session_id=session_id, scope="others")
        if user_metadata:
            merged = {**user.user_metadata, **user_metadata}
            user.user_metadata = {key: value for key, value in merged.items() if value is not None}
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise Conflict("A user with this email address has already been registered.", code="email_exists") from None
        return user


def _email_checked(email: str) -> str:
    """The address normalised and lower-cased as the user manager stores it; `InvalidInput` when it is not one."""
    email = User.objects.normalize_email(email.strip()).lower()
    if not email:
        raise InvalidInput({"email": ["Enter an email address."]})
    if _usable_email(email) is None:
        raise InvalidInput({"email": ["Enter a valid email address."]})
    return email


def _password_check(password: str, *, user: User) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as error:
        raise WeakPassword(error) from None


# --- Sign in with Apple -------------------------------------------------------------------------

APPLE_PROVIDER = "apple"


def token_pair_for_apple_id_token(*, id_token: str, nonce: str | None) -> TokenPair:
    """Sign in with an id token from Sign in with Apple and start a new session.

    The token is verified (`apple_id_token_verify`, which raises TokenError). Its account (`sub`) is
    the user linked to it before; else, when Apple says the email is verified, the user with that
    email, who is linked to it; else a new user (with a placeholder address when the email is taken
    or absent). A deactivated user is refused (code `user_inactive`).
    """
    claims = apple_id_token_verify(id_token, nonce=nonce)
    with transaction.atomic():
        user = _apple_identity_user(claims)
        if not user.is_active:
            raise TokenError("This user is deactivated.", code="user_inactive")
        return _session_start(user=user)


def _apple_identity_user(claims: dict[str, Any]) -> User:
    email = _usable_email(claims.get("email"))
    email = email.lower() if email else ""
    identity = Identity.objects.select_related("user").filter(provider=APPLE_PROVIDER, subject=claims["sub"]).first()
    if identity is not None:
        identity.last_sign_in_at = timezone.now()
        identity.email = email or identity.email
        identity.save(update_fields=["last_sign_in_at", "email"])
        return identity.user
    verified = claims.get("email_verified") in (True, "true")
    user = User.objects.filter(email__iexact=email).first() if email else None
    try:
        with transaction.atomic():
            if user is None or not verified:
                user_id = uuid.uuid4()
                address = email if email and user is None else f"{user_id}@{PLACEHOLDER_EMAIL_DOMAIN}"
                user = User.objects.create_user(email=address, id=user_id)
            Identity.objects.create(user=user, provider=APPLE_PROVIDER, subject=claims["sub"], email=email)
    except IntegrityError:
        # A concurrent first sign-in with the same Apple account (or address) got there first.
        raise Conflict("This Apple account is being signed in by another request; try again.") from None
    return user


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

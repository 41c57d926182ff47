"""Who calls the facade: the project's API key (`apikey`), and the bearer token that names a user or the anon role."""

import time
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest

from directorstudio.accounts.models import User
from directorstudio.accounts.services import user_from_token_claims
from directorstudio.accounts.tokens import SECRET_ALGORITHM, SigningKeysUnavailable, TokenError, access_token_verify

ANON_ROLE = "anon"
ANON_KEY_ISSUER = "supabase"
ANON_KEY_LIFETIME_SECONDS = 10 * 365 * 24 * 3600
# Anon keys this process has verified, by their text, with their expiry: every request of the app carries
# one (as `apikey`, and as the bearer before sign-in), so it is verified once, as access tokens are.
_verified_anon_keys: dict[str, int] = {}
VERIFIED_ANON_KEYS_MAX = 1000


class FacadeAuthError(Exception):
    """The request's API key or bearer token is refused; each dialect answers it in its own body."""

    def __init__(self, message: str, *, code: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass(frozen=True)
class FacadeCaller:
    """The caller of one facade request: a signed-in user, or the anon role (user None)."""

    user: User | None
    claims: dict[str, Any]

    @property
    def user_id(self):
        return None if self.user is None else self.user.pk

    @property
    def role(self) -> str:
        return ANON_ROLE if self.user is None else str(self.claims.get("role", ""))


ANONYMOUS = FacadeCaller(user=None, claims={"role": ANON_ROLE})


def anon_key_issue(*, issued_at: int | None = None) -> str:
    """The project's anon key: an HS256 JWT with `role: anon` signed with SUPABASE_JWT_SECRET, as Supabase's is."""
    issued_at = int(time.time()) if issued_at is None else issued_at
    claims = {"iss": ANON_KEY_ISSUER, "role": ANON_ROLE, "iat": issued_at, "exp": issued_at + ANON_KEY_LIFETIME_SECONDS}
    return jwt.encode(claims, settings.SUPABASE_JWT_SECRET, algorithm=SECRET_ALGORITHM)


def _is_anon_key(token: str) -> bool:
    """Whether `token` is an anon key signed with the project's secret (and not expired)."""
    expires = _verified_anon_keys.get(token)
    if expires is not None and expires > time.time():
        return True
    try:
        claims = jwt.decode(
            token, settings.SUPABASE_JWT_SECRET, algorithms=[SECRET_ALGORITHM], options={"verify_aud": False}
        )
    except jwt.PyJWTError:
        return False
    if claims.get("role") != ANON_ROLE:
        return False
    if len(_verified_anon_keys) >= VERIFIED_ANON_KEYS_MAX:
        _verified_anon_keys.clear()
    _verified_anon_keys[token] = int(claims.get("exp", time.time() + ANON_KEY_LIFETIME_SECONDS))
    return True


@receiver(setting_changed, dispatch_uid="facade.verified_anon_keys.settings")
def verified_anon_keys_forget(setting: str, **kwargs: Any) -> None:
    """Keys verified with another secret are verified again."""
    if setting == "SUPABASE_JWT_SECRET":
        _verified_anon_keys.clear()


def _api_key(request: HttpRequest) -> str:
    return request.META.get("HTTP_APIKEY") or request.GET.get("apikey", "")


def _bearer(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise FacadeAuthError("The Authorization header must be 'Bearer <token>'.", code="bad_jwt")
    return token.strip()


def api_key_check(request: HttpRequest) -> None:
    """Raise FacadeAuthError unless the request carries the project's anon key as `apikey` (header or query)."""
    api_key = _api_key(request)
    if not api_key:
        raise FacadeAuthError("No API key found in request", code="no_api_key")
    if not _is_anon_key(api_key):
        raise FacadeAuthError("Invalid API key", code="invalid_api_key")


def facade_caller(request: HttpRequest, *, api_key_required: bool = True) -> FacadeCaller:
    """The caller of a facade request, from its `apikey` and its bearer token (the API key itself when absent).

    As Supabase's gateway does, a request needs the project's anon key as `apikey` (header or query);
    a bearer token is then either that anon key (the anon role: no user) or a user's access token,
    verified as the REST API verifies it. Raises FacadeAuthError with a code the dialects translate.
    """
    api_key = _api_key(request)
    if api_key_required:
        api_key_check(request)
    token = _bearer(request) or api_key
    if not token or token == api_key:
        return ANONYMOUS
    try:
        claims = access_token_verify(token)
        return FacadeCaller(user=user_from_token_claims(claims), claims=claims)
    except TokenError as error:
        if _is_anon_key(token):
            return ANONYMOUS
        raise FacadeAuthError(error.message, code=error.code) from error
    except SigningKeysUnavailable as error:
        raise FacadeAuthError(
            "The signing keys for access tokens cannot be fetched right now.",
            code="signing_keys_unavailable",
            status=503,
        ) from error

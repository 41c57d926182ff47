"""Access tokens in Supabase's format: issuing ours and verifying every token the app presents."""

import functools
import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

from directorstudio.accounts.models import User

DEFAULT_ISSUER = "directorstudio"
# Supabase signs with the project's JWT secret (HS256) or, in newer projects, with keys it
# publishes as a JWKS. Any other `alg`, `none` above all, is refused.
SECRET_ALGORITHM = "HS256"
JWKS_ALGORITHMS = frozenset({"RS256", "ES256"})
# The role of a signed-in user's token; `anon` and `service_role` tokens are not a user's.
AUTHENTICATED_ROLE = "authenticated"
JWKS_CACHE_SECONDS = 600
APPLE_ISSUER = "https://appleid.apple.com"
APPLE_ALGORITHM = "RS256"
JWKS_FETCH_TIMEOUT_SECONDS = 5
# The settings a token's verification depends on; changing one (tests do) forgets the verified tokens.
VERIFICATION_SETTINGS = frozenset(
    {
        "SUPABASE_JWT_SECRET",
        "SUPABASE_JWT_AUDIENCE",
        "SUPABASE_JWT_ISSUER",
        "SUPABASE_JWKS_URL",
        "ACCESS_TOKEN_MAX_LIFETIME",
    }
)
# Tokens this process has verified, by their text, with their claims. An app sends the same token with
# every request of its session (the clip status poll several times a minute), and until its `exp` the
# same text verifies the same way, so it is verified once: profiling showed PyJWT's parsing and checks
# at about a tenth of a status poll. (A key later dropped from the JWKS stops such a token only at its
# `exp`, an hour at most for Supabase's.) Past VERIFIED_TOKENS_MAX entries the memory is emptied (a bound).
_verified_tokens: dict[str, dict[str, Any]] = {}
VERIFIED_TOKENS_MAX = 10_000


class TokenError(Exception):
    """A token or credential that is refused; `code` is the machine-readable reason."""

    def __init__(self, message: str, code: str = "invalid_token") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class SigningKeysUnavailable(Exception):
    """The JWKS could not be fetched, so asymmetrically signed tokens cannot be checked."""


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_at: int
    expires_in: int


def access_token_issue(*, user: User, session_id: uuid.UUID | None = None) -> AccessToken:
    """Return a Supabase-format access token for the user, signed with SUPABASE_JWT_SECRET."""
    issued_at = int(timezone.now().timestamp())
    expires_in = int(settings.ACCESS_TOKEN_LIFETIME.total_seconds())
    claims: dict[str, Any] = {
        "iss": settings.SUPABASE_JWT_ISSUER or DEFAULT_ISSUER,
        "sub": str(user.pk),
        "aud": settings.SUPABASE_JWT_AUDIENCE,
        "role": AUTHENTICATED_ROLE,
        "email": user.email,
        "iat": issued_at,
        "exp": issued_at + expires_in,
    }
    if session_id is not None:
        claims["session_id"] = str(session_id)
    token = jwt.encode(claims, settings.SUPABASE_JWT_SECRET, algorithm=SECRET_ALGORITHM)
    return AccessToken(token=token, expires_at=claims["exp"], expires_in=expires_in)


def access_token_verify(token: str) -> dict[str, Any]:
    """Return the claims of a valid access token, with `sub` as a UUID; raise TokenError otherwise.

    Besides the signature, the audience and the issuer (when SUPABASE_JWT_ISSUER is set), the token
    must be a signed-in user's (`role` is `authenticated`: not `anon`, not `service_role`) and may
    not outlive ACCESS_TOKEN_MAX_LIFETIME from now. A token verified before is only checked for expiry.
    """
    verified = _verified_tokens.get(token)
    if verified is not None and int(verified["exp"]) > time.time():
        return dict(verified)
    claims = _access_token_check(token)
    if len(_verified_tokens) >= VERIFIED_TOKENS_MAX:
        _verified_tokens.clear()
    _verified_tokens[token] = claims
    return dict(claims)


@receiver(setting_changed, dispatch_uid="accounts.verified_tokens.settings")
def verified_tokens_forget(setting: str, **kwargs: Any) -> None:
    """Tokens verified under other settings are verified again."""
    if setting in VERIFICATION_SETTINGS:
        _verified_tokens.clear()


def _access_token_check(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError("The token is malformed.") from exc
    algorithm = header.get("alg")
    if not isinstance(algorithm, str):
        raise TokenError("The token's signing algorithm is not accepted.")
    key = _verification_key(algorithm, header.get("kid"))
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.SUPABASE_JWT_AUDIENCE,
            issuer=settings.SUPABASE_JWT_ISSUER or None,
            options={"require": ["exp", "sub", "aud", "role"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("The token has expired.", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError(f"The token is invalid: {exc}.") from exc
    if claims["role"] != AUTHENTICATED_ROLE:
        raise TokenError("The token is not a signed-in user's (its role is not 'authenticated').")
    if not isinstance(claims.get("iss", ""), str):
        raise TokenError("The token's issuer is not a string.")
    # PyJWT has checked that `exp` converts with int() (a numeric string does).
    latest_expiry = timezone.now() + settings.ACCESS_TOKEN_MAX_LIFETIME
    if int(claims["exp"]) > latest_expiry.timestamp():
        raise TokenError("The token's lifetime is longer than this server accepts.")
    try:
        claims["sub"] = uuid.UUID(claims["sub"])
    except ValueError as exc:
        raise TokenError("The token's subject is not a user id.") from exc
    return claims


def _verification_key(algorithm: Any, kid: Any) -> str | jwt.PyJWK:
    if algorithm == SECRET_ALGORITHM:
        return settings.SUPABASE_JWT_SECRET
    if algorithm not in JWKS_ALGORITHMS:
        raise TokenError("The token's signing algorithm is not accepted.")
    if not settings.SUPABASE_JWKS_URL:
        raise TokenError("Asymmetrically signed tokens are not accepted: no JWKS is configured.")
    if not kid or not isinstance(kid, str):
        raise TokenError("The token does not name its signing key (kid).")
    try:
        return _jwks_client(settings.SUPABASE_JWKS_URL).get_signing_key(kid)
    except jwt.PyJWKClientConnectionError as exc:
        raise SigningKeysUnavailable(str(exc)) from exc
    except jwt.PyJWTError as exc:
        raise TokenError("The token's signing key is unknown.") from exc


def apple_id_token_verify(id_token: str, *, nonce: str | None) -> dict[str, Any]:
    """Return the claims of a Sign in with Apple id token; raise TokenError (code `invalid_request`) otherwise.

    The RS256 signature must verify with a key of APPLE_ID_TOKEN_JWKS_URL, `iss` must be Apple's,
    `aud` one of APPLE_ID_TOKEN_AUDIENCES, and `exp` ahead. GoTrue's nonce rule: the token has a
    `nonce` claim exactly when a nonce is given, and the claim is the hex SHA-256 of that nonce
    (code `invalid_nonce` when it is not). Raises SigningKeysUnavailable when Apple's keys cannot be fetched.
    """
    try:
        kid = jwt.get_unverified_header(id_token).get("kid")
    except jwt.PyJWTError as exc:
        raise TokenError("Bad ID token", code="invalid_request") from exc
    if not kid or not isinstance(kid, str):
        raise TokenError("Bad ID token", code="invalid_request")
    try:
        key = _jwks_client(settings.APPLE_ID_TOKEN_JWKS_URL).get_signing_key(kid)
        claims = jwt.decode(
            id_token,
            key,
            algorithms=[APPLE_ALGORITHM],
            audience=settings.APPLE_ID_TOKEN_AUDIENCES,
            issuer=APPLE_ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWKClientConnectionError as exc:
        raise SigningKeysUnavailable(str(exc)) from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenError("Unacceptable audience in id_token", code="invalid_request") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("Bad ID token", code="invalid_request") from exc
    if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= 255:
        raise TokenError("Missing sub claim in id_token", code="invalid_request")
    token_nonce = claims.get("nonce") or ""
    if bool(token_nonce) != bool(nonce):
        raise TokenError("Passed nonce and nonce in id_token should either both exist or not.", code="invalid_request")
    if nonce and hashlib.sha256(nonce.encode()).hexdigest() != token_nonce:
        raise TokenError("Nonces mismatch", code="invalid_nonce")
    return claims


@functools.cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # One client per URL for the process: it keeps the fetched key set for JWKS_CACHE_SECONDS.
    return jwt.PyJWKClient(url, lifespan=JWKS_CACHE_SECONDS, timeout=JWKS_FETCH_TIMEOUT_SECONDS)

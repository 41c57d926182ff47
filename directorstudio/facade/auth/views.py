"""GoTrue's endpoints at /auth/v1 over the server's accounts: sign-up, token grants, the user, sign-out, recovery.

Each view reads the request, calls the accounts services and answers in GoTrue's shapes and error
dialect (errors.py); the rules (passwords, rotation, throttles) are the accounts app's.
"""

import json
import math
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework.throttling import ScopedRateThrottle

from directorstudio.accounts.forms import LabelledPasswordResetForm, client_address
from directorstudio.accounts.models import User
from directorstudio.accounts.selectors import session_signed_out, user_identities, user_with_identities
from directorstudio.accounts.services import (
    RefreshTokenRefused,
    SamePassword,
    SignInThrottled,
    TokenPair,
    WeakPassword,
    sessions_sign_out,
    sign_in_limits,
    token_pair_for_apple_id_token,
    token_pair_for_password,
    token_pair_for_sign_up,
    token_pair_refresh,
    user_update,
)
from directorstudio.accounts.tokens import SigningKeysUnavailable, TokenError
from directorstudio.accounts.views import PasswordResetView
from directorstudio.errors import Conflict, InvalidInput, NotFound
from directorstudio.facade.auth.errors import API_VERSION, API_VERSION_HEADER, GoTrueError, OAuthError, gotrue_json
from directorstudio.facade.auth.shapes import session_body, user_body
from directorstudio.facade.keys import FacadeAuthError, api_key_check, facade_caller

INVALID_LOGIN = "Invalid login credentials"
INVALID_EMAIL = "Unable to validate email address: invalid format"
# GoTrue's reasons for a weak password, from the codes of Django's validators that mean the same.
WEAK_PASSWORD_REASONS = {
    "password_too_short": "length",
    "password_too_common": "pwned",
    "password_entirely_numeric": "characters",
}
REFRESH_REFUSALS = {
    "not_found": ("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"),
    "already_used": ("refresh_token_already_used", "Invalid Refresh Token: Already Used"),
    "expired": ("session_expired", "Invalid Refresh Token: Session Expired"),
    "user_inactive": ("user_banned", "Invalid Refresh Token: User Banned"),
}
APPLE_PROVIDER = "apple"


class AddressRateThrottle(ScopedRateThrottle):
    """The `auth_token` scope per client address: the count /api/v1's token endpoint keeps for a caller."""

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def signing_keys_unavailable() -> GoTrueError:
    return GoTrueError(503, "unexpected_failure", "The signing keys cannot be fetched right now; try again.")


@method_decorator(csrf_exempt, name="dispatch")
class GoTrueView(View):
    """Needs the anon key (as Supabase's gateway does), answers JSON in GoTrue's dialect, errors included.

    With `throttled`, a client address gets AUTH_TOKEN_RATE requests (the `auth_token` scope of /api/v1's token).
    """

    throttled = False
    throttle_scope = "auth_token"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            api_key_check(request)
            if self.throttled and request.method == "POST":
                self.throttle_check(request)
            response = super().dispatch(request, *args, **kwargs)
        except FacadeAuthError as error:
            response = GoTrueError(error.status, error.code, error.message).response()
        except GoTrueError as error:
            response = error.response()
        response[API_VERSION_HEADER] = API_VERSION
        return response

    def throttle_check(self, request: HttpRequest) -> None:
        throttle = AddressRateThrottle()
        if not throttle.allow_request(request, self):
            raise rate_limited(throttle.wait())

    def body(self, request: HttpRequest) -> dict[str, Any]:
        """The JSON object sent (an empty one for an empty body); 400 `bad_json` otherwise."""
        try:
            raw = request.body
        except RequestDataTooBig:
            raise GoTrueError(413, "request_too_large", "The request body is too large.") from None
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise GoTrueError(400, "bad_json", f"Could not parse request body as JSON: {error}") from None
        if not isinstance(data, dict):
            raise GoTrueError(400, "bad_json", "Could not parse request body as JSON: not an object")
        return data

    def signed_in(self, request: HttpRequest) -> tuple[User, dict[str, Any]]:
        """The user of the request's access token and its claims, refused as GoTrue refuses them."""
        if not request.META.get("HTTP_AUTHORIZATION"):
            raise GoTrueError(401, "no_authorization", "This endpoint requires a valid Bearer token")
        try:
            caller = facade_caller(request)
        except FacadeAuthError as error:
            if error.status >= 500:
                raise signing_keys_unavailable() from error
            code = "user_banned" if error.code == "user_inactive" else "bad_jwt"
            raise GoTrueError(
                403, code, f"invalid JWT: unable to parse or verify signature, {error.message}"
            ) from error
        if caller.user is None:
            raise GoTrueError(403, "bad_jwt", "invalid claim: missing sub claim")
        session_id = session_id_claim(caller.claims)
        if session_id is not None and session_signed_out(session_id=session_id):
            raise GoTrueError(403, "session_not_found", "Session from session_id claim in JWT does not exist")
        return caller.user, caller.claims


def rate_limited(wait: float | None) -> GoTrueError:
    retry_after = str(max(1, math.ceil(wait or 0)))
    return GoTrueError(
        429, "over_request_rate_limit", "Request rate limit reached", headers={"Retry-After": retry_after}
    )


def session_id_claim(claims: dict[str, Any]) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(claims["session_id"]))
    except (KeyError, ValueError):
        return None


def text_field(data: dict[str, Any], name: str) -> str:
    """The string value `name` of a request body ("" when absent or null); 400 when it is not a string."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise GoTrueError(400, "validation_failed", f"{name} must be a string")
    if "\x00" in value:
        raise GoTrueError(400, "validation_failed", f"{name} may not contain NUL characters")
    return value


def metadata_field(data: dict[str, Any]) -> dict[str, Any] | None:
    """The `data` object (user_metadata) sent; PostgreSQL's jsonb cannot hold a NUL character."""
    value = data.get("data")
    if value is not None and not isinstance(value, dict):
        raise GoTrueError(400, "validation_failed", "data must be a JSON object")
    if value and "\\u0000" in json.dumps(value):
        raise GoTrueError(400, "validation_failed", "data may not contain NUL characters")
    return value


def session_response(pair: TokenPair) -> JsonResponse:
    return gotrue_json(session_body(pair, user_identities(user_id=pair.user.pk)))


def weak_password(error: WeakPassword) -> GoTrueError:
    reasons = sorted({WEAK_PASSWORD_REASONS.get(code, "characters") for code in error.reasons})
    return GoTrueError(
        422, "weak_password", " ".join(error.field_errors["password"]), weak_password={"reasons": reasons}
    )


def invalid_input(error: InvalidInput) -> GoTrueError:
    if isinstance(error, WeakPassword):
        return weak_password(error)
    if isinstance(error, SamePassword):
        return GoTrueError(422, "same_password", "New password should be different from the old password.")
    return GoTrueError(400, "validation_failed", INVALID_EMAIL)


class SignUpView(GoTrueView):
    """POST /signup: email and password (no phone); the new user is signed in, as GoTrue with autoconfirm does."""

    throttled = True

    def post(self, request: HttpRequest) -> HttpResponse:
        data = self.body(request)
        if text_field(data, "phone"):
            raise GoTrueError(400, "phone_provider_disabled", "Phone signups are disabled")
        email, password = text_field(data, "email"), text_field(data, "password")
        if not password:
            raise GoTrueError(400, "validation_failed", "Signup requires a valid password")
        if not email:
            raise GoTrueError(400, "validation_failed", "To signup, please provide your email")
        try:
            pair = token_pair_for_sign_up(email=email, password=password, user_metadata=metadata_field(data))
        except Conflict as error:
            raise GoTrueError(422, "user_already_exists", "User already registered") from error
        except InvalidInput as error:
            raise invalid_input(error) from error
        return session_response(pair)


class TokenView(GoTrueView):
    """POST /token?grant_type=password|refresh_token|id_token."""

    throttled = True

    def post(self, request: HttpRequest) -> HttpResponse:
        data = self.body(request)
        grant_type = request.GET.get("grant_type", "")
        try:
            if grant_type == "password":
                pair = self.password_grant(request, data)
            elif grant_type == "refresh_token":
                pair = self.refresh_token_grant(data)
            elif grant_type == "id_token":
                pair = self.id_token_grant(data)
            else:
                raise GoTrueError(400, "invalid_credentials", "unsupported_grant_type")
        except SigningKeysUnavailable as error:
            raise signing_keys_unavailable() from error
        return session_response(pair)

    def password_grant(self, request: HttpRequest, data: dict[str, Any]) -> TokenPair:
        email, password = text_field(data, "email"), text_field(data, "password")
        if text_field(data, "phone"):
            raise GoTrueError(400, "phone_provider_disabled", "Phone logins are disabled")
        if not email:
            raise GoTrueError(400, "validation_failed", "missing email or phone")
        try:
            return token_pair_for_password(email=email, password=password, address=client_address(request))
        except TokenError as error:
            raise GoTrueError(400, "invalid_credentials", INVALID_LOGIN) from error
        except SignInThrottled as error:
            raise rate_limited(sign_in_limits().window_seconds) from error

    def refresh_token_grant(self, data: dict[str, Any]) -> TokenPair:
        refresh_token = text_field(data, "refresh_token")
        if not refresh_token:
            raise OAuthError("invalid_request", "refresh_token required")
        try:
            return token_pair_refresh(refresh_token=refresh_token, reuse_interval=settings.REFRESH_TOKEN_REUSE_INTERVAL)
        except RefreshTokenRefused as error:
            raise GoTrueError(400, *REFRESH_REFUSALS[error.reason]) from error

    def id_token_grant(self, data: dict[str, Any]) -> TokenPair:
        id_token, provider = text_field(data, "id_token"), text_field(data, "provider")
        if not id_token:
            raise OAuthError("invalid_request", "id_token required")
        if provider != APPLE_PROVIDER:
            raise GoTrueError(400, "validation_failed", f"Custom OIDC provider {provider!r} not allowed")
        try:
            return token_pair_for_apple_id_token(id_token=id_token, nonce=text_field(data, "nonce") or None)
        except TokenError as error:
            if error.code == "user_inactive":
                raise GoTrueError(400, "user_banned", "User is banned") from error
            raise OAuthError(error.code, error.message) from error
        except Conflict as error:
            raise GoTrueError(409, "conflict", error.message) from error


class UserView(GoTrueView):
    """GET /user: the signed-in user; PUT /user: change their email, password or `data` (user_metadata)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user, _ = self.signed_in(request)
        return self.user_response(user.pk)

    def put(self, request: HttpRequest) -> HttpResponse:
        user, claims = self.signed_in(request)
        data = self.body(request)
        if data.get("app_metadata") is not None:
            raise GoTrueError(403, "not_admin", "Updating app_metadata requires admin privileges")
        if text_field(data, "phone"):
            raise GoTrueError(400, "phone_provider_disabled", "Phone logins are disabled")
        try:
            user_update(
                user_id=user.pk,
                email=text_field(data, "email") or None,
                password=text_field(data, "password") or None,
                user_metadata=metadata_field(data),
                session_id=session_id_claim(claims),
            )
        except Conflict as error:
            raise GoTrueError(
                422, "email_exists", "A user with this email address has already been registered"
            ) from error
        except InvalidInput as error:
            raise invalid_input(error) from error
        except NotFound as error:
            raise GoTrueError(404, "user_not_found", "User not found") from error
        return self.user_response(user.pk)

    def user_response(self, user_id: uuid.UUID) -> JsonResponse:
        try:
            user, identities = user_with_identities(user_id=user_id)
        except NotFound as error:
            raise GoTrueError(403, "user_not_found", "User from sub claim in JWT does not exist") from error
        return gotrue_json(user_body(user, identities))


class LogoutView(GoTrueView):
    """POST /logout?scope=global|local|others: ends sessions (their refresh tokens); 204."""

    def post(self, request: HttpRequest) -> HttpResponse:
        user, claims = self.signed_in(request)
        scope = request.GET.get("scope") or "global"
        try:
            sessions_sign_out(user=user, session_id=session_id_claim(claims), scope=scope)
        except InvalidInput as error:
            raise GoTrueError(400, "validation_failed", f"Unsupported logout scope {scope!r}") from error
        return HttpResponse(status=204)


class RecoverView(GoTrueView):
    """POST /recover: mails the writers' password reset link; 200 whether or not the address has an account."""

    throttled = True

    def post(self, request: HttpRequest) -> HttpResponse:
        email = text_field(self.body(request), "email")
        if not email:
            raise GoTrueError(400, "validation_failed", "Password recovery requires an email")
        form = LabelledPasswordResetForm({"email": email})
        if not form.is_valid():
            raise GoTrueError(400, "validation_failed", INVALID_EMAIL)
        form.save(
            request=request,
            use_https=request.is_secure(),
            email_template_name=PasswordResetView.email_template_name,
            subject_template_name=PasswordResetView.subject_template_name,
        )
        return gotrue_json({})


class SettingsView(GoTrueView):
    """GET /settings: what this GoTrue offers."""

    def get(self, request: HttpRequest) -> HttpResponse:
        external = {provider: False for provider in ("anonymous_users", "azure", "facebook", "github", "google")}
        return gotrue_json(
            {
                "external": {**external, "apple": True, "email": True, "phone": False},
                "disable_signup": False,
                "mailer_autoconfirm": True,
                "phone_autoconfirm": False,
                "sms_provider": "",
                "saml_enabled": False,
            }
        )


@method_decorator(csrf_exempt, name="dispatch")
class HealthView(View):
    """GET /health: the process answers (no API key needed, no database)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return gotrue_json({"name": "GoTrue", "version": "directorstudio", "description": "DirectorStudio's GoTrue"})


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other path under /auth/v1: GoTrue's 404."""
    return GoTrueError(404, "not_found", "Not Found").response()

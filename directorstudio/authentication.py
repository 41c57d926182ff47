"""The REST API's bearer authentication with Supabase access tokens."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from directorstudio.accounts.services import user_from_token_claims
from directorstudio.accounts.tokens import SigningKeysUnavailable, TokenError, access_token_verify

WWW_AUTHENTICATE = 'Bearer realm="api"'


class TokenAuthenticationFailed(exceptions.AuthenticationFailed):
    """A 401 whose `code` says why the token was refused."""

    def __init__(self, error: TokenError) -> None:
        super().__init__(error.message, code=error.code)


class SigningKeysUnavailableError(exceptions.APIException):
    status_code = 503
    default_detail = "The signing keys for access tokens cannot be fetched right now."
    default_code = "signing_keys_unavailable"


class SupabaseJWTAuthentication(BaseAuthentication):
    """Authenticates `Authorization: Bearer <Supabase access token>`; `request.auth` is the token's claims."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        try:
            if len(parts) != 2:
                raise TokenError("The Authorization header must be 'Bearer <token>'.")
            claims = access_token_verify(parts[1].decode("latin-1"))
            return user_from_token_claims(claims), claims
        except TokenError as error:
            raise TokenAuthenticationFailed(error) from error
        except SigningKeysUnavailable as exc:
            raise SigningKeysUnavailableError() from exc

    def authenticate_header(self, request) -> str:
        return WWW_AUTHENTICATE


class SupabaseJWTScheme(OpenApiAuthenticationExtension):
    target_class = SupabaseJWTAuthentication
    name = "supabaseAccessToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="AUTHORIZATION", token_prefix="Bearer", bearer_format="JWT"
        )

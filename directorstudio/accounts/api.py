from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from directorstudio.accounts.forms import client_address
from directorstudio.accounts.serializers import (
    PASSWORD_GRANT,
    REFRESH_TOKEN_GRANT,
    AuthErrorSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserSerializer,
)
from directorstudio.accounts.services import (
    SignInThrottled,
    refresh_tokens_revoke,
    sign_in_limits,
    token_pair_for_password,
    token_pair_refresh,
)
from directorstudio.accounts.tokens import TokenError
from directorstudio.authentication import WWW_AUTHENTICATE, TokenAuthenticationFailed

UNAUTHENTICATED_RESPONSE = OpenApiResponse(
    AuthErrorSerializer,
    description="Missing, malformed, expired or wrongly signed access token, or a deactivated user.",
)


class TokenApi(APIView):
    # Credentials travel in the body: a stale Authorization header must not get in the way of a refresh.
    authentication_classes = []
    permission_classes = [AllowAny]
    # AUTH_TOKEN_RATE requests per client address; failed password grants also count per account (SIGN_IN_FAILURES_*).
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    def get_authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token",
        summary="Sign in, or renew a session's tokens",
        description=(
            "For deployments and development without Supabase. The password grant (the default) "
            "signs in with email and password; the refresh_token grant exchanges a refresh token, "
            "which is single use, for a new pair. Presenting a refresh token that was already used "
            "revokes its whole session. The access token has the format of a Supabase access token "
            "and is signed with the same secret."
        ),
        parameters=[
            OpenApiParameter(
                "grant_type",
                str,
                OpenApiParameter.QUERY,
                enum=[PASSWORD_GRANT, REFRESH_TOKEN_GRANT],
                description="As in Supabase's /token endpoint; takes precedence over `grant_type` in the body.",
            )
        ],
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="Missing fields; the body maps each field to its messages."),
            401: OpenApiResponse(
                AuthErrorSerializer,
                description="Wrong email or password (the same body either way), or an invalid, expired "
                "or already used refresh token: code `invalid_grant`.",
            ),
            429: OpenApiResponse(
                description="Too many token requests from this address, or too many failed sign-ins for this "
                "account or from this address."
            ),
        },
        examples=[
            OpenApiExample(
                "Password grant",
                value={"email": "writer@directorstudio.local", "password": "secret"},
                request_only=True,
            ),
            OpenApiExample(
                "Refresh grant",
                value={"grant_type": REFRESH_TOKEN_GRANT, "refresh_token": "Zk3…"},
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if "grant_type" in request.query_params and isinstance(data, dict):
            data = {**data, "grant_type": request.query_params["grant_type"]}
        serializer = TokenRequestSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        try:
            if fields["grant_type"] == PASSWORD_GRANT:
                pair = token_pair_for_password(
                    email=fields["email"], password=fields["password"], address=client_address(request)
                )
            else:
                pair = token_pair_refresh(refresh_token=fields["refresh_token"])
        except TokenError as error:
            raise TokenAuthenticationFailed(error) from error
        except SignInThrottled as error:
            raise Throttled(wait=sign_in_limits().window_seconds, detail=error.message) from error
        body = TokenResponseSerializer(
            {
                "access_token": pair.access.token,
                "token_type": "bearer",
                "expires_in": pair.access.expires_in,
                "expires_at": pair.access.expires_at,
                "refresh_token": pair.refresh_token,
                "user": pair.user,
            }
        ).data
        return Response(body, headers={"Cache-Control": "no-store"})


class UserApi(APIView):
    @extend_schema(
        tags=["auth"],
        operation_id="auth_user",
        summary="The signed-in user",
        responses={200: UserSerializer, 401: UNAUTHENTICATED_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)


class LogoutApi(APIView):
    @extend_schema(
        tags=["auth"],
        operation_id="auth_logout",
        summary="Sign out of every API session",
        description=(
            "Revokes all of the user's refresh tokens. Access tokens already issued stay valid "
            "until they expire, as with Supabase."
        ),
        request=None,
        responses={204: None, 401: UNAUTHENTICATED_RESPONSE},
    )
    def post(self, request: Request) -> Response:
        refresh_tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

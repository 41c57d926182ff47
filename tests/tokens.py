"""Access tokens as Supabase issues them, for tests of the REST API."""

import time
import uuid

import jwt
from django.conf import settings
from rest_framework.test import APIClient


def supabase_claims(user_id: uuid.UUID | str, email: str = "", **overrides) -> dict:
    """Return the claims of a Supabase access token, valid for an hour; an override of None drops that claim."""
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "aud": "authenticated",
        "role": "authenticated",
        "email": email,
        "iat": now,
        "exp": now + 3600,
    }
    if settings.SUPABASE_JWT_ISSUER:
        claims["iss"] = settings.SUPABASE_JWT_ISSUER
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def make_supabase_token(user_id: uuid.UUID | str, email: str = "", **overrides) -> str:
    """Return a Supabase access token for the user, signed (HS256) with SUPABASE_JWT_SECRET."""
    claims = supabase_claims(user_id, email, **overrides)
    return jwt.encode(claims, settings.SUPABASE_JWT_SECRET, algorithm="HS256")


def auth_header(user) -> dict[str, str]:
    """Return the request keyword that signs `user` in: `client.get(url, **auth_header(user))`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {make_supabase_token(user.pk, user.email)}"}


def signed_in(user) -> APIClient:
    """Return an API client that sends `user`'s Bearer token with every request."""
    client = APIClient()
    client.credentials(**auth_header(user))
    return client

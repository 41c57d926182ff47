"""GoTrue's user and session objects, built from the server's accounts."""

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings

from directorstudio.accounts.models import Identity, User
from directorstudio.accounts.services import TokenPair
from directorstudio.accounts.tokens import AUTHENTICATED_ROLE

EMAIL_PROVIDER = "email"


def _timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _identity_id(user: User, provider: str, subject: str) -> str:
    # GoTrue's identities have their own UUID; ours is derived, so it is stable from one answer to the next.
    return str(uuid.uuid5(user.pk, f"{provider}:{subject}"))


def _email_identity(user: User) -> dict[str, Any]:
    return {
        "identity_id": _identity_id(user, EMAIL_PROVIDER, str(user.pk)),
        "id": str(user.pk),
        "user_id": str(user.pk),
        "identity_data": {"sub": str(user.pk), "email": user.email, "email_verified": True, "phone_verified": False},
        "provider": EMAIL_PROVIDER,
        "email": user.email,
        "last_sign_in_at": _timestamp(user.last_login),
        "created_at": _timestamp(user.date_joined),
        "updated_at": _timestamp(user.updated_at),
    }


def _provider_identity(user: User, identity: Identity) -> dict[str, Any]:
    return {
        "identity_id": _identity_id(user, identity.provider, identity.subject),
        "id": identity.subject,
        "user_id": str(user.pk),
        "identity_data": {"sub": identity.subject, "email": identity.email, "email_verified": bool(identity.email)},
        "provider": identity.provider,
        "email": identity.email,
        "last_sign_in_at": _timestamp(identity.last_sign_in_at),
        "created_at": _timestamp(identity.created_at),
        "updated_at": _timestamp(identity.last_sign_in_at),
    }


def user_body(user: User, identities: list[Identity]) -> dict[str, Any]:
    """GoTrue's user object: every account's email counts as confirmed (GoTrue with autoconfirm)."""
    linked = ([_email_identity(user)] if user.has_usable_password() else []) + [
        _provider_identity(user, identity) for identity in identities
    ]
    providers = list(dict.fromkeys(identity["provider"] for identity in linked)) or [EMAIL_PROVIDER]
    joined = _timestamp(user.date_joined)
    return {
        "id": str(user.pk),
        "aud": settings.SUPABASE_JWT_AUDIENCE,
        "role": AUTHENTICATED_ROLE,
        "email": user.email,
        "email_confirmed_at": joined,
        "phone": "",
        "confirmed_at": joined,
        "last_sign_in_at": _timestamp(user.last_login),
        "app_metadata": {"provider": providers[0], "providers": providers},
        "user_metadata": user.user_metadata,
        "identities": linked,
        "created_at": joined,
        "updated_at": _timestamp(user.updated_at),
        "is_anonymous": False,
    }


def session_body(pair: TokenPair, identities: list[Identity]) -> dict[str, Any]:
    """GoTrue's session: the token pair and its user."""
    return {
        "access_token": pair.access.token,
        "token_type": "bearer",
        "expires_in": pair.access.expires_in,
        "expires_at": pair.access.expires_at,
        "refresh_token": pair.refresh_token,
        "user": user_body(pair.user, identities),
    }

"""Reads about accounts: a user with their linked identities, and whether a session is still signed in."""

import uuid

from django.db.models import Count, Q
from django.utils import timezone

from directorstudio.accounts.models import Identity, RefreshToken, User
from directorstudio.errors import NotFound


def user_with_identities(*, user_id: uuid.UUID) -> tuple[User, list[Identity]]:
    """The user, read afresh, and the sign-in providers' accounts linked to them; `NotFound` when there is none."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user, user_identities(user_id=user_id)


def user_identities(*, user_id: uuid.UUID) -> list[Identity]:
    """The sign-in providers' accounts linked to the user, oldest first."""
    return list(Identity.objects.filter(user_id=user_id))


def session_signed_out(*, session_id: uuid.UUID) -> bool:
    """Whether this server started the session and it has ended (signed out, or its tokens revoked or expired).

    A session this server never started (a token from Supabase itself, or one whose tokens were purged) is
    not known to have ended.
    """
    counts = RefreshToken.objects.filter(session_id=session_id).aggregate(
        known=Count("pk"), live=Count("pk", filter=Q(revoked_at__isnull=True, expires_at__gt=timezone.now()))
    )
    return counts["known"] > 0 and counts["live"] == 0

"""Signed object URLs as Storage makes them: an HS256 JWT with SUPABASE_JWT_SECRET over `<bucket>/<path>`.

The token also names the object's owner, since each user has their own objects under the same names; it
has no `aud`, `sub` or `role`, so it is never mistaken for an access token or the anon key, nor they for it.
"""

import time
import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings

from directorstudio.facade.storage.errors import StorageError

ALGORITHM = "HS256"
DOWNLOAD_SCOPE = "download"
# Storage accepts any positive expiry; this bound keeps `exp` a number every JWT library reads.
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600


@dataclass(frozen=True)
class SignedObject:
    """What a valid token opens: one owner's object of one bucket."""

    bucket_id: str
    name: str
    owner: uuid.UUID
    expires_at: int


def expires_in_value(value: object) -> int:
    """A request's `expiresIn` (the clients send a number or its digits); InvalidRequest otherwise."""
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not text.isdigit() or not 1 <= int(text) <= MAX_EXPIRES_IN:
        raise StorageError.invalid_request(f"expiresIn must be an integer from 1 to {MAX_EXPIRES_IN}")
    return int(text)


def object_token_sign(*, bucket_id: str, name: str, owner: uuid.UUID, expires_in: int) -> str:
    """A token that opens the owner's object `name` of the bucket for `expires_in` seconds."""
    now = int(time.time())
    claims = {
        "url": f"{bucket_id}/{name}",
        "owner": str(owner),
        "scope": DOWNLOAD_SCOPE,
        "iat": now,
        "exp": now + expires_in,
    }
    return jwt.encode(claims, settings.SUPABASE_JWT_SECRET, algorithm=ALGORITHM)


def object_token_verify(token: str, *, bucket_id: str, name: str) -> SignedObject:
    """What `token` opens when it was signed for this bucket and object and has not expired; Storage's error else."""
    try:
        claims = jwt.decode(
            token,
            settings.SUPABASE_JWT_SECRET,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "url", "owner", "scope"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise StorageError.expired_signature() from None
    except jwt.PyJWTError as error:
        raise StorageError.invalid_jwt(str(error) or "Invalid JWT") from None
    if claims["scope"] != DOWNLOAD_SCOPE:
        raise StorageError.invalid_signature(f"Token is not scoped for {DOWNLOAD_SCOPE}")
    if claims["url"] != f"{bucket_id}/{name}":
        raise StorageError.invalid_signature()
    try:
        owner = uuid.UUID(str(claims["owner"]))
    except ValueError:
        raise StorageError.invalid_signature() from None
    return SignedObject(bucket_id=bucket_id, name=name, owner=owner, expires_at=int(claims["exp"]))

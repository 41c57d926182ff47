"""Storage's error dialect: `{"statusCode", "code", "error", "message"}`, answered with HTTP 400 as Storage does.

Storage (supabase/storage `src/internal/errors/codes.ts`, `src/http/error-handler.ts`) puts the real status in
the body's `statusCode` (a string) and answers 400 for every error below 500; the clients read the body.
"""

from django.http import JsonResponse

from directorstudio.errors import Conflict, DomainError, InvalidInput, NotFound, ServiceUnavailable
from directorstudio.facade.keys import FacadeAuthError

# The message Storage answers when row-level security refuses a write (a user may not write this bucket).
ROW_LEVEL_SECURITY_MESSAGE = "new row violates row-level security policy"
RETRY_AFTER_SECONDS = 5


class StorageError(Exception):
    """An error as Storage renders it: its status, ErrorCode, legacy `error` name and message."""

    def __init__(
        self, status: int, code: str, message: str, *, error: str | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.error = error or code
        self.message = message
        # Storage answers 400 for every error below 500; its gateway's 401 and an unknown route's 404 keep theirs.
        self.http_status = http_status or (status if status >= 500 else 400)

    @classmethod
    def no_such_key(cls) -> "StorageError":
        return cls(404, "NoSuchKey", "Object not found", error="not_found")

    @classmethod
    def no_such_bucket(cls) -> "StorageError":
        return cls(404, "NoSuchBucket", "Bucket not found", error="Bucket not found")

    @classmethod
    def key_already_exists(cls) -> "StorageError":
        return cls(409, "KeyAlreadyExists", "The resource already exists", error="Duplicate")

    @classmethod
    def access_denied(cls, message: str = ROW_LEVEL_SECURITY_MESSAGE) -> "StorageError":
        return cls(403, "AccessDenied", message, error="Unauthorized")

    @classmethod
    def entity_too_large(cls, limit: int | None = None) -> "StorageError":
        size = "the maximum allowed size" if limit is None else f"the maximum allowed size of {limit} bytes"
        return cls(413, "EntityTooLarge", f"The object exceeded {size}", error="Payload too large")

    @classmethod
    def invalid_mime_type(cls, message: str) -> "StorageError":
        return cls(415, "InvalidMimeType", message, error="invalid_mime_type")

    @classmethod
    def invalid_request(cls, message: str) -> "StorageError":
        return cls(400, "InvalidRequest", message)

    @classmethod
    def invalid_key(cls, key: str) -> "StorageError":
        return cls(400, "InvalidKey", f"Invalid key: {key}")

    @classmethod
    def invalid_jwt(cls, message: str) -> "StorageError":
        return cls(400, "InvalidJWT", message)

    @classmethod
    def invalid_signature(cls, message: str = "Invalid signature") -> "StorageError":
        return cls(400, "InvalidSignature", message)

    @classmethod
    def expired_signature(cls) -> "StorageError":
        return cls(400, "ExpiredToken", "The provided token has expired.")

    @classmethod
    def unavailable(cls, message: str) -> "StorageError":
        return cls(503, "S3Error", message, error="storage_unavailable")

    @classmethod
    def route_not_found(cls, method: str, path: str) -> "StorageError":
        return cls(404, "InvalidRequest", f"Route {method}:{path} not found", error="Not Found", http_status=404)

    @classmethod
    def from_domain(cls, error: DomainError) -> "StorageError":
        """Storage's error for one of the project's errors."""
        if isinstance(error, NotFound):
            return cls.no_such_key()
        if isinstance(error, Conflict):
            return cls.key_already_exists()
        if isinstance(error, ServiceUnavailable):
            return cls.unavailable(error.message)
        if isinstance(error, InvalidInput):
            return cls.invalid_request(error.message)
        return cls(400, "InvalidRequest", error.message)

    @classmethod
    def from_auth(cls, error: FacadeAuthError) -> "StorageError":
        """Storage's error for a refused API key or bearer token (the gateway's 401s keep their status)."""
        if error.status >= 500:
            return cls.unavailable(error.message)
        if error.code in ("no_api_key", "invalid_api_key"):
            return cls(401, "AccessDenied", error.message, error="Unauthorized", http_status=401)
        return cls.access_denied(error.message)

    def response(self) -> JsonResponse:
        """The error as Storage answers it, with `Retry-After` when the store is unavailable."""
        response = JsonResponse(
            {"statusCode": str(self.status), "code": self.code, "error": self.error, "message": self.message},
            status=self.http_status,
        )
        if self.status == 503:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

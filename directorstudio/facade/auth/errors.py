"""GoTrue's answers: JSON with `X-Supabase-Api-Version`, and its two error dialects.

GoTrue answers a client that speaks API version 2024-01-01 (supabase-swift, -js, -py all do) with
`{"code": "<error code>", "message": ...}`, and older clients with `{"code": <status>, "error_code",
"msg"}`. Every answer here carries the version header, so `code` is the error code as a string
(supabase-swift decodes it as one and fails on a number); `error_code` and `msg` are kept for
clients that read the older keys. The grants' OAuth failures keep GoTrue's `{"error", "error_description"}`.
"""

from typing import Any

from django.http import JsonResponse

API_VERSION_HEADER = "X-Supabase-Api-Version"
API_VERSION = "2024-01-01"
ERROR_CODE_HEADER = "x-sb-error-code"


class GoTrueError(Exception):
    """An answer in GoTrue's error dialect: `status`, GoTrue's `error_code`, its message; `extra` joins the body."""

    def __init__(
        self, status: int, error_code: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> JsonResponse:
        body = {"code": self.error_code, "error_code": self.error_code, "msg": self.message, **self.extra}
        response = gotrue_json(body, status=self.status)
        response[ERROR_CODE_HEADER] = self.error_code
        for name, value in self.headers.items():
            response[name] = value
        return response


class OAuthError(GoTrueError):
    """GoTrue's OAuth-style refusal of a grant: always 400 `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(400, error, description)

    def response(self) -> JsonResponse:
        return gotrue_json({"error": self.error_code, "error_description": self.message}, status=self.status)


def gotrue_json(body: dict[str, Any], *, status: int = 200) -> JsonResponse:
    """A JSON answer that says which API version it speaks and is never cached."""
    response = JsonResponse(body, status=status)
    response[API_VERSION_HEADER] = API_VERSION
    response["Cache-Control"] = "no-store"
    return response

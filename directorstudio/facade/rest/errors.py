"""PostgREST's error dialect: `{"code", "details", "hint", "message"}` with its statuses and codes.

The codes are PostgREST's (`PGRST…`, docs/references/errors.rst) or PostgreSQL's SQLSTATE where PostgREST
would pass the database's error on (`22P02` a value of the wrong type, `23505` a duplicate key, `42501`
row-level security, `P0001` a function's refusal). The project's own errors are translated here, once.
"""

from typing import Any

from django.db import DatabaseError, IntegrityError

from directorstudio import errors
from directorstudio.facade.keys import FacadeAuthError

# SQLSTATE classes of a database error caused by the request (data, constraint, syntax or access).
CLIENT_SQLSTATE_CLASSES = ("22", "23", "42", "2F", "P0")


class PostgrestError(Exception):
    """An answer in PostgREST's error body."""

    def __init__(self, status: int, code: str, message: str, details: Any = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "details": details, "hint": hint, "message": message}


def grammar_error(message: str, details: str | None) -> PostgrestError:
    return PostgrestError(400, "PGRST100", message, details)


def unknown_column(relation: str, column: str) -> PostgrestError:
    return PostgrestError(400, "42703", f"column {relation}.{column} does not exist")


def invalid_value(type_name: str, value: str) -> PostgrestError:
    return PostgrestError(400, "22P02", f'invalid input syntax for type {type_name}: "{value}"')


def permission_denied(*, relation: str, signed_in: bool) -> PostgrestError:
    """42501: 401 for the anon role, 403 for a signed-in user, as PostgREST answers a denied grant or policy."""
    return PostgrestError(401 if not signed_in else 403, "42501", f"permission denied for table {relation}")


def row_security_violation(relation: str) -> PostgrestError:
    return PostgrestError(403, "42501", f'new row violates row-level security policy for table "{relation}"')


def singular_error(count: int) -> PostgrestError:
    return PostgrestError(
        406, "PGRST116", "Cannot coerce the result to a single JSON object", f"The result contains {count} rows"
    )


def auth_error(error: FacadeAuthError) -> PostgrestError:
    """A refused API key or token: PostgREST's PGRST301 (a bad JWT) or PGRST303 (its claims), 401."""
    if error.status >= 500:
        return PostgrestError(error.status, "PGRST000", error.message)
    if error.code in {"no_api_key", "invalid_api_key"}:
        return PostgrestError(401, "PGRST301", error.message, hint="Send the project's anon key as the apikey header.")
    if error.code == "token_expired":
        return PostgrestError(401, "PGRST303", "JWT expired")
    return PostgrestError(401, "PGRST301", error.message)


def domain_error(error: errors.DomainError) -> PostgrestError:
    """The project's errors as PostgREST answers the same refusal raised by a database function or constraint."""
    if isinstance(error, errors.InsufficientCredits):
        return PostgrestError(
            400,
            "P0001",
            error.message,
            details=f"credits: {error.credits}",
            hint="Buy credits or claim the free first clip.",
        )
    if isinstance(error, errors.InvalidInput):
        return PostgrestError(400, "23514", error.message, details=error.field_errors)
    if isinstance(error, errors.VersionConflict):
        return PostgrestError(
            409,
            "40001",
            error.message,
            details={"version": getattr(error.current, "version", None)},
            hint="Read the row again and apply the change to its current version.",
        )
    if isinstance(error, errors.IdTaken):
        return PostgrestError(409, "23505", "duplicate key value violates unique constraint", details=error.message)
    if isinstance(error, errors.Conflict):
        return PostgrestError(409, "P0001", error.message, details=error.code)
    if isinstance(error, errors.NotFound):
        return PostgrestError(404, "P0002", error.message)
    if isinstance(error, errors.ServiceUnavailable):
        return PostgrestError(503, "PGRST000", error.message, details=error.code)
    return PostgrestError(400, "P0001", error.message, details=error.code)


def database_error(error: DatabaseError) -> PostgrestError | None:
    """A database error the request caused (bad value, constraint, syntax) as a 4xx with its SQLSTATE, else None."""
    sqlstate = getattr(error.__cause__, "sqlstate", None) or ""
    if isinstance(error, IntegrityError):
        status = 409 if sqlstate in {"23505", "23503"} else 400
        return PostgrestError(status, sqlstate or "23000", str(error.__cause__ or error).split("\n")[0])
    if sqlstate.startswith(CLIENT_SQLSTATE_CLASSES) or sqlstate == "57014":
        return PostgrestError(400, sqlstate, str(error.__cause__ or error).split("\n")[0])
    return None

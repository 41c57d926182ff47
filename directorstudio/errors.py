"""The project's own errors: what services and selectors raise, whoever called them.

Each error has a message for people and a machine `code`. They know nothing of HTTP: the API's
exception handler, the admin and the pages translate them (see `directorstudio/exceptions.py`).
"""

import errno
from typing import Any


class DomainError(Exception):
    """A business rule refused an action; `code` says which, for programs."""

    code = "error"
    message = "The action was refused."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.message
        if code is not None:
            self.code = code
        super().__init__(self.message)


class NotFound(DomainError):
    """No such row among the rows the caller may see."""

    code = "not_found"
    message = "Not found."


class Conflict(DomainError):
    """The change conflicts with the data already stored."""

    code = "conflict"
    message = "The change conflicts with the data already stored."


class IdTaken(Conflict):
    """A client-chosen id already names somebody else's row."""

    code = "id_taken"
    message = "A row with this id already exists."


class VersionConflict(Conflict):
    """An edit was based on an older version than the stored one; `current` is the stored row."""

    code = "version_conflict"

    def __init__(self, current: Any, message: str | None = None) -> None:
        super().__init__(message)
        self.current = current


class InsufficientCredits(DomainError):
    """A ledger row has fewer credits than the action costs; `credits` is its balance."""

    code = "insufficient_credits"
    message = "This user key has no credit left for a clip."

    def __init__(self, *, credits: int, message: str | None = None) -> None:
        super().__init__(message)
        self.credits = credits


class InvalidInput(DomainError):
    """Values a rule refuses, with messages per field (`field_errors`) as a form or a serializer has them."""

    code = "invalid"
    message = "Invalid input."

    def __init__(self, field_errors: dict[str, list[str]], message: str | None = None) -> None:
        super().__init__(message or "; ".join(f"{field}: {' '.join(errors)}" for field, errors in field_errors.items()))
        self.field_errors = field_errors


class ServiceUnavailable(DomainError):
    """Something outside this server that the action needs (a video service, a store) cannot be reached now."""

    code = "service_unavailable"
    message = "A service this action needs is unavailable; try again later."


# What the operating system answers when a disk (or the user's quota on it) has no room left.
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class StorageFull(ServiceUnavailable):
    """A disk that files are written to (the store, or the folder uploads are spooled to) has no room left."""

    code = "storage_full"
    message = "The server's storage is full, so the file could not be stored; try again later."


class StorageUnavailable(ServiceUnavailable):
    """The store that files live in (local disk or S3) refused, timed out or failed; the action may be retried."""

    code = "storage_unavailable"
    message = "The file store is unavailable right now; try again shortly."

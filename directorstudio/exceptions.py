from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from directorstudio import errors
from directorstudio.parsers import RequestBodyTooLarge

# A database that is down, restarting or out of connections: the request may succeed when retried.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; try again shortly."
    default_code = "database_unavailable"
    wait = RETRY_AFTER_SECONDS  # DRF's handler sends it as Retry-After


# The HTTP status of each domain error; a subclass answers with its nearest listed ancestor's.
DOMAIN_ERROR_STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidInput: status.HTTP_400_BAD_REQUEST,
    errors.InsufficientCredits: status.HTTP_402_PAYMENT_REQUIRED,
    errors.NotFound: status.HTTP_404_NOT_FOUND,
    errors.Conflict: status.HTTP_409_CONFLICT,
    errors.ServiceUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
    errors.DomainError: status.HTTP_400_BAD_REQUEST,
}


def domain_error_status(error: errors.DomainError) -> int:
    """The HTTP status that answers `error`."""
    return next(code for kind, code in DOMAIN_ERROR_STATUS.items() if isinstance(error, kind))


def domain_error_body(error: errors.DomainError) -> dict:
    """The API body of `error`: field messages for invalid input, else `{"detail", "code"}` and its facts."""
    if isinstance(error, errors.InvalidInput):
        return error.field_errors
    body = {"detail": error.message, "code": error.code}
    if isinstance(error, errors.InsufficientCredits):
        body["credits"] = error.credits
    return body


def api_exception_handler(exc, context):
    """DRF's handler, taught the project's errors, giving every error but a validation error `{"detail", "code"}`.

    A database constraint the validation did not foresee is a 409, not a 500, and a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 (Django would answer its own check with a bare 400). An
    unreachable database, and a full disk wherever the request met it, are a 503 with Retry-After.
    """
    if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        exc = DatabaseUnavailable()
    if isinstance(exc, IntegrityError):
        exc = errors.Conflict()
    if isinstance(exc, OSError) and exc.errno in errors.NO_SPACE_ERRNOS:  # e.g. spooling an upload to a full disk
        exc = errors.StorageFull()
    if isinstance(exc, errors.DomainError):
        response = Response(domain_error_body(exc), status=domain_error_status(exc))
        if isinstance(exc, errors.ServiceUnavailable):  # a full disk, a video service down: worth trying again
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, RequestDataTooBig):
        exc = RequestBodyTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is not None and not isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, str):
        response.data = {"detail": exc.detail, "code": exc.detail.code}
    return response

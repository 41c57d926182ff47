from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from directorstudio.parsers import RequestBodyTooLarge


class RowConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The change conflicts with the data already stored."
    default_code = "conflict"


def api_exception_handler(exc, context):
    """DRF's handler, giving every error but a validation error the body `{"detail", "code"}`.

    A database constraint the validation did not foresee is a 409, not a 500, and a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 (Django would answer its own check with a bare 400).
    """
    if isinstance(exc, IntegrityError):
        exc = RowConflict()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestBodyTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is not None and not isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, str):
        response.data = {"detail": exc.detail, "code": exc.detail.code}
    return response

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler

from directorstudio.parsers import RequestBodyTooLarge


class RowConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The change conflicts with the data already stored."
    default_code = "conflict"


def api_exception_handler(exc, context):
    """DRF's handler, plus a database constraint the validation did not foresee answered as 409, not 500.

    A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413; Django would answer its check with a bare 400.
    """
    if isinstance(exc, IntegrityError):
        exc = RowConflict()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestBodyTooLarge()
    return exception_handler(exc, context)

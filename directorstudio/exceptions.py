from django.db import IntegrityError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler


class RowConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The change conflicts with the data already stored."
    default_code = "conflict"


def api_exception_handler(exc, context):
    """DRF's handler, plus a database constraint the validation did not foresee answered as 409, not 500."""
    if isinstance(exc, IntegrityError):
        exc = RowConflict()
    return exception_handler(exc, context)

from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    """DRF's handler; the place where API errors get their common JSON shape."""
    return exception_handler(exc, context)

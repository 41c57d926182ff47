from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    400: "Invalid request: each field (or query parameter) names a list of messages; malformed JSON gives `detail`.",
    401: "No valid access token (or session).",
    402: "Not enough credits (`code` is `insufficient_credits`).",
    404: "No such row among the signed-in user's rows.",
    405: "The resource does not allow this method.",
    409: "The change conflicts with stored data (for example a client id already taken).",
    413: "The request body is larger than the server accepts.",
    415: "The body is not JSON (`Content-Type: application/json`).",
    429: "Too many clip submissions (`code` is `throttled`): `Retry-After` says how many seconds to wait.",
}

_detail = inline_serializer(
    "ErrorDetail",
    fields={
        "detail": serializers.CharField(help_text="What went wrong, for people."),
        "code": serializers.CharField(help_text="What went wrong, for programs: e.g. not_found, token_expired."),
    },
)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given error statuses, in the shapes the API answers them."""
    return {
        status: OpenApiResponse(
            response=OpenApiTypes.OBJECT if status == 400 else _detail, description=ERROR_DESCRIPTIONS[status]
        )
        for status in statuses
    }


READ_ERRORS = (401, 404)
WRITE_ERRORS = (400, 401, 409, 413, 415)


def owned_row_schema(serializer, *, rows: str, **overrides):
    """Document the standard actions of an owned-row viewset over `rows` (a plural noun, e.g. "screenplays").

    `overrides` maps an action name to its own `extend_schema(...)`, which replaces the default one.
    """
    created_again = OpenApiResponse(
        response=serializer, description="A create repeated with the same `id`: the row stored the first time."
    )
    actions = {
        "list": extend_schema(
            summary=f"List your {rows}",
            responses={200: serializer(many=True), **error_responses(400, 401)},
        ),
        "retrieve": extend_schema(
            summary=f"Read one of your {rows}", responses={200: serializer, **error_responses(*READ_ERRORS)}
        ),
        "create": extend_schema(
            summary=f"Create one of your {rows}",
            description="`user_id` comes from the token. Sending your own `id` makes repeating the create safe.",
            responses={201: serializer, 200: created_again, **error_responses(*WRITE_ERRORS)},
        ),
        "update": extend_schema(
            summary=f"Replace one of your {rows}",
            responses={200: serializer, **error_responses(*WRITE_ERRORS, 404)},
        ),
        "partial_update": extend_schema(
            summary=f"Change some columns of one of your {rows}",
            responses={200: serializer, **error_responses(*WRITE_ERRORS, 404)},
        ),
        "destroy": extend_schema(
            summary=f"Delete one of your {rows}", responses={204: None, **error_responses(*READ_ERRORS)}
        ),
    }
    return extend_schema_view(**{**actions, **overrides})

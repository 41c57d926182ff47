from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class RowPagination(BasePagination):
    """PostgREST-style pages: a bare JSON array of rows, `?limit=&offset=`, the next page in a `Link` header.

    The mobile app decodes lists as arrays of rows (as Supabase returns them), so the page
    carries no envelope. One extra row is fetched to know whether a next page exists, so no
    COUNT(*) runs however large the table is.
    """

    default_limit = 100
    max_limit = 1000
    max_offset = 2**31 - 1  # a larger OFFSET can overflow PostgreSQL's bigint; no list is that long
    limit_query_param = "limit"
    offset_query_param = "offset"

    def paginate_queryset(self, queryset, request, view=None):
        offset, limit = self.page_bounds(request)
        return self.page_rows(list(queryset[offset : offset + limit + 1]))

    def page_bounds(self, request: Request) -> tuple[int, int]:
        """The page's offset and limit as the request asks for them (a 400 for a bad one); read one more row."""
        self.request = request
        self.limit = min(self._read_int(request, self.limit_query_param, self.default_limit, minimum=1), self.max_limit)
        self.offset = self._read_int(request, self.offset_query_param, 0, minimum=0, maximum=self.max_offset)
        return self.offset, self.limit

    def page_rows(self, rows: list) -> list:
        """The page of `rows`, read from `page_bounds` with one row more: that row says a next page exists."""
        self.has_next = len(rows) > self.limit
        return rows[: self.limit]

    def get_paginated_response(self, data):
        headers = {"Content-Range": self._content_range(len(data))}
        if self.has_next:
            next_url = replace_query_param(
                self.request.build_absolute_uri(), self.offset_query_param, self.offset + self.limit
            )
            headers["Link"] = f'<{next_url}>; rel="next"'
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema):
        return schema

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.default_limit}, at most {self.max_limit}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": self.offset_query_param,
                "required": False,
                "in": "query",
                "description": "Rows to skip. The `Link` response header names the next page.",
                "schema": {"type": "integer", "minimum": 0, "maximum": self.max_offset},
            },
        ]

    def _content_range(self, count: int) -> str:
        if count == 0:
            return "*/*"
        return f"{self.offset}-{self.offset + count - 1}/*"

    @staticmethod
    def _read_int(request, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({name: [f"Must be a whole number of at least {minimum}."]}) from None
        if value < minimum:
            raise ValidationError({name: [f"Must be a whole number of at least {minimum}."]})
        if maximum is not None and value > maximum:
            raise ValidationError({name: [f"Must be a whole number of at most {maximum}."]})
        return value

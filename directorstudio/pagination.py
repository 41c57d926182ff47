from rest_framework.pagination import LimitOffsetPagination


class RowPagination(LimitOffsetPagination):
    """`?limit=&offset=` pages of rows, at most `max_limit` at a time."""

    default_limit = 100
    max_limit = 1000

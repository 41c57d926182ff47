"""Checks on the rows the API answers, shared by the API tests."""

from datetime import datetime


def assert_timestamp(value: str) -> None:
    """`value` is ISO 8601 with its offset spelled out, as Supabase writes timestamps."""
    assert datetime.fromisoformat(value).utcoffset() is not None, value
    assert value.endswith("+00:00"), value

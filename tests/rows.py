"""Checks on the rows the API answers, shared by the API tests."""

from datetime import datetime

from tests.schema_spec import parse_schema, schema_path

# Each relation's column names, read from the schema file: the keys an API row must have.
COLUMNS = {
    relation: {column.name for column in columns}
    for relation, columns in parse_schema(schema_path().read_text()).items()
}


def assert_timestamp(value: str) -> None:
    """`value` is ISO 8601 with its offset spelled out, as Supabase writes timestamps."""
    assert datetime.fromisoformat(value).utcoffset() is not None, value
    assert value.endswith("+00:00"), value

"""Read the authoritative schema file (schema.md) into relations and columns."""

import re
from dataclasses import dataclass
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
SHARED_SCHEMA = REPO_DIR.parent / "shared" / "spec" / "schema.md"
VENDORED_SCHEMA = REPO_DIR / "docs" / "schema.md"

# The file's type names as information_schema.columns.data_type spells them.
DATA_TYPES = {
    "UUID": "uuid",
    "TEXT": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE PRECISION": "double precision",
    "JSONB": "jsonb",
    "BOOLEAN": "boolean",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "TIMESTAMP WITHOUT TIME ZONE": "timestamp without time zone",
    "CHARACTER VARYING": "character varying",
}

TABLE_LINE = re.compile(r"^### Table: `(?P<name>[a-z_]+)`$")
COLUMN_LINE = re.compile(r"^  - `(?P<name>[a-z_]+)`: (?P<type>[A-Z ]+) \((?P<nullability>required|optional)\)$")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    nullable: bool


def schema_path() -> Path:
    """The shared schema file when this checkout sits next to it, else the vendored copy."""
    return SHARED_SCHEMA if SHARED_SCHEMA.exists() else VENDORED_SCHEMA


def parse_schema(text: str) -> dict[str, list[Column]]:
    """Return each relation's columns in file order; raise ValueError on any line not understood."""
    relations: dict[str, list[Column]] = {}
    current: list[Column] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if table := TABLE_LINE.match(line):
            if table["name"] in relations:
                raise ValueError(f"line {number}: relation {table['name']} listed twice")
            current = relations[table["name"]] = []
        elif current is None or not line.strip():
            continue  # the prose before the first relation, and blank lines
        elif column := COLUMN_LINE.match(line):
            if column["type"] not in DATA_TYPES:
                raise ValueError(f"line {number}: unknown type {column['type']!r}")
            current.append(Column(column["name"], DATA_TYPES[column["type"]], column["nullability"] == "optional"))
        else:
            raise ValueError(f"line {number}: not a relation or column line: {line!r}")
    return relations

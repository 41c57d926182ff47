"""The one definition of "the rows this user owns", shared by every model with an owner; hot reads compiled once."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from django.db import connection, connections, models
from django.db.models.functions import Cast


class OwnedQuerySet(models.QuerySet):
    """Rows with an owner; `owner_lookup` is the lookup that names the owner's user id."""

    owner_lookup = "user_id"

    def owned_by(self, user_id: uuid.UUID | None) -> Self:
        """The rows of the user `user_id` (none for an anonymous caller, whose id is None)."""
        if user_id is None:
            return self.none()
        return self.filter(**{self.owner_lookup: user_id})


class SectionQuerySet(OwnedQuerySet):
    """Screenplay sections, owned through their screenplay."""

    owner_lookup = "screenplay__user_id"


class IsoTimestamp(models.Func):
    """A timestamp as the API writes it, `datetime.isoformat()` in UTC, written by PostgreSQL as text.

    Django's timestamptz loader is Python (psycopg's C loader is bypassed so that the rows take the
    connection's time zone): with `isoformat()`, half of a 500-row list's time. Text goes through
    psycopg's C loader. `isoformat()` leaves out a fraction of zero and otherwise writes six digits;
    `.000000` can only be the fraction. The API's time zone is UTC (TIME_ZONE, asserted by the tests).
    """

    template = (
        "(replace(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '')"
        " || '+00:00')"
    )
    output_field = models.TextField()


def answer_column(field: models.Field) -> models.Expression:
    """The column as the API writes it in JSON, read as text where psycopg would build a Python object for it.

    A timestamp (IsoTimestamp) or a UUID (its canonical text, as orjson and DRF's encoder write one)
    read as text goes through psycopg's C text loader, and a row of text and numbers holds nothing
    that the garbage collector tracks: a 500-row list made 1,000 UUIDs, and the collections their
    rows set off cost it more than its query.
    """
    column = models.F(field.attname)
    match field.db_type(connection):
        case "timestamp with time zone":
            return IsoTimestamp(column)
        case "uuid":
            return Cast(column, models.TextField())
    return column


@dataclass(frozen=True)
class _CompiledSql:
    """A query's SQL, and for each of its parameters the name of the caller's value or (None) its constant."""

    using: str
    sql: str
    columns: tuple[str, ...]
    slots: tuple[str | None, ...]
    constants: tuple[Any, ...]


class CompiledRead:
    """A selector's read compiled to SQL once per process, then run with each call's values.

    On the API's hottest paths (the clip status poll, a project's scene drafts) building and
    compiling the queryset cost more than the indexed read itself. `build` makes the queryset, a
    `values()` or `values_list()` of plain columns, from keyword values; it is called once, with a
    stand-in for each name (a UUID, or the value `stand_ins` gives), and the place of each stand-in
    among the SQL's parameters is where the caller's value goes. The selector `build` calls stays
    the one definition of the rows; the database driver gives the columns' values as the ORM would
    (a column the ORM would convert is refused when compiling, and so is a query that does not use
    every name: a read meant to be scoped to a user must be).
    """

    def __init__(
        self,
        build: Callable[..., models.QuerySet],
        *,
        names: tuple[str, ...],
        stand_ins: dict[str, Any] | None = None,
    ) -> None:
        self._build = build
        self._names = names
        self._stand_ins = stand_ins or {}
        self._compiled: _CompiledSql | None = None

    def _compile(self) -> _CompiledSql:
        stand_ins = {name: self._stand_ins.get(name) or uuid.uuid4() for name in self._names}
        queryset = self._build(**stand_ins)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        if compiler.get_converters([column for column, _, _ in compiler.select]):
            raise ValueError("CompiledRead reads plain columns only: the ORM would convert one of these.")
        places = {stand_in: name for name, stand_in in stand_ins.items()}
        places.update({str(stand_in): name for name, stand_in in stand_ins.items()})
        # A parameter that is no stand-in is a constant of the query (a status, say) and is kept as it is.
        slots = tuple(places.get(param) for param in params)
        if missing := set(self._names) - set(slots):
            raise ValueError(f"CompiledRead: the query does not use {sorted(missing)}.")
        columns = (*queryset.query.values_select, *queryset.query.annotation_select)
        return _CompiledSql(queryset.db, sql, columns, slots, tuple(params))

    def rows(self, **values: Any) -> list[tuple]:
        """The rows the query finds with these values, each a tuple of its columns in the SQL's order."""
        if self._compiled is None:
            self._compiled = self._compile()
        compiled = self._compiled
        params = [
            constant if name is None else values[name]
            for name, constant in zip(compiled.slots, compiled.constants, strict=True)
        ]
        with connections[compiled.using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return cursor.fetchall()

    def row(self, **values: Any) -> dict[str, Any] | None:
        """The one row the query finds with these values, as `values()` gives it, or None."""
        found = self.rows(**values)
        return dict(zip(self._compiled.columns, found[0], strict=True)) if found else None

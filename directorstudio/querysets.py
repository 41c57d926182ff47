"""The one definition of "the rows this user owns", shared by every model with an owner; one-row reads compiled once."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from django.db import connections, models


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


@dataclass(frozen=True)
class _CompiledSql:
    """A query's SQL, and for each of its parameters the name of the caller's value or (None) its constant."""

    using: str
    sql: str
    columns: tuple[str, ...]
    slots: tuple[str | None, ...]
    constants: tuple[Any, ...]


class CompiledRead:
    """A selector's one-row read compiled to SQL once per process, then run with each call's values.

    On the API's hottest path (the clip status poll) building and compiling the queryset cost more
    than the indexed read itself. `build` makes the queryset, a `values()` of plain columns, from
    keyword values; it is called once, with a stand-in UUID for each name, and the place of each
    stand-in among the SQL's parameters is where the caller's value goes. The selector `build` calls
    stays the one definition of the rows; the database driver gives the columns' values as the ORM
    would (a column the ORM would convert is refused when compiling, and so is a query that does
    not use every name: a read meant to be scoped to a user must be).
    """

    def __init__(self, build: Callable[..., models.QuerySet], *, names: tuple[str, ...]) -> None:
        self._build = build
        self._names = names
        self._compiled: _CompiledSql | None = None

    def _compile(self) -> _CompiledSql:
        stand_ins = {name: uuid.uuid4() for name in self._names}
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
        return _CompiledSql(queryset.db, sql, tuple(queryset.query.values_select), slots, tuple(params))

    def row(self, **values: Any) -> dict[str, Any] | None:
        """The row the query finds with these values, as `values()` gives it, or None."""
        if self._compiled is None:
            self._compiled = self._compile()
        compiled = self._compiled
        params = [
            constant if name is None else values[name]
            for name, constant in zip(compiled.slots, compiled.constants, strict=True)
        ]
        with connections[compiled.using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            found = cursor.fetchone()
        return None if found is None else dict(zip(compiled.columns, found, strict=True))

"""The relations and functions `/rest/v1` serves, each declared by the app that owns it in its `relations.py`.

An app registers its relations as it registers models with the admin: `registry.register(Relation(...))`
names the app's selector (the only way to the user's rows), the serializer whose rules a write must pass
(the same as `/api/v1/`'s) and the services that write. The registry imports no app: Django's
`autodiscover_modules("relations")` imports each app's module the first time a relation is looked up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.module_loading import autodiscover_modules

from directorstudio.services import row_create_idempotent, row_delete, row_update

Rows = Callable[..., models.QuerySet]


@dataclass(frozen=True)
class Embed:
    """A relation that can be embedded in this one's rows along a real foreign key.

    `column` of this relation equals `target_column` of `relation`; `many` when this row has a list of them.
    """

    relation: str
    column: str
    target_column: str
    many: bool


@dataclass(frozen=True)
class Relation:
    """One of schema.md's relations as `/rest/v1/<name>` serves it.

    `rows(*, user_id)` is the app's selector. A relation without `serializer` is read-only (the views).
    `create(*, user_id, values) -> (row, created)`, `update(*, user_id, row, values) -> row` and
    `delete(*, user_id, row)` call the app's services with values the serializer has validated; a
    missing one refuses that kind of write. `protected` columns are the server's and a body naming
    one is refused; other server-owned columns are ignored, as `/api/v1/` ignores them.
    `conflict_keys` are the column sets an upsert may name in `on_conflict` (the first is the default).
    """

    name: str
    rows: Rows
    serializer: type | None = None
    create: Callable[..., tuple[models.Model, bool]] | None = None
    update: Callable[..., models.Model] | None = None
    delete: Callable[..., None] | None = None
    protected: frozenset[str] = frozenset()
    conflict_keys: tuple[tuple[str, ...], ...] = (("id",),)
    embeds: tuple[Embed, ...] = ()
    create_throttle: type | None = None

    @functools.cached_property
    def model(self) -> type[models.Model]:
        return self.rows(user_id=None).model

    @functools.cached_property
    def columns(self) -> dict[str, models.Field]:
        """The allow-list: schema.md's columns of the relation, by column name, with their model fields."""
        return {
            model_field.column: model_field
            for model_field in self.model._meta.concrete_fields
            if model_field.column and not isinstance(model_field, models.CompositePrimaryKey)
        }

    def embed(self, name: str) -> Embed | None:
        return next((embed for embed in self.embeds if embed.relation == name), None)


@dataclass(frozen=True)
class Function:
    """A function `/rest/v1/rpc/<name>` offers: `call(*, user_id, **arguments)` over the app's services.

    `arguments` is a serializer class validating the JSON arguments; `read_only` functions answer GET too.
    """

    name: str
    call: Callable[..., Any]
    arguments: type
    read_only: bool = False


@dataclass
class Registry:
    relations: dict[str, Relation] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    discovered: bool = False

    def discover(self) -> None:
        if not self.discovered:
            self.discovered = True
            autodiscover_modules("relations")


_registry = Registry()


def register(relation: Relation) -> None:
    """Serve `relation` at /rest/v1/<relation.name>."""
    _registry.relations[relation.name] = relation


def register_function(function: Function) -> None:
    """Offer `function` at /rest/v1/rpc/<function.name>."""
    _registry.functions[function.name] = function


def relation_get(name: str) -> Relation | None:
    _registry.discover()
    return _registry.relations.get(name)


def relation_names() -> list[str]:
    _registry.discover()
    return sorted(_registry.relations)


def function_get(name: str) -> Function | None:
    _registry.discover()
    return _registry.functions.get(name)


def function_names() -> list[str]:
    _registry.discover()
    return sorted(_registry.functions)


# --- The writes most relations share: the generic row services of directorstudio/services.py ------------------


def owned_row_create(model: type[models.Model]) -> Callable[..., tuple[models.Model, bool]]:
    """A relation's `create` for a table with `user_id`: the caller's row, created once per client id."""

    def create(*, user_id: Any, values: dict[str, Any]) -> tuple[models.Model, bool]:
        return row_create_idempotent(model=model, user_id=user_id, values={**values, "user_id": user_id})

    return create


def plain_row_update(*, user_id: Any, row: models.Model, values: dict[str, Any]) -> models.Model:
    """A relation's `update` where a change has no rule beyond the serializer's: the values saved."""
    return row_update(row=row, values=values)


def plain_row_delete(*, user_id: Any, row: models.Model) -> None:
    """A relation's `delete` where removing a row has no rule of its own."""
    row_delete(row=row)

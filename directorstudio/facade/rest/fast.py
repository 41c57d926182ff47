"""Reads compiled to SQL once per query shape, then run with each request's values.

The app's hottest calls (the clip status poll `clip_jobs?id=eq.<id>&select=*`, a project's scene drafts)
repeat one shape with other values. Building the selector's queryset and compiling it cost more than the
indexed read, so a shape of plain comparisons (eq, neq, gt, gte, lt, lte, in) is compiled once: with a
stand-in value for each of the URL's values and for the caller's id, whose places among the SQL's
parameters are where each request's typed values go. The selector stays the one definition of the rows;
a shape whose stand-ins cannot be found exactly once, or whose columns the ORM would convert, is read
through the ORM every time instead.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connections, models

from directorstudio.facade.rest.compiler import (
    Projection,
    condition_build,
    ordering_build,
    projection_build,
    rows_render,
    typed_value,
)
from directorstudio.facade.rest.grammar import Filter, Logic
from directorstudio.querysets import answer_column

if TYPE_CHECKING:
    from directorstudio.facade.rest.views import RestRequest

COMPILED_OPERATORS = frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "in"})
PLANS_MAX = 2048


@dataclass(frozen=True)
class _Plan:
    """A shape's SQL; for each parameter, which value goes there (an index into the request's, or None: a constant)."""

    using: str
    sql: str
    slots: tuple[int | None, ...]
    as_text: tuple[bool, ...]
    constants: tuple[Any, ...]
    fields: tuple[models.Field, ...]
    projection: Projection


_plans: dict[tuple, _Plan | None] = {}


def _flat(nodes: list) -> list[Filter] | None:
    """The filters of `nodes` in order, trees included; None when one of them is not a plain comparison."""
    flat: list[Filter] = []
    for node in nodes:
        if isinstance(node, Logic):
            inner = _flat(list(node.children))
            if inner is None:
                return None
            flat.extend(inner)
        elif node.operator in COMPILED_OPERATORS and not node.quantifier:
            flat.append(node)
        else:
            return None
    return flat


STAND_INS: dict[str, Callable[[], str]] = {
    "uuid": lambda: str(uuid.uuid4()),
    "integer": lambda: str(random.randint(10**8, 2 * 10**9)),  # noqa: S311 - a stand-in, not a secret
    "bigint": lambda: str(random.randint(10**12, 10**15)),  # noqa: S311
    "double precision": lambda: repr(random.uniform(1e6, 1e9)),  # noqa: S311
    "text": lambda: f"stand-in-{uuid.uuid4().hex}",
    "timestamp with time zone": lambda: (
        (
            datetime(2001, 1, 1, tzinfo=UTC) + timedelta(microseconds=random.randint(1, 10**15))  # noqa: S311
        ).isoformat()
    ),
}


def _with_values(nodes: list, texts: list[str]) -> list:
    """`nodes` with their literals replaced, in order, by `texts`."""
    queue = iter(texts)

    def swap(node):
        if isinstance(node, Logic):
            return Logic(node.connective, tuple(swap(child) for child in node.children), node.negated)
        if node.operator == "in":
            return Filter(
                node.column, node.operator, values=tuple(next(queue) for _ in node.values), negated=node.negated
            )
        return Filter(node.column, node.operator, value=next(queue), negated=node.negated)

    return [swap(node) for node in nodes]


def _compile(parsed: RestRequest, flat: list[Filter], offset: int, limit: int) -> _Plan | None:
    scope = parsed.scope
    fields = tuple(scope.column(node.column) for node in flat for _ in node.literals())
    makers = [STAND_INS.get(model_field.db_type(connections["default"]) or "") for model_field in fields]
    if any(maker is None for maker in makers):
        return None
    texts = [maker() for maker in makers]
    user_stand_in = uuid.uuid4()
    projection = projection_build(parsed.relation, parsed.select)
    if projection.embeds:
        return None
    queryset = parsed.relation.rows(user_id=user_stand_in)
    conditions = [condition_build(scope, node) for node in _with_values(parsed.filters, texts)]
    if conditions:
        queryset = queryset.filter(*conditions)
    if parsed.order:
        queryset = queryset.order_by(*ordering_build(scope, parsed.order))
    # Timestamps and UUIDs come as the text orjson would write of them (see answer_column).
    model = parsed.relation.model
    queryset = queryset[offset : offset + limit].values_list(
        *(answer_column(model._meta.get_field(attname)) for attname in projection.fetch)
    )
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    if compiler.get_converters([column for column, _, _ in compiler.select]):
        return None
    typed = [typed_value(model_field, text) for model_field, text in zip(fields, texts, strict=True)]
    wanted: list[tuple[Any, int | None]] = [(user_stand_in, -1)] + [(value, index) for index, value in enumerate(typed)]
    slots: list[int | None] = []
    as_text: list[bool] = []
    for param in params:
        matches = [(slot, isinstance(param, str)) for value, slot in wanted if param == value or param == str(value)]
        if len(matches) > 1:
            return None
        slots.append(matches[0][0] if matches else None)
        as_text.append(matches[0][1] if matches else False)
    found = [slot for slot in slots if slot is not None]
    if sorted(found) != sorted([-1, *range(len(typed))]):
        return None  # a stand-in missing or met twice: the places are not certain
    return _Plan(queryset.db, sql, tuple(slots), tuple(as_text), tuple(params), fields, projection)


def fast_read(parsed: RestRequest, *, offset: int, limit: int) -> list[dict] | None:
    """The rows of a read whose shape compiles once, or None when the ORM has to read it."""
    flat = _flat(parsed.filters)
    if flat is None or not limit:
        return None
    shape = (
        parsed.relation.name,
        parsed.select,
        tuple(node.shape() for node in parsed.filters),
        parsed.order,
        offset,
        limit,
    )
    if shape not in _plans:
        if len(_plans) >= PLANS_MAX:
            _plans.clear()
        _plans[shape] = _compile(parsed, flat, offset, limit)
    plan = _plans[shape]
    if plan is None:
        return None
    literals = [text for node in flat for text in node.literals()]
    values = [typed_value(model_field, text) for model_field, text in zip(plan.fields, literals, strict=True)]
    params = []
    for slot, as_text, constant in zip(plan.slots, plan.as_text, plan.constants, strict=True):
        if slot is None:
            params.append(constant)
        else:
            value = parsed.caller.user_id if slot == -1 else values[slot]
            params.append(str(value) if as_text else value)
    with connections[plan.using].cursor() as cursor:
        cursor.execute(plan.sql, params)
        found = cursor.fetchall()
    names = plan.projection.fetch
    return rows_render(plan.projection, [dict(zip(names, row, strict=True)) for row in found], parsed.caller.user_id)

"""What the grammar parsed, compiled to querysets over a relation's selector and its allow-listed columns.

Columns are looked up in `Relation.columns` (the model's own, by column name) and reach the ORM only as
`F(attname)` of a field found there; operators become lookup expressions built here, values are typed by
the column's field first. So nothing from the URL becomes a keyword argument, a `__` path or SQL text.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorExact
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Func, Lookup, Q, Value
from django.db.models.fields.json import ContainedBy, DataContains
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, In, LessThan, LessThanOrEqual

from directorstudio.facade.rest import errors
from directorstudio.facade.rest.grammar import (
    Filter,
    Logic,
    OrderTerm,
    SelectColumn,
    SelectEmbed,
    SelectStar,
)
from directorstudio.facade.rest.registry import Relation, relation_get

INTEGER_RANGES = {"integer": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
SEARCH_TYPES = {"fts": "raw", "plfts": "plain", "phfts": "phrase", "wfts": "websearch"}
NO_SUCH_OPERATOR = {"ov": "&&", "sl": "<<", "sr": ">>", "nxr": "&<", "nxl": "&>", "adj": "-|-"}
# What `in.()` matches: `In` over no values raises EmptyResultSet, which a compiled read (fast.py) cannot hold.
NOTHING = Value(False, output_field=models.BooleanField())


class _Operator(Lookup):
    """`lhs <operator> rhs` for the operators Django has no lookup for, with the rhs as a parameter."""

    operator = ""

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} {self.operator} {rhs}", (*lhs_params, *rhs_params)


class NotEqual(_Operator):
    lookup_name = "pgrst_neq"
    operator = "<>"


class Like(_Operator):
    lookup_name = "pgrst_like"
    operator = "LIKE"
    prepare_rhs = False


class ILike(Like):
    lookup_name = "pgrst_ilike"
    operator = "ILIKE"


class Match(Like):
    lookup_name = "pgrst_match"
    operator = "~"


class IMatch(Like):
    lookup_name = "pgrst_imatch"
    operator = "~*"


class IsDistinct(_Operator):
    lookup_name = "pgrst_isdistinct"
    operator = "IS DISTINCT FROM"


class Is(Func):
    """`column IS TRUE|FALSE|UNKNOWN|NULL|NOT NULL`; the keyword comes from a fixed table, never from the URL."""

    keywords = {"null": "NULL", "not_null": "NOT NULL", "true": "TRUE", "false": "FALSE", "unknown": "UNKNOWN"}
    output_field = models.BooleanField()
    conditional = True

    def __init__(self, expression, keyword: str) -> None:
        super().__init__(expression, template=f"%(expressions)s IS {self.keywords[keyword]}")


COMPARISONS = {
    "eq": Exact,
    "neq": NotEqual,
    "gt": GreaterThan,
    "gte": GreaterThanOrEqual,
    "lt": LessThan,
    "lte": LessThanOrEqual,
    "isdistinct": IsDistinct,
}
PATTERNS = {"like": Like, "ilike": ILike, "match": Match, "imatch": IMatch}


def _type_name(model_field: models.Field) -> str:
    return model_field.db_type(connection) or "text"


def typed_value(model_field: models.Field, text: str) -> Any:
    """`text` as a value of the column, or 22P02 (22003 out of range) as PostgreSQL would refuse it."""
    type_name = _type_name(model_field)
    if "\x00" in text:
        raise errors.PostgrestError(400, "22021", 'invalid byte sequence for encoding "UTF8": 0x00')
    if type_name == "jsonb":
        try:
            return json.loads(text)
        except ValueError:
            raise errors.invalid_value("json", text) from None
    if type_name in INTEGER_RANGES:
        try:
            number = int(text.strip())
        except ValueError:
            raise errors.invalid_value(type_name, text) from None
        low, high = INTEGER_RANGES[type_name]
        if not low <= number <= high:
            raise errors.PostgrestError(400, "22003", f'value "{text}" is out of range for type {type_name}')
        return number
    if type_name == "double precision":
        try:
            number = float(text)
        except ValueError:
            raise errors.invalid_value(type_name, text) from None
        return number
    if isinstance(model_field, models.DateTimeField):
        try:
            moment = model_field.to_python(text.strip()) if len(text) > 10 else None
        except ValidationError:
            moment = None
        if moment is None:
            moment = _date_only(text)
        if moment is None:
            raise errors.invalid_value(type_name, text)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if isinstance(model_field, (models.UUIDField, models.BooleanField)):
        try:
            return model_field.to_python(text.strip())
        except ValidationError:
            raise errors.invalid_value(type_name, text) from None
    return text


def _date_only(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip()) if len(text.strip()) == 10 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Scope:
    """The relation being read and the caller whose rows it is limited to."""

    relation: Relation
    user_id: uuid.UUID | None

    def column(self, name: str) -> models.Field:
        model_field = self.relation.columns.get(name)
        if model_field is None:
            raise errors.unknown_column(self.relation.name, name)
        return model_field


def _condition(scope: Scope, node: Filter) -> Q:
    model_field = scope.column(node.column)
    column = F(model_field.attname)
    operator = node.operator
    if operator == "is":
        condition = Q(Is(column, node.value.lower()))
    elif operator == "in":
        values = [typed_value(model_field, value) for value in node.values]
        condition = Q(In(column, values)) if values else Q(NOTHING)
    elif operator in COMPARISONS or operator in PATTERNS:
        condition = _compared(model_field, column, node)
    elif operator in {"cs", "cd"}:
        if _type_name(model_field) != "jsonb":
            symbol = "@>" if operator == "cs" else "<@"
            raise errors.PostgrestError(
                400, "42883", f"operator does not exist: {_type_name(model_field)} {symbol} unknown"
            )
        lookup = DataContains if operator == "cs" else ContainedBy
        condition = Q(lookup(column, Value(typed_value(model_field, node.value), output_field=models.JSONField())))
    elif operator in SEARCH_TYPES:
        search_type = SEARCH_TYPES[operator]
        vector = SearchVector(column, config=node.language) if node.language else SearchVector(column)
        query = SearchQuery(node.value, search_type=search_type, config=node.language)
        condition = Q(SearchVectorExact(vector, query))
    else:
        symbol = NO_SUCH_OPERATOR[operator]
        raise errors.PostgrestError(
            400, "42883", f"operator does not exist: {_type_name(model_field)} {symbol} unknown"
        )
    return ~condition if node.negated else condition


def _compared(model_field: models.Field, column: F, node: Filter) -> Q:
    """A comparison or a pattern match, over one value or quantified over a `{…}` list."""
    if node.operator in PATTERNS:
        lookup = PATTERNS[node.operator]

        def one(text: str) -> Q:
            pattern = text.replace("*", "%") if node.operator in {"like", "ilike"} else text
            return Q(lookup(column, Value(pattern, output_field=models.TextField())))
    else:
        lookup = COMPARISONS[node.operator]

        def one(text: str) -> Q:
            return Q(lookup(column, typed_value(model_field, text)))

    if not node.quantifier:
        return one(node.value)
    conditions = [one(text) for text in node.values]
    if not conditions:
        return Q(NOTHING) if node.quantifier == "any" else Q()
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined | condition if node.quantifier == "any" else combined & condition
    return combined


def condition_build(scope: Scope, node: Filter | Logic) -> Q:
    """The Q of a filter or of a logic tree."""
    if isinstance(node, Filter):
        return _condition(scope, node)
    children = [condition_build(scope, child) for child in node.children]
    combined = children[0]
    for child in children[1:]:
        combined = combined | child if node.connective == "or" else combined & child
    return ~combined if node.negated else combined


def ordering_build(scope: Scope, terms: tuple[OrderTerm, ...]) -> list:
    ordering = []
    for term in terms:
        column = F(scope.column(term.column).attname)
        nulls = {"nulls_first": True} if term.nulls == "first" else {"nulls_last": True} if term.nulls == "last" else {}
        ordering.append(column.desc(**nulls) if term.descending else column.asc(**nulls))
    return ordering


@dataclass(frozen=True)
class EmbedPlan:
    """An embedded relation: the parent's `link` attname equals the embedded rows' `target` attname."""

    alias: str
    many: bool
    relation: Relation
    link: str
    target: str
    projection: Projection


@dataclass(frozen=True)
class Projection:
    """What a row of the answer holds: `(key, attname)` pairs, the attnames to fetch, and the embedded relations."""

    pairs: tuple[tuple[str, str], ...]
    fetch: tuple[str, ...]
    naive: frozenset[str]
    embeds: tuple[EmbedPlan, ...]


def _no_relationship(relation: Relation, name: str) -> errors.PostgrestError:
    return errors.PostgrestError(
        400,
        "PGRST200",
        f"Could not find a relationship between '{relation.name}' and '{name}' in the schema cache",
        f"Searched for a foreign key relationship between '{relation.name}' and '{name}' "
        "in the schema 'public', but no matches were found.",
    )


def projection_build(relation: Relation, items: tuple, *, also: tuple[str, ...] = ()) -> Projection:
    """The projection of a select list over `relation`: 42703 for an unknown column, PGRST200 for an unknown embed.

    `also` are attnames fetched though not selected (the column an embedded row is grouped by).
    """
    pairs: list[tuple[str, str]] = []
    embeds: list[EmbedPlan] = []
    for item in items or (SelectStar(),):
        if isinstance(item, SelectStar):
            pairs.extend((name, model_field.attname) for name, model_field in relation.columns.items())
        elif isinstance(item, SelectColumn):
            model_field = relation.columns.get(item.name)
            if model_field is None:
                raise errors.unknown_column(relation.name, item.name)
            pairs.append((item.alias, model_field.attname))
        else:
            embeds.append(_embed_plan(relation, item))
    fetch = dict.fromkeys([attname for _, attname in pairs] + list(also) + [plan.link for plan in embeds])
    naive = frozenset(
        attname
        for attname in fetch
        if _type_name(relation.model._meta.get_field(attname)) == "timestamp without time zone"
    )
    return Projection(tuple(pairs), tuple(fetch), naive, tuple(embeds))


def _embed_plan(relation: Relation, item: SelectEmbed) -> EmbedPlan:
    embed = relation.embed(item.relation)
    target = relation_get(item.relation) if embed else None
    if embed is None or target is None or item.hint not in {None, "left", embed.column, embed.target_column}:
        raise _no_relationship(relation, item.relation)
    target_attname = target.columns[embed.target_column].attname
    return EmbedPlan(
        alias=item.alias,
        many=embed.many,
        relation=target,
        link=relation.columns[embed.column].attname,
        target=target_attname,
        projection=projection_build(target, item.items, also=(target_attname,)),
    )


def rows_render(projection: Projection, rows: list[dict[str, Any]], user_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """The answer's rows from `values()` of `projection.fetch`, with their embedded relations (one query each)."""
    for row in rows:
        for attname in projection.naive:
            if row[attname] is not None:
                row[attname] = row[attname].astimezone(UTC).replace(tzinfo=None)
    embedded = [_embedded_rows(plan, rows, user_id) for plan in projection.embeds]
    answer = []
    for row in rows:
        item = {key: row[attname] for key, attname in projection.pairs}
        for plan, children in zip(projection.embeds, embedded, strict=True):
            found = children.get(row[plan.link], [])
            item[plan.alias] = found if plan.many else (found[0] if found else None)
        answer.append(item)
    return answer


def _embedded_rows(plan: EmbedPlan, parents: list[dict[str, Any]], user_id: uuid.UUID | None) -> dict[Any, list]:
    """The embedded relation's rows of these parents, read through its own selector, grouped by their link."""
    links = list({row[plan.link] for row in parents if row[plan.link] is not None})
    if not links:
        return {}
    found = list(plan.relation.rows(user_id=user_id).filter(In(F(plan.target), links)).values(*plan.projection.fetch))
    groups: dict[Any, list] = {}
    for raw, rendered in zip(found, rows_render(plan.projection, [dict(row) for row in found], user_id), strict=True):
        groups.setdefault(raw[plan.target], []).append(rendered)
    return groups

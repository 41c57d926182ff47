"""PostgREST's URL grammar, parsed into plain values: select lists, filters and logic trees, order, ranges, Prefer.

Pure Python, nothing of Django: the compiler (`compiler.py`) turns what this module parses into querysets
over a relation's allow-listed columns. The grammar is PostgREST's `docs/references/api/url_grammar.rst`;
what it cannot parse is a `GrammarError`, answered 400 PGRST100 as PostgREST answers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The operators PostgREST knows; every one parses, and the compiler answers those our columns cannot take.
OPERATORS = frozenset(
    {
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "like",
        "ilike",
        "match",
        "imatch",
        "in",
        "is",
        "isdistinct",
        "cs",
        "cd",
        "ov",
        "sl",
        "sr",
        "nxr",
        "nxl",
        "adj",
        "fts",
        "plfts",
        "phfts",
        "wfts",
    }
)
# Operators that take the `(any)` / `(all)` modifier with a `{a,b}` list.
QUANTIFIABLE = frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"})
FULL_TEXT = frozenset({"fts", "plfts", "phfts", "wfts"})
IS_VALUES = frozenset({"null", "not_null", "true", "false", "unknown"})
# Query parameters that are not filters.
RESERVED = frozenset({"select", "order", "limit", "offset", "columns", "on_conflict", "apikey"})
LOGIC = frozenset({"or", "and", "not.or", "not.and"})
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
FTS_LANGUAGE = re.compile(r"\((?P<language>[A-Za-z_]+)\)")
# One element of an `in` list: `"quoted"` (with `\` escapes) when a comma or the end follows, else anything but a comma.
LIST_ITEM = re.compile(r'\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"\s*(?=,|\Z)|(?P<raw>[^,]*))(?P<comma>,?)', re.DOTALL)


class GrammarError(Exception):
    """A query string PostgREST's grammar cannot parse; `details` says where, as PostgREST's does."""

    def __init__(self, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Filter:
    """`column=[not.]operator[(any|all)].value`; `values` is the list of `in.(…)` or of a quantified operator."""

    column: str
    operator: str
    value: str = ""
    values: tuple[str, ...] = ()
    negated: bool = False
    quantifier: str | None = None
    language: str | None = None

    def shape(self) -> tuple:
        """What the compiled SQL depends on: everything but the values (the count of a list included)."""
        keyword = self.value.lower() if self.operator == "is" else None
        return (
            "f",
            self.column,
            self.operator,
            keyword,
            self.negated,
            self.quantifier,
            self.language,
            len(self.values),
        )

    def literals(self) -> tuple[str, ...]:
        return self.values if (self.operator == "in" or self.quantifier) else (self.value,)


@dataclass(frozen=True)
class Logic:
    """`or=(…)` / `and=(…)`, possibly negated, over filters and nested trees."""

    connective: str
    children: tuple[Filter | Logic, ...]
    negated: bool = False

    def shape(self) -> tuple:
        return ("l", self.connective, self.negated, tuple(child.shape() for child in self.children))


@dataclass(frozen=True)
class SelectColumn:
    """A column of the select list, under its alias."""

    name: str
    alias: str


@dataclass(frozen=True)
class SelectEmbed:
    """A related relation embedded along a foreign key, with its own select list."""

    relation: str
    alias: str
    items: tuple[SelectColumn | SelectEmbed | SelectStar, ...]
    hint: str | None = None


@dataclass(frozen=True)
class SelectStar:
    """`*`: every column of the relation."""


@dataclass(frozen=True)
class OrderTerm:
    column: str
    descending: bool = False
    nulls: str | None = None  # "first", "last" or None for PostgreSQL's default


@dataclass
class Preferences:
    """The `Prefer` header's values PostgREST honours, and those it was sent."""

    return_: str | None = None
    count: str | None = None
    resolution: str | None = None
    missing: str | None = None
    handling: str | None = None
    unknown: list[str] = field(default_factory=list)

    def applied(self) -> str:
        """The `Preference-Applied` header: the preferences honoured, in PostgREST's order."""
        parts = []
        if self.resolution:
            parts.append(f"resolution={self.resolution}")
        if self.missing:
            parts.append(f"missing={self.missing}")
        if self.return_:
            parts.append(f"return={self.return_}")
        if self.count:
            parts.append(f"count={self.count}")
        if self.handling:
            parts.append(f"handling={self.handling}")
        return ", ".join(parts)


PREFERENCE_VALUES = {
    "return": {"minimal", "representation", "headers-only"},
    "count": {"exact", "planned", "estimated"},
    "resolution": {"merge-duplicates", "ignore-duplicates"},
    "missing": {"default", "null"},
    "handling": {"strict", "lenient"},
}


def preferences_parse(headers: list[str]) -> Preferences:
    """The `Prefer` header(s): comma-separated `name=value` in any order and spacing; unknown ones are kept aside."""
    preferences = Preferences()
    for header in headers:
        for token in header.split(","):
            token = token.strip()
            if not token:
                continue
            name, _, value = token.partition("=")
            name, value = name.strip(), value.strip()
            if value in PREFERENCE_VALUES.get(name, ()):
                setattr(preferences, "return_" if name == "return" else name, value)
            else:
                preferences.unknown.append(token)
    return preferences


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on `separator` outside parentheses, braces, brackets and double quotes (with `\\` escapes)."""
    parts, depth, quoted, escaped, current = [], 0, False, False, []
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
            continue
        if char == "\\" and quoted:
            current.append(char)
            escaped = True
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "({[":
            depth += 1
        elif not quoted and char in ")}]":
            depth -= 1
            if depth < 0:
                raise GrammarError("Unbalanced parentheses", f'unexpected ")" in "{text}"')
        if char == separator and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted or depth != 0:
        raise GrammarError("Unbalanced quotes or parentheses", f'in "{text}"')
    parts.append("".join(current))
    return parts


def unquote(value: str) -> str:
    """A value as written in a list or a tree: `"a,b"` loses its quotes and `\\"` its backslash."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _list_values(text: str, opening: str, closing: str, what: str) -> tuple[str, ...]:
    """The items of `(a,"b,c")`: PostgREST's list elements, a `"quoted"` one only when a comma or the end follows it."""
    if not (text.startswith(opening) and text.endswith(closing)):
        raise GrammarError(f"failed to parse filter ({what})", f'expected "{opening}…{closing}", got "{text}"')
    inner = text[1:-1]
    if inner.strip() == "":
        return ()
    items, position = [], 0
    while True:
        match = LIST_ITEM.match(inner, position)
        quoted = match.group("quoted")
        items.append(
            re.sub(r"\\(.)", r"\1", quoted, flags=re.DOTALL) if quoted is not None else match.group("raw").strip()
        )
        position = match.end()
        if not match.group("comma"):
            return tuple(items)


def filter_parse(column: str, expression: str, *, in_tree: bool = False) -> Filter:
    """`[not.]op[(any|all)|(language)].value` for `column`, as in `id=eq.5` or inside `or=(id.eq.5)`."""
    negated = False
    if expression.startswith("not."):
        negated, expression = True, expression[4:]
    operator, dot, value = expression.partition(".")
    if not dot:
        raise GrammarError("failed to parse filter", f'"{column}={expression}": expected "operator.value"')
    quantifier = language = None
    if "(" in operator and operator.endswith(")"):
        operator, _, modifier = operator[:-1].partition("(")
        if modifier in {"any", "all"} and operator in QUANTIFIABLE:
            quantifier = modifier
        elif operator in FULL_TEXT and IDENTIFIER.fullmatch(modifier):
            language = modifier
        else:
            raise GrammarError("failed to parse filter", f'unknown modifier "({modifier})" of "{operator}"')
    if operator not in OPERATORS:
        raise GrammarError("failed to parse filter", f'unknown operator "{operator}" in "{column}={expression}"')
    if in_tree:
        value = unquote(value)
    if operator == "in":
        return Filter(column, operator, values=_list_values(value, "(", ")", "in"), negated=negated)
    if quantifier:
        values = _list_values(value, "{", "}", f"{operator}({quantifier})")
        return Filter(column, operator, values=values, negated=negated, quantifier=quantifier)
    if operator == "is" and value.lower() not in IS_VALUES:
        raise GrammarError(
            "failed to parse filter", f'"is" takes null, not_null, true, false or unknown, not "{value}"'
        )
    return Filter(column, operator, value=value, negated=negated, language=language)


def logic_parse(name: str, expression: str) -> Logic:
    """`or=(a.eq.1,and(b.gt.2,c.is.null))`, and its `and`, `not.or`, `not.and` spellings."""
    negated = name.startswith("not.")
    connective = name.removeprefix("not.")
    if not (expression.startswith("(") and expression.endswith(")")):
        raise GrammarError("failed to parse logic tree", f'"{name}={expression}": expected "({connective}(…))"')
    children: list[Filter | Logic] = []
    for part in split_top_level(expression[1:-1]):
        part = part.strip()
        match = re.match(r"(not\.)?(and|or)\s*\(", part)
        if match and part.endswith(")"):
            children.append(logic_parse(f"{match.group(1) or ''}{match.group(2)}", part[len(match.group(0)) - 1 :]))
            continue
        column, dot, rest = part.partition(".")
        if not dot or not column:
            raise GrammarError("failed to parse logic tree", f'"{part}": expected "column.operator.value"')
        children.append(filter_parse(column, rest, in_tree=True))
    if not children:
        raise GrammarError("failed to parse logic tree", f'"{name}=()" is empty')
    return Logic(connective, tuple(children), negated)


def _alias_split(item: str) -> tuple[str | None, str]:
    # `alias:column`, but not the `::` of a cast.
    match = re.match(r"([A-Za-z_][A-Za-z0-9_$]*):(?!:)(.*)$", item, re.DOTALL)
    return (match.group(1), match.group(2)) if match else (None, item)


def select_parse(text: str) -> tuple[SelectColumn | SelectEmbed | SelectStar, ...]:
    """`select=*,alias:column,relation(…)`; casts, JSON paths, aggregates and spreads are not supported (PGRST100)."""
    items: list[SelectColumn | SelectEmbed | SelectStar] = []
    for raw in split_top_level(text):
        item = raw.strip()
        if item == "":
            continue
        if item == "*":
            items.append(SelectStar())
            continue
        if item.startswith("..."):
            raise GrammarError("failed to parse select parameter", f'spread embedding "{item}" is not supported')
        alias, rest = _alias_split(item)
        if rest.endswith(")") and "(" in rest:
            head, _, inner = rest[:-1].partition("(")
            relation, _, hint = head.partition("!")
            if not IDENTIFIER.fullmatch(relation):
                raise GrammarError("failed to parse select parameter", f'"{item}": aggregates are not supported')
            items.append(SelectEmbed(relation, alias or relation, select_parse(inner), hint or None))
            continue
        if not IDENTIFIER.fullmatch(rest):
            raise GrammarError(
                "failed to parse select parameter",
                f'"{item}": only columns, "alias:column", "*" and embedded relations are supported',
            )
        items.append(SelectColumn(rest, alias or rest))
    return tuple(items)


def order_parse(text: str) -> tuple[OrderTerm, ...]:
    """`order=a.desc.nullslast,b` into terms."""
    terms = []
    for raw in text.split(","):
        parts = raw.strip().split(".")
        column, modifiers = parts[0], parts[1:]
        if not IDENTIFIER.fullmatch(column) or len(modifiers) > 2:
            raise GrammarError(
                "failed to parse order", f'"{raw}": expected "column[.asc|.desc][.nullsfirst|.nullslast]"'
            )
        descending, nulls = False, None
        for modifier in modifiers:
            if modifier in {"asc", "desc"}:
                descending = modifier == "desc"
            elif modifier in {"nullsfirst", "nullslast"}:
                nulls = modifier.removeprefix("nulls")
            else:
                raise GrammarError("failed to parse order", f'unknown order modifier "{modifier}"')
        terms.append(OrderTerm(column, descending, nulls))
    return tuple(terms)


def non_negative(name: str, text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise GrammarError(f"failed to parse {name}", f'"{text}" is not a non-negative integer')
    return int(text)


def columns_parse(text: str) -> tuple[str, ...]:
    """`columns="a","b"` or `columns=a,b`."""
    names = tuple(unquote(part.strip()) for part in split_top_level(text))
    if not all(IDENTIFIER.fullmatch(name) for name in names):
        raise GrammarError("failed to parse columns parameter", f'"{text}"')
    return names


def range_header_parse(header: str) -> tuple[int, int | None] | None:
    """The `Range: a-b` (or `a-`) request header as (first, last); None when absent or not an items range."""
    match = re.fullmatch(r"\s*(?:items=)?(\d{1,18})-(\d{0,18})\s*", header)
    if match is None:
        return None
    first, last = int(match.group(1)), match.group(2)
    return first, int(last) if last else None

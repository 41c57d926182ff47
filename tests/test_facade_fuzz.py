"""Hostile query strings, headers and bodies against `/rest/v1`: never a 5xx, every refusal in PostgREST's body.

Hypothesis builds the requests from PostgREST's grammar and around it: real and made-up column names,
every operator and invented ones, values with quotes, parentheses, commas, backslashes, unicode, NUL and
huge numbers, nested `or`/`and` trees, broken `select`, `order`, `limit`, `offset`, `columns` and
`on_conflict`, and odd `Range`, `Prefer`, `Accept` and profile headers, for each method on every relation.
Three requests in four are drawn from a calm grammar (known relations and columns, real operators, hostile
values), so that they get past the parser to the compiler, the database and the services; the fourth mixes
hostile pieces into every part. Alice sends them over the rows of the conformance table; bob's copy of those
rows must stay as it was.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from urllib.parse import quote

import orjson
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directorstudio.facade.rest.grammar import OPERATORS
from tests.rows import COLUMNS
from tests.test_facade_conformance import ALICE, BOB_ITEM_1, BOB_PLAY, ITEM_1, NEW_DRAFT, PLAY, rows_of, seed, send

# Hypothesis checks the logic trees' recursive strategy once by its repr, which is long; that is all it is.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
GROUPS = {
    "screenplays": ("screenplays", "screenplay_sections"),
    "clips": ("scene_drafts", "clip_jobs", "video_uploads", "project_overview"),
    "credits": ("credits_ledger", "user_statistics"),
    "continuity": (
        "continuity_scene_states",
        "continuity_logs",
        "continuity_telemetry",
        "continuity_daily_analytics",
        "continuity_recent_validations",
        "continuity_telemetry_performance",
    ),
}
ERROR_KEYS = {"code", "details", "hint", "message"}
ALL_COLUMNS = sorted({name for names in COLUMNS.values() for name in names})
FUZZ_SETTINGS = settings(
    max_examples=150, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


# Pieces PostgREST's grammar gives a meaning to, and values the database types refuse.
HOSTILE_PIECES = (
    '"', "'", "(", ")", ",", ".", "*", "\\", '\\"', "\x00", "{", "}", "[", "]", ":", "::", "!", "%", "%00", "__",
    "not.", "and(", "or(", "->", "->>", "é", "💥", "\u202e", " ", "\t", "\n", "-", "+", "=", "&", ";",
    "9" * 40, "-9" * 20, "1e999", "NaN", "-Infinity", "null", "true", "unknown", "2026-13-45", "00:00",
    "6f1c35a4-4b7e-4d39-9a43-52f1b1f6a001", "{1,2}", "[1,2]", '{"a":1}', "()", "(a,b)",
)  # fmt: skip
# Values of the seeded rows (alice's and bob's), so filters and writes reach real rows.
SEEDED_VALUES = (
    str(ITEM_1), str(BOB_ITEM_1), str(PLAY), str(BOB_PLAY), "items", "simple_pk", "names", "item 1", "xyyx", "INT",
    "wide", "1", "2", "7", "0.5", "alice-granted", "bob-granted", "envelope", "Maya", "lighting", "2026-01-01",
    "2026-01-01T00:00:00Z", "queued", '["lighting"]', "{1,2}",
)  # fmt: skip
hostile_text = st.lists(st.sampled_from(HOSTILE_PIECES), min_size=1, max_size=5).map("".join)
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
identifiers = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$", max_size=10)


def _same(value):
    return value


class Grammar:
    """The strategies of a request's parts: plausible ones only, or (`wild`) hostile ones mixed in.

    A wild part anywhere usually stops a request at the parser, so most requests are drawn from the
    calm grammar, whose values may still be hostile: they then reach the compiler, the database and the services.
    """

    def __init__(self, *, wild: bool) -> None:
        self.wild = wild
        # Each relation's strategies, built once ("": a relation that does not exist).
        relations = ("", *sorted(COLUMNS))
        self.columns = {relation: self._columns(relation) for relation in relations}
        self.logic_trees = {relation: self._logic_trees(relation) for relation in relations}
        self.select_lists = {relation: self._select_lists(relation) for relation in relations}
        self.order_lists = {relation: self._order_lists(relation) for relation in relations}
        self.query_strings = {relation: self._query_strings(relation) for relation in relations}
        self.bodies = {relation: self._bodies(relation) for relation in relations}

    def mostly(self, plausible: st.SearchStrategy, hostile: st.SearchStrategy) -> st.SearchStrategy:
        """`plausible`; when wild, three times in four, else `hostile` (`one_of` takes a repeated strategy once)."""
        return st.one_of(plausible, plausible.map(_same), plausible.map(_same), hostile) if self.wild else plausible

    @functools.cached_property
    def values(self) -> st.SearchStrategy[str]:
        hostile = st.one_of(
            st.text(max_size=20),
            hostile_text,
            st.integers(min_value=-(10**30), max_value=10**30).map(str),
            st.floats().map(repr),
            st.uuids().map(str),
            st.datetimes().map(lambda moment: moment.isoformat()),
        )
        return st.one_of(st.sampled_from(SEEDED_VALUES), st.sampled_from(SEEDED_VALUES).map(_same), hostile)

    @functools.cached_property
    def expressions(self) -> st.SearchStrategy[str]:
        """`[not.]operator[(modifier)].value`, the value a single one, an `is` keyword or a list."""
        quoted = self.values.map(lambda value: '"' + value.replace('"', '\\"') + '"')
        listed = st.lists(st.one_of(self.values, quoted), max_size=4)
        lists = st.one_of(
            listed.map(lambda items: "(" + ",".join(items) + ")"),
            listed.map(lambda items: "{" + ",".join(items) + "}"),
            st.lists(st.one_of(st.integers(), st.text(max_size=5)), max_size=3).map(json.dumps),
        )
        operators = self.mostly(st.sampled_from(sorted(OPERATORS)), st.one_of(st.text(max_size=6), hostile_text))
        modifiers = self.mostly(
            st.just(""), st.sampled_from(["(any)", "(all)", "(english)", "(simple)", "(", "(fake)"])
        )
        keywords = st.sampled_from(["null", "not_null", "true", "false", "unknown", "NuLL"])
        expression = st.builds(
            lambda negated, operator, modifier, value: f"{negated}{operator}{modifier}.{value}",
            st.sampled_from(["", "", "not."]) if not self.wild else st.sampled_from(["", "not.", "not.not."]),
            operators,
            modifiers,
            st.one_of(self.values, keywords, lists),
        )
        return self.mostly(expression, st.one_of(self.values, hostile_text))  # no operator at all

    def _columns(self, relation: str) -> st.SearchStrategy[str]:
        """The relation's columns; when wild, also other relations' columns, made-up names and hostile ones."""
        own = sorted(COLUMNS.get(relation, ())) or ALL_COLUMNS
        return self.mostly(st.sampled_from(own), st.one_of(st.sampled_from(ALL_COLUMNS), identifiers, hostile_text))

    def _logic_trees(self, relation: str) -> st.SearchStrategy[str]:
        """`(a.eq.1,and(b.gt.2,not.or(…)))`, nested, and broken when wild."""
        leaf = st.builds(lambda column, expression: f"{column}.{expression}", self.columns[relation], self.expressions)

        def branch(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
            return st.builds(
                lambda negated, connective, parts, space: f"{negated}{connective}{space}({','.join(parts)})",
                st.sampled_from(["", "not."]),
                self.mostly(st.sampled_from(["and", "or"]), st.sampled_from(["xor", ""])),
                self.mostly(st.lists(children, min_size=1, max_size=4), st.just([])),
                self.mostly(st.just(""), st.just(" ")),
            )

        return st.recursive(leaf, branch, max_leaves=8).map(
            lambda tree: tree[tree.find("(") :] if "(" in tree else f"({tree})"
        )

    def _select_lists(self, relation: str) -> st.SearchStrategy[str]:
        columns = self.columns[relation]
        item = self.mostly(
            st.one_of(
                columns, st.just("*"), st.builds(lambda alias, column: f"{alias}_:{column}", identifiers, columns)
            ),
            st.one_of(
                st.builds(lambda column, cast: f"{column}::{cast}", columns, st.sampled_from(["text", "int", "x"])),
                st.builds(lambda name: f"...{name}", columns),
                hostile_text,
            ),
        )
        embed = st.builds(
            lambda alias, relation, hint, inner: f"{alias}{relation}{hint}({inner})",
            st.sampled_from(["", "kin:"]),
            self.mostly(st.sampled_from(["screenplays", "screenplay_sections", "clip_jobs"]), columns),
            self.mostly(st.sampled_from(["", "!left", "!screenplay_id"]), st.sampled_from(["!inner", "!id", "!"])),
            st.lists(st.one_of(st.just("*"), st.sampled_from(ALL_COLUMNS), st.just("screenplays(*)")), max_size=3).map(
                ",".join
            ),
        )
        return st.lists(st.one_of(item, item.map(_same), embed), max_size=5).map(",".join)

    def _order_lists(self, relation: str) -> st.SearchStrategy[str]:
        term = st.builds(
            lambda column, *modifiers: column + "".join(modifiers),
            self.columns[relation],
            self.mostly(st.sampled_from(["", ".asc", ".desc"]), st.sampled_from([".up", ".", ".x.y"])),
            st.sampled_from(["", ".nullsfirst", ".nullslast"]),
        )
        return self.mostly(st.lists(term, min_size=1, max_size=3).map(",".join), hostile_text)

    @functools.cached_property
    def numbers(self) -> st.SearchStrategy[str]:
        hostile = st.one_of(
            st.integers(min_value=-(10**25), max_value=10**25).map(str),
            st.sampled_from(["", "-1", "1.5", "1e3", "99999999999999999999"]),
            hostile_text,
        )
        return self.mostly(st.integers(min_value=0, max_value=20).map(str), hostile)

    def _query_strings(self, relation: str) -> st.SearchStrategy[str]:
        """A query string of filters, trees and the reserved parameters, percent-encoded as a client sends it."""
        return _query_strings(self, relation)

    @functools.cached_property
    def headers(self) -> st.SearchStrategy[dict[str, str]]:
        first_last = st.builds(
            lambda first, last: f"{first}-{last}", st.integers(0, 20), st.one_of(st.just(""), st.integers(0, 20))
        )
        odd_accept = st.sampled_from(
            ["text/csv", "", "application/json;q=0.5, text/html", "application/vnd.pgrst.object"]
        )
        return st.fixed_dictionaries(
            {},
            optional={
                "Prefer": st.lists(self.mostly(st.sampled_from(PREFERENCES), header_text), max_size=4).map(", ".join),
                "Accept": self.mostly(
                    st.sampled_from(["application/json", "application/vnd.pgrst.object+json", "*/*"]),
                    st.one_of(odd_accept, header_text),
                ),
                "Range": self.mostly(
                    first_last, st.one_of(st.sampled_from(["-5", "0-99999999999999999999", "bytes=0-1"]), header_text)
                ),
                "Range-Unit": st.sampled_from(["items", "bytes", ""]),
                "Accept-Profile": self.mostly(st.just("public"), header_text),
                "Content-Profile": self.mostly(st.just("public"), header_text),
            },
        )

    def _bodies(self, relation: str) -> st.SearchStrategy[bytes]:
        """Valid rows with a value or two spoiled; when wild, also rows of any JSON, other JSON, or not JSON."""
        spoiled = _spoiled_rows(self, relation)
        row = st.dictionaries(st.one_of(self.columns[relation], st.text(max_size=8)), json_values, max_size=6)
        return self.mostly(
            st.one_of(spoiled.map(json_bytes), st.lists(spoiled, max_size=3).map(json_bytes)),
            st.one_of(
                row.map(json_bytes),
                json_values.map(json_bytes),
                st.binary(max_size=30),
                st.sampled_from([b"", b"{", b"[{}, 1]", b"\xff\xfe", b'{"a": 1}{', b"null", b"[]"]),
            ),
        )


@st.composite
def _query_strings(draw, grammar: Grammar, relation: str) -> str:
    columns = grammar.columns[relation]
    parameters: list[tuple[str, str]] = []
    kinds = ["filter", "filter", "filter", "tree", "select", "order", "limit", "offset", "columns", "on_conflict"]
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        kind = draw(st.sampled_from([*kinds, "odd"] if grammar.wild else kinds))
        if kind == "filter":
            parameters.append((draw(columns), draw(grammar.expressions)))
        elif kind == "tree":
            names = grammar.mostly(
                st.sampled_from(["or", "and", "not.or", "not.and"]), st.sampled_from(["not.xor", "or."])
            )
            parameters.append((draw(names), draw(grammar.logic_trees[relation])))
        elif kind == "select":
            parameters.append(("select", draw(grammar.select_lists[relation])))
        elif kind == "order":
            parameters.append(("order", draw(grammar.order_lists[relation])))
        elif kind in {"limit", "offset"}:
            parameters.append((kind, draw(grammar.numbers)))
        elif kind in {"columns", "on_conflict"}:
            names = draw(st.lists(columns, min_size=1, max_size=3))
            quoted = draw(st.booleans())
            parameters.append((kind, ",".join(f'"{name}"' if quoted else name for name in names)))
        else:  # an embedded resource's filter, an empty name, the API key
            name = draw(st.sampled_from(["a.b", "screenplay_sections.order", "", "select.x", "apikey"]))
            parameters.append((name, draw(grammar.values)))
    encoded = "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in parameters)
    return encoded + draw(grammar.mostly(st.just(""), st.sampled_from(["&", "&&", "&=", "&%FF=%FE", "&a=b=c"])))


PREFERENCES = (
    "return=representation", "return=minimal", "return=headers-only", "count=exact", "count=planned",
    "count=estimated", "count=none", "resolution=merge-duplicates", "resolution=ignore-duplicates",
    "missing=default", "missing=null", "handling=strict", "handling=lenient", "tx=rollback", "max-affected=1",
)  # fmt: skip
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        hostile_text,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def json_bytes(value: object) -> bytes:
    """JSON as a client sends it; the standard library's, since it writes integers of any size."""
    return json.dumps(value).encode()


# A valid row of each writable relation, which a body then spoils a value or two at a time.
VALID_ROWS = {
    "scene_drafts": NEW_DRAFT,
    "screenplays": {"title": "Pilot", "content": "INT. ROOF - DAWN\n\nSunrise.\n"},
    "screenplay_sections": {"screenplay_id": str(PLAY), "heading": "INT. ROOF - DAWN", "content": "", "order_index": 3},
    "clip_jobs": {"prompt": "Maya waits", "user_key": "alice-granted"},
    "video_uploads": {"project_id": "items", "order_index": 1, "filename": "1.mp4"},
    "credits_ledger": {"user_key": "alice-new"},
    "continuity_scene_states": {
        "id": 1,
        "location": "Diner",
        "characters": [],
        "props": [],
        "prompt": "p",
        "tone": "x",
    },
    "continuity_logs": {"scene_id": 1, "confidence": 0.5, "issues": [], "passed": True},
    "continuity_telemetry": {"element": "envelope", "attempts": 2, "successes": 1},
}
# What a spoiled value may be: another row's key (bob's among them), alice's own id, or any JSON.
SPOILERS = st.one_of(st.sampled_from([str(ITEM_1), str(BOB_ITEM_1), str(PLAY), str(BOB_PLAY), ALICE]), json_values)


@st.composite
def _spoiled_rows(draw, grammar: Grammar, relation: str) -> dict:
    row = dict(VALID_ROWS.get(relation) or draw(st.sampled_from(sorted(VALID_ROWS.values(), key=repr))))
    for name in draw(st.lists(st.one_of(grammar.columns[relation], st.sampled_from(sorted(row))), max_size=2)):
        row[name] = draw(SPOILERS)
    for name in draw(grammar.mostly(st.just([]), st.lists(st.sampled_from(sorted(row)), max_size=2))):
        row.pop(name, None)
    return row


CALM, WILD = Grammar(wild=False), Grammar(wild=True)


@dataclass(frozen=True)
class Request:
    """One fuzzed request to /rest/v1 (its repr is what Hypothesis prints when it finds a failure)."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


unknown_relations = st.text(
    alphabet=st.characters(blacklist_characters="/?#%", blacklist_categories=("Cs",)), min_size=1, max_size=12
)


@st.composite
def requests(draw, group: str) -> Request:
    """A request to the group's relations from the calm grammar, or (one in four) to any name from the wild one."""
    grammar = draw(st.sampled_from([CALM, CALM, CALM, WILD]))
    others = st.one_of(st.sampled_from(sorted(COLUMNS)), unknown_relations)
    relation = draw(grammar.mostly(st.sampled_from(GROUPS[group]), others))
    method = draw(
        grammar.mostly(st.sampled_from(["GET", "HEAD", "POST", "PATCH", "DELETE"]), st.sampled_from(["PUT", "OPTIONS"]))
    )
    known = relation if relation in COLUMNS else ""  # an unknown relation's requests are built once
    path = f"{quote(relation, safe='')}?{draw(grammar.query_strings[known])}"
    body = draw(grammar.bodies[known]) if method in {"POST", "PATCH", "PUT"} else b""
    return Request(method, path, draw(grammar.headers), body)


def check(client: Client, request: Request, user) -> None:
    """The answer is not a server error, and a refusal is PostgREST's error body."""
    response = send(client, user, request.method, request.path, headers=request.headers, payload=request.body)
    assert response.status_code < 500, (response.status_code, response.content)
    if response.status_code >= 400 and request.method != "HEAD":
        body = orjson.loads(response.content)
        assert isinstance(body, dict) and set(body) == ERROR_KEYS, body
        assert isinstance(body["code"], str) and isinstance(body["message"], str), body


@pytest.fixture
def bobs_rows(alice, bob) -> dict:
    seed("alice", alice.pk)
    seed("bob", bob.pk)
    return rows_of(bob.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_hostile_requests_answer_no_server_error(group: str, alice, bob, bobs_rows) -> None:
    """Any method, hostile query strings, headers and bodies: a 4xx in PostgREST's body at worst; bob's rows stay."""
    client = Client()

    @FUZZ_SETTINGS
    @given(request=requests(group))
    def hostile(request: Request) -> None:
        check(client, request, alice)
        if request.method not in {"GET", "HEAD"}:
            assert rows_of(bob.pk) == bobs_rows

    hostile()

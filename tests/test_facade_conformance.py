"""PostgREST's own spec cases, translated onto our relations and run against `/rest/v1`.

Each case names the spec file of PostgREST's `test/spec/Feature/Query/` and the `it "…"` it comes from,
with that case's request rewritten for our relations (PostgREST's `items.id` becomes a scene draft's
`order_index`, `simple_pk.k`/`extra` a draft's `prompt_text`/`scene_type`, `chores.done` a ledger row's
`first_clip_granted`, …) and PostgREST's answer: status, the headers that matter and the body. Alice's
rows are read and written; bob holds a copy of each of them, so a row of his in an answer shows as a
duplicate, and every case checks afterwards that his rows are untouched.

A case in `KNOWN_DIFFERENCES` is one where the facade answers otherwise, on purpose or until fixed: it
asserts the facade's own answer (never a 5xx) and that PostgREST's is still not given, so a difference
that disappears fails here and leaves the list.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from django.test import Client

from clips.models import SceneDraft
from continuity.models import ContinuityLog, Telemetry
from credits.models import CreditsLedger
from directorstudio.facade.keys import anon_key_issue
from screenplays.models import Screenplay, ScreenplaySection
from screenplays.services import screenplay_create
from tests.rows import COLUMNS
from tests.tokens import make_supabase_token

ROW_NAMESPACE = uuid.UUID("6f1c35a4-4b7e-4d39-9a43-52f1b1f6a001")
SINGULAR = "application/vnd.pgrst.object+json"
JSON_TYPE = "application/json; charset=utf-8"
SINGULAR_TYPE = "application/vnd.pgrst.object+json; charset=utf-8"
NO_BODY = object()  # the answer has an empty body
ALICE = "<alice's id>"  # in a payload: alice's user id, known once she exists
ABSENT = None  # in `expect_headers`: the header must not be sent

ITEMS = (  # order_index, scene_type, shot_type: PostgREST's `items` (ids 1-6) with two nullable text columns
    (1, "INT", "wide"),
    (2, "EXT", None),
    (3, None, "close"),
    (4, "INT", None),
    (5, None, "medium"),
    (6, "EXT", "wide"),
)
SIMPLE_PK = (("xyyx", "u"), ("xYYx", "v"))  # PostgREST's `simple_pk` rows (k, extra)
NAMES = (  # PostgREST's `w_or_wo_comma_names` and `grandchild_entities` names
    "Hebdon, John",
    "Williams, Mary",
    "Smith, Joseph",
    "David White",
    "Larry Thompson",
    "Double O Seven(007)",
    'Double"Quote"McGraw"',
    "\\",
    "/\\Slash/\\Beast/\\",
    '"',
    "(grandchild,entity,4)",
    "(grandchild,entity,5)",
)
TSEARCH = (  # PostgREST's `tsearch_to_tsvector.text_search`
    "It's kind of fun to do the impossible",
    "But also fun to do what is possible",
    "Fat cats ate rats",
    "C'est un peu amusant de faire l'impossible",
    "Es ist eine Art Spaß, das Unmögliche zu machen",
)
LOGS = (  # scene_id, confidence, passed, issues
    (1, 0.9, True, []),
    (2, 0.4, False, ["lighting"]),
    (3, 0.75, True, ["props"]),
    (4, 0.2, False, ["lighting", "props", "tone"]),
)
LEDGER = (("granted", 3, True), ("denied", 0, False), ("unknown", 1, None))  # PostgREST's `chores.done` trilean
TELEMETRY = (("envelope", 4, 2), ("Maya", 2, 2))
NIGHT_SHIFT = "INT. DINER - NIGHT\n\nMaya waits.\n\nEXT. STREET - DAY\n\nRain.\n"


def row_id(owner: str, *parts: Any) -> uuid.UUID:
    """The fixed id of one seeded row of `owner` ("alice" or "bob")."""
    return uuid.uuid5(ROW_NAMESPACE, ":".join(map(str, (owner, *parts))))


ITEM_1 = row_id("alice", "items", 1)
ITEM_2 = row_id("alice", "items", 2)
BOB_ITEM_1 = row_id("bob", "items", 1)
PLAY = row_id("alice", "screenplay", "night-shift")
BLANK_PLAY = row_id("alice", "screenplay", "blank")
BOB_PLAY = row_id("bob", "screenplay", "night-shift")
NEW_DRAFT = {"project_id": "new", "order_index": 7, "prompt_text": "a new scene", "duration": 2.5}


def seed(owner: str, user_id: uuid.UUID) -> None:
    """One user's rows in every relation the cases read; the same for alice and bob but for the ids."""
    drafts = [
        SceneDraft(
            id=row_id(owner, "items", index), user_id=user_id, project_id="items", order_index=index,
            prompt_text=f"item {index}", duration=float(index), scene_type=scene_type, shot_type=shot_type,
        )
        for index, scene_type, shot_type in ITEMS
    ]  # fmt: skip
    drafts += [
        SceneDraft(
            id=row_id(owner, "simple_pk", index), user_id=user_id, project_id="simple_pk", order_index=index,
            prompt_text=k, duration=1.0, scene_type=extra,
        )
        for index, (k, extra) in enumerate(SIMPLE_PK, start=1)
    ]  # fmt: skip
    for project, texts in (("names", NAMES), ("tsearch", TSEARCH)):
        drafts += [
            SceneDraft(
                id=row_id(owner, project, index), user_id=user_id, project_id=project, order_index=index,
                prompt_text=text, duration=1.0,
            )
            for index, text in enumerate(texts)
        ]  # fmt: skip
    SceneDraft.objects.bulk_create(drafts)
    ContinuityLog.objects.bulk_create(
        ContinuityLog(
            id=row_id(owner, "log", scene_id), user_id=user_id, scene_id=scene_id, confidence=confidence,
            passed=passed, issues=issues,
        )
        for scene_id, confidence, passed, issues in LOGS
    )  # fmt: skip
    CreditsLedger.objects.bulk_create(
        CreditsLedger(user_key=f"{owner}-{key}", credits=credits, first_clip_granted=granted, user_id=user_id)
        for key, credits, granted in LEDGER
    )
    Telemetry.objects.bulk_create(
        Telemetry(user_id=user_id, element=element, attempts=attempts, successes=successes, rate=successes / attempts)
        for element, attempts, successes in TELEMETRY
    )
    screenplay_create(
        user_id=user_id, title="Night Shift", content=NIGHT_SHIFT, id=row_id(owner, "screenplay", "night-shift")
    )
    screenplay_create(user_id=user_id, title="Blank", content="", id=row_id(owner, "screenplay", "blank"))


def rows_of(user_id: uuid.UUID) -> dict[str, list[dict]]:
    """Every seeded row of one user, as stored, to check that no case touched them."""
    return {
        model._meta.db_table: sorted(model.objects.filter(**lookup).values(), key=repr)
        for model, lookup in (
            (SceneDraft, {"user_id": user_id}),
            (ContinuityLog, {"user_id": user_id}),
            (CreditsLedger, {"user_id": user_id}),
            (Telemetry, {"user_id": user_id}),
            (Screenplay, {"user_id": user_id}),
            (ScreenplaySection, {"screenplay__user_id": user_id}),
        )
    }


# --- Expected bodies -------------------------------------------------------------------------------------------


def error(code: str, message: str | None = None) -> Callable[[Any], bool]:
    """PostgREST's error body with `code` (and `message`, when given), whatever its details and hint."""

    def check(body: Any) -> bool:
        return (
            isinstance(body, dict)
            and set(body) == {"code", "details", "hint", "message"}
            and body["code"] == code
            and (message is None or body["message"] == message)
        )

    return check


def exact_error(code: str, message: str, details: Any = None, hint: Any = None) -> dict:
    return {"code": code, "details": details, "hint": hint, "message": message}


def indexes(*values: int) -> list[dict]:
    return [{"order_index": value} for value in values]


def prompts(*values: str) -> list[dict]:
    return [{"prompt_text": value} for value in values]


def singular_error(count: int) -> dict:
    return exact_error(
        "PGRST116", "Cannot coerce the result to a single JSON object", f"The result contains {count} rows"
    )


def range_error(details: str) -> dict:
    return exact_error("PGRST103", "Requested range not satisfiable", details)


def keys_are(*names: str) -> Callable[[Any], bool]:
    """A non-empty list of rows, each with exactly these keys."""

    def check(body: Any) -> bool:
        return isinstance(body, list) and bool(body) and all(set(row) == set(names) for row in body)

    return check


# --- The cases -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request translated from a PostgREST spec case, and PostgREST's answer to it."""

    spec: str  # "<File>Spec: <the it "…" text>"
    method: str
    path: str  # under /rest/v1/, query string unencoded
    status: int
    body: Any = NO_BODY  # the exact JSON, a predicate of it, or NO_BODY
    headers: dict[str, str] = field(default_factory=dict)
    payload: Any = None
    expect_headers: dict[str, str | None] = field(default_factory=dict)
    then: tuple[str, Any] | None = None  # a GET after it (path, exact JSON): what the write left
    variant: str = ""

    @property
    def id(self) -> str:
        file, _, text = self.spec.partition(": ")
        return f"{file}: {text}{f' [{self.variant}]' if self.variant else ''}"


def get(spec: str, path: str, body: Any, status: int = 200, **options: Any) -> Case:
    return Case(spec, "GET", path, status, body, **options)


ITEMS_PATH = "scene_drafts?project_id=eq.items&select=order_index"
SIMPLE_PATH = "scene_drafts?project_id=eq.simple_pk&select=prompt_text,scene_type"
NAMES_PATH = "scene_drafts?project_id=eq.names&select=prompt_text"
TSEARCH_PATH = "scene_drafts?project_id=eq.tsearch&select=prompt_text"
LEDGER_PATH = "credits_ledger?select=user_key,first_clip_granted&order=user_key"
LOGS_PATH = "continuity_logs?select=scene_id&order=scene_id"
XYYX = {"prompt_text": "xyyx", "scene_type": "u"}
XYYX_UPPER = {"prompt_text": "xYYx", "scene_type": "v"}
EMPTY_JSON = {"Content-Range": "*/*"}
REPRESENTATION = {"Prefer": "return=representation"}


def ledger(*keys: str) -> list[dict]:
    granted = {key: value for key, _, value in LEDGER}
    return [{"user_key": f"alice-{key}", "first_clip_granted": granted[key]} for key in keys]


QUERY_CASES = [
    get(
        "QuerySpec: causes a 404",
        "faketable",
        exact_error("PGRST205", "Could not find the table 'public.faketable' in the schema cache"),
        404,
        variant="nonexistent table",
    ),
    get(
        "QuerySpec: matches with equality",
        f"{ITEMS_PATH}&order_index=eq.5",
        indexes(5),
        expect_headers={"Content-Range": "0-0/*"},
    ),
    get(
        "QuerySpec: matches with equality using not operator",
        f"{ITEMS_PATH}&order_index=not.eq.5&order=order_index",
        indexes(1, 2, 3, 4, 6),
        expect_headers={"Content-Range": "0-4/*"},
    ),
    get(
        "QuerySpec: matches with more than one condition using not operator",
        f"{SIMPLE_PATH}&prompt_text=like.*yx&scene_type=not.eq.u",
        [],
    ),
    get(
        "QuerySpec: matches with inequality using not operator",
        f"{ITEMS_PATH}&order_index=not.lt.5&order=order_index.asc",
        indexes(5, 6),
        expect_headers={"Content-Range": "0-1/*"},
        variant="not.lt",
    ),
    get(
        "QuerySpec: matches with inequality using not operator",
        f"{ITEMS_PATH}&order_index=not.gt.2&order=order_index.asc",
        indexes(1, 2),
        expect_headers={"Content-Range": "0-1/*"},
        variant="not.gt",
    ),
    get(
        "QuerySpec: matches items IN",
        f"{ITEMS_PATH}&order_index=in.(1,3,5)",
        indexes(1, 3, 5),
        expect_headers={"Content-Range": "0-2/*"},
    ),
    get(
        "QuerySpec: matches items NOT IN using not operator",
        f"{ITEMS_PATH}&order_index=not.in.(2,4,6)",
        indexes(1, 3, 5),
    ),
    get(
        "QuerySpec: matches nulls using not operator",
        f"{ITEMS_PATH}&scene_type=not.is.null",
        indexes(1, 2, 4, 6),
        expect_headers={"Content-Type": JSON_TYPE},
    ),
    get("QuerySpec: matches not_null using is operator", f"{ITEMS_PATH}&scene_type=is.not_null", indexes(1, 2, 4, 6)),
    get(
        "QuerySpec: matches nulls in varchar and numeric fields alike",
        f"{ITEMS_PATH}&scene_type=is.null",
        indexes(3, 5),
    ),
    get(
        "QuerySpec: not.is.not_null is equivalent to is.null", f"{ITEMS_PATH}&scene_type=not.is.not_null", indexes(3, 5)
    ),
    get(
        "QuerySpec: matches with trilean values",
        f"{LEDGER_PATH}&first_clip_granted=is.true",
        ledger("granted"),
        variant="true",
    ),
    get(
        "QuerySpec: matches with trilean values",
        f"{LEDGER_PATH}&first_clip_granted=is.false",
        ledger("denied"),
        variant="false",
    ),
    get(
        "QuerySpec: matches with trilean values",
        f"{LEDGER_PATH}&first_clip_granted=is.unknown",
        ledger("unknown"),
        variant="unknown",
    ),
    get(
        "QuerySpec: matches with null and not_null values in upper or mixed case",
        f"{LEDGER_PATH}&first_clip_granted=is.NULL",
        ledger("unknown"),
        variant="NULL",
    ),
    get(
        "QuerySpec: matches with null and not_null values in upper or mixed case",
        f"{LEDGER_PATH}&first_clip_granted=is.NoT_NuLl",
        ledger("denied", "granted"),
        variant="NoT_NuLl",
    ),
    get(
        "QuerySpec: matches with trilean values in upper or mixed case",
        f"{LEDGER_PATH}&first_clip_granted=is.TRUE",
        ledger("granted"),
        variant="TRUE",
    ),
    get(
        "QuerySpec: matches with trilean values in upper or mixed case",
        f"{LEDGER_PATH}&first_clip_granted=is.FAlSe",
        ledger("denied"),
        variant="FAlSe",
    ),
    get(
        "QuerySpec: matches with trilean values in upper or mixed case",
        f"{LEDGER_PATH}&first_clip_granted=is.UnKnOwN",
        ledger("unknown"),
        variant="UnKnOwN",
    ),
    get(
        "QuerySpec: fails if 'is' used and there's no null or trilean value",
        f"{LEDGER_PATH}&first_clip_granted=is.nil",
        error("PGRST100"),
        400,
        variant="nil",
    ),
    get(
        "QuerySpec: fails if 'is' used and there's no null or trilean value",
        f"{LEDGER_PATH}&first_clip_granted=is.ok",
        error("PGRST100"),
        400,
        variant="ok",
    ),
    get("QuerySpec: matches with like", f"{SIMPLE_PATH}&prompt_text=like.*yx", [XYYX], variant="*yx"),
    get("QuerySpec: matches with like", f"{SIMPLE_PATH}&prompt_text=like.xy*", [XYYX], variant="xy*"),
    get("QuerySpec: matches with like", f"{SIMPLE_PATH}&prompt_text=like.*YY*", [XYYX_UPPER], variant="*YY*"),
    get("QuerySpec: matches with like using not operator", f"{SIMPLE_PATH}&prompt_text=not.like.*yx", [XYYX_UPPER]),
    get(
        "QuerySpec: matches with ilike",
        f"{SIMPLE_PATH}&prompt_text=ilike.xy*&order=scene_type.asc",
        [XYYX, XYYX_UPPER],
        variant="xy*",
    ),
    get(
        "QuerySpec: matches with ilike",
        f"{SIMPLE_PATH}&prompt_text=ilike.*YY*&order=scene_type.asc",
        [XYYX, XYYX_UPPER],
        variant="*YY*",
    ),
    get(
        "QuerySpec: matches with ilike using not operator",
        f"{SIMPLE_PATH}&prompt_text=not.ilike.xy*&order=scene_type.asc",
        [],
    ),
    get("QuerySpec: matches with ~", f"{SIMPLE_PATH}&prompt_text=match.yx$", [XYYX], variant="yx$"),
    get("QuerySpec: matches with ~", f"{SIMPLE_PATH}&prompt_text=match.^xy", [XYYX], variant="^xy"),
    get("QuerySpec: matches with ~", f"{SIMPLE_PATH}&prompt_text=match.YY", [XYYX_UPPER], variant="YY"),
    get("QuerySpec: matches with ~ using not operator", f"{SIMPLE_PATH}&prompt_text=not.match.yx$", [XYYX_UPPER]),
    get(
        "QuerySpec: matches with ~*",
        f"{SIMPLE_PATH}&prompt_text=imatch.^xy&order=scene_type.asc",
        [XYYX, XYYX_UPPER],
        variant="^xy",
    ),
    get(
        "QuerySpec: matches with ~*",
        f"{SIMPLE_PATH}&prompt_text=imatch..*YY.*&order=scene_type.asc",
        [XYYX, XYYX_UPPER],
        variant=".*YY.*",
    ),
    get(
        "QuerySpec: matches with ~* using not operator",
        f"{SIMPLE_PATH}&prompt_text=not.imatch.^xy&order=scene_type.asc",
        [],
    ),
    get(
        "QuerySpec: finds matches with to_tsquery",
        f"{TSEARCH_PATH}&prompt_text=fts(english).impossible",
        prompts(TSEARCH[0], TSEARCH[3]),
        variant="text column",
    ),
    get(
        "QuerySpec: can use lexeme boolean operators(&=%26, |=%7C, !) in to_tsquery",
        f"{TSEARCH_PATH}&prompt_text=fts(english).fun%26!possible",
        prompts(TSEARCH[0]),
        variant="text column",
    ),
    get(
        "QuerySpec: finds matches with plainto_tsquery",
        f"{TSEARCH_PATH}&prompt_text=plfts(english).The Fat Rats",
        prompts(TSEARCH[2]),
        variant="text column",
    ),
    get(
        "QuerySpec: finds matches with websearch_to_tsquery",
        f"{TSEARCH_PATH}&prompt_text=wfts(english).fun and -possible",
        prompts(TSEARCH[0]),
        variant="text column",
    ),
    get(
        "QuerySpec: finds matches with different dictionaries",
        f"{TSEARCH_PATH}&prompt_text=phfts(german).Art Spass",
        prompts(TSEARCH[4]),
        variant="text column",
    ),
    get(
        "QuerySpec: can be negated with not operator",
        f"{TSEARCH_PATH}&prompt_text=not.plfts(english).The Fat Rats",
        prompts(*TSEARCH[:2], *TSEARCH[3:]),
        variant="plfts on a text column",
    ),
    get(
        "QuerySpec: matches with cs operator",
        f'{LOGS_PATH}&issues=cs.["lighting"]',
        [{"scene_id": 2}, {"scene_id": 4}],
        variant="jsonb",
    ),
    get(
        "QuerySpec: matches with cd operator",
        f'{LOGS_PATH}&issues=cd.["props","lighting"]',
        [{"scene_id": 1}, {"scene_id": 2}, {"scene_id": 3}],
        variant="jsonb",
    ),
    get("QuerySpec: matches with IS DISTINCT FROM", f"{ITEMS_PATH}&scene_type=isdistinct.INT", indexes(2, 3, 5, 6)),
    get(
        "QuerySpec: matches with IS DISTINCT FROM using not operator",
        f"{ITEMS_PATH}&scene_type=not.isdistinct.INT",
        indexes(1, 4),
    ),
    get(
        "QuerySpec: selectStar works in absense of parameter",
        f"scene_drafts?id=eq.{ITEM_1}",
        keys_are(*COLUMNS["scene_drafts"]),
    ),
    get(
        "QuerySpec: one simple column",
        "continuity_logs?select=scene_id&order=scene_id",
        [{"scene_id": index} for index in (1, 2, 3, 4)],
    ),
    get("QuerySpec: rename simple column", f"scene_drafts?id=eq.{ITEM_1}&select=myIndex:order_index", [{"myIndex": 1}]),
    get(
        "QuerySpec: one simple column with casting (text)",
        f"{ITEMS_PATH}::text&order_index=lte.2",
        [{"order_index": "1"}, {"order_index": "2"}],
    ),
    get(
        "QuerySpec: json column",
        "continuity_logs?scene_id=eq.4&select=issues",
        [{"issues": ["lighting", "props", "tone"]}],
    ),
    get(
        "QuerySpec: requesting parents and children",
        f"screenplay_sections?screenplay_id=eq.{PLAY}&select=heading,screenplays(title)",
        [
            {"heading": "INT. DINER - NIGHT", "screenplays": {"title": "Night Shift"}},
            {"heading": "EXT. STREET - DAY", "screenplays": {"title": "Night Shift"}},
        ],
    ),
    get(
        "QuerySpec: requesting parent and renaming primary key",
        f"screenplay_sections?screenplay_id=eq.{PLAY}&order_index=eq.0&select=heading,play:screenplays(playId:id,title)",
        [{"heading": "INT. DINER - NIGHT", "play": {"playId": str(PLAY), "title": "Night Shift"}}],
    ),
    get(
        "QuerySpec: rows with no children return [] instead of null",
        f"screenplays?id=in.({PLAY},{BLANK_PLAY})&select=title,screenplay_sections(heading)&order=title",
        [
            {"title": "Blank", "screenplay_sections": []},
            {
                "title": "Night Shift",
                "screenplay_sections": [{"heading": "INT. DINER - NIGHT"}, {"heading": "EXT. STREET - DAY"}],
            },
        ],
    ),
    get(
        "QuerySpec: cannot request partitions as children from a partitioned table",
        "scene_drafts?select=order_index,clip_jobs(id)",
        error("PGRST200", "Could not find a relationship between 'scene_drafts' and 'clip_jobs' in the schema cache"),
        400,
        variant="no foreign key",
    ),
    get(
        "QuerySpec: gives all columns",
        "continuity_logs?scene_id=eq.1&select=",
        keys_are(*COLUMNS["continuity_logs"]),
    ),
    get("QuerySpec: by a column asc", f"{ITEMS_PATH}&order_index=lte.2&order=order_index.asc", indexes(1, 2)),
    get("QuerySpec: by a column desc", f"{ITEMS_PATH}&order_index=lte.2&order=order_index.desc", indexes(2, 1)),
    get(
        "QuerySpec: by a column with nulls first",
        f"{ITEMS_PATH}&order=shot_type.nullsfirst,order_index",
        indexes(2, 4, 3, 5, 1, 6),
    ),
    get(
        "QuerySpec: by a column asc with nulls last",
        f"{ITEMS_PATH}&order=shot_type.asc.nullslast,order_index",
        indexes(3, 5, 1, 6, 2, 4),
    ),
    get(
        "QuerySpec: by a column desc with nulls first",
        f"{ITEMS_PATH}&order=shot_type.desc.nullsfirst,order_index",
        indexes(2, 4, 1, 6, 5, 3),
    ),
    get(
        "QuerySpec: by a column desc with nulls last",
        f"{ITEMS_PATH}&order=shot_type.desc.nullslast,order_index",
        indexes(1, 6, 5, 3, 2, 4),
    ),
    get(
        "QuerySpec: by two columns with nulls and direction specified",
        f"{ITEMS_PATH}&order=scene_type.desc.nullslast,order_index.desc",
        indexes(4, 1, 6, 2, 5, 3),
    ),
    get(
        "QuerySpec: by a column with no direction or nulls specified",
        f"{ITEMS_PATH}&order_index=lte.2&order=order_index",
        indexes(1, 2),
    ),
    get(
        "QuerySpec: gives meaningful error message on bad syntax",
        f"{ITEMS_PATH}&order=order_index.asc.nullslasttt",
        error("PGRST100"),
        400,
    ),
    get(
        "QuerySpec: should respond an unknown accept type with 406",
        "scene_drafts",
        exact_error("PGRST107", "None of these media types are available: text/unknowntype"),
        406,
        headers={"Accept": "text/unknowntype"},
    ),
    get(
        "QuerySpec: should respond correctly to */* in accept header",
        ITEMS_PATH,
        indexes(1, 2, 3, 4, 5, 6),
        headers={"Accept": "*/*"},
    ),
    get(
        "QuerySpec: */* should rescue an unknown type",
        ITEMS_PATH,
        indexes(1, 2, 3, 4, 5, 6),
        headers={"Accept": "text/unknowntype, */*"},
    ),
    get(
        "QuerySpec: should respond with CSV to 'text/csv' request",
        f"{ITEMS_PATH}&order=order_index.desc&limit=2",
        "order_index\n6\n5",
        headers={"Accept": "text/csv"},
        expect_headers={"Content-Type": "text/csv; charset=utf-8"},
    ),
    get("QuerySpec: fails if an operator is not given", "scene_drafts?order_index=0", error("PGRST100"), 400),
    get(
        "QuerySpec: succeeds when only quoted values are present",
        f'{NAMES_PATH}&prompt_text=in.("Hebdon, John","Williams, Mary","Smith, Joseph")',
        prompts("Hebdon, John", "Williams, Mary", "Smith, Joseph"),
    ),
    get(
        "QuerySpec: succeeds w/ and w/o quoted values",
        f'{NAMES_PATH}&prompt_text=in.(David White,"Hebdon, John")',
        prompts("Hebdon, John", "David White"),
    ),
    get(
        "QuerySpec: succeeds w/ and w/o quoted values",
        f'{NAMES_PATH}&prompt_text=in.("Double O Seven(007)")',
        prompts("Double O Seven(007)"),
        variant="parens inside quotes",
    ),
    get(
        "QuerySpec: accepts escaped double quotes",
        f'{NAMES_PATH}&prompt_text=in.("Double\\"Quote\\"McGraw\\"")',
        prompts('Double"Quote"McGraw"'),
    ),
    get("QuerySpec: accepts escaped backslashes", f'{NAMES_PATH}&prompt_text=in.("\\\\")', prompts("\\")),
    get(
        "QuerySpec: accepts escaped backslashes",
        f'{NAMES_PATH}&prompt_text=in.("/\\\\Slash/\\\\Beast/\\\\")',
        prompts("/\\Slash/\\Beast/\\"),
        variant="inside",
    ),
    get(
        "QuerySpec: passes any escaped char as the same char",
        f'{NAMES_PATH}&prompt_text=in.("D\\a\\vid W\\h\\ite")',
        prompts("David White"),
    ),
    get("QuerySpec: accepts single double quotes as values", f'{NAMES_PATH}&prompt_text=in.(")', prompts('"')),
    get("QuerySpec: accepts backslashes as values", f"{NAMES_PATH}&prompt_text=in.(\\)", prompts("\\")),
    get("QuerySpec: works for integer", f"{ITEMS_PATH}&order_index=in.()", [], variant="IN empty set"),
    get("QuerySpec: works for text", f"{ITEMS_PATH}&prompt_text=in.()", [], variant="IN empty set"),
    get(
        "QuerySpec: returns all results for not.in when no value is present",
        f"{ITEMS_PATH}&order_index=not.in.()",
        indexes(1, 2, 3, 4, 5, 6),
    ),
    get("QuerySpec: returns an empty result ignoring spaces", f"{ITEMS_PATH}&order_index=in.(    )", []),
    get(
        "QuerySpec: only returns an empty result set if the in value is empty",
        f"{ITEMS_PATH}&order_index=in.( ,3,4)",
        exact_error("22P02", 'invalid input syntax for type integer: ""'),
        400,
    ),
    get(
        "QuerySpec: works with the eq operator",
        f"{ITEMS_PATH}&order_index=eq(any).{{3,4,5}}",
        indexes(3, 4, 5),
        variant="any",
    ),
    get(
        "QuerySpec: works with the gt/gte operator",
        f"{ITEMS_PATH}&order_index=gt(all).{{4,3}}",
        indexes(5, 6),
        variant="gt all",
    ),
    get(
        "QuerySpec: works with the lt/lte operator",
        f"{ITEMS_PATH}&order_index=lte(all).{{4,3}}",
        indexes(1, 2, 3),
        variant="lte all",
    ),
    get(
        "QuerySpec: works with the like/ilike operator",
        f"{SIMPLE_PATH}&prompt_text=like(any).{{*yx,*YY*}}",
        [XYYX, XYYX_UPPER],
        variant="like any",
    ),
]

AND_OR_CASES = [
    get("AndOrParamsSpec: can do simple logic", f"{ITEMS_PATH}&or=(order_index.eq.1,order_index.eq.2)", indexes(1, 2)),
    get(
        "AndOrParamsSpec: can negate simple logic",
        f"{ITEMS_PATH}&not.or=(order_index.eq.1,order_index.eq.2)",
        indexes(3, 4, 5, 6),
    ),
    get(
        "AndOrParamsSpec: can be combined with traditional filters",
        f"{ITEMS_PATH}&or=(order_index.eq.1,order_index.eq.2)&prompt_text=eq.item 1",
        indexes(1),
    ),
    get(
        "AndOrParamsSpec: can be nested inside the same expression",
        f"{ITEMS_PATH}&or=(and(prompt_text.eq.item 2,order_index.eq.2),and(prompt_text.eq.item 1,order_index.eq.1))",
        indexes(1, 2),
    ),
    get(
        "AndOrParamsSpec: can be negated while nested",
        f"{ITEMS_PATH}&or=(not.and(prompt_text.eq.item 2,order_index.eq.2),"
        "not.and(prompt_text.eq.item 1,order_index.eq.1))",
        indexes(1, 2, 3, 4, 5, 6),
    ),
    get(
        "AndOrParamsSpec: can be combined unnested",
        f"{ITEMS_PATH}&and=(order_index.eq.1,prompt_text.eq.item 1)&or=(order_index.eq.1,order_index.eq.2)",
        indexes(1),
    ),
    get(
        "AndOrParamsSpec: can handle eq and neq", f"{ITEMS_PATH}&and=(order_index.eq.1,order_index.neq.2))", indexes(1)
    ),
    get("AndOrParamsSpec: can handle lt and gt", f"{ITEMS_PATH}&or=(order_index.lt.2,order_index.gt.5)", indexes(1, 6)),
    get(
        "AndOrParamsSpec: can handle lte and gte",
        f"{ITEMS_PATH}&or=(order_index.lte.2,order_index.gte.3)",
        indexes(1, 2, 3, 4, 5, 6),
    ),
    get(
        "AndOrParamsSpec: can handle like and ilike",
        f"{ITEMS_PATH}&or=(prompt_text.like.*1,prompt_text.ilike.*ITEM 2)",
        indexes(1, 2),
    ),
    get(
        "AndOrParamsSpec: can handle in",
        f"{ITEMS_PATH}&or=(order_index.in.(1,2),order_index.in.(3,4))",
        indexes(1, 2, 3, 4),
    ),
    get("AndOrParamsSpec: can handle is", f"{ITEMS_PATH}&and=(scene_type.is.null,shot_type.is.null)", []),
    get(
        "AndOrParamsSpec: can handle is",
        f"{ITEMS_PATH}&or=(scene_type.is.null,shot_type.is.null)",
        indexes(2, 3, 4, 5),
        variant="or",
    ),
    get(
        "AndOrParamsSpec: can handle fts on text and json columns",
        f"{TSEARCH_PATH}&and=(prompt_text.not.plfts(german).Art Spass, "
        "prompt_text.not.plfts(french).amusant impossible, prompt_text.not.fts(english).impossible)",
        prompts(TSEARCH[1], TSEARCH[2]),
    ),
    get(
        "AndOrParamsSpec: can handle isdistinct",
        f"{ITEMS_PATH}&and=(order_index.gte.2,scene_type.isdistinct.EXT)",
        indexes(3, 4, 5),
    ),
    get(
        "AndOrParamsSpec: can handle cs and cd",
        f'{LOGS_PATH}&or=(issues.cs.["tone"],issues.cd.[])',
        [{"scene_id": 1}, {"scene_id": 4}],
        variant="jsonb",
    ),
    get(
        "AndOrParamsSpec: eq, cs, like can be negated",
        f'{LOGS_PATH}&and=(issues.not.cs.["props"],and(scene_id.not.eq.2,passed.not.is.false))',
        [{"scene_id": 1}],
    ),
    get(
        "AndOrParamsSpec: in, is, fts can be negated",
        f"{ITEMS_PATH}&and=(order_index.not.in.(1,3),and(scene_type.not.is.null,prompt_text.not.fts.6))",
        indexes(2, 4),
    ),
    get(
        "AndOrParamsSpec: lt, gte, cd can be negated",
        f"{ITEMS_PATH}&and=(order_index.not.lt.2,or(order_index.not.lt.1,order_index.not.gte.3))",
        indexes(2, 3, 4, 5, 6),
    ),
    get(
        "AndOrParamsSpec: gt, lte, ilike can be negated",
        f"{ITEMS_PATH}&and=(prompt_text.not.ilike.*EM 2,or(order_index.not.gt.4,order_index.not.lte.1))",
        indexes(1, 3, 4, 5, 6),
    ),
    get(
        "AndOrParamsSpec: isdistinct can be negated",
        f"{ITEMS_PATH}&and=(order_index.not.eq.4,scene_type.not.isdistinct.INT)",
        indexes(1),
    ),
    get(
        "AndOrParamsSpec: eq can have quotes",
        f'{NAMES_PATH}&or=(prompt_text.eq."(grandchild,entity,4)",prompt_text.eq."(grandchild,entity,5)")',
        prompts("(grandchild,entity,4)", "(grandchild,entity,5)"),
    ),
    get(
        "AndOrParamsSpec: like and ilike can have quotes",
        f'{NAMES_PATH}&or=(prompt_text.like."*ity,4*",prompt_text.ilike."*ITY,5)")',
        prompts("(grandchild,entity,4)", "(grandchild,entity,5)"),
    ),
    get(
        "AndOrParamsSpec: in can have quotes",
        f'{ITEMS_PATH}&or=(order_index.in.("1","2"),order_index.in.("3","4"))',
        indexes(1, 2, 3, 4),
    ),
    get(
        "AndOrParamsSpec: allows whitespace",
        f"{ITEMS_PATH}&and=( and ( order_index.in.( 1, 2, 3 ) , order_index.eq.3 ) , "
        "or ( order_index.eq.2 , order_index.eq.3 ) )",
        indexes(3),
    ),
    get("AndOrParamsSpec: cannot have zero conditions", "scene_drafts?or=()", error("PGRST100"), 400),
    get("AndOrParamsSpec: can have a single condition", f"{ITEMS_PATH}&or=(order_index.eq.1)", indexes(1)),
    get(
        "AndOrParamsSpec: can have a single condition",
        f"{ITEMS_PATH}&and=(order_index.eq.1)",
        indexes(1),
        variant="and",
    ),
    get(
        "AndOrParamsSpec: can have three conditions",
        f"{ITEMS_PATH}&and=(order_index.in.(1,2), order_index.in.(3,1), order_index.in.(1,4))",
        indexes(1),
    ),
    get(
        "AndOrParamsSpec: can have four conditions combining and/or",
        f"{ITEMS_PATH}&or=( order_index.eq.1, order_index.eq.2, "
        "and(order_index.in.(1,3), order_index.in.(2,3)), order_index.eq.4 )",
        indexes(1, 2, 3, 4),
    ),
    get(
        "AndOrParamsSpec: can have four conditions combining and/or",
        f"{ITEMS_PATH}&and=( order_index.eq.1, not.or(order_index.eq.2, order_index.eq.3), "
        "order_index.in.(1,4), or(order_index.eq.1, order_index.eq.4) )",
        indexes(1),
        variant="not.or inside and",
    ),
    Case(
        "AndOrParamsSpec: succeeds when using and/or params",
        "PATCH",
        "scene_drafts?project_id=eq.items&or=(order_index.eq.1,order_index.eq.2)&select=order_index,prompt_text",
        200,
        [{"order_index": 1, "prompt_text": "updated"}, {"order_index": 2, "prompt_text": "updated"}],
        headers=REPRESENTATION,
        payload={"prompt_text": "updated"},
        variant="PATCH",
    ),
    Case(
        "AndOrParamsSpec: succeeds when the filtered column is modified",
        "PATCH",
        "scene_drafts?project_id=eq.items&select=order_index,scene_type&or=(scene_type.is.null,scene_type.like.*X*)",
        200,
        [
            {"order_index": 2, "scene_type": "INT"},
            {"order_index": 3, "scene_type": "INT"},
            {"order_index": 5, "scene_type": "INT"},
            {"order_index": 6, "scene_type": "INT"},
        ],
        headers=REPRESENTATION,
        payload={"scene_type": "INT"},
    ),
    Case(
        "AndOrParamsSpec: succeeds when using and/or params",
        "DELETE",
        "scene_drafts?project_id=eq.items&or=(order_index.eq.1,order_index.eq.2)&select=order_index,prompt_text",
        200,
        [{"order_index": 1, "prompt_text": "item 1"}, {"order_index": 2, "prompt_text": "item 2"}],
        headers=REPRESENTATION,
        then=(ITEMS_PATH, indexes(3, 4, 5, 6)),
        variant="DELETE",
    ),
]

RANGE_CASES = [
    get(
        "RangeSpec: returns whole range with status 200",
        ITEMS_PATH,
        indexes(1, 2, 3, 4, 5, 6),
        expect_headers={"Content-Range": "0-5/*"},
    ),
    get(
        "RangeSpec: returns empty body with Content-Range */0",
        f"{ITEMS_PATH}&order_index=eq.0",
        [],
        headers={"Prefer": "count=exact"},
        expect_headers={"Content-Range": "*/0"},
    ),
    get(
        "RangeSpec: returns range Content-Range with range/*",
        f"{ITEMS_PATH}&order=order_index",
        indexes(1, 2, 3, 4, 5, 6),
        headers={"Prefer": "count=none"},
        expect_headers={"Content-Range": "0-5/*"},
    ),
    get(
        "RangeSpec: returns range Content-Range with range/* even using other filters",
        f"{ITEMS_PATH}&order_index=eq.1&order=order_index",
        indexes(1),
        headers={"Prefer": "count=none"},
        expect_headers={"Content-Range": "0-0/*"},
    ),
    get(
        "RangeSpec: top level limit with parameter",
        f"{ITEMS_PATH}&order=order_index.asc&limit=3",
        indexes(1, 2, 3),
        expect_headers={"Content-Range": "0-2/*"},
    ),
    get(
        "RangeSpec: headers override get parameters",
        f"{ITEMS_PATH}&order=order_index.asc&limit=3",
        indexes(1, 2),
        headers={"Range-Unit": "items", "Range": "0-1"},
        expect_headers={"Content-Range": "0-1/*"},
    ),
    get(
        "RangeSpec: limit and offset works on first level",
        f"{ITEMS_PATH}&order=order_index.asc&limit=3&offset=2",
        indexes(3, 4, 5),
        expect_headers={"Content-Range": "2-4/*"},
    ),
    Case(
        "RangeSpec: limit and offset works on first level",
        "HEAD",
        f"{ITEMS_PATH}&order=order_index.asc&limit=3&offset=2",
        200,
        expect_headers={"Content-Range": "2-4/*", "Content-Type": JSON_TYPE},
        variant="HEAD",
    ),
    get(
        "RangeSpec: no items",
        f"{ITEMS_PATH}&offset=0&order_index=eq.0",
        [],
        expect_headers=EMPTY_JSON,
        variant="offset=0",
    ),
    get(
        "RangeSpec: no items",
        f"{ITEMS_PATH}&offset=0&order_index=eq.0",
        [],
        headers={"Prefer": "count=exact"},
        expect_headers={"Content-Range": "*/0"},
        variant="offset=0 with count",
    ),
    get(
        "RangeSpec: succeeds if offset is negative as a no-op",
        f"{ITEMS_PATH}&offset=-4&order=order_index",
        indexes(1, 2, 3, 4, 5, 6),
        expect_headers={"Content-Range": "0-5/*"},
    ),
    get(
        "RangeSpec: succeeds and returns an empty array if limit equals 0",
        f"{ITEMS_PATH}&limit=0",
        [],
        expect_headers=EMPTY_JSON,
    ),
    get(
        "RangeSpec: fails if limit is negative",
        f"{ITEMS_PATH}&limit=-1",
        range_error("Limit should be greater than or equal to zero."),
        416,
    ),
    get(
        "RangeSpec: refuses a range with nonzero start when there are no items",
        f"{ITEMS_PATH}&order_index=eq.0&offset=1",
        range_error("An offset of 1 was requested, but there are only 0 rows."),
        416,
        headers={"Prefer": "count=exact"},
        expect_headers={"Content-Range": "*/0"},
    ),
    get(
        "RangeSpec: refuses a range requesting start past last item",
        f"{ITEMS_PATH}&offset=100",
        range_error("An offset of 100 was requested, but there are only 6 rows."),
        416,
        headers={"Prefer": "count=exact"},
        expect_headers={"Content-Range": "*/6"},
    ),
    Case(
        "RangeSpec: ignores limit/offset on the planned count",
        "HEAD",
        f"{ITEMS_PATH}&limit=2&offset=3",
        206,
        headers={"Prefer": "count=planned"},
        expect_headers={"Content-Range": "3-4/6", "Content-Type": JSON_TYPE},
    ),
    Case(
        "RangeSpec: obtains the full range",
        "HEAD",
        ITEMS_PATH,
        200,
        headers={"Prefer": "count=planned"},
        expect_headers={"Content-Range": "0-5/6", "Content-Type": JSON_TYPE},
    ),
    get(
        "RangeSpec: succeeds with partial content",
        f"{ITEMS_PATH}&order=order_index",
        indexes(1, 2),
        headers={"Range-Unit": "items", "Range": "0-1"},
        expect_headers={"Content-Range": "0-1/*"},
    ),
    get(
        "RangeSpec: understands open-ended ranges",
        ITEMS_PATH,
        indexes(1, 2, 3, 4, 5, 6),
        headers={"Range-Unit": "items", "Range": "0-"},
    ),
    get(
        "RangeSpec: returns an empty body when there are no results",
        f"{ITEMS_PATH}&order_index=eq.0",
        [],
        headers={"Range-Unit": "items", "Range": "0-1"},
        expect_headers=EMPTY_JSON,
    ),
    get(
        "RangeSpec: allows one-item requests",
        ITEMS_PATH,
        indexes(1),
        headers={"Range-Unit": "items", "Range": "0-0"},
        expect_headers={"Content-Range": "0-0/*"},
    ),
    get(
        "RangeSpec: handles ranges beyond collection length via truncation",
        ITEMS_PATH,
        indexes(4, 5, 6),
        headers={"Range-Unit": "items", "Range": "3-100"},
        expect_headers={"Content-Range": "3-5/*"},
    ),
    get(
        "RangeSpec: fails with 416 for offside range",
        ITEMS_PATH,
        range_error("The lower boundary must be lower than or equal to the upper boundary in the Range header."),
        416,
        headers={"Range-Unit": "items", "Range": "1-0"},
    ),
    get(
        "RangeSpec: refuses a range requesting start past last item",
        ITEMS_PATH,
        range_error("An offset of 100 was requested, but there are only 6 rows."),
        416,
        headers={"Range-Unit": "items", "Range": "100-199", "Prefer": "count=exact"},
        expect_headers={"Content-Range": "*/6"},
        variant="Range header",
    ),
]

SINGLE = {"Accept": SINGULAR}
SINGLE_REPRESENTATION = {"Accept": SINGULAR, "Prefer": "return=representation"}
ITEMS_UNCHANGED = (
    f"{ITEMS_PATH}&select=order_index,prompt_text",
    [{"order_index": index, "prompt_text": f"item {index}"} for index in range(1, 7)],
)

SINGULAR_CASES = [
    get(
        "SingularSpec: fails for zero rows",
        f"{ITEMS_PATH}&order_index=gt.0&order_index=lt.0",
        singular_error(0),
        406,
        headers=SINGLE,
    ),
    get(
        "SingularSpec: will select an existing object",
        f"{ITEMS_PATH}&order_index=eq.5",
        {"order_index": 5},
        headers=SINGLE,
        expect_headers={"Content-Type": SINGULAR_TYPE},
    ),
    get(
        "SingularSpec: will select an existing object",
        f"{ITEMS_PATH}&order_index=eq.5",
        {"order_index": 5},
        headers={"Accept": "application/vnd.pgrst.object"},
        expect_headers={"Content-Type": SINGULAR_TYPE},
        variant="without +json",
    ),
    get(
        "SingularSpec: can combine multiple prefer values",
        f"{ITEMS_PATH}&order_index=eq.5",
        {"order_index": 5},
        headers={"Accept": SINGULAR, "Prefer": "count=none"},
        expect_headers={"Content-Type": SINGULAR_TYPE},
    ),
    get(
        "SingularSpec: can shape plurality singular object routes",
        f"screenplays?id=eq.{PLAY}&select=title,screenplay_sections(heading)",
        {
            "title": "Night Shift",
            "screenplay_sections": [{"heading": "INT. DINER - NIGHT"}, {"heading": "EXT. STREET - DAY"}],
        },
        headers=SINGLE,
        expect_headers={"Content-Type": SINGULAR_TYPE},
    ),
    Case(
        "SingularSpec: works for one row with return=rep",
        "PATCH",
        f"scene_drafts?id=eq.{ITEM_1}&select=order_index,prompt_text",
        200,
        {"order_index": 1, "prompt_text": "B Street"},
        headers=SINGLE_REPRESENTATION,
        payload={"prompt_text": "B Street"},
        expect_headers={"Content-Type": SINGULAR_TYPE},
        variant="PATCH",
    ),
    Case(
        "SingularSpec: works for one row with return=minimal",
        "PATCH",
        f"scene_drafts?id=eq.{ITEM_1}",
        204,
        headers={"Accept": SINGULAR, "Prefer": "return=minimal"},
        payload={"prompt_text": "C Street"},
        expect_headers={"Content-Type": ABSENT, "Preference-Applied": "return=minimal"},
        then=(f"scene_drafts?id=eq.{ITEM_1}&select=prompt_text", prompts("C Street")),
        variant="PATCH",
    ),
    Case(
        "SingularSpec: raises an error for multiple rows",
        "PATCH",
        "scene_drafts?project_id=eq.items",
        406,
        singular_error(6),
        headers=SINGLE,
        payload={"prompt_text": "zzz"},
        expect_headers={"Content-Type": JSON_TYPE},
        then=ITEMS_UNCHANGED,
    ),
    Case(
        "SingularSpec: raises an error for multiple rows with return=rep",
        "PATCH",
        "scene_drafts?project_id=eq.items",
        406,
        singular_error(6),
        headers=SINGLE_REPRESENTATION,
        payload={"prompt_text": "zzz"},
        then=ITEMS_UNCHANGED,
    ),
    Case(
        "SingularSpec: raises an error for zero rows",
        "PATCH",
        f"{ITEMS_PATH}&order_index=gt.0&order_index=lt.0",
        406,
        singular_error(0),
        headers=SINGLE,
        payload={"prompt_text": "zzz"},
        variant="PATCH",
    ),
    Case(
        "SingularSpec: works for one row with return=rep",
        "POST",
        "scene_drafts?select=project_id,prompt_text",
        201,
        {"project_id": "new", "prompt_text": "a new scene"},
        headers=SINGLE_REPRESENTATION,
        payload=[NEW_DRAFT],
        expect_headers={"Content-Type": SINGULAR_TYPE},
        variant="POST",
    ),
    Case(
        "SingularSpec: works for one row with return=minimal",
        "POST",
        "scene_drafts",
        201,
        headers={"Accept": SINGULAR, "Prefer": "return=minimal"},
        payload=[NEW_DRAFT],
        expect_headers={"Content-Type": ABSENT, "Content-Range": "*/*", "Preference-Applied": "return=minimal"},
        variant="POST",
    ),
    Case(
        "SingularSpec: raises an error when attempting to create multiple entities",
        "POST",
        "scene_drafts",
        406,
        singular_error(2),
        headers=SINGLE,
        payload=[NEW_DRAFT, {**NEW_DRAFT, "order_index": 8}],
        then=("scene_drafts?project_id=eq.new", []),
    ),
    Case(
        "SingularSpec: raises an error when attempting to create multiple entities with return=rep",
        "POST",
        "scene_drafts",
        406,
        singular_error(2),
        headers=SINGLE_REPRESENTATION,
        payload=[NEW_DRAFT, {**NEW_DRAFT, "order_index": 8}],
        then=("scene_drafts?project_id=eq.new", []),
    ),
    Case(
        "SingularSpec: raises an error when creating zero entities",
        "POST",
        "scene_drafts",
        406,
        singular_error(0),
        headers=SINGLE,
        payload=[],
    ),
    Case(
        "SingularSpec: works for one row with return=rep",
        "DELETE",
        f"scene_drafts?id=eq.{ITEM_1}&select=order_index",
        200,
        {"order_index": 1},
        headers=SINGLE_REPRESENTATION,
        variant="DELETE",
    ),
    Case(
        "SingularSpec: raises an error when attempting to delete multiple entities",
        "DELETE",
        f"{ITEMS_PATH}&order_index=gt.0&order_index=lt.6",
        406,
        singular_error(5),
        headers=SINGLE,
        then=ITEMS_UNCHANGED,
    ),
    Case(
        "SingularSpec: raises an error when deleting zero entities",
        "DELETE",
        f"{ITEMS_PATH}&order_index=lt.0",
        406,
        singular_error(0),
        headers=SINGLE,
        expect_headers={"Content-Type": JSON_TYPE},
    ),
]

SECTION = {"heading": "INT. ROOF - DAWN", "content": "Sunrise.", "order_index": 5}
INSERT_CASES = [
    Case(
        "InsertSpec: filters columns in result using &select",
        "POST",
        "scene_drafts?select=order_index,prompt_text",
        201,
        [{"order_index": 7, "prompt_text": "a new scene"}],
        headers=REPRESENTATION,
        payload=[NEW_DRAFT],
        expect_headers={"Content-Type": JSON_TYPE, "Preference-Applied": "return=representation"},
    ),
    Case(
        "InsertSpec: ignores &select when return not set or using return=minimal",
        "POST",
        "scene_drafts?select=order_index",
        201,
        payload=[NEW_DRAFT],
        expect_headers={"Content-Type": ABSENT},
        then=("scene_drafts?project_id=eq.new&select=order_index", indexes(7)),
    ),
    Case(
        "InsertSpec: ignores &select when return not set or using return=minimal",
        "POST",
        "scene_drafts?select=order_index",
        201,
        headers={"Prefer": "return=minimal"},
        payload=[NEW_DRAFT],
        expect_headers={"Content-Type": ABSENT, "Preference-Applied": "return=minimal"},
        variant="return=minimal",
    ),
    Case(
        "InsertSpec: rejects json array that isn't exclusivily composed of objects",
        "POST",
        "scene_drafts",
        400,
        exact_error("PGRST102", "All object keys must match"),
        payload=[NEW_DRAFT, 123, "xxxx", NEW_DRAFT],
        expect_headers={"Content-Type": JSON_TYPE},
    ),
    Case(
        "InsertSpec: rejects json array that has objects with different keys",
        "POST",
        "scene_drafts",
        400,
        exact_error("PGRST102", "All object keys must match"),
        payload=[NEW_DRAFT, {**NEW_DRAFT, "scene_type": "INT"}],
        then=("scene_drafts?project_id=eq.new", []),
    ),
    Case(
        "InsertSpec: includes related data after insert",
        "POST",
        "screenplay_sections?select=heading,screenplays(title)",
        201,
        [{"heading": "INT. ROOF - DAWN", "screenplays": {"title": "Night Shift"}}],
        headers={"Prefer": "return=representation, count=exact"},
        payload={**SECTION, "screenplay_id": str(PLAY)},
        expect_headers={
            "Content-Range": "*/1",
            "Preference-Applied": "return=representation, count=exact",
            "Location": ABSENT,
        },
    ),
    Case(
        "InsertSpec: fails with 400 and error",
        "POST",
        "scene_drafts",
        400,
        exact_error("PGRST102", "Empty or invalid json"),
        payload="}{ x = 2",
        variant="invalid json",
    ),
    Case(
        "InsertSpec: fails with 400 and error",
        "POST",
        "scene_drafts",
        400,
        exact_error("PGRST102", "Empty or invalid json"),
        payload="",
        variant="no payload",
    ),
    Case(
        "InsertSpec: fails with 400 and error",
        "POST",
        "scene_drafts",
        400,
        error("23502"),
        payload={"project_id": "new", "order_index": 7, "duration": 2.5},
        variant="a required column missing",
    ),
    Case(
        "InsertSpec: succeeds and returns 201 created",
        "POST",
        "scene_drafts",
        201,
        payload=NEW_DRAFT,
        expect_headers={"Content-Type": ABSENT},
        then=("scene_drafts?project_id=eq.new&select=prompt_text", prompts("a new scene")),
    ),
    Case(
        "InsertSpec: fails returning a 409 Conflict",
        "POST",
        "scene_drafts",
        409,
        exact_error(
            "23505",
            'duplicate key value violates unique constraint "scene_drafts_pkey"',
            f"Key (id)=({ITEM_1}) already exists.",
        ),
        payload={**NEW_DRAFT, "id": str(ITEM_1)},
        variant="same primary key",
    ),
    Case(
        "InsertSpec: fails returning a 409 Conflict",
        "POST",
        "credits_ledger",
        409,
        error("23505"),
        payload={"user_key": "bob-granted"},
        variant="conflicting unique constraint",
    ),
    Case(
        "InsertSpec: fails returning a 409 Conflict",
        "POST",
        "scene_drafts",
        409,
        error("23505"),
        payload={**NEW_DRAFT, "id": str(BOB_ITEM_1)},
        variant="the primary key of another user's row",
    ),
    Case(
        "InsertSpec: serializes nested array",
        "POST",
        "continuity_logs?select=issues",
        201,
        [{"issues": ["a", "b"]}],
        headers=REPRESENTATION,
        payload={"scene_id": 9, "confidence": 0.5, "passed": False, "issues": ["a", "b"]},
    ),
    Case(
        "InsertSpec: ignores it and successfuly inserts with json payload",
        "POST",
        "continuity_logs?select=scene_id",
        201,
        [{"scene_id": 9}],
        headers=REPRESENTATION,
        payload='\t \n \r { "scene_id": 9, "confidence": 0.5, "passed": true, "issues": [] }\t \n \r ',
    ),
    Case(
        "InsertSpec: ignores json keys not included in ?columns",
        "POST",
        "scene_drafts?columns=project_id,order_index,prompt_text,duration&select=project_id,order_index",
        201,
        [{"project_id": "new", "order_index": 7}, {"project_id": "new", "order_index": 8}],
        headers=REPRESENTATION,
        payload=[{**NEW_DRAFT, "smth": "here", "fake_id": 13}, {**NEW_DRAFT, "order_index": 8, "garbage": "%%$&"}],
    ),
    Case(
        "InsertSpec: disallows blank ?columns",
        "POST",
        "scene_drafts?columns=",
        400,
        error("PGRST100"),
        payload=[NEW_DRAFT],
    ),
    Case(
        "InsertSpec: disallows ?columns which don't exist",
        "POST",
        "scene_drafts?columns=helicopter",
        400,
        exact_error("PGRST204", "Could not find the 'helicopter' column of 'scene_drafts' in the schema cache"),
        payload=[NEW_DRAFT],
    ),
    Case(
        "InsertSpec: returns missing table error even if also has invalid ?columns",
        "POST",
        "garlic?columns=helicopter",
        404,
        exact_error("PGRST205", "Could not find the table 'public.garlic' in the schema cache"),
        payload=[NEW_DRAFT],
    ),
    Case(
        "InsertSpec: disallows array elements that are not json objects",
        "POST",
        "scene_drafts?columns=project_id",
        400,
        error("PGRST102"),
        payload=[NEW_DRAFT, 333, "asdf"],
    ),
    Case(
        "InsertSpec: inserts table default values(field-with_sep) when json keys are undefined",
        "POST",
        "scene_drafts?columns=project_id,order_index,prompt_text,duration,shot_type&select=order_index,shot_type",
        201,
        [{"order_index": 7, "shot_type": None}, {"order_index": 8, "shot_type": "wide"}],
        headers={"Prefer": "return=representation, missing=default"},
        payload=[NEW_DRAFT, {**NEW_DRAFT, "order_index": 8, "shot_type": "wide"}],
        expect_headers={"Preference-Applied": "missing=default, return=representation"},
    ),
    Case(
        "InsertSpec: set user_id when inserting rows",
        "POST",
        "continuity_logs?select=scene_id",
        201,
        [{"scene_id": 9}],
        headers=REPRESENTATION,
        payload={"scene_id": 9, "confidence": 0.5, "passed": True, "issues": []},
        then=("continuity_logs?scene_id=eq.9&select=scene_id", [{"scene_id": 9}]),
    ),
    Case(
        "InsertSpec: fails inserting if more columns are selected",
        "POST",
        "credits_ledger",
        403,
        exact_error("42501", "permission denied for column credits of relation credits_ledger"),
        payload={"user_key": "alice-new", "credits": 1000},
        variant="a column the role may not write",
    ),
]

TELEMETRY_PATH = "continuity_telemetry?select=element,attempts,successes,rate"
MERGE = {"Prefer": "return=representation, resolution=merge-duplicates"}
IGNORE = {"Prefer": "return=representation, resolution=ignore-duplicates"}
UPSERT_CASES = [
    Case(
        "UpsertSpec: INSERTs and UPDATEs rows on pk conflict",
        "POST",
        TELEMETRY_PATH,
        201,
        [
            {"element": "lamp", "attempts": 1, "successes": 1, "rate": 1.0},
            {"element": "Maya", "attempts": 4, "successes": 1, "rate": 0.25},
        ],
        headers=MERGE,
        payload=[
            {"element": "lamp", "attempts": 1, "successes": 1},
            {"element": "Maya", "attempts": 4, "successes": 1},
        ],
        expect_headers={
            "Preference-Applied": "resolution=merge-duplicates, return=representation",
            "Content-Type": JSON_TYPE,
        },
    ),
    Case(
        "UpsertSpec: UPDATEs rows on pk conflict",
        "POST",
        TELEMETRY_PATH,
        200,
        [
            {"element": "envelope", "attempts": 8, "successes": 6, "rate": 0.75},
            {"element": "Maya", "attempts": 4, "successes": 1, "rate": 0.25},
        ],
        headers=MERGE,
        payload=[
            {"element": "envelope", "attempts": 8, "successes": 6},
            {"element": "Maya", "attempts": 4, "successes": 1},
        ],
        expect_headers={"Preference-Applied": "resolution=merge-duplicates, return=representation"},
    ),
    Case(
        "UpsertSpec: succeeds when the payload has no elements",
        "POST",
        TELEMETRY_PATH,
        200,
        [],
        headers=MERGE,
        payload=[],
    ),
    Case(
        "UpsertSpec: INSERTs and UPDATEs rows on compound unique keys conflict",
        "POST",
        f"{TELEMETRY_PATH}&on_conflict=user_id,element",
        201,
        [
            {"element": "lamp", "attempts": 1, "successes": 1, "rate": 1.0},
            {"element": "Maya", "attempts": 4, "successes": 1, "rate": 0.25},
        ],
        headers=MERGE,
        payload=[
            {"user_id": ALICE, "element": "lamp", "attempts": 1, "successes": 1},
            {"user_id": ALICE, "element": "Maya", "attempts": 4, "successes": 1},
        ],
    ),
    Case(
        "UpsertSpec: INSERTs and UPDATEs rows on single unique key conflict",
        "POST",
        "scene_drafts?on_conflict=id&select=order_index,prompt_text",
        201,
        [{"order_index": 1, "prompt_text": "B"}, {"order_index": 7, "prompt_text": "C"}],
        headers=MERGE,
        payload=[
            {**NEW_DRAFT, "id": str(ITEM_1), "order_index": 1, "prompt_text": "B"},
            {**NEW_DRAFT, "id": str(row_id("alice", "new")), "prompt_text": "C"},
        ],
    ),
    Case(
        "UpsertSpec: INSERTs and UPDATEs rows on single unique key conflict",
        "POST",
        "scene_drafts?on_conflict=id",
        403,
        exact_error("42501", 'new row violates row-level security policy for table "scene_drafts"'),
        headers=MERGE,
        payload=[{**NEW_DRAFT, "id": str(BOB_ITEM_1)}],
        variant="another user's row, hidden by row-level security",
    ),
    Case(
        "UpsertSpec: INSERTs and ignores rows on pk conflict",
        "POST",
        TELEMETRY_PATH,
        201,
        [{"element": "lamp", "attempts": 1, "successes": 1, "rate": 1.0}],
        headers=IGNORE,
        payload=[
            {"element": "lamp", "attempts": 1, "successes": 1},
            {"element": "Maya", "attempts": 9, "successes": 0},
        ],
        expect_headers={"Preference-Applied": "resolution=ignore-duplicates, return=representation"},
        then=("continuity_telemetry?element=eq.Maya&select=attempts", [{"attempts": 2}]),
    ),
    Case(
        "UpsertSpec: succeeds if not a single resource is created",
        "POST",
        TELEMETRY_PATH,
        201,
        [],
        headers=IGNORE,
        payload=[{"element": "Maya", "attempts": 9, "successes": 0}],
        expect_headers={"Content-Type": JSON_TYPE},
    ),
    Case(
        "UpsertSpec: fails if limit is specified",
        "PUT",
        "continuity_telemetry?element=eq.Maya&limit=1",
        400,
        exact_error("PGRST114", "limit/offset querystring parameters are not allowed for PUT"),
        payload=[{"element": "Maya", "attempts": 1, "successes": 1}],
    ),
]

DELETE_PATH = f"scene_drafts?id=eq.{ITEM_2}"
DELETE_CASES = [
    Case(
        "DeleteSpec: succeeds with 204 and deletion count",
        "DELETE",
        DELETE_PATH,
        204,
        expect_headers={"Content-Type": ABSENT, "Content-Range": "*/*"},
        then=(f"{DELETE_PATH}&select=order_index", []),
    ),
    Case(
        "DeleteSpec: returns the deleted item and count if requested",
        "DELETE",
        f"{DELETE_PATH}&select=order_index",
        200,
        indexes(2),
        headers={"Prefer": "return=representation, count=exact"},
        expect_headers={"Content-Range": "*/1", "Preference-Applied": "return=representation, count=exact"},
    ),
    Case(
        "DeleteSpec: ignores ?select= when return not set or return=minimal",
        "DELETE",
        f"{DELETE_PATH}&select=order_index",
        204,
        expect_headers={"Content-Type": ABSENT, "Content-Range": "*/*"},
    ),
    Case(
        "DeleteSpec: ignores ?select= when return not set or return=minimal",
        "DELETE",
        f"{DELETE_PATH}&select=order_index",
        204,
        headers={"Prefer": "return=minimal"},
        expect_headers={"Content-Type": ABSENT, "Content-Range": "*/*", "Preference-Applied": "return=minimal"},
        variant="return=minimal",
    ),
    Case(
        "DeleteSpec: returns the deleted item and shapes the response",
        "DELETE",
        f"{DELETE_PATH}&select=order_index,prompt_text",
        200,
        [{"order_index": 2, "prompt_text": "item 2"}],
        headers=REPRESENTATION,
        expect_headers={"Content-Range": "*/*"},
    ),
    Case(
        "DeleteSpec: can rename and cast the selected columns",
        "DELETE",
        f"{DELETE_PATH}&select=idx:order_index,text:prompt_text",
        200,
        [{"idx": 2, "text": "item 2"}],
        headers=REPRESENTATION,
        variant="rename",
    ),
    Case(
        "DeleteSpec: can embed (parent) entities",
        "DELETE",
        f"screenplay_sections?screenplay_id=eq.{PLAY}&order_index=eq.1&select=heading,play:screenplays(title)",
        200,
        [{"heading": "EXT. STREET - DAY", "play": {"title": "Night Shift"}}],
        headers=REPRESENTATION,
        expect_headers={"Content-Range": "*/*"},
    ),
    Case(
        "DeleteSpec: includes [] body if return=rep",
        "DELETE",
        f"{ITEMS_PATH}&order_index=eq.101",
        200,
        [],
        headers=REPRESENTATION,
        expect_headers={"Content-Range": "*/*"},
    ),
    Case(
        "DeleteSpec: fails with 404",
        "DELETE",
        "foozle?id=eq.101",
        404,
        exact_error("PGRST205", "Could not find the table 'public.foozle' in the schema cache"),
    ),
    Case(
        "DeleteSpec: works with request method DELETE and embedded resource",
        "DELETE",
        f"screenplays?id=in.({PLAY},{BLANK_PLAY})&select=title,screenplay_sections(heading)&order=title.desc",
        200,
        [
            {
                "title": "Night Shift",
                "screenplay_sections": [{"heading": "INT. DINER - NIGHT"}, {"heading": "EXT. STREET - DAY"}],
            },
            {"title": "Blank", "screenplay_sections": []},
        ],
        headers=REPRESENTATION,
        expect_headers={"Content-Type": JSON_TYPE, "Preference-Applied": "return=representation"},
        then=("screenplays?select=title", []),
    ),
]

CASES = QUERY_CASES + AND_OR_CASES + RANGE_CASES + SINGULAR_CASES + INSERT_CASES + UPSERT_CASES + DELETE_CASES


@dataclass(frozen=True)
class Difference:
    """Why the facade answers a case otherwise, and the answer it gives instead (as in `Case`)."""

    reason: str
    status: int
    body: Any = NO_BODY
    expect_headers: dict[str, str | None] = field(default_factory=dict)


KNOWN_DIFFERENCES: dict[str, Difference] = {
    "QuerySpec: one simple column with casting (text)": Difference(
        "casts in `select` are not supported: 400 PGRST100 (grammar.select_parse)", 400, error("PGRST100")
    ),
    "QuerySpec: should respond with CSV to 'text/csv' request": Difference(
        "only JSON is served: PostgREST's own 406 PGRST107 for a media type it does not offer",
        406,
        exact_error("PGRST107", "None of these media types are available: text/csv"),
    ),
    "AndOrParamsSpec: can handle eq and neq": Difference(
        "PostgREST's parser ignores the stray `)` after the tree; the facade refuses unbalanced parentheses",
        400,
        error("PGRST100"),
    ),
    "InsertSpec: fails returning a 409 Conflict [conflicting unique constraint]": Difference(
        "a key another user holds is the ledger service's refusal (409 P0001 user_key_taken), not the database's 23505",
        409,
        exact_error("P0001", "This user key cannot be registered.", "user_key_taken"),
    ),
    "UpsertSpec: fails if limit is specified": Difference(
        "PUT (single-row upsert) is not supported: 405 PGRST117",
        405,
        exact_error("PGRST117", "Unsupported HTTP method: PUT"),
    ),
}


# --- Running them ----------------------------------------------------------------------------------------------


def _encoded(path: str) -> str:
    """`path` as a client sends it: the query string percent-encoded but for its separators and escapes."""
    route, _, query = path.partition("?")
    return f"/rest/v1/{route}?{quote(query, safe='=&%')}" if query else f"/rest/v1/{route}"


def _with_user(payload: Any, user_id: uuid.UUID) -> Any:
    if isinstance(payload, bytes):
        return payload.replace(ALICE.encode(), str(user_id).encode())
    if isinstance(payload, list):
        return [_with_user(item, user_id) for item in payload]
    if isinstance(payload, dict):
        return {key: str(user_id) if value == ALICE else value for key, value in payload.items()}
    return payload


def send(client: Client, user, method: str, path: str, *, headers: dict | None = None, payload: Any = None):
    """One request to /rest/v1 signed in as `user` with the anon key, as supabase-swift sends it."""
    payload = _with_user(payload, user.pk)
    sent = {
        "apikey": anon_key_issue(),
        "Authorization": f"Bearer {make_supabase_token(user.pk, user.email)}",
        **(headers or {}),
    }
    if payload is None:
        data = b""
    elif isinstance(payload, bytes):
        data = payload
    elif isinstance(payload, str):
        data = payload.encode()
    else:
        data = orjson.dumps(payload)
    return client.generic(method, _encoded(path), data=data, content_type="application/json", headers=sent)


def _body(response) -> Any:
    if not response.content:
        return NO_BODY
    if response["Content-Type"].startswith("text/csv"):
        return response.content.decode()
    return orjson.loads(response.content)


def _matches(expected: Any, body: Any) -> bool:
    return expected(body) if callable(expected) else body == expected


@pytest.fixture
def seeded(alice, bob):
    seed("alice", alice.pk)
    seed("bob", bob.pk)
    return rows_of(bob.pk)


def answered(
    expected: Case | Difference, response, body: Any, *, then: tuple[str, Any] | None = None, read=None
) -> bool:
    """Whether the answer is the expected one: status, body, headers and, for a write, what a read finds after."""
    return (
        response.status_code == expected.status
        and _matches(expected.body, body)
        and all(response.headers.get(name) == value for name, value in expected.expect_headers.items())
        and (then is None or read(then[0]) == then[1])
    )


@pytest.mark.django_db
@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CASES])
def test_postgrest_case(case: Case, seeded, alice, bob) -> None:
    """The facade answers the case as PostgREST does (or as its known difference says), and bob's rows stay his."""
    response = send(Client(), alice, case.method, case.path, headers=case.headers, payload=case.payload)
    body = _body(response)
    assert response.status_code < 500, response.content
    difference = KNOWN_DIFFERENCES.get(case.id)

    def read(path: str) -> Any:
        return _body(send(Client(), alice, "GET", path))

    if difference is None:
        assert response.status_code == case.status, body
        assert _matches(case.body, body), body
        for name, value in case.expect_headers.items():
            assert response.headers.get(name) == value, (name, dict(response.headers))
        if case.then is not None:
            assert read(case.then[0]) == case.then[1]
    else:
        assert answered(difference, response, body), (response.status_code, body, dict(response.headers))
        assert not answered(case, response, body, then=case.then, read=read), "the difference is gone: drop it"
    assert rows_of(bob.pk) == seeded


def test_table_size() -> None:
    """At least 40 cases from the seven spec files, each named by file and case, no two alike."""
    files = {case.spec.partition(":")[0] for case in CASES}
    assert files == {
        "QuerySpec",
        "AndOrParamsSpec",
        "RangeSpec",
        "SingularSpec",
        "InsertSpec",
        "UpsertSpec",
        "DeleteSpec",
    }
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)
    assert set(KNOWN_DIFFERENCES) <= {case.id for case in CASES}

"""`/rest/v1`: PostgREST's reads, writes and functions over the relations the apps register.

Every request starts from the caller's rows (`Relation.rows(user_id=…)`, the app's selector) and every
write goes through the relation's services after its serializer's rules, as `/api/v1/` does. The
answers, statuses and headers are PostgREST's (`src/library/PostgREST/Response.hs`, `RangeQuery.hs`).
"""

from __future__ import annotations

import functools
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers

from directorstudio import errors as domain
from directorstudio.facade.keys import FacadeAuthError, FacadeCaller, facade_caller
from directorstudio.facade.rest import errors, grammar
from directorstudio.facade.rest.compiler import (
    Projection,
    Scope,
    condition_build,
    ordering_build,
    projection_build,
    rows_render,
    typed_value,
)
from directorstudio.facade.rest.fast import fast_read
from directorstudio.facade.rest.registry import Function, Relation, function_get, relation_get, relation_names

SCHEMA = "public"
JSON_TYPE = "application/json; charset=utf-8"
SINGULAR_TYPE = "application/vnd.pgrst.object+json; charset=utf-8"
SINGULAR_MEDIA = frozenset({"application/vnd.pgrst.object+json", "application/vnd.pgrst.object"})
ACCEPTED_MEDIA = frozenset({"", "*/*", "application/*", "application/json"}) | SINGULAR_MEDIA
WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE", "PUT"})
NEGATIVE = re.compile(r"-\d{1,18}")
# A validation error's code as the database would name the same refusal.
SQLSTATE_OF_VALIDATION = {"required": "23502", "null": "23502", "max_length": "22001", "invalid": "22P02"}


@dataclass
class RestRequest:
    """One request to a relation, parsed: the caller, the grammar's parts and the Prefer header."""

    relation: Relation
    caller: FacadeCaller
    single: bool
    preferences: grammar.Preferences
    select: tuple = ()
    filters: list = field(default_factory=list)
    order: tuple = ()
    limit: int | None = None
    offset: int = 0
    columns: tuple[str, ...] | None = None
    on_conflict: tuple[str, ...] | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.relation, self.caller.user_id)


def _json(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def _answer(status: int, body: bytes = b"", *, content_type: str | None = JSON_TYPE, **headers: str) -> HttpResponse:
    """An answer; `content_type` None for one without a body, which PostgREST sends with no Content-Type."""
    response = HttpResponse(body, status=status, content_type=content_type)
    if content_type is None:
        del response["Content-Type"]
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error_answer(error: errors.PostgrestError) -> HttpResponse:
    return _answer(error.status, _json(error.body))


def _answering_errors(view):
    """Answer the grammar's, the caller's, the services' and the database's refusals in PostgREST's body."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except errors.PostgrestError as error:
            return error_answer(error)
        except grammar.GrammarError as error:
            return error_answer(errors.grammar_error(error.message, error.details))
        except FacadeAuthError as error:
            return error_answer(errors.auth_error(error))
        except domain.DomainError as error:
            return error_answer(errors.domain_error(error))
        except DatabaseError as error:
            answer = errors.database_error(error)
            if answer is None:
                raise
            return error_answer(answer)

    return csrf_exempt(wrapped)


def _singular(request: HttpRequest) -> bool:
    """Whether the client asks for one object; 406 PGRST107 for a media type PostgREST would not answer."""
    accept = request.META.get("HTTP_ACCEPT", "")
    offered = [part.split(";")[0].strip().lower() for part in accept.split(",")] if accept else [""]
    for media in offered:
        if media in ACCEPTED_MEDIA:
            return media in SINGULAR_MEDIA
    raise errors.PostgrestError(406, "PGRST107", f"None of these media types are available: {accept}")


def _profile_check(request: HttpRequest) -> None:
    header = "HTTP_CONTENT_PROFILE" if request.method in WRITE_METHODS else "HTTP_ACCEPT_PROFILE"
    schema = request.META.get(header)
    if schema is not None and schema != SCHEMA:
        raise errors.PostgrestError(
            406, "PGRST106", f"Invalid schema: {schema}", hint=f"Only the following schemas are exposed: {SCHEMA}"
        )


@functools.lru_cache(maxsize=512)
def _select(text: str) -> tuple:
    return grammar.select_parse(text)


@functools.lru_cache(maxsize=512)
def _order(text: str) -> tuple:
    return grammar.order_parse(text)


def _parse(request: HttpRequest, relation: Relation, caller: FacadeCaller) -> RestRequest:
    parsed = RestRequest(
        relation=relation,
        caller=caller,
        single=_singular(request),
        preferences=grammar.preferences_parse([request.META.get("HTTP_PREFER", "")]),
    )
    for name, values in request.GET.lists():
        for value in values:
            if name == "select":
                parsed.select = _select(value)
            elif name == "order":
                parsed.order = _order(value)
            elif name == "limit":
                if NEGATIVE.fullmatch(value):
                    raise errors.PostgrestError(
                        416,
                        "PGRST103",
                        "Requested range not satisfiable",
                        "Limit should be greater than or equal to zero.",
                    )
                parsed.limit = grammar.non_negative("limit", value)
            elif name == "offset":
                # PostgREST takes a negative offset as none at all.
                parsed.offset = 0 if NEGATIVE.fullmatch(value) else grammar.non_negative("offset", value)
            elif name == "columns":
                parsed.columns = grammar.columns_parse(value)
            elif name == "on_conflict":
                parsed.on_conflict = grammar.columns_parse(value)
            elif name in grammar.LOGIC:
                parsed.filters.append(grammar.logic_parse(name, value))
            elif name == "apikey":
                continue
            elif "." in name:
                raise grammar.GrammarError(
                    "failed to parse filter",
                    f'"{name}": filters, orders and limits on embedded resources are not supported',
                )
            else:
                parsed.filters.append(grammar.filter_parse(name, value))
    if parsed.preferences.handling == "strict" and parsed.preferences.unknown:
        raise errors.PostgrestError(
            400,
            "PGRST122",
            "Invalid preferences given with handling=strict",
            f"Invalid preferences: {', '.join(parsed.preferences.unknown)}",
        )
    return parsed


def _filtered(parsed: RestRequest):
    queryset = parsed.relation.rows(user_id=parsed.caller.user_id)
    conditions = [condition_build(parsed.scope, node) for node in parsed.filters]
    return queryset.filter(*conditions) if conditions else queryset


def _page(request: HttpRequest, parsed: RestRequest) -> tuple[int, int | None]:
    """The offset and limit: `offset`/`limit` intersected with the `Range` header, at most FACADE_MAX_ROWS rows."""
    lower, upper = parsed.offset, None if parsed.limit is None else parsed.offset + parsed.limit - 1
    header = (
        grammar.range_header_parse(request.META.get("HTTP_RANGE", "")) if request.method in {"GET", "HEAD"} else None
    )
    if header is not None:
        first, last = header
        if last is not None and first > last:
            raise errors.PostgrestError(
                416,
                "PGRST103",
                "Requested range not satisfiable",
                "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
            )
        lower = max(lower, first)
        upper = last if upper is None else (upper if last is None else min(upper, last))
    limit = None if upper is None else max(upper - lower + 1, 0)
    maximum = settings.FACADE_MAX_ROWS
    return lower, maximum if limit is None else min(limit, maximum)


def _content_range(lower: int, upper: int, total: int | None) -> str:
    shown = f"{lower}-{upper}" if total != 0 and lower <= upper else "*"
    return f"{shown}/{'*' if total is None else total}"


def _rows_answer(
    parsed: RestRequest, rows: list[dict], status: int, *, head: bool = False, **headers: str
) -> HttpResponse:
    """The rows (or the one object under the singular Accept) as the body."""
    if parsed.single:
        if len(rows) != 1:
            raise errors.singular_error(len(rows))
        return _answer(status, b"" if head else _json(rows[0]), content_type=SINGULAR_TYPE, **headers)
    return _answer(status, b"" if head else _json(rows), **headers)


def _read(request: HttpRequest, parsed: RestRequest) -> HttpResponse:
    offset, limit = _page(request, parsed)
    head = request.method == "HEAD"
    total = None
    rows = None
    if not parsed.preferences.count:
        rows = fast_read(parsed, offset=offset, limit=limit)
    if rows is None:
        projection = projection_build(parsed.relation, parsed.select)
        queryset = _filtered(parsed)
        if parsed.order:
            queryset = queryset.order_by(*ordering_build(parsed.scope, parsed.order))
        # A query the database refuses (a pattern on a uuid, a bad text search) must not spoil a caller's transaction.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            if parsed.preferences.count:
                total = queryset.count()
            found = list(queryset[offset : offset + limit].values(*projection.fetch)) if limit else []
            rows = rows_render(projection, found, parsed.caller.user_id)
    upper = offset + len(rows) - 1
    status = 200
    if total is not None and offset > total:
        error = errors.PostgrestError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            f"An offset of {offset} was requested, but there are only {total} rows.",
        )
        response = error_answer(error)
        response["Content-Range"] = _content_range(offset, upper, total)
        return response
    if total is not None and len(rows) < total:
        status = 206
    headers = {"Content_Range": _content_range(offset, upper, total)}
    if parsed.preferences.count:
        headers["Preference_Applied"] = f"count={parsed.preferences.count}"
    return _rows_answer(parsed, rows, status, head=head, **headers)


# --- Writes --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SerializerRequest:
    """What the apps' serializers read of a request: the signed-in user (their own rows' fields need it)."""

    user: Any


def _validation_error(error: serializers.ValidationError) -> errors.PostgrestError:
    detail = error.detail if isinstance(error.detail, dict) else {"non_field_errors": error.detail}
    codes = error.get_codes()
    first = next(iter(codes.values()), ["invalid"]) if isinstance(codes, dict) else codes
    first_code = first[0] if isinstance(first, list) and first and isinstance(first[0], str) else "invalid"
    messages = {
        name: [str(message) for message in (value if isinstance(value, list) else [value])]
        for name, value in detail.items()
    }
    text = "; ".join(f"{name}: {' '.join(texts)}" for name, texts in messages.items())
    return errors.PostgrestError(400, SQLSTATE_OF_VALIDATION.get(first_code, "23514"), text, details=messages)


def _validated(serializer_class: type, caller: FacadeCaller, data: dict, instance: Any = None) -> dict:
    serializer = serializer_class(
        instance=instance, data=data, partial=instance is not None, context={"request": _SerializerRequest(caller.user)}
    )
    try:
        serializer.is_valid(raise_exception=True)
    except serializers.ValidationError as error:
        raise _validation_error(error) from None
    return dict(serializer.validated_data)


def _body(request: HttpRequest, *, empty: Any = None) -> Any:
    """The JSON body; an empty one is `empty` when given (a function's arguments), else PGRST102 as invalid JSON."""
    if not request.body and empty is not None:
        return empty
    try:
        return orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise errors.PostgrestError(400, "PGRST102", "Empty or invalid json") from None


def _write_values(parsed: RestRequest, item: Any) -> dict[str, Any]:
    """A body object's values for the relation's columns: PGRST204 for an unknown one, 42501 for the server's."""
    if not isinstance(item, dict):
        raise errors.PostgrestError(400, "PGRST102", "All object keys must match")
    relation = parsed.relation
    if parsed.columns is not None:
        item = {name: item[name] for name in parsed.columns if name in item}
    for name in parsed.columns or item:
        if name not in relation.columns:
            raise errors.PostgrestError(
                400, "PGRST204", f"Could not find the '{name}' column of '{relation.name}' in the schema cache"
            )
    if protected := relation.protected & set(item):
        raise errors.PostgrestError(
            403, "42501", f"permission denied for column {sorted(protected)[0]} of relation {relation.name}"
        )
    owner = item.get("user_id")
    if owner is not None and str(owner) != str(parsed.caller.user_id):
        raise errors.row_security_violation(relation.name)
    return item


def _require(parsed: RestRequest, operation: Any) -> None:
    if operation is None or parsed.relation.serializer is None:
        raise errors.permission_denied(relation=parsed.relation.name, signed_in=True)


def _conflict_target(parsed: RestRequest) -> tuple[str, ...]:
    relation = parsed.relation
    target = parsed.on_conflict or relation.conflict_keys[0]
    if tuple(target) not in relation.conflict_keys:
        raise errors.PostgrestError(
            400, "42P10", "there is no unique or exclusion constraint matching the ON CONFLICT specification"
        )
    return tuple(target)


def _key_condition(parsed: RestRequest, target: tuple[str, ...], values: dict) -> Q | None:
    """The rows holding the body's values of the conflict columns, or None when the body lacks one."""
    values = {"user_id": parsed.caller.user_id, **{name: value for name, value in values.items() if value is not None}}
    if any(name not in values for name in target):
        return None
    condition = Q()
    for name in target:
        model_field = parsed.scope.column(name)
        value = values[name]
        condition &= Q(
            Exact(F(model_field.attname), typed_value(model_field, value) if isinstance(value, str) else value)
        )
    return condition


def _representation(parsed: RestRequest, keys: list) -> list[dict]:
    """The written rows as a read of them answers them (the `select` applied), in the order written."""
    if not keys:
        return []
    projection = projection_build(parsed.relation, parsed.select)
    pk_names = [model_field.attname for model_field in parsed.relation.model._meta.pk_fields]
    fetch = tuple(dict.fromkeys([*projection.fetch, *pk_names]))
    found = list(parsed.relation.rows(user_id=parsed.caller.user_id).filter(pk__in=keys).values(*fetch))
    by_key = {tuple(row[name] for name in pk_names): row for row in found}
    ordered = [
        by_key[key if isinstance(key, tuple) else (key,)]
        for key in keys
        if (key if isinstance(key, tuple) else (key,)) in by_key
    ]
    return rows_render(
        Projection(projection.pairs, fetch, projection.naive, projection.embeds), ordered, parsed.caller.user_id
    )


def _insert(request: HttpRequest, parsed: RestRequest) -> HttpResponse:
    relation = parsed.relation
    _require(parsed, relation.create)
    body = _body(request)
    items = body if isinstance(body, list) else [body]
    if items and not all(isinstance(item, dict) for item in items):
        raise errors.PostgrestError(400, "PGRST102", "All object keys must match")
    if parsed.columns is None and len({frozenset(item) for item in items}) > 1:
        raise errors.PostgrestError(400, "PGRST102", "All object keys must match")
    resolution = parsed.preferences.resolution
    target = _conflict_target(parsed) if resolution else None
    request.user = parsed.caller.user  # what a DRF throttle reads
    if relation.create_throttle is not None and not relation.create_throttle().allow_request(request, None):
        raise errors.PostgrestError(429, "PGRST429", "Too many clip submissions; try again shortly.")
    written, inserted = [], 0
    with transaction.atomic():
        for item in items:
            values = _write_values(parsed, item)
            existing = None
            if target is not None:
                condition = _key_condition(parsed, target, values)
                if condition is not None:
                    existing = parsed.relation.rows(user_id=parsed.caller.user_id).filter(condition).first()
                    if existing is None and relation.model._default_manager.filter(condition).exists():
                        if resolution == "ignore-duplicates":
                            continue
                        raise errors.row_security_violation(relation.name)
            if existing is not None:
                if resolution == "ignore-duplicates":
                    continue
                _require(parsed, relation.update)
                validated = _validated(relation.serializer, parsed.caller, values, existing)
                row = relation.update(user_id=parsed.caller.user_id, row=existing, values=validated)
            else:
                validated = _validated(relation.serializer, parsed.caller, values)
                row, created = relation.create(user_id=parsed.caller.user_id, values=validated)
                if not created:
                    raise errors.PostgrestError(
                        409,
                        "23505",
                        f'duplicate key value violates unique constraint "{relation.name}_pkey"',
                        details=f"Key (id)=({row.pk}) already exists.",
                    )
                inserted += 1
            written.append(row.pk)
        if parsed.single and len(written) != 1:
            raise errors.singular_error(len(written))  # raised in the transaction: nothing is kept
    status = 200 if resolution == "merge-duplicates" and inserted == 0 else 201
    return _write_answer(
        parsed, written, status, content_range=_content_range(1, 0, len(written) if parsed.preferences.count else None)
    )


def _targets(parsed: RestRequest) -> list:
    queryset = _filtered(parsed)
    if parsed.order:
        queryset = queryset.order_by(*ordering_build(parsed.scope, parsed.order))
    maximum = settings.FACADE_MAX_ROWS
    targets = list(queryset[: maximum + 1] if parsed.limit is None else queryset[: min(parsed.limit, maximum + 1)])
    if parsed.single and len(targets) != 1:
        raise errors.singular_error(len(targets))
    if len(targets) > maximum:
        raise errors.PostgrestError(
            400,
            "PGRST124",
            "Query result exceeds max-affected preference constraint",
            f"The query affects more than {maximum} rows (FACADE_MAX_ROWS); narrow its filters.",
        )
    return targets


def _update(request: HttpRequest, parsed: RestRequest) -> HttpResponse:
    relation = parsed.relation
    _require(parsed, relation.update)
    body = _body(request)
    if not isinstance(body, dict):
        raise errors.PostgrestError(400, "PGRST102", "Empty or invalid json", details="A PATCH takes one object")
    values = _write_values(parsed, body)
    written = []
    with transaction.atomic():
        for row in _targets(parsed):
            validated = _validated(relation.serializer, parsed.caller, values, row)
            written.append(relation.update(user_id=parsed.caller.user_id, row=row, values=validated).pk)
    count = len(written) if parsed.preferences.count else None
    return _write_answer(
        parsed, written, 200, content_range=_content_range(0, len(written) - 1, count), representation_status=200
    )


def _delete(request: HttpRequest, parsed: RestRequest) -> HttpResponse:
    relation = parsed.relation
    _require(parsed, relation.delete)
    with transaction.atomic():
        targets = _targets(parsed)
        rows = (
            _representation(parsed, [row.pk for row in targets])
            if parsed.preferences.return_ == "representation"
            else []
        )
        for row in targets:
            relation.delete(user_id=parsed.caller.user_id, row=row)
    content_range = _content_range(1, 0, len(targets) if parsed.preferences.count else None)
    if parsed.preferences.return_ == "representation":
        return _rows_answer(parsed, rows, 200, Content_Range=content_range, **_applied(parsed))
    return _answer(204, content_type=None, Content_Range=content_range, **_applied(parsed))


def _applied(parsed: RestRequest) -> dict[str, str]:
    applied = parsed.preferences.applied()
    return {"Preference_Applied": applied} if applied else {}


def _write_answer(
    parsed: RestRequest, written: list, status: int, *, content_range: str, representation_status: int | None = None
) -> HttpResponse:
    """A write's answer: its rows under `return=representation`, else no body (204 for PATCH and DELETE)."""
    if parsed.preferences.return_ == "representation":
        rows = _representation(parsed, written)
        return _rows_answer(
            parsed, rows, representation_status or status, Content_Range=content_range, **_applied(parsed)
        )
    if representation_status is not None:
        status = 204
    return _answer(status, content_type=None, Content_Range=content_range, **_applied(parsed))


@_answering_errors
def relation_view(request: HttpRequest, name: str) -> HttpResponse:
    """GET, HEAD, POST, PATCH and DELETE on /rest/v1/<relation>."""
    _profile_check(request)
    caller = facade_caller(request)
    relation = relation_get(name)
    if relation is None:
        close = [known for known in relation_names() if known.startswith(name[:4])] if name else []
        raise errors.PostgrestError(
            404,
            "PGRST205",
            f"Could not find the table '{SCHEMA}.{name}' in the schema cache",
            hint=f"Perhaps you meant the table '{SCHEMA}.{close[0]}'" if close else None,
        )
    if caller.user is None:
        raise errors.permission_denied(relation=name, signed_in=False)
    handlers = {"GET": _read, "HEAD": _read, "POST": _insert, "PATCH": _update, "DELETE": _delete}
    handler = handlers.get(request.method)
    if handler is None:
        raise errors.PostgrestError(405, "PGRST117", f"Unsupported HTTP method: {request.method}")
    return handler(request, _parse(request, relation, caller))


@_answering_errors
def function_view(request: HttpRequest, name: str) -> HttpResponse:
    """POST (and GET for read-only functions) /rest/v1/rpc/<name>: the allow-listed functions over the services."""
    _profile_check(request)
    caller = facade_caller(request)
    function = function_get(name)
    if request.method == "GET":
        arguments: Any = {key: value for key, value in request.GET.items() if key != "apikey"}
    elif request.method == "POST":
        arguments = _body(request, empty={})
    else:
        raise errors.PostgrestError(405, "PGRST101", f"Cannot use the {request.method} method on RPC")
    if function is None or (request.method == "GET" and not function.read_only):
        keys = ", ".join(sorted(arguments)) if isinstance(arguments, dict) else ""
        raise errors.PostgrestError(
            404,
            "PGRST202",
            f"Could not find the function {SCHEMA}.{name}({keys}) in the schema cache",
            f"Searched for the function {SCHEMA}.{name} with parameters {keys}, "
            "but no matches were found in the schema cache.",
        )
    if caller.user is None:
        raise errors.PostgrestError(401, "42501", f"permission denied for function {name}")
    if not isinstance(arguments, dict):
        raise errors.PostgrestError(400, "PGRST102", "Empty or invalid json", details="Arguments are one JSON object")
    return _answer(200, _json(_call(function, caller, arguments)))


def _call(function: Function, caller: FacadeCaller, arguments: dict) -> Any:
    validated = _validated(function.arguments, caller, arguments)
    return function.call(user_id=caller.user_id, **validated)

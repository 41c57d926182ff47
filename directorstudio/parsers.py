import io
import re

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

# Arrays and objects may nest this deep; deeper bodies are refused before Python's recursive parser sees them.
MAX_JSON_DEPTH = 64
# A JSON string (its escapes included) and a bracket outside strings. JSON is UTF-8 (RFC 8259), in which
# these ASCII bytes never occur inside a multi-byte character, so the bytes can be scanned as they are.
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
JSON_BRACKET = re.compile(rb"[\[\]{}]")


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this server accepts."
    default_code = "request_too_large"


def json_nesting_exceeds(body: bytes, limit: int) -> bool:
    """Whether the arrays and objects of a JSON text nest deeper than `limit` (brackets in strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in JSON_BRACKET.findall(JSON_STRING.sub(b"", body)):
        if bracket in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class SizeLimitedJSONParser(JSONParser):
    """JSON bodies of at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes nesting at most MAX_JSON_DEPTH levels.

    DRF reads the request stream itself, so Django's own body size check never runs for it: a
    larger body is refused with 413, a deeper one with 400 `parse_error`.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestBodyTooLarge(f"The request body is larger than {limit} bytes.")
        if json_nesting_exceeds(body, MAX_JSON_DEPTH):
            raise ParseError(f"JSON parse error - arrays and objects nest deeper than {MAX_JSON_DEPTH} levels.")
        return super().parse(io.BytesIO(body), media_type, parser_context)

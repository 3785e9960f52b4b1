"""Checks every request passes before any view: JSON bodies in UTF-8 only, nested at most MAX_JSON_DEPTH
deep, with numbers the parser reads; no NUL characters anywhere (PostgreSQL text cannot hold them), and no
unpaired surrogate in JSON text (not Unicode: it cannot be encoded, so hashing or storing it would fail).

JSON bodies are parsed in two places, both after these guards: webargs (webargs.core.parse_json, for every
@blp.arguments body) and Flask's request.get_json (json.loads; the NUL and surrogate guards below, and the
idempotency fingerprint of consent writes)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

from flask import Request, request

from consent_service.errors import ServiceError, ValidationFailed

NUL = "\x00"
# No schema of ours nests deeper than a few levels; 32 leaves room and keeps parsers' recursion far from its limit.
MAX_JSON_DEPTH = 32
# What nests nothing: a JSON string (its brackets are text), and everything from the quote of a string never
# closed to the end of the body (not JSON: the parser refuses it without recursing further). The possessive *+
# scans each string once, so the cost stays linear in the body's length.
NOT_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*+"|"[\s\S]*')
OPENING = frozenset(b"[{")
CLOSING = frozenset(b"]}")
NOT_BRACKETS = bytes(sorted(set(range(256)) - OPENING - CLOSING))
# UTF-8 JSON starts with whitespace or a value, never with these: they begin a UTF-16/32 text or a byte order mark.
NOT_UTF8_FIRST_BYTES = (b"\x00", b"\xef", b"\xfe", b"\xff")


class NotUtf8(ServiceError):
    status, code = 415, "unsupported_media_type"
    message = "JSON bodies must be UTF-8 (RFC 8259), without a byte order mark."


class NumberTooLong(ServiceError):
    status, code = 400, "bad_request"
    message = "A number in the JSON body has more digits than the service reads."


class TooDeeplyNested(ServiceError):
    status, code = 400, "bad_request"
    message = f"JSON may nest at most {MAX_JSON_DEPTH} levels deep."


def json_depth(body: bytes, *, limit: int) -> int:
    """How deep the JSON text nests, read from its raw bytes, stopping as soon as it passes `limit`."""
    if b"\\" in body:
        outside_strings = NOT_NESTING.sub(b"", body)
    else:
        # No escapes: strings run from one quote to the next, and a last quote left alone opens one never closed.
        outside_strings = b"".join(body.split(b'"')[0::2])
    depth = deepest = 0
    # Only the brackets that nest are walked here, one by one.
    for bracket in outside_strings.translate(None, NOT_BRACKETS):
        if bracket in OPENING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def refuse_unreadable_json() -> None:
    """Before anything parses the body, refuse what would make a parser fail with a 500.

    Only UTF-8 is read: json.loads also decodes UTF-16 and UTF-32 (and a UTF-8 byte order mark),
    whose bytes the depth scan cannot read as brackets and quotes; webargs reads UTF-8 only. Then
    the depth (Python's parser would recurse into a RecursionError), then integers longer than
    Python converts (a ValueError that webargs does not catch)."""
    # One lookup through the proxy: this runs on every request. Flask types `request` as the Request it proxies.
    current = request._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy at run time
    if not current.is_json:
        return
    body = current.get_data(cache=True)
    # What json.detect_encoding reads as anything but UTF-8: a byte order mark, or a NUL in the first two bytes.
    if (
        body[:1] in NOT_UTF8_FIRST_BYTES
        or body[1:2] == b"\x00"
        or (";" in current.environ.get("CONTENT_TYPE", "") and _charset(current) != "utf-8")
    ):
        raise NotUtf8()
    # JSON cannot nest deeper than it has opening brackets: most bodies need no scan.
    if body.count(b"{") + body.count(b"[") > MAX_JSON_DEPTH and json_depth(body, limit=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise TooDeeplyNested()
    refuse_long_integers(body)


def _charset(current: Request) -> str:
    charset = current.mimetype_params.get("charset", "utf-8").lower()
    return "utf-8" if charset == "utf8" else charset


def refuse_long_integers(body: bytes) -> None:
    """A body shorter than the interpreter's integer digit limit cannot exceed it: most bodies need no scan;
    a run of digits that long is parsed once here to tell a number from a string."""
    limit = sys.get_int_max_str_digits()
    if not limit or len(body) <= limit or re.search(rb"[0-9]{%d}" % (limit + 1), body) is None:
        return
    try:
        json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return  # not JSON: the parsers answer 400 themselves
    except ValueError:
        raise NumberTooLong(f"Numbers in JSON may have at most {limit} digits.") from None


class NulCharacter(ValidationFailed):
    message = "Text must not contain NUL characters."


def _holds(value: Any, bad: Callable[[str], bool] = lambda text: NUL in text) -> bool:
    """Whether any string in `value` (keys included) is `bad`; by default, holds a NUL."""
    if isinstance(value, str):
        return bad(value)
    if isinstance(value, dict):
        return any(_holds(key, bad) or _holds(item, bad) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds(item, bad) for item in value)
    return False


def _may_hold_nul(body: bytes) -> bool:
    """Parsed JSON holds a NUL only from a NUL byte or its escape in the (UTF-8: refuse_unreadable_json
    ran first) text; most bodies need no parsing here."""
    return b"\x00" in body or b"\\u0000" in body


def refuse_nul_characters() -> None:
    """The same 422 on SQLite and PostgreSQL, instead of a database error on one of them."""
    places: dict[str, Iterable[Any]] = {
        "path": (request.view_args or {}).values(),
        "query": request.args.values(),
        "form": request.form.values() if request.mimetype == "application/x-www-form-urlencoded" else (),
    }
    if request.is_json and _may_hold_nul(request.get_data(cache=True)):
        places["json"] = [request.get_json(silent=True)]
    for place, values in places.items():
        if any(_holds(value) for value in values):
            raise NulCharacter(errors={place: [NulCharacter.message]})


class UnpairedSurrogate(ValidationFailed):
    message = "Text must be Unicode: a \\ud800-\\udfff escape is only valid as half of a pair."


# JSON's escape of a surrogate: the only way an unpaired one gets into a parsed UTF-8 body.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _unpaired_surrogate(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def refuse_unpaired_surrogates() -> None:
    """A 422 instead of a 500 from the first hash or query that encodes the text. Path and query
    values are decoded by Werkzeug with replacement, so only JSON can carry one, as an escape (the body
    is UTF-8: refuse_unreadable_json ran first)."""
    if not request.is_json:
        return
    body = request.get_data(cache=True)
    if b"\x00" not in body and SURROGATE_ESCAPE.search(body) is None:
        return
    if _holds(request.get_json(silent=True), _unpaired_surrogate):
        raise UnpairedSurrogate(errors={"json": [UnpairedSurrogate.message]})

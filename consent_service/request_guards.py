"""Checks every request passes before any view: JSON nested at most MAX_JSON_DEPTH deep, no NUL characters
anywhere (PostgreSQL text cannot hold them), and no unpaired surrogate in JSON text (not Unicode: it cannot be
encoded, so hashing or storing it would fail)."""
from __future__ import annotations

import re
from typing import Any, Callable

from flask import request

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


def refuse_deep_json() -> None:
    """Before anything parses the body: Python's JSON parser would recurse into a RecursionError (a 500)."""
    if not request.is_json:
        return
    body = request.get_data(cache=True)
    # JSON cannot nest deeper than it has opening brackets: most bodies need no scan.
    if body.count(b"{") + body.count(b"[") > MAX_JSON_DEPTH and json_depth(body, limit=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise TooDeeplyNested()


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
    """Parsed JSON holds a NUL only from a NUL byte or its escape in the text (a UTF-16 or UTF-32 body
    is full of NUL bytes, so it is always parsed and searched); most bodies need no parsing here."""
    return b"\x00" in body or b"\\u0000" in body


def refuse_nul_characters() -> None:
    """The same 422 on SQLite and PostgreSQL, instead of a database error on one of them."""
    places = {
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
    values are decoded by Werkzeug with replacement, so only JSON (an escape, or another encoding,
    whose NUL bytes give it away as for refuse_nul_characters) can carry one."""
    if not request.is_json:
        return
    body = request.get_data(cache=True)
    if b"\x00" not in body and SURROGATE_ESCAPE.search(body) is None:
        return
    if _holds(request.get_json(silent=True), _unpaired_surrogate):
        raise UnpairedSurrogate(errors={"json": [UnpairedSurrogate.message]})

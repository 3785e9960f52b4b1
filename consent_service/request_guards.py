"""Checks every request passes before any view: no NUL characters anywhere (PostgreSQL text cannot hold them)."""
from __future__ import annotations

from typing import Any

from flask import request

from consent_service.errors import ValidationFailed

NUL = "\x00"


class NulCharacter(ValidationFailed):
    message = "Text must not contain NUL characters."


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def refuse_nul_characters() -> None:
    """The same 422 on SQLite and PostgreSQL, instead of a database error on one of them."""
    places = {
        "path": (request.view_args or {}).values(),
        "query": request.args.values(),
        "form": request.form.values() if request.mimetype == "application/x-www-form-urlencoded" else (),
    }
    if request.is_json:
        places["json"] = [request.get_json(silent=True)]
    for place, values in places.items():
        if any(_holds_nul(value) for value in values):
            raise NulCharacter(errors={place: [NulCharacter.message]})

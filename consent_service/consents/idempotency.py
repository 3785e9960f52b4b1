"""Idempotency-Key: the first answer to a request is stored with it and replayed on every retry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consent_service.consents.models import IdempotencyRecord
from consent_service.errors import Conflict, ValidationFailed
from consent_service.generations.service import Snapshot, generation_value

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used for a different request."


@dataclass(frozen=True)
class Answer:
    body: dict[str, Any]
    status: int
    replayed: bool = False


def fingerprint(method: str, path: str, payload: Any) -> str:
    """Same method, path and JSON content (whatever its formatting) give the same fingerprint."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


# What validate_key accepts, for the document: printable Latin-1 (the header's charset; str.isprintable refuses
# NBSP and the soft hyphen), no blank at either end since HTTP strips them.
_PRINTABLE = "!-~\u00a1-\u00ac\u00ae-\u00ff"
KEY_PATTERN = f"^[{_PRINTABLE}](?:[ {_PRINTABLE}]*[{_PRINTABLE}])?$"


def validate_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 255 printable characters.",
            errors={"Idempotency-Key": ["1 to 255 printable characters."]},
        )
    return key


def run_once(
    *,
    session: Session,
    api_key_id: int,
    key: str | None,
    fingerprint: Callable[[], str],
    produce: Callable[[], Answer],
    now: datetime,
    snapshot: Snapshot,
) -> Answer:
    """Run `produce` and commit, or replay what the first request with this key answered.
    The request's `fingerprint` is only worked out for a request that has a key.

    `produce` confirms the caller's snapshot (the one its API key was authenticated with) with its
    own read; a replay does not produce, so the stored answer is read with the generation and the
    snapshot confirmed before anything is replayed: a key revoked by another process replays nothing."""
    if key is None:
        answer = produce()
        session.commit()
        return answer
    request_fingerprint = fingerprint()
    found = session.execute(
        select(IdempotencyRecord, generation_value()).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == validate_key(key)
        )
    ).one_or_none()
    if found is not None:
        stored, generation = found
        snapshot.confirm(generation)
        return _replay(stored, request_fingerprint)
    answer = produce()
    session.add(
        IdempotencyRecord(
            api_key_id=api_key_id,
            key=key,
            request_hash=request_fingerprint,
            status_code=answer.status,
            response=answer.body,
            created_at=now,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        # A concurrent request with the same key committed first: nothing of ours was written.
        session.rollback()
        first = session.get(IdempotencyRecord, (api_key_id, key))
        if first is None:
            raise
        return _replay(first, request_fingerprint)
    return answer


def _replay(stored: IdempotencyRecord, request_fingerprint: str) -> Answer:
    if stored.request_hash != request_fingerprint:
        raise IdempotencyKeyReused(errors={"Idempotency-Key": ["Already used with a different request."]})
    return Answer(body=stored.response, status=stored.status_code, replayed=True)

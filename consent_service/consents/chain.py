"""The hash chain of a subject's ledger: the canonical form of an event and its link hash.

One chain per subject, ordered by `revision` (never by time). Each event's `hash` is
SHA-256 over the previous event's hash and the event's canonical content; the first event
links to GENESIS. The content names the subject by its internal key, so erasing the identifier
map (subjects.external_id) leaves every chain intact.

What may identify a person in an event (the actor's id, the evidence) is not hashed in the
clear: the chain covers `personal_digest`, an HMAC of those fields under the subject's own
`evidence_key`. While the subject exists the digest proves those fields unchanged; erasure
pseudonymizes the fields and deletes the key, after which the digest links to nothing, and the
chain still verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
# Columns whose change would alter the proof: erasure may rewrite only the personal ones.
PERSONAL_FIELDS = ("actor_id", "evidence")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def timestamp(moment: datetime) -> str:
    """Microseconds, the precision both databases store, so a re-read event hashes the same."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def personal_digest(evidence_key: str, *, actor_id: str | None, evidence: dict[str, Any] | None) -> str:
    return hmac.new(
        bytes.fromhex(evidence_key), _canonical({"actor_id": actor_id, "evidence": evidence or {}}), hashlib.sha256
    ).hexdigest()


def content(event: Any) -> dict[str, Any]:
    """Everything an event proves, by the subject's internal key; personal fields only as their digest.
    `notified_at` only when the event has one: events written before it existed hash as they did."""
    proved = {
        "id": event.id,
        "subject": event.subject_id,
        "revision": event.revision,
        "purpose": event.purpose,
        "decision": event.decision,
        "method": event.method,
        "notice_version": event.notice_version,
        "regime": event.regime,
        "country": event.country,
        "destination_country": event.destination_country,
        "age": event.age,
        "property": event.property_key,
        "language": event.language,
        "banner_version": event.banner_version,
        "actor_type": event.actor_type,
        "personal_digest": event.personal_digest,
        "recorded_at": timestamp(event.recorded_at),
        # Only when there is one: events written before regions existed keep the hash they were sealed with
        # (and migration 0005 seals rows of a table that has no region column yet).
        **({"region": region} if (region := getattr(event, "region", None)) is not None else {}),
    }
    notified_at = getattr(event, "notified_at", None)  # rows of migrations older than the column have none
    if notified_at is not None:
        proved["notified_at"] = timestamp(notified_at)
    return proved


def link_hash(prev_hash: str, event: Any) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(content(event))).hexdigest()


def seal(event: Any, *, prev_hash: str, evidence_key: str, digest: str | None = None) -> None:
    """Fill in the chain columns of a new event that follows `prev_hash`. `digest`: its personal
    digest, when the caller worked it out already (events of one request share actor and evidence)."""
    event.personal_digest = digest or personal_digest(evidence_key, actor_id=event.actor_id, evidence=event.evidence)
    event.prev_hash = prev_hash
    event.hash = link_hash(prev_hash, event)


class EventValues(dict[str, Any]):
    """A new event's columns, read and written as attributes too (as `seal`, `content` and the
    outbox use an event): the rows a consent store inserts (consents/store.py), not ORM objects."""

    def __getattr__(self, name: str) -> Any:
        return self[name]  # a missing column raises KeyError, as dict.__getitem__ did

    __setattr__ = dict.__setitem__

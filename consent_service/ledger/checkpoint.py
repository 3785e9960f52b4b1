"""Signed checkpoints of the ledger, kept outside the database, and the first event that differs from one.

A checkpoint file is one signed line followed by one line per chain, in subject order:

    <JWS, typ ledger-checkpoint+jwt: iss, iat, chains, events, body = SHA-256 of the lines below>
    <subject id> <event count> <head hash> <8 hex characters of each event's hash, in revision order>
    ...
    retired <subject id> <revision> <head hash>      (one per retired chain, after the chains)

Detection rests on the full head hash: each event's hash covers every event before it, so a chain
whose event at the checkpointed count does not carry that hash is not the checkpointed history.
Naming the first event that differs needs more than the head: a rewrite that re-hashes every later
event leaves a self-consistent chain, and only a per-event value tells where it starts to differ.
The checkpoint keeps a 32-bit fingerprint of each event's hash: the first event whose fingerprint
differs is the first rewritten one (a fingerprint matches by chance once in 2^32 events, which could
only make verify name a later event, never pass a rewritten chain). Size: about 80 bytes per chain
plus 8 per event, i.e. ~160 MB for 1M subjects and 10M events (gzip halves it: the file may end
in .gz). Heads alone would be half of that but could only say which chain differs, not where.

Retirements are final: each one a checkpoint lists must still be there, with the same head.
Verifying needs only the file and public keys: the signature (a JWKS is enough), then the body's hash.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.consents.models import ConsentEvent, RetiredChain
from consent_service.ledger import seals
from consent_service.ledger.service import Problem, chains
from consent_service.signing_keys.keystore import KeyStore
from consent_service.vocabulary import WebhookEventType
from consent_service.webhooks import service as webhooks

FINGERPRINT = 8  # hex characters of each event's hash kept in a checkpoint
RETIRED = "retired"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Checkpoint:
    token: str
    claims: dict


@dataclass(frozen=True)
class Entry:
    subject_id: int
    count: int
    head: str
    fingerprints: str

    def fingerprint(self, revision: int) -> str:
        return self.fingerprints[(revision - 1) * FINGERPRINT : revision * FINGERPRINT]


def write(
    *,
    session: Session,
    keystore: KeyStore,
    issuer: str,
    now: datetime,
    path: str | None = None,
    stream: IO[bytes] | None = None,
) -> Checkpoint:
    """Write a signed checkpoint of every chain to `path` (replaced atomically; gzip if it ends in .gz)
    or `stream`, or neither (a test that wants only the signed claims)."""
    digest = hashlib.sha256()
    count_chains = count_events = 0
    with tempfile.TemporaryFile("w+b") as body:
        for subject_id, events in chains(session):
            line = f"{subject_id} {len(events)} {events[-1].hash} {''.join(e.hash[:FINGERPRINT] for e in events)}\n"
            data = line.encode()
            digest.update(data)
            body.write(data)
            count_chains += 1
            count_events += len(events)
        for retired in session.scalars(select(RetiredChain).order_by(RetiredChain.subject_id)):
            data = f"{RETIRED} {retired.subject_id} {retired.revision} {retired.hash}\n".encode()
            digest.update(data)
            body.write(data)
        claims = {
            "iss": issuer,
            "iat": int(now.timestamp()),
            "chains": count_chains,
            "events": count_events,
            "fingerprint": FINGERPRINT,
            "body": digest.hexdigest(),
        }
        token = seals.sign(session=session, keystore=keystore, typ=seals.CHECKPOINT_TYPE, claims=claims, now=now)
        body.seek(0)
        if path is not None:
            _write_atomically(Path(path), token, body)
        elif stream is not None:
            _copy(token, body, stream)
    return Checkpoint(token=token, claims=claims)


def announce(*, session: Session, checkpoint: Checkpoint, now: datetime) -> bool:
    """Send the signed line to the endpoints subscribed to ledger.checkpoint, through the outbox (in the
    caller's transaction): it commits to the whole file, so a receiver holding it can later tell the
    checkpoint taken now from any other. False when no endpoint subscribes."""
    claims = checkpoint.claims
    event = webhooks.enqueue(
        session=session,
        type=WebhookEventType.LEDGER_CHECKPOINT,
        now=now,
        data={
            "checkpoint": checkpoint.token,
            "chains": claims["chains"],
            "events": claims["events"],
            "taken_at": webhooks.iso(now),
        },
    )
    return event is not None


def _write_atomically(path: Path, token: str, body: IO[bytes]) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as raw:
            if path.suffix == ".gz":
                with gzip.GzipFile(fileobj=raw, mode="wb") as compressed:
                    _copy(token, body, compressed)
            else:
                _copy(token, body, raw)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _copy(token: str, body: IO[bytes], out: IO[bytes] | io.BufferedIOBase) -> None:
    out.write(token.encode() + b"\n")
    while chunk := body.read(CHUNK):
        out.write(chunk)


def _open(path: str) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def read(path: str, *, keys: Mapping[str, Ed25519PublicKey]) -> Checkpoint:
    """The checkpoint's signed claims, once its signature (against `keys` only) and its body's hash hold."""
    digest = hashlib.sha256()
    try:
        with _open(path) as handle:
            token = handle.readline().decode(errors="replace").strip()
            claims = seals.open_seal(token, typ=seals.CHECKPOINT_TYPE, keys=keys)
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except (OSError, EOFError) as exc:
        raise seals.SealInvalid(f"cannot read it ({type(exc).__name__})") from None
    if "body" not in claims:
        raise seals.SealInvalid("a checkpoint of chain heads only, from before migration 0015: take a new one")
    if claims.get("fingerprint") != FINGERPRINT or digest.hexdigest() != claims["body"]:
        raise seals.SealInvalid("the chains it lists are not the ones it signed")
    return Checkpoint(token=token, claims=claims)


def entries(path: str) -> Iterator[Entry | RetiredChain]:
    """The chains of a checkpoint whose signature `read` checked, then its retirements (unsaved rows)."""
    with gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8") as handle:
        handle.readline()
        for line in handle:
            fields = line.split()
            if fields[0] == RETIRED:
                yield RetiredChain(subject_id=int(fields[1]), revision=int(fields[2]), hash=fields[3])
                continue
            subject_id, count, head, *fingerprints = fields
            yield Entry(int(subject_id), int(count), head, fingerprints[0] if fingerprints else "")


def compare(
    *,
    session: Session,
    path: str,
    keys: Mapping[str, Ed25519PublicKey],
    retirement_keys: Mapping[str, Ed25519PublicKey] | None,
) -> list[Problem]:
    """Every chain of a checkpoint must still begin with its checkpointed history (chains only grow),
    or be retired by a sealed retention record; the first event that differs is named."""
    try:
        checkpoint = read(path, keys=keys)
    except seals.SealInvalid as exc:
        return [Problem("checkpoint", 0, None, f"not a checkpoint of this service: {exc}")]
    taken = datetime.fromtimestamp(checkpoint.claims["iat"], UTC).isoformat()
    retired = {r.subject_id: r for r in session.scalars(select(RetiredChain))}
    problems: list[Problem] = []
    stored = chains(session)
    current = next(stored, None)
    for entry in entries(path):
        if isinstance(entry, RetiredChain):
            problem = _compare_retirement(entry, retired.get(entry.subject_id), taken)
            if problem is not None:
                problems.append(problem)
            continue
        while current is not None and current[0] < entry.subject_id:
            current = next(stored, None)  # a chain begun after the checkpoint
        if current is not None and current[0] == entry.subject_id:
            problem = _compare_chain(entry, current[1], taken)
        else:
            problem = _compare_retired(entry, retired.get(entry.subject_id), retirement_keys, taken)
        if problem is not None:
            problems.append(problem)
    return problems


def _compare_chain(entry: Entry, events: list[ConsentEvent], taken: str) -> Problem | None:
    """The first event of the stored chain that is not the checkpointed one, if any."""
    for position, event in enumerate(events[: entry.count], start=1):
        if event.hash[:FINGERPRINT] != entry.fingerprint(position):
            return Problem(
                "rewritten",
                entry.subject_id,
                event.id,
                f"revision {event.revision} is not the event checkpointed at {taken} (nor is any later one)",
            )
    if len(events) < entry.count:
        return Problem(
            "truncated",
            entry.subject_id,
            None,
            f"the chain ends at revision {len(events)}; revisions {len(events) + 1} to {entry.count} "
            f"checkpointed at {taken} are gone (the first had hash {entry.fingerprint(len(events) + 1)}...)",
        )
    head = events[entry.count - 1]
    if head.hash != entry.head:
        return Problem(
            "rewritten",
            entry.subject_id,
            head.id,
            f"revision {head.revision} does not carry the head hash checkpointed at {taken}",
        )
    return None


def _compare_retirement(checkpointed: RetiredChain, retired: RetiredChain | None, taken: str) -> Problem | None:
    """A retirement is final: the one checkpointed must still be there, for the same head."""
    if retired is None:
        return Problem(
            "missing_retirement",
            checkpointed.subject_id,
            None,
            f"the retirement of revision {checkpointed.revision} checkpointed at {taken} is gone",
        )
    if (retired.revision, retired.hash) != (checkpointed.revision, checkpointed.hash):
        return Problem(
            "missing_retirement",
            checkpointed.subject_id,
            None,
            f"retired at revision {retired.revision}, the checkpoint of {taken} says {checkpointed.revision}",
        )
    return None


def _compare_retired(
    entry: Entry, retired: RetiredChain | None, keys: Mapping[str, Ed25519PublicKey] | None, taken: str
) -> Problem | None:
    """A checkpointed chain that is gone: only a sealed retirement at or after its head explains it."""
    if retired is None:
        return Problem(
            "missing_chain",
            entry.subject_id,
            None,
            f"its {entry.count} events checkpointed at {taken} are gone, and no retirement records it",
        )
    forged = seals.retirement_problem(retired, keys)
    if forged is not None:
        return Problem(
            "missing_chain",
            entry.subject_id,
            None,
            f"its {entry.count} events checkpointed at {taken} are gone; the retirement that "
            f"would explain it is forged: {forged}",
        )
    if retired.revision < entry.count or (retired.revision == entry.count and retired.hash != entry.head):
        return Problem(
            "missing_chain",
            entry.subject_id,
            None,
            f"retired at revision {retired.revision}, not after the {entry.count} events checkpointed at {taken}",
        )
    return None

"""Recipients and their safeguards: register, change and read them; the checks read them from the snapshot.

A recipient is configuration, not evidence: changing its safeguards changes the answers of later
checks and never a recorded consent. Every creation and change is written to the audit log with the
values before and after, so when an answer changed, and why, can be told afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.audit import service as audit
from consent_service.errors import Conflict, NotFound, ValidationFailed
from consent_service.recipients.models import Recipient
from consent_service.vocabulary import Basis

# The Data Privacy Framework certifies US organizations only (EU Commission Implementing Decision
# (EU) 2023/1795, Annex I; its UK extension and the Swiss-US framework likewise).
DPF_COUNTRY = "US"
SAFEGUARD_FIELDS = ("name", "country", "dpf_certified", "scc", "bcr")


class UnknownRecipient(ValidationFailed):
    code = "unknown_recipient"


class RecipientElsewhere(ValidationFailed):
    """A check names a recipient and a destination country it is not in."""

    code = "recipient_country_mismatch"


class DpfOutsideUs(ValidationFailed):
    code = "dpf_outside_us"


class SccInFuture(ValidationFailed):
    code = "scc_in_future"


@dataclass(frozen=True)
class RecipientEntry:
    """A recipient as plain data, safe to keep between requests (the generations cache holds these),
    with the safeguards it has (the Basis values a transfer check may answer), read per transfer check."""

    key: str
    country: str
    safeguards: frozenset[str]


def _safeguards(recipient: Recipient) -> frozenset[str]:
    """What the recipient has: a DPF certification counts for a US recipient only, whatever a row says."""
    return frozenset(
        safeguard.value
        for safeguard, held in (
            (Basis.DPF_CERTIFIED, recipient.dpf_certified and recipient.country == DPF_COUNTRY),
            (Basis.SCC, recipient.scc is not None),
            (Basis.BCR, recipient.bcr),
        )
        if held
    )


def list_recipients(*, session: Session) -> list[Recipient]:
    return list(session.scalars(select(Recipient).order_by(Recipient.key)))


def recipient_entries(*, session: Session) -> dict[str, RecipientEntry]:
    """Every recipient by key, as the checks read them."""
    return {
        r.key: RecipientEntry(key=r.key, country=r.country, safeguards=_safeguards(r))
        for r in list_recipients(session=session)
    }


def get(*, session: Session, key: str) -> Recipient:
    recipient = session.get(Recipient, key)
    if recipient is None:
        raise NotFound(f"No recipient {key!r}.")
    return recipient


def create_recipient(
    *,
    session: Session,
    key: str,
    name: str,
    country: str,
    dpf_certified: bool,
    scc: date | None,
    bcr: bool,
    now: datetime,
    actor_key_id: int,
    actor: str,
) -> Recipient:
    if session.get(Recipient, key) is not None:
        raise Conflict(f"Recipient {key!r} already exists.", errors={"key": ["Already exists."]})
    _require_consistent(country=country, dpf_certified=dpf_certified, scc=scc, now=now)
    recipient = Recipient(
        key=key,
        name=name,
        country=country,
        dpf_certified=dpf_certified,
        scc=scc,
        bcr=bcr,
        created_at=now,
        updated_at=now,
    )
    session.add(recipient)
    audit.record(
        session=session,
        actor_key_id=actor_key_id,
        actor=actor,
        action="recipient_created",
        target=key,
        now=now,
        details={"after": _values(recipient)},
    )
    session.flush()
    return recipient


def update_recipient(
    *,
    session: Session,
    key: str,
    changes: Mapping[str, Any],
    now: datetime,
    actor_key_id: int,
    actor: str,
) -> Recipient:
    """Change some fields; the audit log keeps what they were. Sending the values it has changes nothing."""
    recipient = get(session=session, key=key)
    before = _values(recipient)
    merged = {name: changes.get(name, getattr(recipient, name)) for name in SAFEGUARD_FIELDS}
    _require_consistent(country=merged["country"], dpf_certified=merged["dpf_certified"], scc=merged["scc"], now=now)
    for name, value in merged.items():
        setattr(recipient, name, value)
    after = _values(recipient)
    if after != before:
        recipient.updated_at = now
        changed = sorted(name for name in SAFEGUARD_FIELDS if before[name] != after[name])
        audit.record(
            session=session,
            actor_key_id=actor_key_id,
            actor=actor,
            action="recipient_updated",
            target=key,
            now=now,
            details={"changed": changed, "before": before, "after": after},
        )
    session.flush()
    return recipient


def _require_consistent(*, country: str, dpf_certified: bool, scc: date | None, now: datetime) -> None:
    """Safeguards that cannot hold are refused before anything changes: a DPF certification outside
    the US, clauses signed after today."""
    if dpf_certified and country != DPF_COUNTRY:
        raise DpfOutsideUs(
            "Only a US organization can be certified under the Data Privacy Framework.",
            errors={"dpf_certified": [f"The recipient's country is {country}, not US."]},
        )
    if scc is not None and scc > now.date():
        raise SccInFuture(
            "Standard contractual clauses are registered once signed.",
            errors={"scc": [f"{scc.isoformat()} is after today ({now.date().isoformat()})."]},
        )


def _values(recipient: Recipient) -> dict[str, Any]:
    return {
        "name": recipient.name,
        "country": recipient.country,
        "dpf_certified": recipient.dpf_certified,
        "scc": None if recipient.scc is None else recipient.scc.isoformat(),
        "bcr": recipient.bcr,
    }

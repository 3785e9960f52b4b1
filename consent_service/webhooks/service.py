"""Webhook endpoints (create, read, update, delete) and the outbox every change writes to."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.orm import Session

from consent_service.clock import new_id
from consent_service.errors import NotFound, ValidationFailed
from consent_service.vocabulary import DeliveryStatus, WebhookEventType
from consent_service.webhooks import transport
from consent_service.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from consent_service.webhooks.signing import SecretCipher, generate_secret


def create_endpoint(
    *,
    session: Session,
    url: str,
    event_types: Sequence[WebhookEventType | str],
    cipher: SecretCipher,
    allow_private: bool,
    now: datetime,
    description: str = "",
    enabled: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Store an endpoint; return it with its signing secret, which is shown only this once."""
    secret = generate_secret()
    endpoint = WebhookEndpoint(id=new_id("wh"), secret_encrypted=cipher.encrypt(secret), created_at=now)
    _apply(
        endpoint,
        {"url": url, "event_types": event_types, "description": description, "enabled": enabled},
        allow_private=allow_private,
        now=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def update_endpoint(
    *, session: Session, endpoint_id: str, changes: Mapping[str, Any], allow_private: bool, now: datetime
) -> WebhookEndpoint:
    endpoint = get(session=session, endpoint_id=endpoint_id)
    _apply(endpoint, changes, allow_private=allow_private, now=now)
    session.flush()
    return endpoint


def delete_endpoint(*, session: Session, endpoint_id: str) -> WebhookEndpoint:
    """Remove the endpoint and its deliveries; the events stay for the other endpoints."""
    endpoint = get(session=session, endpoint_id=endpoint_id)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
    session.delete(endpoint)
    session.flush()
    return endpoint


def get(*, session: Session, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook.")
    return endpoint


def list_endpoints(*, session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)))


def enqueue(
    *,
    session: Session,
    type: WebhookEventType,
    data: Mapping[str, Any],
    now: datetime,
    ordering_key: str | None = None,
    revision: int | None = None,
) -> WebhookEvent | None:
    """Write the event and one delivery per enabled endpoint that wants it, in the caller's transaction.

    Nothing is written when no endpoint wants the type. Callers that pass an ordering key must
    hold the lock that serializes its changes (a subject's row lock), so that sequence order is
    the order the changes committed in.
    """
    endpoints = [
        endpoint
        for endpoint in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True)))
        if type.value in endpoint.event_types
    ]
    if not endpoints:
        return None
    event = WebhookEvent(
        id=new_id("msg"),
        type=type.value,
        ordering_key=ordering_key,
        revision=revision,
        payload={"type": type.value, "timestamp": iso(now), "data": dict(data)},
        created_at=now,
    )
    session.add(event)
    session.flush()
    session.add_all(
        WebhookDelivery(
            id=new_id("dlv"),
            event_sequence=event.sequence,
            event_created_at=event.created_at,
            endpoint_id=endpoint.id,
            ordering_key=ordering_key,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            retrying_since=now,
        )
        for endpoint in endpoints
    )
    session.flush()
    return event


def any_enabled_endpoint() -> ColumnElement[bool]:
    """Whether any endpoint is enabled, as an expression to read in a caller's statement: when
    none is, `enqueue` would write nothing, and a caller that read false can skip it."""
    return exists(select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True)))


def enqueue_consent_changed(
    *, session: Session, kind: str, external_id: str, revision: int, events: Sequence[Any], now: datetime
) -> WebhookEvent | None:
    """consent.changed for decisions just recorded (ConsentEvent rows), ordered per subject."""
    return enqueue(
        session=session,
        type=WebhookEventType.CONSENT_CHANGED,
        ordering_key=f"{kind}:{external_id}",
        revision=revision,
        now=now,
        data={
            "subject": {"kind": kind, "id": external_id},
            "revision": revision,
            "events": [
                {
                    "id": event.id,
                    "purpose": event.purpose,
                    "decision": event.decision,
                    "method": event.method,
                    "notice_version": event.notice_version,
                    "recorded_at": iso(event.recorded_at),
                }
                for event in events
            ],
        },
    )


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _apply(endpoint: WebhookEndpoint, changes: Mapping[str, Any], *, allow_private: bool, now: datetime) -> None:
    values = dict(changes)
    if "url" in values:
        try:
            values["url"] = transport.check_url(values["url"], allow_private=allow_private)
        except transport.TargetRefused as refused:
            raise ValidationFailed("The webhook URL is not allowed.", errors={"url": [str(refused)]}) from None
    if "event_types" in values:
        if not values["event_types"]:
            raise ValidationFailed("Subscribe to at least one event type.", errors={"event_types": ["Required."]})
        values["event_types"] = sorted({WebhookEventType(value).value for value in values["event_types"]})
    for field, value in values.items():
        setattr(endpoint, field, value)
    endpoint.updated_at = now


def pseudonymize_subject(*, session: Session, kind: str, external_id: str, replacement: str) -> int:
    """Replace a subject's identifier in the outbox (payloads and ordering keys); how many events changed."""
    old_key, new_key = f"{kind}:{external_id}", f"{kind}:{replacement}"
    changed = 0
    for event in session.scalars(select(WebhookEvent).where(WebhookEvent.ordering_key == old_key)):
        event.payload = _with_subject_id(event.payload, replacement)
        event.ordering_key = new_key
        changed += 1
    session.execute(update(WebhookDelivery).where(WebhookDelivery.ordering_key == old_key).values(ordering_key=new_key))
    return changed


# Events that name an identifier a deletion erases: forgotten once delivered, like subject.erased. A privacy
# request's events are of a deletion when their data says "type": "deletion".
ERASING_EVENT_TYPES = (
    WebhookEventType.SUBJECT_ERASED.value,
    WebhookEventType.PRIVACY_REQUEST_VERIFICATION_REQUESTED.value,
    WebhookEventType.PRIVACY_REQUEST_VERIFIED.value,
)


def forget_erased_subjects(*, session: Session, pseudonymize: Callable[[str, str], str], dry_run: bool = False) -> int:
    """subject.erased events, and the privacy_request.verified (and verification_requested) events of deletion
    requests, carry the identifier so receivers can erase theirs; once no delivery is still open, the identifier
    is replaced by its pseudonym (and a request's contact address dropped). How many events that was."""
    still_open = select(WebhookDelivery.event_sequence).where(
        WebhookDelivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.DELIVERING.value])
    )
    query = (
        select(WebhookEvent)
        .where(WebhookEvent.type.in_(ERASING_EVENT_TYPES), WebhookEvent.sequence.not_in(still_open))
        .with_for_update(skip_locked=True)
    )
    changed = 0
    for event in session.scalars(query):
        data = event.payload["data"]
        if event.type != WebhookEventType.SUBJECT_ERASED.value and data.get("type") != "deletion":
            continue
        subject = data["subject"]
        replacement = pseudonymize(subject["kind"], subject["id"])
        if subject["id"] == replacement:
            continue
        changed += 1
        if not dry_run:
            event.payload = _with_subject_id(event.payload, replacement)
    return changed


def _with_subject_id(payload: dict[str, Any], replacement: str) -> dict[str, Any]:
    data = dict(payload.get("data", {}))
    if isinstance(data.get("subject"), dict):
        data["subject"] = {**data["subject"], "id": replacement}
    if data.get("contact") is not None:
        data["contact"] = None
    return {**payload, "data": data}

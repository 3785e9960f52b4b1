"""Notice versions: publish them, and tell which consents a material change puts up for reconsent."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from consent_service.clock import new_id
from consent_service.errors import Conflict
from consent_service.notices.models import Notice
from consent_service.properties import service as properties
from consent_service.properties.service import UnknownProperty
from consent_service.purposes import service as purposes
from consent_service.vocabulary import WebhookEventType
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.service import iso

KINDS = ("privacy", "cookie", "recording")


@dataclass(frozen=True)
class MaterialChange:
    """A material notice: consents to its purposes given before it need asking again."""

    property_key: str | None
    purposes: frozenset[str]
    published_at: datetime

    def affects(self, *, purpose: str, property_key: str | None, given_at: datetime) -> bool:
        covers_property = self.property_key is None or self.property_key == property_key
        return covers_property and purpose in self.purposes and given_at < self.published_at


def publish(
    *,
    session: Session,
    kind: str,
    version: str,
    material: bool,
    purpose_keys: list[str],
    url: str,
    now: datetime,
    property_key: str | None = None,
) -> Notice:
    """Publish a version. A cookie notice of a property becomes what its banner shows:
    a material one by version and link (so the banner asks again), a minor one by link only."""
    purposes.require_known(
        purposes.catalogue(session=session), {f"purposes.{i}": k for i, k in enumerate(purpose_keys)}
    )
    prop = properties.get_by_key(session=session, publishable_key=property_key) if property_key else None
    same_scope = Notice.property_key.is_(None) if property_key is None else Notice.property_key == property_key
    if session.scalars(select(Notice).where(same_scope, Notice.kind == kind, Notice.version == version)).first():
        raise Conflict(
            f"Version {version} of this {kind} notice is already published.", errors={"version": ["Already published."]}
        )
    notice = Notice(
        id=new_id("ntc"),
        property_key=property_key,
        kind=kind,
        version=version,
        material=material,
        purposes=sorted(set(purpose_keys)),
        url=url,
        published_at=now,
    )
    session.add(notice)
    webhooks.enqueue(
        session=session,
        type=WebhookEventType.NOTICE_PUBLISHED,
        now=now,
        data={
            "kind": kind,
            "property": property_key,
            "version": version,
            "url": url,
            "material": material,
            "purposes": notice.purposes if material else [],
            "published_at": iso(now),
        },
    )
    if prop is not None and kind == "cookie":
        changes = {"notice_version": version, "notice_url": url} if material else {"notice_url": url}
        properties.update_property(session=session, property_id=prop.id, changes=changes, now=now)
    session.flush()
    return notice


@dataclass(frozen=True)
class NoticeInEffect:
    """The cookie notice a property's banner links to now: the version its consents are recorded under, the link,
    and the publication of that version (None: set on the property when it was made, never published since)."""

    property_id: str
    property_name: str
    property_key: str
    version: str
    url: str
    publication: Notice | None


def notices_in_effect(*, session: Session) -> list[NoticeInEffect]:
    """Per property, in the properties' order, the notice in effect: what the banner shows (the property's own
    version and link, which publish() keeps current) matched to its publication. The one source the console's
    Notices and Properties pages both read, so they cannot disagree on what is published."""
    cookie_notices = session.scalars(
        select(Notice).where(Notice.kind == "cookie").order_by(Notice.published_at.desc(), Notice.id)
    )
    newest: dict[tuple[str | None, str], Notice] = {}
    for notice in cookie_notices:
        newest.setdefault((notice.property_key, notice.version), notice)
    return [
        NoticeInEffect(
            property_id=prop.id,
            property_name=prop.name,
            property_key=prop.publishable_key,
            version=prop.notice_version,
            url=prop.notice_url,
            # The property's own publication of the version, else one that covers every property.
            publication=newest.get((prop.publishable_key, prop.notice_version))
            or newest.get((None, prop.notice_version)),
        )
        for prop in properties.list_properties(session=session)
    ]


def list_notices(*, session: Session, property_key: str | None = None, kind: str | None = None) -> list[Notice]:
    query = select(Notice).order_by(Notice.published_at.desc(), Notice.id)
    if property_key is not None:
        query = query.where(Notice.property_key == property_key)
    if kind is not None:
        query = query.where(Notice.kind == kind)
    return list(session.scalars(query))


def material_changes(*, session: Session) -> list[MaterialChange]:
    """Every material change; few rows, read whole so a check stays one read of the subject."""
    rows = session.scalars(select(Notice).where(Notice.material.is_(True)))
    return [MaterialChange(row.property_key, frozenset(row.purposes), row.published_at) for row in rows]


def in_force(*, session: Session, purposes: Collection[str], property_key: str | None) -> str | None:
    """The notice version in force for these purposes where a decision is made: the latest published notice of the
    property (or of every property) that names one of them; else the version the property's banner shows; None when
    neither says one (no notice published, no property named)."""
    scope: ColumnElement[bool] = Notice.property_key.is_(None)
    if property_key is not None:
        scope = or_(scope, Notice.property_key == property_key)
    published = session.scalars(select(Notice).where(scope).order_by(Notice.published_at.desc(), Notice.id.desc()))
    for notice in published:
        if not set(purposes).isdisjoint(notice.purposes):
            return notice.version
    if property_key is None:
        return None
    try:
        return properties.get_by_key(session=session, publishable_key=property_key).notice_version
    except UnknownProperty:
        return None  # a key no property has shows no banner, so no notice

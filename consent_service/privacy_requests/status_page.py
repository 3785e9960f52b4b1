"""What the person's status page shows of their request: its facts, what happened and when, the operator's
systems, and the refusal's reason, in the page's language. Nothing here is shown to anyone but the holder of a
signed link to the request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from consent_service.privacy_requests import texts
from consent_service.privacy_requests.mails import description
from consent_service.privacy_requests.models import PrivacyRequest, PrivacyRequestStep, PrivacyRequestSystem
from consent_service.regimes.privacy_request_rules import RequestRules
from consent_service.vocabulary import RequestStatus, RequestType


@dataclass(frozen=True)
class StepView:
    action: str
    detail: str | None
    at: str
    at_iso: str


@dataclass(frozen=True)
class SystemView:
    name: str
    status: str


@dataclass(frozen=True)
class RequestView:
    id: str
    description: str
    received: str
    law: str
    status_key: str
    status: str
    due: str | None
    extended: bool
    closed: str | None
    reason: str | None
    steps: tuple[StepView, ...] = ()
    systems: tuple[SystemView, ...] = ()
    export_url: str | None = None
    receipt_url: str | None = None
    link_expires: str | None = None


def offers_export(request: PrivacyRequest) -> bool:
    """A copy of the data is handed out for a completed access request, and for nothing else."""
    return request.type == RequestType.ACCESS and request.status == RequestStatus.COMPLETED


def request_view(
    *,
    language: str,
    rules: RequestRules,
    request: PrivacyRequest,
    steps: Sequence[PrivacyRequestStep] = (),
    systems: Sequence[PrivacyRequestSystem] = (),
    export_url: str | None = None,
    receipt_url: str | None = None,
    link_expires_at: datetime | None = None,
) -> RequestView:
    t = texts.ui(language)
    law = rules.laws.get(request.law)
    open_ = request.closed_at is None
    return RequestView(
        id=request.id,
        description=description(t, request),
        received=texts.date_time(language, request.received_at),
        law=law.name if law is not None else request.law,
        status_key=request.status,
        status=t[f"status_{request.status}"],
        due=texts.date(language, request.due_at) if open_ else None,
        extended=request.extended and open_,
        closed=texts.date_time(language, request.closed_at) if request.closed_at else None,
        reason=request.outcome if request.status == RequestStatus.REFUSED else None,
        steps=tuple(_step(t, language, step) for step in steps),
        systems=tuple(SystemView(system.name, t[f"system_{system.status}"]) for system in systems),
        export_url=export_url,
        receipt_url=receipt_url,
        link_expires=texts.date(language, link_expires_at) if link_expires_at else None,
    )


def _step(t: dict[str, str], language: str, step: PrivacyRequestStep) -> StepView:
    details = step.details or {}
    detail: str | None = None
    if step.action == "extended":
        detail = details.get("reason")
    elif step.action == "system_reported":
        name, status = details.get("system") or details.get("name"), details.get("status")
        detail = f"{name}: {t.get(f'system_{status}', status)}" if name and status else None
    label = t.get(f"action_{step.action}", step.action)
    return StepView(label, detail, texts.date_time(language, step.at), step.at.isoformat())

"""The console's privacy request queue: open requests by due date, one request's steps and systems, and the
operator's extension and refusal (each with a reason, a CSRF token and an audit entry).

Its routes join the console blueprint of views.py (sessions, CSRF, refusal pages and the audit helper are
that module's); it is imported at the end of views.py so that registering the blueprint brings them along.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from consent_service.clock import now
from consent_service.console import forms
from consent_service.console.views import _audit, _current, _render, blp
from consent_service.errors import ValidationFailed
from consent_service.extensions import db
from consent_service.flows.extend_privacy_request import extend_privacy_request
from consent_service.flows.refuse_privacy_request import refuse_privacy_request
from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.privacy_requests.service import DueState
from consent_service.runtime import app_signer, runtime
from consent_service.vocabulary import RequestStatus, RequestType

PAGE_SIZE = 50
MAX_ACTOR = 200  # privacy_request_steps.actor
# What each due state says in words: the colour of the row only repeats it.
DUE_LABELS: dict[DueState, str] = {
    "overdue": "Overdue",
    "due_soon": "Due soon",
    "on_time": "On time",
    "closed": "Closed",
}
AUDIT_ACTIONS = {"extend": "privacy_request_extended", "refuse": "privacy_request_refused"}
TYPE_NAMES: dict[str, str] = {
    RequestType.ACCESS: "Access (a copy of the data)",
    RequestType.DELETION: "Deletion",
    RequestType.CORRECTION: "Correction",
    RequestType.RESTRICTION: "Restriction",
    RequestType.OBJECTION: "Objection",
    RequestType.OPT_OUT_OF_SALE: "Opt-out of sale or sharing",
    RequestType.WITHDRAWAL: "Withdrawal of consents",
}
DONE_MESSAGES = {"extended": "Extended: the new due date is below.", "refused": "Refused: the person is told why."}


@dataclass(frozen=True)
class QueueRow:
    """One request as the queue shows it: its due state in words and the days left (or late)."""

    request: PrivacyRequest
    due_state: DueState
    due_label: str
    days_left: str


def days_left(due_at: datetime, *, moment: datetime) -> str:
    """Whole days left before the due date; a request past it is late by every day begun."""
    left = due_at - moment
    if left > timedelta(0):
        return "less than a day left" if left.days == 0 else _days(left.days, "left")
    late = -left
    days = late.days + (1 if late % timedelta(days=1) else 0)
    return "due now" if days == 0 else _days(days, "late")


def _days(count: int, word: str) -> str:
    return f"{count} day{'' if count == 1 else 's'} {word}"


def _row(item: PrivacyRequest, moment: datetime) -> QueueRow:
    state = privacy_requests.due_state(item, rules=runtime().rules.privacy_requests, now=moment)
    return QueueRow(
        request=item,
        due_state=state,
        due_label=DUE_LABELS[state],
        days_left="—" if state == "closed" else days_left(item.due_at, moment=moment),
    )


@blp.route("/privacy-requests")
def privacy_requests_page() -> ResponseReturnValue:
    """The queue: open requests (or those of one status) by due date, soonest first, with the counts above."""
    try:
        body = forms.load(forms.QueueFilterForm, request.args)
    except ValidationFailed as invalid:
        return _queue(errors=invalid.errors, shown="open", cursor=None)
    return _queue(errors={}, shown=body["status"], cursor=body["cursor"])


def _queue(*, errors: dict[str, list[str]], shown: str, cursor: str | None) -> ResponseReturnValue:
    moment = now()
    rules = runtime().rules.privacy_requests
    rows: list[QueueRow] = []
    next_cursor = None
    if not errors:
        try:
            page = privacy_requests.list_requests(
                session=db.session(),
                status=RequestStatus(shown) if shown in forms.REQUEST_STATUSES else None,
                due_before=None,
                open_only=shown == forms.OPEN,
                limit=PAGE_SIZE,
                cursor=cursor,
            )
        except ValidationFailed as invalid:  # a cursor that is not one
            errors = invalid.errors
        else:
            rows = [_row(item, moment) for item in page.requests]
            next_cursor = page.next_cursor
    return _render(
        "console/privacy_requests.html",
        422 if errors else 200,
        rows=rows,
        summary=privacy_requests.queue_summary(session=db.session(), rules=rules, now=moment),
        due_soon_days=rules.due_soon_days,
        shown=shown,
        statuses=forms.QUEUE_FILTERS,
        next_cursor=next_cursor,
        errors=errors,
        laws=rules.laws,
    )


@blp.route("/privacy-requests/<string(maxlength=40):request_id>")
def privacy_request_page(request_id: str) -> ResponseReturnValue:
    done = request.args.get("done")
    return _detail(request_id, message=DONE_MESSAGES.get(done or ""))


def _detail(
    request_id: str,
    *,
    status: int = 200,
    message: str | None = None,
    errors: dict[str, list[str]] | None = None,
    form: str | None = None,
) -> ResponseReturnValue:
    """One request: what it is, its due date, every step with time and actor, its systems, and the forms."""
    item = privacy_requests.get(session=db.session(), request_id=request_id)
    rules = runtime().rules.privacy_requests
    row = _row(item, now())
    law = rules.laws.get(item.law)
    return _render(
        "console/privacy_request.html",
        status,
        row=row,
        item=item,
        law=law,
        steps=privacy_requests.steps_of(session=db.session(), request_id=item.id),
        systems=privacy_requests.systems_of(session=db.session(), request_id=item.id),
        is_open=item.status in privacy_requests.OPEN_STATUSES,
        may_extend=law is not None and law.extension is not None and not item.extended,
        message=message,
        errors=errors or {},
        form=form,
        reason=request.form.get("reason", "") if errors else "",
        max_reason=privacy_requests.MAX_REASON,
        type_names=TYPE_NAMES,
    )


@blp.route("/privacy-requests/<string(maxlength=40):request_id>/extend", methods=["POST"])
def extend_privacy_request_form(request_id: str) -> ResponseReturnValue:
    """Move the due date by the law's extension, once, with the reason the person will be told."""
    return _act(request_id, "extend")


@blp.route("/privacy-requests/<string(maxlength=40):request_id>/refuse", methods=["POST"])
def refuse_privacy_request_form(request_id: str) -> ResponseReturnValue:
    """Close the request as refused, with the (legal) reason the person will be told."""
    return _act(request_id, "refuse")


def _act(request_id: str, action: str) -> ResponseReturnValue:
    try:
        body = forms.load(forms.ReasonForm, request.form)
        reason = privacy_requests.checked_reason(body["reason"])  # the service's rule, before anything is written
    except ValidationFailed as invalid:
        return _detail(request_id, status=422, errors=invalid.errors, form=action)
    item = privacy_requests.get(session=db.session(), request_id=request_id)
    # Written first, committed by the flow with the change itself: refused or failed, neither is kept.
    _audit(AUDIT_ACTIONS[action], item.id, reason=reason, type=item.type, due_at=item.due_at.isoformat())
    actor = f"operator:{_current().actor}"[:MAX_ACTOR]
    state = runtime()
    if action == "extend":
        extend_privacy_request(
            session=db.session(),
            rules=state.rules.privacy_requests,
            request_id=item.id,
            reason=reason,
            actor=actor,
            now=now(),
        )
    else:
        refuse_privacy_request(
            session=db.session(),
            settings=state.settings,
            signer=app_signer(),
            base_url=state.settings.token_issuer,
            request_id=item.id,
            reason=reason,
            actor=actor,
            now=now(),
        )
    done = "extended" if action == "extend" else "refused"
    return redirect(url_for("console.privacy_request_page", request_id=request_id, done=done), 303)

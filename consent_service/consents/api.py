"""HTTP endpoints of subjects' consents: record, state, history, checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView
from sqlalchemy.orm import Session

from consent_service.apikeys.auth import current_principal, current_snapshot, require_scope
from consent_service.clock import now
from consent_service.consents import evidence, idempotency
from consent_service.consents import service as consents
from consent_service.consents.schemas import (
    MAX_REVISION,
    CheckRequestSchema,
    CheckResponseSchema,
    EventPageSchema,
    HistoryQuerySchema,
    RecordEventsSchema,
    StateQuerySchema,
    SubjectStateSchema,
    check_response,
    subject_state_response,
)
from consent_service.consents.store import read_place, replica_reads
from consent_service.errors import ValidationFailed
from consent_service.extensions import db
from consent_service.flows.check_with_frameworks import FrameworkAsk, check_with_frameworks
from consent_service.flows.record_consent import outside_transaction, record_consent
from consent_service.frameworks.checks import TcfQuestion
from consent_service.metrics import count_check_answers
from consent_service.openapi import READ_PLACE_HEADER, READ_PLACE_HEADERS
from consent_service.preferences import service as preferences
from consent_service.regimes.request_country import place_from_cdn
from consent_service.runtime import app_signer, runtime
from consent_service.strict_json import Blueprint
from consent_service.subjects.schemas import SUBJECT_PATH
from consent_service.vocabulary import ActorType, Decision, Method, Scope, SubjectKind

blp = Blueprint("consents", __name__, url_prefix="/v1", description="Record consents, read state and history, check.")

# Instances, not classes: webargs builds a schema per request from a class, and these are the hot paths.
CHECK_REQUEST, RECORD_EVENTS, STATE_QUERY = CheckRequestSchema(), RecordEventsSchema(), StateQuerySchema()

IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": idempotency.MAX_KEY_LENGTH, "pattern": idempotency.KEY_PATTERN},
    "description": "Retries with the same key replay the first answer and write nothing new.",
}


CONSENT_REVISION = "Consent-Revision"
CONSENT_REVISION_HEADER = {
    "in": "header",
    "name": CONSENT_REVISION,
    "required": False,
    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_REVISION},
    "description": "The subject's revision of a write you made (every write answers it): the answer comes from a "
    "state at least that new, from the primary when the replica has not replayed it (read your writes). In a "
    "batch it applies to every check; a check's own min_revision, if larger, wins.",
}


@blp.route(f"{SUBJECT_PATH}/consent-events")
class ConsentEvents(MethodView):
    @require_scope(blp, Scope.CONSENTS_WRITE, confirms_generation=True)
    @blp.arguments(RECORD_EVENTS)
    @blp.response(201, SubjectStateSchema)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, body: dict[str, Any], kind: str, subject_id: str) -> Response:
        """Record decisions for a subject, all of them or none."""
        moment = now()

        def produce(optimistic: bool) -> idempotency.Answer:
            state = record_consent(
                session=db.session(),
                kind=kind,
                external_id=subject_id,
                events=[consents.EventInput(**event) for event in body["events"]],
                context=_event_context(body),
                rules=runtime().rules,
                now=moment,
                snapshot=current_snapshot(),
                optimistic=optimistic,
            )
            answer = subject_state_response(state)
            pending = [
                e["purpose"]
                for e in body["events"]
                if e["method"] is Method.DOUBLE_OPT_IN and e["decision"] is Decision.GRANTED
            ]
            if kind == SubjectKind.CUSTOMER and pending:
                # The sender emails these; the consent stays pending until one is confirmed.
                answer["confirmation_urls"] = {
                    purpose: preferences.confirmation_link(
                        session=db.session(),
                        signer=app_signer(),
                        base_url=runtime().settings.token_issuer,
                        customer_id=subject_id,
                        purpose=purpose,
                        language=None,
                    ).url
                    for purpose in pending
                }
            return idempotency.Answer(body=answer, status=201)

        key = request.headers.get("Idempotency-Key")
        answer = idempotency.run_once(
            session=db.session(),
            api_key_id=current_principal().key_id,
            key=key,
            fingerprint=lambda: idempotency.fingerprint(request.method, request.path, request.get_json()),
            # Without a key the ledger's write is the request's only one: a statement that commits by itself.
            produce=(lambda: produce(False)) if key else lambda: outside_transaction(db.session(), produce),
            now=moment,
            snapshot=current_snapshot(),
        )
        response = jsonify(answer.body)
        response.status_code = answer.status
        if answer.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    @require_scope(blp, Scope.CONSENTS_READ)
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, EventPageSchema, headers=READ_PLACE_HEADERS)
    @blp.doc(parameters=[CONSENT_REVISION_HEADER])
    def get(self, query: dict[str, Any], kind: str, subject_id: str) -> tuple[dict[str, object], dict[str, str]]:
        """The subject's ledger, newest first, cursor-paginated."""
        (events, next_cursor), place = runtime().reads.run(
            db.session(),
            lambda session: consents.list_events(
                session=session,
                kind=kind,
                external_id=subject_id,
                purpose=query.get("purpose"),
                limit=query["limit"],
                cursor=query.get("cursor"),
            ),
            replayed=_holds_revision(kind, subject_id, max(_revision_header(), query.get("min_revision", 0))),
        )
        return {"events": events, "next_cursor": next_cursor}, {READ_PLACE_HEADER: place.value}


@blp.route(f"{SUBJECT_PATH}/consents")
@require_scope(blp, Scope.CONSENTS_READ, confirms_generation=True, read_only=True)
@blp.arguments(STATE_QUERY, location="query")
@blp.response(200, SubjectStateSchema, headers=READ_PLACE_HEADERS)
@blp.doc(parameters=[CONSENT_REVISION_HEADER])
def subject_state(query: dict[str, Any], kind: str, subject_id: str) -> Response:
    """The current decision for every purpose, defaults included."""
    session = db.session()
    with replica_reads(session):
        state = consents.read_state(
            session=session,
            kind=kind,
            external_id=subject_id,
            rules=runtime().rules,
            now=now(),
            country=query.get("country"),
            region=query.get("region"),
            pepper=runtime().settings.erasure_pepper,
            snapshot=current_snapshot(),
            min_revision=max(_revision_header(), query.get("min_revision", 0)),
        )
    # Serialized here, not by @blp.response (which documents it): see subject_state_response.
    return _read_from(session, jsonify(subject_state_response(state)))


@blp.route("/checks", methods=["POST"])
@require_scope(blp, Scope.CONSENTS_READ, confirms_generation=True, read_only=True)
@blp.arguments(CHECK_REQUEST)
@blp.response(200, CheckResponseSchema, headers=READ_PLACE_HEADERS)
@blp.doc(parameters=[CONSENT_REVISION_HEADER])
def checks(body: dict[str, Any]) -> Response:
    """May I process this subject's data for these purposes now? One check, or a batch of up to 100."""
    batch = "checks" in body
    items = body["checks"] if batch else [body]
    # The CDN's place is the request's, the same for every check of a batch that names none.
    cdn = (None, None) if all(item.get("country") or item.get("region") for item in items) else place_from_cdn()
    revision = _revision_header()
    requests = [_check_request(item, cdn, revision) for item in items]
    session, rules, snapshot = db.session(), runtime().rules, current_snapshot()
    pepper, prefix = runtime().settings.erasure_pepper, "checks" if batch else None
    if any("signals" in item or "tcf" in item for item in items):
        with replica_reads(session):
            answers = check_with_frameworks(
                session=session,
                requests=requests,
                asks=[_framework_ask(item) for item in items],
                rules=rules,
                now=now(),
                field_prefix=prefix,
                pepper=pepper,
                snapshot=snapshot,
            )
        count_check_answers([answer.result for answer in answers])
        bodies = [check_response(answer.result) | answer.extras for answer in answers]
        return _read_from(session, jsonify({"results": bodies} if batch else bodies[0]))
    with replica_reads(session):
        results = consents.check_many(
            session=session,
            requests=requests,
            rules=rules,
            now=now(),
            field_prefix=prefix,
            pepper=pepper,
            snapshot=snapshot,
        )
    count_check_answers(results)
    # Serialized here, not by @blp.response (which documents it): see check_response.
    return _read_from(session, jsonify(check_response({"results": results} if batch else results[0])))


def _revision_header() -> int:
    """The Consent-Revision header: a revision of the subject the caller saw written (0 without one)."""
    raw = request.headers.get(CONSENT_REVISION)
    if raw is None:
        return 0
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_REVISION:
        raise ValidationFailed(
            "Consent-Revision must be a revision the service answered: an integer of at least 0.",
            errors={CONSENT_REVISION: [f"Not a revision: {raw[:40]!r}."]},
        )
    return int(text)


def _holds_revision(kind: str, external_id: str, revision: int) -> Callable[[Session], bool] | None:
    """Read your writes: a server may answer once it holds the subject at `revision` (None: any server may)."""
    if not revision:
        return None
    return lambda session: consents.subject_revision(session=session, kind=kind, external_id=external_id) >= revision


def _read_from(session: Session, response: Response) -> Response:
    """The answer says which server it was read from (X-Consent-Read)."""
    response.headers[READ_PLACE_HEADER] = read_place(session).value
    return response


def _framework_ask(item: dict[str, Any]) -> FrameworkAsk:
    question = item.get("tcf")
    return FrameworkAsk(
        signals=frozenset(item.get("signals", ())),
        tcf=None
        if question is None
        else TcfQuestion(
            vendor=question["vendor"],
            purposes=tuple(question["purposes"]),
            legitimate_interest_purposes=tuple(question["legitimate_interest_purposes"]),
            special_features=tuple(question["special_features"]),
        ),
    )


def _check_request(item: dict[str, Any], cdn: tuple[str | None, str | None], revision: int) -> consents.CheckRequest:
    """A check names its place (country, region or both), or the CDN's place is the check's."""
    named = item.get("country") or item.get("region")
    return consents.CheckRequest(
        kind=item["subject"]["kind"].value,
        external_id=item["subject"]["id"],
        purposes=item["purposes"],
        country=item.get("country") if named else cdn[0],
        region=item.get("region") if named else cdn[1],
        destination_country=item.get("destination_country"),
        gpc=item.get("gpc", False),
        on_behalf_of=item.get("on_behalf_of"),
        legal_effect=item.get("legal_effect", False),
        necessity=item.get("necessity"),
        recipient=item.get("recipient"),
        min_revision=max(revision, item.get("min_revision", 0)),
    )


def _event_context(body: dict[str, Any]) -> consents.EventContext:
    actor = body.get("actor") or {"type": ActorType.SUBJECT}
    return consents.EventContext(
        notice_version=body.get("notice_version"),
        country=body.get("country"),
        region=body.get("region"),
        destination_country=body.get("destination_country"),
        age=body.get("age"),
        property_key=body.get("property"),
        actor_type=actor["type"],
        actor_id=actor.get("id"),
        evidence=evidence.minimize(**body.get("evidence", {})),
        gpc=body.get("gpc", False),
        notified_at=body.get("notified_at"),
    )

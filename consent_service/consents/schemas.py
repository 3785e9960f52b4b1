"""Wire format of the subject, consent, history and check endpoints."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.fields import (
    COUNTRY,
    PURPOSE_KEY,
    RECIPIENT_KEY,
    REGION,
    FullMatch,
    JsonBoolean,
    JsonInteger,
    country_field,
    region_field,
    signals_field,
)
from consent_service.subjects.identifiers import canonical
from consent_service.subjects.schemas import SubjectId
from consent_service.vocabulary import ActorType, Basis, Decision, Method, Necessity, Regime, SubjectKind

if TYPE_CHECKING:
    from consent_service.consents.models import ConsentEvent
    from consent_service.consents.service import CheckResult, SubjectState
    from consent_service.consents.state import PurposeState

DESTINATION = FullMatch(r"[A-Z]{2}|\*", error="A country code such as US, or * for every destination.")
# A subject's or an organization's id, as the caller knows it.
EXTERNAL_ID = validate.Length(1, 255)
NOTICE_VERSION = validate.Length(1, 64)
PROPERTY_KEY = validate.Length(1, 64)
JURISDICTION = {
    "description": "The subdivision (US-CA) or country whose rules gave the answer; null: the default "
    "regime's (rules file: subdivision, then country, then default_regime)."
}
MAX_EVENTS_PER_REQUEST = 100
MAX_PURPOSES_PER_CHECK = 50
MAX_CHECKS_PER_BATCH = 100
# Revisions are 64-bit on PostgreSQL.
MAX_REVISION = 2**63 - 1
MIN_REVISION = {
    "description": "The subject's revision of a write you made (every write answers it): the answer comes from a "
    "state at least that new, from the primary when the replica has not replayed it (read your writes). Beside "
    "the Consent-Revision header, the larger counts."
}


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ma.ValidationError("Not an IP address.") from None
    return True


def gpc_field() -> JsonBoolean:
    return JsonBoolean(metadata={"description": "A Global Privacy Control signal came with the request."})


class SubjectRefSchema(ma.Schema):
    kind = fields.Enum(SubjectKind, by_value=True, required=True)
    id = SubjectId(required=True, validate=EXTERNAL_ID)


class EventInSchema(ma.Schema):
    purpose = fields.String(required=True, validate=PURPOSE_KEY)
    decision = fields.Enum(Decision, by_value=True, required=True)
    # `linked` is written only by the service when a visitor logs in as a customer.
    method = fields.Enum(
        Method,
        by_value=True,
        required=True,
        validate=validate.NoneOf([Method.LINKED], error="Only the service records linked events."),
    )


class ActorSchema(ma.Schema):
    type = fields.Enum(ActorType, by_value=True, required=True)
    id = fields.String(validate=validate.Length(1, 255), allow_none=True)


class EvidenceInSchema(ma.Schema):
    """What a caller may say about how consent was given; the service minimizes it before storing."""

    reference = fields.String(validate=validate.Length(1, 200))
    # 45 characters: the longest textual IPv6 address (an IPv4-mapped one).
    ip = fields.String(
        validate=[validate.Length(max=45), _is_ip],
        # What _is_ip accepts (ipaddress.ip_address), in the formats JSON Schema names.
        metadata={
            "description": "An IPv4 or IPv6 address; stored truncated to its /24 or /48 network.",
            "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}],
        },
    )
    user_agent = fields.String(
        validate=validate.Length(1, 512), metadata={"description": "Stored as the browser family only."}
    )


class RecordEventsSchema(ma.Schema):
    class Meta:
        # _notice_unless_withdrawing, in the OpenAPI document: a notice version, or withdrawals only.
        withdrawals_only: ClassVar = {"items": {"properties": {"decision": {"enum": [Decision.WITHDRAWN.value]}}}}
        json_schema: ClassVar = {
            "anyOf": [{"required": ["notice_version"]}, {"properties": {"events": withdrawals_only}}]
        }

    events = fields.List(
        fields.Nested(EventInSchema), required=True, validate=validate.Length(1, MAX_EVENTS_PER_REQUEST)
    )
    notice_version = fields.String(
        validate=NOTICE_VERSION,
        metadata={
            "description": "The notice the person decided under. Required, unless every event is a withdrawal: "
            "then the notice in force is recorded, and the events' evidence says where it came from (notice: "
            "in_force, last_decision or none)."
        },
    )
    country = country_field()
    region = region_field()
    destination_country = fields.String(
        validate=DESTINATION,
        metadata={"description": "For cross_border_transfer: the destination consented to, or * for all."},
    )
    gpc = gpc_field()
    property = fields.String(validate=PROPERTY_KEY)
    actor = fields.Nested(ActorSchema)
    evidence = fields.Nested(EvidenceInSchema)
    age = fields.Integer(validate=validate.Range(0, 150))
    notified_at = fields.AwareDateTime(
        metadata={
            "description": (
                "When the person was given the notice notice_version (for a call, when the recording announcement "
                "played). Required for an implied grant of recording (implied_by_continuing); never later than now."
            )
        }
    )

    @ma.validates_schema(skip_on_field_errors=True)
    def _notice_unless_withdrawing(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Withdrawing is as easy as consenting (GDPR 7(3)): no notice to name; any other decision names its own."""
        withdrawals_only = all(event["decision"] is Decision.WITHDRAWN for event in data["events"])
        if "notice_version" not in data and not withdrawals_only:
            raise ma.ValidationError(
                "Missing data for required field: only a request whose every event is a withdrawal may omit it.",
                "notice_version",
            )

    def load(self, data, *, many=None, partial=None, unknown=None):
        """marshmallow's load; a plainly valid request (plain_record_events) skips its per-field
        machinery, and anything else, every error included, goes through it unchanged."""
        if not (many or self.many or partial):
            plain = plain_record_events(data)
            if plain is not None:
                return plain
        return super().load(data, many=many, partial=partial, unknown=unknown)


BASIS = {
    "enum": [basis.value for basis in Basis],
    "description": "On what ground an allowed answer allows; null when it does not allow.",
}
RULE = {
    "description": "What decided: a path in the rules file (e.g. regimes.opt_out.purposes.advertising.default, "
    "transfers.EEA.adequate), or event (the subject's latest recorded decision), minors, "
    "restriction, suppression, ... (docs/rules.md)."
}


class PurposeStateSchema(ma.Schema):
    decision = fields.String(required=True)
    allowed = JsonBoolean(required=True)
    reason = fields.String(required=True)
    source = fields.String(required=True, metadata={"description": "event, or default for the regime"})
    method = fields.String(allow_none=True)
    notice_version = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    reconsent_required = JsonBoolean(required=True)
    basis = fields.String(allow_none=True, metadata=BASIS)
    rule = fields.String(allow_none=True, metadata=RULE)


class SubjectStateSchema(ma.Schema):
    subject = fields.Method("_subject", required=True)
    revision = fields.Integer(required=True)
    regime = fields.String(required=True, metadata={"enum": [r.value for r in Regime]})
    jurisdiction = fields.String(allow_none=True, required=True, metadata=JURISDICTION)
    consents = fields.Dict(keys=fields.String(), values=fields.Nested(PurposeStateSchema), required=True)
    confirmation_urls = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        dump_only=True,
        metadata={"description": "After a double_opt_in grant: the link to email, per purpose."},
    )

    def _subject(self, state: SubjectState) -> dict:
        return {"kind": state.kind, "id": state.id}


class EventOutSchema(ma.Schema):
    id = fields.String(required=True)
    revision = fields.Integer(required=True)
    purpose = fields.String(required=True)
    decision = fields.String(required=True)
    method = fields.String(required=True)
    notice_version = fields.String(required=True)
    regime = fields.String(required=True)
    country = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    destination_country = fields.String(allow_none=True)
    age = fields.Integer(allow_none=True)
    property = fields.String(attribute="property_key", allow_none=True)
    language = fields.String(allow_none=True)
    banner_version = fields.String(allow_none=True)
    actor = fields.Method("_actor", required=True)
    evidence = fields.Dict(required=True)
    notified_at = fields.DateTime(allow_none=True, metadata={"description": "When the person was notified, if said."})
    recorded_at = fields.DateTime(required=True)

    def _actor(self, event: ConsentEvent) -> dict:
        return {"type": event.actor_type, "id": event.actor_id}


class EventPageSchema(ma.Schema):
    events = fields.List(fields.Nested(EventOutSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


def min_revision_query_field() -> fields.Integer:
    """min_revision in a query string, where it arrives as text (a body's is a JSON integer: min_revision_field)."""
    return fields.Integer(validate=validate.Range(0, MAX_REVISION), metadata=MIN_REVISION)


class HistoryQuerySchema(ma.Schema):
    purpose = fields.String(validate=PURPOSE_KEY)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(validate=validate.Length(1, 64))
    min_revision = min_revision_query_field()


class StateQuerySchema(ma.Schema):
    country = country_field()
    region = region_field()
    min_revision = min_revision_query_field()


def min_revision_field() -> JsonInteger:
    return JsonInteger(validate=validate.Range(0, MAX_REVISION), metadata=MIN_REVISION)


ON_BEHALF_OF = {"description": "Customer id of the organization an automated decision is made for."}
LEGAL_EFFECT = {
    "description": "automated_decisions: the decision has legal or similarly significant effect "
    "on the person (GDPR Art. 22); in opt-in regimes it then needs explicit consent "
    "or a declared necessity."
}
NECESSITY = {
    "description": "With legal_effect: the operator declares the decision necessary for entering into "
    "or performing a contract with the person (GDPR Art. 22(2)(a)) instead of consent; "
    "the answer's reason is then contract_necessity."
}


def legal_effect_field() -> JsonBoolean:
    return JsonBoolean(metadata=LEGAL_EFFECT)


def necessity_field() -> fields.Enum:
    return fields.Enum(Necessity, by_value=True, metadata=NECESSITY)


# _require_legal_effect, in the OpenAPI document: no necessity, or legal_effect: true beside it.
NECESSITY_NEEDS_LEGAL_EFFECT = {
    "anyOf": [
        {"not": {"required": ["necessity"]}},
        {"required": ["legal_effect"], "properties": {"legal_effect": {"enum": [True]}}},
    ]
}


def _require_legal_effect(data: dict) -> None:
    """A necessity is declared for a decision with legal effect only; anywhere else it would be unread."""
    if "necessity" in data and not data.get("legal_effect"):
        raise ma.ValidationError("Declared only for a decision with legal_effect: true.", "necessity")


RECIPIENT = {
    "description": "For cross_border_transfer: the registered recipient (/v1/recipients) whose safeguards "
    "may allow the transfer; its country is the destination when destination_country is omitted."
}


def recipient_field() -> fields.String:
    return fields.String(validate=RECIPIENT_KEY, metadata=RECIPIENT)


# The TCF ids a check may name (TCF v2.3 purposes 1-11, special features 1-2).
TCF_PURPOSE_IDS = validate.Range(1, 11)
TCF_SPECIAL_FEATURE_IDS = validate.Range(1, 2)


SIGNALS = (
    "Also answer with the subject's IAB strings, for server-to-server ad calls: gpp (the GPP string of this answer: "
    "usnat and the state's section, its applicableSections) and tcf (the TC string of its last banner choice, or null)."
)


class TcfQuestionSchema(ma.Schema):
    """May this TCF vendor process the subject's data, by the TC string of its last banner choice?"""

    vendor = fields.Integer(required=True, validate=validate.Range(1, 65535), metadata={"description": "GVL id"})
    purposes = fields.List(
        fields.Integer(validate=TCF_PURPOSE_IDS),
        load_default=list,
        validate=validate.Length(max=11),
        metadata={"description": "TCF purposes by consent"},
    )
    legitimate_interest_purposes = fields.List(
        fields.Integer(validate=TCF_PURPOSE_IDS),
        load_default=list,
        validate=validate.Length(max=11),
        metadata={"description": "TCF purposes by legitimate interest: refused where the subject objected"},
    )
    special_features = fields.List(
        fields.Integer(validate=TCF_SPECIAL_FEATURE_IDS),
        load_default=list,
        validate=validate.Length(max=2),
        metadata={"description": "TCF special features (opt-in)"},
    )

    class Meta:
        # _asks_something, in the OpenAPI document: one of the three lists is not empty.
        json_schema: ClassVar = {
            "anyOf": [
                {"required": [name], "properties": {name: {"minItems": 1}}}
                for name in ("purposes", "legitimate_interest_purposes", "special_features")
            ]
        }

    @ma.validates_schema
    def _asks_something(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not (data["purposes"] or data["legitimate_interest_purposes"] or data["special_features"]):
            raise ma.ValidationError("Name at least one purpose, legitimate interest purpose or special feature.")


class CheckInSchema(ma.Schema):
    class Meta:
        json_schema: ClassVar = NECESSITY_NEEDS_LEGAL_EFFECT

    subject = fields.Nested(SubjectRefSchema, required=True)
    purposes = fields.List(
        fields.String(validate=PURPOSE_KEY, metadata={"example": "analytics"}),
        required=True,
        validate=validate.Length(1, MAX_PURPOSES_PER_CHECK),
    )
    country = country_field()
    region = region_field()
    destination_country = country_field()
    gpc = gpc_field()
    on_behalf_of = fields.String(validate=EXTERNAL_ID, metadata=ON_BEHALF_OF)
    recipient = recipient_field()
    legal_effect = legal_effect_field()
    necessity = necessity_field()
    min_revision = min_revision_field()
    signals = signals_field(SIGNALS)
    tcf = fields.Nested(
        TcfQuestionSchema,
        metadata={"description": "A TCF vendor's answer: it joins allowed (allowed only if the vendor is too)."},
    )

    @ma.validates_schema
    def _necessity(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _require_legal_effect(data)


class CheckRequestSchema(ma.Schema):
    """Either one check (subject, purposes, ...) or a batch ({"checks": [...]})."""

    class Meta:
        # _one_form, in the OpenAPI document: a batch alone, or one check (with its necessity rule) without one.
        json_schema: ClassVar = {
            "oneOf": [
                {"required": ["checks"], "maxProperties": 1},
                {"required": ["subject", "purposes"], "not": {"required": ["checks"]}, **NECESSITY_NEEDS_LEGAL_EFFECT},
            ]
        }

    subject = fields.Nested(SubjectRefSchema)
    purposes = fields.List(fields.String(validate=PURPOSE_KEY), validate=validate.Length(1, MAX_PURPOSES_PER_CHECK))
    country = country_field()
    region = region_field()
    destination_country = country_field()
    gpc = gpc_field()
    on_behalf_of = fields.String(validate=EXTERNAL_ID, metadata=ON_BEHALF_OF)
    recipient = recipient_field()
    legal_effect = legal_effect_field()
    necessity = necessity_field()
    min_revision = min_revision_field()
    signals = signals_field(SIGNALS)
    tcf = fields.Nested(
        TcfQuestionSchema,
        metadata={"description": "A TCF vendor's answer: it joins allowed (allowed only if the vendor is too)."},
    )
    checks = fields.List(fields.Nested(CheckInSchema), validate=validate.Length(1, MAX_CHECKS_PER_BATCH))

    @ma.validates_schema
    def _one_form(self, data: dict[str, Any], **_kwargs: Any) -> None:
        single = set(CheckInSchema._declared_fields) & data.keys()
        if "checks" in data and single:
            raise ma.ValidationError("Send either one check or a batch in 'checks', not both.", "checks")
        if "checks" not in data:
            missing = {"subject", "purposes"} - data.keys()
            errors = {name: ["Missing data for required field."] for name in sorted(missing)}
            if errors:
                raise ma.ValidationError(errors)
            _require_legal_effect(data)

    def load(self, data, *, many=None, partial=None, unknown=None):
        """marshmallow's load; a plainly valid request (plain_check_request) skips its per-field
        machinery, and anything else, every error included, goes through it unchanged."""
        if not (many or self.many or partial):
            plain = plain_check_request(data)
            if plain is not None:
                return plain
        return super().load(data, many=many, partial=partial, unknown=unknown)


# Plain loads: the hottest requests, when every value is of the plain JSON type and within the bounds
# their schema checks, are loaded by hand into exactly what the schema's load returns (enum members
# included). Anything unusual (a wrong type, a value out of bounds, an unknown or missing field) gives
# None, and the schema decides and words the errors. tests/consents/test_plain_loads.py holds them equal.


def _text_matching(pattern: FullMatch) -> Callable[[object], bool]:
    return pattern.matches


def _text_within(length: validate.Length) -> Callable[[object], bool]:
    low, high = length.min, length.max
    if low is None or high is None:
        raise ValueError("A plain load checks a length with both bounds.")
    return lambda value: type(value) is str and low <= len(value) <= high


def _flag(value: object) -> bool:
    return type(value) is bool


def _revision(value: object) -> bool:
    return type(value) is int and 0 <= value <= MAX_REVISION


def _copy_optional(item: dict, loaded: dict, optional: tuple) -> bool:
    """Copy each optional field present in `item` into `loaded`, in the schema's order; False if one is not plain."""
    for name, plain in optional:
        if name in item:
            if not plain(item[name]):
                return False
            loaded[name] = item[name]
    return True


SUBJECT_KINDS = {kind.value: kind for kind in SubjectKind}
DECISIONS = {decision.value: decision for decision in Decision}
CALLER_METHODS = {method.value: method for method in Method if method is not Method.LINKED}
is_purpose_key, is_external_id = _text_matching(PURPOSE_KEY), _text_within(EXTERNAL_ID)
is_notice_version = _text_within(NOTICE_VERSION)
SUBJECT_FIELDS = frozenset(SubjectRefSchema._declared_fields)
# `necessity` (it needs legal_effect), `signals` and `tcf` are not among them: a check naming one is left to the
# schema.
CHECK_OPTIONAL = (
    ("country", _text_matching(COUNTRY)),
    ("region", _text_matching(REGION)),
    ("destination_country", _text_matching(COUNTRY)),
    ("gpc", _flag),
    ("on_behalf_of", is_external_id),
    ("recipient", _text_matching(RECIPIENT_KEY)),
    ("legal_effect", _flag),
    ("min_revision", _revision),
)
# What a plain load copies; any other field of the schema (or none of it) is the schema's to load.
PLAIN_CHECK_FIELDS = frozenset({"subject", "purposes"} | {name for name, _ in CHECK_OPTIONAL})
EVENT_FIELDS = frozenset(EventInSchema._declared_fields)
RECORD_OPTIONAL = (
    ("country", _text_matching(COUNTRY)),
    ("region", _text_matching(REGION)),
    ("destination_country", _text_matching(DESTINATION)),
    ("gpc", _flag),
    ("property", _text_within(PROPERTY_KEY)),
)
PLAIN_RECORD_FIELDS = frozenset({"events", "notice_version"} | {name for name, _ in RECORD_OPTIONAL})


def plain_check_request(data: object) -> dict | None:
    """CheckRequestSchema().load(data) for a plainly valid check or batch of checks, else None."""
    if type(data) is not dict:
        return None
    if "checks" not in data:
        return _plain_check(data)
    checks = data["checks"]
    if len(data) != 1 or type(checks) is not list or not 1 <= len(checks) <= MAX_CHECKS_PER_BATCH:
        return None
    loaded = []
    for item in checks:
        check = _plain_check(item)
        if check is None:
            return None
        loaded.append(check)
    return {"checks": loaded}


def _plain_check(item: object) -> dict | None:
    """One check (CheckInSchema's fields, both required ones present), or None."""
    if type(item) is not dict or not item.keys() <= PLAIN_CHECK_FIELDS:
        return None
    subject, purposes = item.get("subject"), item.get("purposes")
    if type(subject) is not dict or subject.keys() != SUBJECT_FIELDS:
        return None
    kind, external_id = subject["kind"], subject["id"]
    if type(kind) is not str or kind not in SUBJECT_KINDS or type(external_id) is not str:
        return None
    external_id = canonical(external_id)  # as SubjectId loads it
    if not is_external_id(external_id):
        return None
    if type(purposes) is not list or not 1 <= len(purposes) <= MAX_PURPOSES_PER_CHECK:
        return None
    if not all(is_purpose_key(purpose) for purpose in purposes):
        return None
    loaded = {"subject": {"kind": SUBJECT_KINDS[kind], "id": external_id}, "purposes": list(purposes)}
    return loaded if _copy_optional(item, loaded, CHECK_OPTIONAL) else None


def plain_record_events(data: object) -> dict | None:
    """RecordEventsSchema().load(data) for plainly valid events (no actor, evidence or age), else None."""
    if type(data) is not dict or not data.keys() <= PLAIN_RECORD_FIELDS:
        return None
    events, notice_version = data.get("events"), data.get("notice_version")
    if (
        type(events) is not list
        or not 1 <= len(events) <= MAX_EVENTS_PER_REQUEST
        or not is_notice_version(notice_version)
    ):
        return None
    loaded_events = []
    for event in events:
        if type(event) is not dict or event.keys() != EVENT_FIELDS:
            return None
        purpose, decision, method = event["purpose"], event["decision"], event["method"]
        if (
            not is_purpose_key(purpose)
            or type(decision) is not str
            or decision not in DECISIONS
            or type(method) is not str
            or method not in CALLER_METHODS
        ):
            return None
        loaded_events.append({"purpose": purpose, "decision": DECISIONS[decision], "method": CALLER_METHODS[method]})
    loaded = {"events": loaded_events, "notice_version": notice_version}
    return loaded if _copy_optional(data, loaded, RECORD_OPTIONAL) else None


RECORDING_CONSENT = {
    "description": "recording only: all_parties where every party must consent (two-party-consent "
    "states: a default never allows), else one_party.",
    "enum": ["all_parties", "one_party"],
}


class CheckDecisionSchema(ma.Schema):
    allowed = JsonBoolean(required=True)
    reason = fields.String(required=True)
    basis = fields.String(allow_none=True, metadata=BASIS)
    rule = fields.String(allow_none=True, metadata=RULE)
    recipient = fields.String(metadata={"description": "The recipient a transfer check named; absent otherwise."})
    recording_consent = fields.String(metadata=RECORDING_CONSENT)

    @ma.post_dump
    def _only_when_said(self, data: dict[str, Any], **_kwargs: Any) -> dict:
        """`recipient` only when a transfer check named one, `recording_consent` only on recording."""
        for name in ("recipient", "recording_consent"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class GppSignalSchema(ma.Schema):
    string = fields.String(required=True, metadata={"description": "The GPP string"})
    applicable_sections = fields.List(fields.Integer(), required=True, metadata={"description": "applicableSections"})


class TcSignalSchema(ma.Schema):
    tc_string = fields.String(
        required=True, allow_none=True, metadata={"description": "The TC string of the last banner choice, or null"}
    )


class SignalsSchema(ma.Schema):
    gpp = fields.Nested(GppSignalSchema)
    tcf = fields.Nested(TcSignalSchema)


class TcfAnswerSchema(ma.Schema):
    vendor = fields.Integer(required=True)
    allowed = JsonBoolean(required=True)
    reason = fields.String(
        required=True,
        metadata={
            "enum": [
                "granted",
                "no_tc_string",
                "publisher_restricted",
                "vendor_not_consented",
                "purpose_not_consented",
                "objected",
                "special_feature_not_opted_in",
            ]
        },
    )
    ids = fields.List(fields.Integer(), metadata={"description": "The TCF ids the refusal is about"})


class CheckResultSchema(ma.Schema):
    allowed = JsonBoolean(required=True)
    decisions = fields.Dict(keys=fields.String(), values=fields.Nested(CheckDecisionSchema), required=True)
    jurisdiction = fields.String(allow_none=True, required=True, metadata=JURISDICTION)
    signals = fields.Nested(SignalsSchema, metadata={"description": "Only when the check asked for signals"})
    tcf = fields.Nested(TcfAnswerSchema, metadata={"description": "Only when the check asked about a TCF vendor"})


class CheckResponseSchema(ma.Schema):
    """One check answers allowed/decisions; a batch answers results, in order."""

    allowed = JsonBoolean()
    decisions = fields.Dict(keys=fields.String(), values=fields.Nested(CheckDecisionSchema))
    jurisdiction = fields.String(allow_none=True, metadata=JURISDICTION)
    signals = fields.Nested(SignalsSchema, metadata={"description": "Only when the check asked for signals"})
    tcf = fields.Nested(TcfAnswerSchema, metadata={"description": "Only when the check asked about a TCF vendor"})
    results = fields.List(fields.Nested(CheckResultSchema))


def check_response(answer: CheckResult | dict[str, list[CheckResult]]) -> dict:
    """What CheckResponseSchema().dump(answer) gives, for one CheckResult or {"results": [...]},
    built without marshmallow's per-field machinery: /v1/checks is the hottest path. The schema
    stays the description (OpenAPI); tests/consents/test_check_response.py holds the two equal."""
    if isinstance(answer, dict):
        return {"results": [_check_result(result) for result in answer["results"]]}
    return _check_result(answer)


def _check_result(result: CheckResult) -> dict:
    return {
        "allowed": result.allowed,
        "decisions": {str(key): _check_decision(decision) for key, decision in result.decisions.items()},
        "jurisdiction": result.jurisdiction,
    }


def _check_decision(decision: PurposeState) -> dict:
    answer = {
        "allowed": decision.allowed,
        "reason": str(decision.reason),
        "basis": None if decision.basis is None else str(decision.basis),
        "rule": decision.rule,
    }
    if decision.recipient is not None:
        answer["recipient"] = decision.recipient
    if decision.recording_consent is not None:  # recording decisions only
        answer["recording_consent"] = decision.recording_consent
    return answer


def subject_state_response(state: SubjectState) -> dict:
    """What SubjectStateSchema().dump(state) gives, built without marshmallow's per-field machinery:
    every consent write and state read answers with it. The schema stays the description (OpenAPI);
    tests/consents/test_check_response.py holds the two equal."""
    return {
        "subject": {"kind": state.kind, "id": state.id},
        "revision": state.revision,
        "regime": str(state.regime),
        "jurisdiction": state.jurisdiction,
        "consents": {str(key): _purpose_state(purpose) for key, purpose in state.consents.items()},
    }


def _purpose_state(state: PurposeState) -> dict:
    return {
        "decision": str(state.decision),
        "allowed": state.allowed,
        "reason": str(state.reason),
        "source": str(state.source),
        "method": None if state.method is None else str(state.method),
        "notice_version": None if state.notice_version is None else str(state.notice_version),
        "updated_at": None if state.updated_at is None else state.updated_at.isoformat(),
        "reconsent_required": state.reconsent_required,
        "basis": None if state.basis is None else str(state.basis),
        "rule": state.rule,
    }

"""The closed sets of the domain (subject kinds, decisions, methods, actors, regimes, scopes) and the shapes of its
keys."""

from __future__ import annotations

from enum import StrEnum

# The shapes of keys every domain names, unanchored (match them whole): the wire schemas build their
# validators from these (consent_service.fields), the rules file is checked against the same.
PURPOSE_KEY_PATTERN = r"[a-z][a-z0-9_]{1,63}"
RECIPIENT_KEY_PATTERN = r"[a-z0-9][a-z0-9_-]{1,63}"
COUNTRY_PATTERN = r"[A-Z]{2}"  # ISO 3166-1 alpha-2
REGION_PATTERN = r"[A-Z]{2}-[A-Z0-9]{1,3}"  # ISO 3166-2
# The web addresses the service stores: http(s), a host name or address of letters, digits, dots and hyphens (no
# credentials, no IPv6 literal), a port urllib reads (0-65535), then a path or query. A page may carry a fragment;
# a webhook may not (check_url refuses it: a fragment is never sent).
_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"
_PORT = r"(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
# Python's \s also matches U+001C-U+001F and U+0085, a JSON Schema (ECMAScript) \s does not: naming them keeps the
# document's pattern the same set as the validation's.
NOT_SPACE = r"[^\s\x1c-\x1f\x85]"
PAGE_URL_PATTERN = rf"https?://{_HOST}{_PORT}(?:[/?#]{NOT_SPACE}*)?"
WEBHOOK_URL_PATTERN = rf"https?://{_HOST}{_PORT}(?:[/?][^\s\x1c-\x1f\x85#]*)?"
# An origin as browsers send it in the Origin header: scheme, host, port, nothing after (a trailing / is dropped).
ORIGIN_PATTERN = rf"https?://{_HOST}{_PORT}/?"
# An email address as the mailer sends to it (consent_service.mail.transport.ADDRESS).
_MAILBOX = "[^\\s\\x1c-\\x1f\\x85<>\"'(),;:@]+"
EMAIL_PATTERN = rf"{_MAILBOX}@{_MAILBOX}"


class SubjectKind(StrEnum):
    VISITOR = "visitor"
    CUSTOMER = "customer"


class Decision(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class Method(StrEnum):
    BANNER_ACCEPT_ALL = "banner_accept_all"
    BANNER_REJECT_ALL = "banner_reject_all"
    BANNER_CUSTOM = "banner_custom"
    PREFERENCE_PAGE = "preference_page"
    ONE_CLICK_UNSUBSCRIBE = "one_click_unsubscribe"
    API = "api"
    VERBAL = "verbal"
    IMPLIED_BY_CONTINUING = "implied_by_continuing"
    GPC = "gpc"
    WRITTEN = "written"
    # Email marketing asked for and not yet confirmed from the inbox: recorded, not yet allowed.
    DOUBLE_OPT_IN = "double_opt_in"
    DOUBLE_OPT_IN_CONFIRMED = "double_opt_in_confirmed"
    # A visitor's cookie choice carried over to the customer it logged in as; never accepted from callers.
    LINKED = "linked"
    # Recorded by a privacy request's fulfilment (an objection, an opt-out of sale, a withdrawal); never sent.
    PRIVACY_REQUEST = "privacy_request"


# The ways of choosing on the banner.
BANNER_METHODS = (Method.BANNER_ACCEPT_ALL, Method.BANNER_REJECT_ALL, Method.BANNER_CUSTOM)


# Where a purpose shows up: the banner's cookies, emails and calls, the back office.
PURPOSE_CATEGORIES = ("cookie", "communication", "processing")


class ActorType(StrEnum):
    SUBJECT = "subject"
    AGENT = "agent"
    GUARDIAN = "guardian"
    SYSTEM = "system"


class Regime(StrEnum):
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


class LegalBasis(StrEnum):
    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTEREST = "legitimate_interest"


class Basis(StrEnum):
    """On what ground an allowed answer allows: the person's consent, a transfer safeguard, the
    purpose's own legal basis, or a law that asks for nothing (a refusal has none)."""

    CONSENT = "consent"
    ADEQUACY = "adequacy"  # the destination is deemed adequate by the exporting law
    DPF_CERTIFIED = "dpf_certified"  # a US recipient certified under the Data Privacy Framework
    SCC = "scc"  # standard contractual clauses signed with the recipient
    BCR = "bcr"  # binding corporate rules cover the recipient
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTEREST = "legitimate_interest"
    NOT_REQUIRED = "not_required"  # the law of the check's jurisdiction asks for no consent


class Reason(StrEnum):
    """Why a check answered as it did."""

    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    OPT_IN_REQUIRED = "opt_in_required"
    DEFAULT_OPT_OUT = "default_opt_out"
    NOT_REFUSABLE = "not_refusable"
    PENDING = "pending"
    RECONSENT_REQUIRED = "reconsent_required"
    MINOR = "minor"
    GPC = "gpc"
    ADEQUATE = "adequate"  # the destination is in the subject's region or deemed adequate
    NOT_REQUIRED = "not_required"  # the subject's law does not restrict this transfer
    SAFEGUARDED = "safeguarded"  # the named recipient's safeguards (DPF, SCC, BCR) allow this transfer
    DESTINATION_NOT_NAMED = "destination_not_named"  # a transfer consent to "*" where consent names destinations
    NOT_ENABLED = "not_enabled"  # the organization has not enabled automated decisions
    OBJECTED = "objected"
    NOT_OBJECTED = "not_objected"
    RESTRICTED = "restricted"  # the subject asked to restrict processing (GDPR Art. 18)
    SUPPRESSED = "suppressed"  # an erased customer, kept out of communications if seen again
    # A decision with legal or similarly significant effect (GDPR Art. 22) without explicit consent.
    EXPLICIT_CONSENT_REQUIRED = "explicit_consent_required"
    # Such a decision allowed because the operator declared it necessary for a contract (Art. 22(2)(a)).
    CONTRACT_NECESSITY = "contract_necessity"
    # An implied grant (e.g. of recording, "by staying on the call") with no notification on record.
    NOTIFICATION_MISSING = "notification_missing"


class Necessity(StrEnum):
    """What an operator may declare makes a decision with legal effect necessary, instead of consent."""

    CONTRACT = "contract"  # GDPR Art. 22(2)(a): entering into or performing a contract with the person


class Scope(StrEnum):
    CONSENTS_READ = "consents:read"
    CONSENTS_WRITE = "consents:write"
    TOKENS_ISSUE = "tokens:issue"
    SUBJECTS_EXPORT = "subjects:export"
    SUBJECTS_ERASE = "subjects:erase"
    ADMIN = "admin"


class WebhookEventType(StrEnum):
    CONSENT_CHANGED = "consent.changed"
    SUBJECT_ERASED = "subject.erased"
    NOTICE_PUBLISHED = "notice.published"
    LEDGER_CHECKPOINT = "ledger.checkpoint"
    # Webhook verification mode: the operator's own mailer sends this link to the person.
    PRIVACY_REQUEST_VERIFICATION_REQUESTED = "privacy_request.verification_requested"
    # Downstream systems act now; carries the identifier (retention forgets it for a deletion once delivered).
    PRIVACY_REQUEST_VERIFIED = "privacy_request.verified"
    PRIVACY_REQUEST_EXTENDED = "privacy_request.extended"
    # The outcome, for the operator's own mailer (webhook mode).
    PRIVACY_REQUEST_COMPLETED = "privacy_request.completed"
    PRIVACY_REQUEST_REFUSED = "privacy_request.refused"


class RequestType(StrEnum):
    """What a person asks of the operator in a privacy request (API.md's names)."""

    ACCESS = "access"
    DELETION = "deletion"
    CORRECTION = "correction"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    OPT_OUT_OF_SALE = "opt_out_of_sale"
    WITHDRAWAL = "withdrawal"


class RequestStatus(StrEnum):
    """A privacy request's life: unverified -> in_progress -> completed, or refused from either."""

    UNVERIFIED = "unverified"  # waiting for the person to follow the verification link; never runs
    IN_PROGRESS = "in_progress"  # verified (or needs no verification): own part done, systems pending
    COMPLETED = "completed"  # own part done and every system reported done
    REFUSED = "refused"  # refused by the operator with a reason


# The statuses of a request nobody has to act on any more.
CLOSED_REQUEST_STATUSES = (RequestStatus.COMPLETED, RequestStatus.REFUSED)


class SystemStatus(StrEnum):
    """What one of the operator's other systems reported for a privacy request."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Verification(StrEnum):
    """How a privacy request's identity is proven."""

    EMAIL = "email"  # a signed link mailed through SMTP_URL to the identifier (an email address)
    WEBHOOK = "webhook"  # the signed link goes to the operator's mailer in a webhook
    NOT_REQUIRED = "not_required"  # the rules say this type needs none (opt_out_of_sale)
    OPERATOR = "operator"  # filed through the API with "verified": true (phone, mail, in person)


class ObjectionTarget(StrEnum):
    """What an objection request objects to; each names the purpose it denies (OBJECTION_PURPOSES)."""

    DIRECT_MARKETING = "direct_marketing"
    AUTOMATED_DECISIONS = "automated_decisions"


OBJECTION_PURPOSES = {
    ObjectionTarget.DIRECT_MARKETING: "marketing",
    ObjectionTarget.AUTOMATED_DECISIONS: "automated_decisions",
}


class DeliveryStatus(StrEnum):
    """A webhook delivery's life: pending -> delivering (leased) -> delivered, or back to pending, or failed."""

    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"


class ScanStatus(StrEnum):
    """A compliance scan's life: queued -> running (leased to a worker) -> done or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Framework(StrEnum):
    """The industry signals a property may enable (issue 21), in the order the banner config lists them."""

    GPP = "gpp"
    TCF = "tcf"
    MICROSOFT_UET = "microsoft_uet"
    CLARITY = "clarity"


class Signal(StrEnum):
    """The ad-tech frameworks' strings a check or a token may carry beside the decisions."""

    GPP = "gpp"  # IAB Global Privacy Platform
    TCF = "tcf"  # IAB Transparency and Consent Framework (the TC string)


class MailStatus(StrEnum):
    """An outgoing mail's life: pending (leased while a worker sends it) until sent, when its row is deleted,
    or failed after the last attempt (kept without address or body, to be counted)."""

    PENDING = "pending"
    FAILED = "failed"


class ReadPlace(StrEnum):
    """Which server a check or state read answered from (the X-Consent-Read header)."""

    PRIMARY = "primary"
    REPLICA = "replica"

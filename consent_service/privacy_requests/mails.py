"""The mails a person gets about their privacy request (en, de, fr): the link that confirms it, and its outcome.

Each mail is written once as a list of blocks (paragraphs, facts, a link) and rendered from that list twice, as
plain text and as HTML, so the two parts of a mail can never say different things."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from consent_service.mail.service import Mail
from consent_service.privacy_requests import texts
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.vocabulary import RequestStatus, RequestType


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Facts:
    rows: tuple[tuple[str, str], ...]
    separator: str  # between a label and its value in plain text: ": ", or " : " in French


@dataclass(frozen=True)
class Link:
    url: str


Block = Paragraph | Facts | Link


def verification_mail(*, to: str, language: str, request: PrivacyRequest, url: str, expires_at: datetime) -> Mail:
    """The signed link that confirms the request is the person's; nothing runs until it is followed."""
    t = texts.ui(language)
    agent = (request.agent or {}).get("name")
    blocks: list[Block] = [
        Paragraph(t["mail_greeting"]),
        Paragraph(t["mail_verify_intro"]),
        _facts(t, language, request),
        *([Paragraph(t["mail_verify_agent"].format(agent=agent))] if agent else []),
        Paragraph(t["mail_verify_action"]),
        Link(url),
        Paragraph(t["mail_verify_expires"].format(expires=texts.date_time(language, expires_at))),
        Paragraph(t["mail_verify_ignore"]),
        Paragraph(t["mail_signature"]),
    ]
    return _mail(to, language, t["mail_verify_subject"], blocks)


def outcome_mail(*, to: str, language: str, request: PrivacyRequest, status_url: str) -> Mail:
    """The answer to a closed request: done (with the way to the copy of the data, for access) or refused with
    the operator's reason; either way the link to the status page and its receipt."""
    t = texts.ui(language)
    if request.status == RequestStatus.REFUSED:
        subject = t["mail_refused_subject"]
        outcome: list[Block] = [Paragraph(t["mail_refused_body"]), Paragraph(request.outcome or "")]
    else:
        subject = t["mail_completed_subject"]
        outcome = [Paragraph(t["mail_completed_body"])]
        if request.type == RequestType.ACCESS:
            outcome.append(Paragraph(t["mail_completed_access"]))
    blocks: list[Block] = [
        Paragraph(t["mail_greeting"]),
        *outcome,
        _facts(t, language, request),
        Paragraph(t["mail_status_link"]),
        Link(status_url),
        Paragraph(t["mail_status_expires"]),
        Paragraph(t["mail_signature"]),
    ]
    return _mail(to, language, subject, blocks)


def description(t: dict[str, str], request: PrivacyRequest) -> str:
    """What the request asks for, in words: its type, and for an objection what it objects to."""
    kind = t[f"kind_{request.type}"]
    target = (request.details or {}).get("objection")
    if not target or f"objection_{target}" not in t:
        return kind
    return t["kind_with_target"].format(kind=kind, target=t[f"objection_{target}"])


def _facts(t: dict[str, str], language: str, request: PrivacyRequest) -> Facts:
    return Facts(
        (
            (t["field_request"], description(t, request)),
            (t["field_reference"], request.id),
            (t["field_received"], texts.date_time(language, request.received_at)),
        ),
        t["label_separator"],
    )


def _mail(to: str, language: str, subject: str, blocks: Sequence[Block]) -> Mail:
    return Mail(to=to, subject=subject, text=_text(blocks), html=_html(language, subject, blocks))


def _text(blocks: Sequence[Block]) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, Facts):
            parts.append("\n".join(f"  {label}{block.separator}{value}" for label, value in block.rows))
        else:
            parts.append(block.url if isinstance(block, Link) else block.text)
    return "\n\n".join(parts) + "\n"


def _html(language: str, subject: str, blocks: Sequence[Block]) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, Facts):
            rows = "".join(
                f'<tr><th scope="row" align="left">{escape(label)}</th><td>{escape(value)}</td></tr>'
                for label, value in block.rows
            )
            parts.append(f'<table role="presentation" cellpadding="4">{rows}</table>')
        elif isinstance(block, Link):
            parts.append(f'<p><a href="{escape(block.url)}">{escape(block.url)}</a></p>')
        else:
            parts.append(f"<p>{escape(block.text)}</p>")
    body = "\n".join(parts)
    return (
        f'<!doctype html>\n<html lang="{escape(language)}"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )

"""Erasure keeps refusals (issue 17, class 4) and the shipped defaults make the notices true (class 2).

After an erasure the pseudonymous suppression entry keeps every opt-out and objection the person
made, so a returning identifier is not answered with the regime's default; advertising (sale and
sharing) needs consent everywhere out of the box, as the reference notices promise."""
from __future__ import annotations

from tests.regimes.answer_table import Case, erase

ORG = "org-1"


def c(purpose: str, country: str | None = "US", **extra) -> dict:
    return {"purposes": [purpose], **({"country": country} if country else {}), **extra}


def _events(events, country: str) -> list[dict]:
    return [{"events": [{"purpose": p, "decision": d, "method": m}], "notice_version": "v1", "country": country}
            for p, d, m in events]


def erased(name: str, check: dict, expect: tuple, before: list, after: tuple | list = (), country: str = "US",
           erase_again: bool = False) -> Case:
    """Decisions `before`, an erasure, decisions `after` by the returning subject (and a second erasure)."""
    enabled = {"events": [{"purpose": "automated_decisions", "decision": "granted", "method": "api"}], "subject": ORG}
    writes = [enabled, *_events(before, country), erase(), *_events(after, country)]
    return Case(f"erasure: {name}", check, expect, writes + ([erase()] if erase_again else []))


def default_case(name: str, check: dict, expect: tuple, events: list) -> Case:
    return Case(f"default: {name}", check, expect, _events(events, "US"))


CASES = [
    # Opt-outs and objections survive erasure (failed before: the returning id got the regime's default)
    erased("US opt-out of sale/sharing survives", c("advertising"), (False, "suppressed", None),
           [("advertising", "denied", "api")]),
    erased("US analytics opt-out survives", c("analytics"), (False, "suppressed", None), [("analytics", "denied", "api")]),
    erased("US analytics withdrawal survives", c("analytics"), (False, "suppressed", None),
           [("analytics", "granted", "api"), ("analytics", "withdrawn", "api")]),
    erased("US preferences opt-out survives", c("preferences"), (False, "suppressed", None),
           [("preferences", "denied", "api")]),
    erased("objection to automated decisions survives (organization enabled)",
           c("automated_decisions", on_behalf_of=ORG), (False, "suppressed", None), [("automated_decisions", "denied", "api")]),
    erased("objection to automated decisions survives (no organization)", c("automated_decisions"), (False, "suppressed", None),
           [("automated_decisions", "denied", "api")]),
    erased("EU analytics withdrawal survives", c("analytics", "DE"), (False, "suppressed", None),
           [("analytics", "granted", "api"), ("analytics", "withdrawn", "api")], country="DE"),
    erased("a refused recording stays refused", c("recording"), (False, "suppressed", None), [("recording", "denied", "verbal")]),
    # Marketing: as before, suppressed whatever was said
    erased("marketing granted before erasure is suppressed", c("marketing"), (False, "suppressed", None),
           [("marketing", "granted", "api")]),
    erased("marketing refused before erasure is suppressed", c("marketing"), (False, "suppressed", None),
           [("marketing", "denied", "api")]),
    # What was not refused is not kept: the regime's default again
    erased("a grant does not survive erasure", c("analytics"), (True, "default_opt_out", "not_required"), [("analytics", "granted", "api")]),
    erased("an untouched purpose keeps its default", c("analytics"), (True, "default_opt_out", "not_required"),
           [("advertising", "denied", "api")]),
    erased("non-refusable purposes stay on", c("service_notices"), (True, "not_refusable", "contract"), [("advertising", "denied", "api")]),
    # A new decision after the erasure wins
    erased("a new grant after erasure wins", c("advertising"), (True, "granted", "consent"),
           [("advertising", "denied", "api")], after=[("advertising", "granted", "api")]),
    erased("a new banner choice after erasure wins", c("analytics"), (True, "granted", "consent"),
           [("analytics", "denied", "api")], after=[("analytics", "granted", "banner_custom")]),
    erased("another purpose decided after erasure does not lift the refusal", c("advertising"), (False, "suppressed", None),
           [("advertising", "denied", "api")], after=[("analytics", "granted", "api")]),
    # Erased twice: refusals not decided on since stay, decisions made since replace them
    erased("erased twice: an old refusal not decided on since stays", c("advertising"), (False, "suppressed", None),
           [("advertising", "denied", "api")], after=[("analytics", "granted", "api")], erase_again=True),
    erased("erased twice: a grant made in between is erased, not suppressed", c("advertising"), (False, "opt_in_required", None),
           [("advertising", "denied", "api")], after=[("advertising", "granted", "api")], erase_again=True),
]

CASES += [
    default_case("US, nothing said: advertising needs consent", c("advertising", "US"), (False, "opt_in_required", None), []),
    default_case("no country: advertising needs consent", c("advertising", None), (False, "opt_in_required", None), []),
    default_case("DE: advertising needs consent", c("advertising", "DE"), (False, "opt_in_required", None), []),
    default_case("JP (default regime): advertising needs consent", c("advertising", "JP"), (False, "opt_in_required", None), []),
    default_case("US: a grant allows advertising", c("advertising", "US"), (True, "granted", "consent"), [("advertising", "granted", "banner_custom")]),
    default_case("US: an opt-out holds", c("advertising", "US"), (False, "denied", None), [("advertising", "denied", "api")]),
    default_case("US with GPC, nothing said: consent is needed anyway", c("advertising", "US", gpc=True),
     (False, "opt_in_required", None), []),
    default_case("US with GPC after accept all: gpc", c("advertising", "US", gpc=True), (False, "gpc", None),
     [("advertising", "granted", "banner_accept_all")]),
    default_case("US with GPC after an explicit opt-in: granted", c("advertising", "US", gpc=True), (True, "granted", "consent"),
     [("advertising", "granted", "banner_custom")]),
    default_case("US analytics stays opt-out", c("analytics", "US"), (True, "default_opt_out", "not_required"), []),
    default_case("US preferences stay opt-out", c("preferences", "US"), (True, "default_opt_out", "not_required"), []),
    default_case("US marketing stays as the rules say", c("marketing", "US"), (True, "default_opt_out", "not_required"), []),
    default_case("DE analytics stays opt-in", c("analytics", "DE"), (False, "opt_in_required", None), []),
]

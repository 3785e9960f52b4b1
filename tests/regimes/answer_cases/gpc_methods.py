"""Who can outrank a Global Privacy Control signal (issue 17, class 1) and which methods make sense
for which purpose (class 5). A refused write names its field and writes nothing."""
from __future__ import annotations

from tests.regimes.answer_table import Case


def write(*events: tuple, actor: str | None = None, error: str | None = None, field_named: str | None = None,
          **context) -> dict:
    body = {"events": [{"purpose": p, "decision": d, "method": m} for p, d, m in events], **context}
    if actor:
        body["actor"] = {"type": actor, "id": f"{actor}-1"}
    if error:
        body |= {"error": error, "field": field_named}
    return body


def gpc_opt_out(country: str = "US") -> dict:
    """Any write carrying the signal records its opt-out."""
    return write(("analytics", "denied", "api"), gpc=True, country=country)


def c(purpose: str = "advertising", country: str = "US", gpc: bool = True) -> dict:
    return {"purposes": [purpose], "country": country, "gpc": gpc}


GRANT_AD = ("advertising", "granted")

CLASS_1 = [
    # A later grant by someone other than the person does not outrank the signal.
    Case("gpc: agent api grant after GPC", c(), (False, "gpc", None), [gpc_opt_out(), write((*GRANT_AD, "api"), actor="agent")]),
    Case("gpc: system api grant after GPC", c(), (False, "gpc", None), [gpc_opt_out(), write((*GRANT_AD, "api"), actor="system")]),
    Case("gpc: agent written grant after GPC", c(), (False, "gpc", None), [gpc_opt_out(), write((*GRANT_AD, "written"), actor="agent")]),
    Case("gpc: agent verbal grant after GPC", c(), (False, "gpc", None), [gpc_opt_out(), write((*GRANT_AD, "verbal"), actor="agent")]),
    Case("gpc: guardian api grant after GPC", c(), (False, "gpc", None), [gpc_opt_out(), write((*GRANT_AD, "api"), actor="guardian")]),
    Case("gpc: system preference_page grant after GPC", c(), (False, "gpc", None),
         [gpc_opt_out(), write((*GRANT_AD, "preference_page"), actor="system")]),
    Case("gpc: agent grant without any recorded opt-out", c(), (False, "gpc", None), [write((*GRANT_AD, "api"), actor="agent")]),
    Case("gpc: agent grant, opt-in country", c(country="DE"), (False, "gpc", None), [write((*GRANT_AD, "api"), actor="agent")]),
    # Blanket ways of saying yes never outrank it, whoever records them.
    Case("gpc: subject accept all", c(), (False, "gpc", None), [gpc_opt_out(), write((*GRANT_AD, "banner_accept_all"))]),
    Case("gpc: subject implied by continuing", c(), (False, "gpc", None), [gpc_opt_out(), write((*GRANT_AD, "implied_by_continuing"))]),
    Case("gpc: subject accept all, opt-in country", c(country="DE"), (False, "gpc", None), [write((*GRANT_AD, "banner_accept_all"))]),
    # The person's own later choice of that purpose does.
    Case("gpc: subject api grant after GPC", c(), (True, "granted", "consent"), [gpc_opt_out(), write((*GRANT_AD, "api"), actor="subject")]),
    Case("gpc: subject banner custom after GPC", c(), (True, "granted", "consent"), [gpc_opt_out(), write((*GRANT_AD, "banner_custom"))]),
    Case("gpc: subject preference page after GPC", c(), (True, "granted", "consent"), [gpc_opt_out(), write((*GRANT_AD, "preference_page"))]),
    Case("gpc: subject written grant, opt-in country", c(country="DE"), (True, "granted", "consent"), [write((*GRANT_AD, "written"))]),
    # Without the signal, the grant stands; the signal touches only its purposes.
    Case("gpc: agent grant, check without GPC", c(gpc=False), (True, "granted", "consent"), [write((*GRANT_AD, "api"), actor="agent")]),
    Case("gpc: agent analytics grant under GPC", c("analytics"), (True, "granted", "consent"), [write(("analytics", "granted", "api"), actor="agent")]),
    # An agent's grant sent with the signal is recorded as the signal's opt-out.
    Case("gpc: agent grant sent with GPC", c(gpc=False), (False, "denied", None), [write((*GRANT_AD, "api"), actor="agent", gpc=True)]),
    Case("gpc: subject grant sent with GPC", c(gpc=False), (True, "granted", "consent"), [write((*GRANT_AD, "api"), gpc=True)]),
    # Nothing said: the signal opts out where it changes the answer; where consent is opt-in anyway, that decides.
    Case("gpc: nothing said, opt-out country (advertising needs consent there too)", c(), (False, "opt_in_required", None)),
    Case("gpc: nothing said, analytics is no GPC purpose", c("analytics"), (True, "default_opt_out", "not_required")),
    Case("gpc: nothing said, opt-in country", c(country="DE"), (False, "opt_in_required", None)),
]

CLASS_5 = [
    # Banner methods are for cookie purposes.
    Case("methods: accept all cannot grant recording", c("recording", "DE", False), (False, "opt_in_required", None),
         [write(("recording", "granted", "banner_accept_all"), country="DE", error="method_not_valid",
                field_named="events.0.method")]),
    Case("methods: accept all cannot grant automated decisions", c("automated_decisions", "DE", False), (False, "opt_in_required", None),
         [write(("automated_decisions", "granted", "banner_accept_all"), country="DE", error="method_not_valid",
                field_named="events.0.method")]),
    Case("methods: accept all cannot grant recording in the US", c("recording", "US", False), (False, "opt_in_required", None),
         [write(("recording", "granted", "banner_accept_all"), country="US", error="method_not_valid",
                field_named="events.0.method")]),
    Case("methods: banner custom cannot grant marketing", c("marketing", "DE", False), (False, "opt_in_required", None),
         [write(("marketing", "granted", "banner_custom"), country="DE", error="method_not_valid",
                field_named="events.0.method")]),
    Case("methods: reject all cannot refuse recording", c("recording", "DE", False), (True, "granted", "consent"),
         [write(("recording", "granted", "verbal"), country="DE"),
          write(("recording", "denied", "banner_reject_all"), error="method_not_valid", field_named="events.0.method")]),
    # Confirmation methods only from their flow.
    Case("methods: a posted double opt-in confirmation", c("marketing", "DE", False), (False, "opt_in_required", None),
         [write(("marketing", "granted", "double_opt_in_confirmed"), country="DE", error="method_not_valid",
                field_named="events.0.method")]),
    Case("methods: a posted confirmation after a request stays pending", c("marketing", "DE", False), (False, "pending", None),
         [write(("marketing", "granted", "double_opt_in"), country="DE"),
          write(("marketing", "granted", "double_opt_in_confirmed"), error="method_not_valid", field_named="events.0.method")]),
    # gpc only for the purposes the signal opts out of; one-click unsubscribe only for communications.
    Case("methods: gpc cannot refuse analytics", c("analytics", "US", False), (True, "default_opt_out", "not_required"),
         [write(("analytics", "denied", "gpc"), country="US", error="method_not_valid", field_named="events.0.method")]),
    Case("methods: gpc refuses advertising", c("advertising", "US", False), (False, "denied", None),
         [write(("advertising", "denied", "gpc"), country="US")]),
    Case("methods: one-click unsubscribe cannot refuse analytics", c("analytics", "US", False), (True, "default_opt_out", "not_required"),
         [write(("analytics", "denied", "one_click_unsubscribe"), country="US", error="method_not_valid",
                field_named="events.0.method")]),
    Case("methods: implied consent is no marketing opt-in", c("marketing", "US", False), (True, "default_opt_out", "not_required"),
         [write(("marketing", "granted", "implied_by_continuing"), country="US", error="method_not_valid",
                field_named="events.0.method")]),
    Case("methods: double opt-in is not for cookies", c("analytics", "DE", False), (False, "opt_in_required", None),
         [write(("analytics", "granted", "double_opt_in"), country="DE", error="method_not_valid",
                field_named="events.0.method")]),
    # The index of the offending event is named, and its valid neighbours are not written either.
    Case("methods: one bad event refuses the whole request", c("marketing", "DE", False), (False, "opt_in_required", None),
         [write(("marketing", "granted", "written"), ("recording", "granted", "banner_custom"), country="DE",
                error="method_not_valid", field_named="events.1.method")]),
    # What makes sense stays accepted.
    Case("methods: verbal recording consent", c("recording", "DE", False), (True, "granted", "consent"),
         [write(("recording", "granted", "verbal"), country="DE")]),
    Case("methods: accept all grants analytics", c("analytics", "DE", False), (True, "granted", "consent"),
         [write(("analytics", "granted", "banner_accept_all"), country="DE")]),
    Case("methods: preference page grants marketing", c("marketing", "DE", False), (True, "granted", "consent"),
         [write(("marketing", "granted", "preference_page"), country="DE")]),
]

CASES = CLASS_1 + CLASS_5

"""Issue 17 class 6, transfers: the exporting law's bases (adequacy, a recipient's DPF certification,
SCCs or BCRs, consent naming the destination), per region of the rules file. Cases marked "before:"
answered otherwise before recipients and the Brazil and Japan regions existed."""
from __future__ import annotations

from tests.regimes.answer_table import Case, c, grant, refuse

T = "cross_border_transfer"


def recipient(key: str, country: str, **safeguards) -> tuple[str, str, dict]:
    return ("POST", "/v1/recipients", {"key": key, "name": key.title(), "country": country, **safeguards})


DPF_US = recipient("acme-us", "US", dpf_certified=True)
SCC_US = recipient("mailer-us", "US", scc="2025-03-01")
BCR_IN = recipient("group-in", "IN", bcr=True)
PLAIN_US = recipient("plain-us", "US")
BOTH_US = recipient("both-us", "US", dpf_certified=True, scc="2024-11-01")


def consent_to(country: str, destination: str) -> dict:
    return grant(T, "written", country=country, destination_country=destination)


def without_eea_dpf(rules: dict) -> None:
    del rules["transfers"]["EEA"]["safeguards"]["dpf_certified"]


def every_destination_accepted(rules: dict) -> None:
    rules["regimes"]["opt_in"]["purposes"][T]["all_destinations"] = True


def brazil_deems_the_us_adequate(rules: dict) -> None:
    rules["transfers"]["BR"]["adequate"].append("US")


CASES = [
    # Brazil: LGPD Art. 33 restricts transfers; no adequacy decision is shipped; SCCs, BCRs, consent
    Case("BR -> US, nothing recorded (before: not_required)", c(T, "BR", destination_country="US"),
         (False, "opt_in_required", None)),
    Case("BR -> US, consent naming the US", c(T, "BR", destination_country="US"), (True, "granted", "consent"),
         [consent_to("BR", "US")]),
    Case("BR -> PT, the EEA is not adequate for Brazil here", c(T, "BR", destination_country="PT"),
         (False, "opt_in_required", None)),
    Case("BR -> BR stays inside", c(T, "BR", destination_country="BR"), (True, "adequate", "not_required")),
    Case("BR -> US recipient with SCCs", c(T, "BR", recipient="mailer-us"), (True, "safeguarded", "scc"), setup=[SCC_US]),
    Case("BR -> US DPF-certified recipient: Brazil does not recognize the DPF", c(T, "BR", recipient="acme-us"),
         (False, "opt_in_required", None), setup=[DPF_US]),
    Case("BR -> IN recipient under BCRs", c(T, "BR", recipient="group-in"), (True, "safeguarded", "bcr"), setup=[BCR_IN]),
    Case("BR subject's stored country binds a check naming none (before: not_required)",
         c(T, destination_country="US"), (False, "opt_in_required", None), [refuse("marketing", country="BR")]),
    Case("BR -> US where the operator's rules deem the US adequate", c(T, "BR", destination_country="US"),
         (True, "adequate", "adequacy"), rules=brazil_deems_the_us_adequate),
    Case("BR consent to every destination is refused", c(T, "BR", destination_country="US"),
         (False, "opt_in_required", None), [consent_to("BR", "*") | {"error": "destination_not_named"}]),
    # EEA: adequacy decisions, the EU-US DPF for certified recipients only, SCCs, BCRs, Art. 49 consent
    Case("DE -> US DPF-certified recipient, nothing recorded (before: consent needed)", c(T, "DE", recipient="acme-us"),
         (True, "safeguarded", "dpf_certified"), setup=[DPF_US]),
    Case("DE -> US DPF-certified recipient, destination named too", c(T, "DE", destination_country="US", recipient="acme-us"),
         (True, "safeguarded", "dpf_certified"), setup=[DPF_US]),
    Case("DE -> US DPF-certified recipient after the person refused consent", c(T, "DE", recipient="acme-us"),
         (True, "safeguarded", "dpf_certified"), [refuse(T, "written", country="DE", destination_country="US")],
         setup=[DPF_US]),
    Case("DE -> US without a recipient: the US as such is not adequate", c(T, "DE", destination_country="US"),
         (False, "opt_in_required", None), setup=[DPF_US]),
    Case("DE -> US recipient without safeguards", c(T, "DE", recipient="plain-us"), (False, "opt_in_required", None),
         setup=[PLAIN_US]),
    Case("DE -> US recipient without safeguards, consent naming the US", c(T, "DE", recipient="plain-us"),
         (True, "granted", "consent"), [consent_to("DE", "US")], setup=[PLAIN_US]),
    Case("DE -> US recipient with DPF and SCCs: the DPF first", c(T, "DE", recipient="both-us"),
         (True, "safeguarded", "dpf_certified"), setup=[BOTH_US]),
    Case("DE -> US recipient with SCCs", c(T, "DE", recipient="mailer-us"), (True, "safeguarded", "scc"), setup=[SCC_US]),
    Case("DE -> IN recipient under BCRs", c(T, "DE", recipient="group-in"), (True, "safeguarded", "bcr"), setup=[BCR_IN]),
    Case("DE -> US recipient whose certification lapsed", c(T, "DE", recipient="acme-us"), (False, "opt_in_required", None),
         setup=[DPF_US, ("PATCH", "/v1/recipients/acme-us", {"dpf_certified": False})]),
    Case("DE -> US DPF recipient where the operator's rules drop the DPF", c(T, "DE", recipient="acme-us"),
         (False, "opt_in_required", None), setup=[DPF_US], rules=without_eea_dpf),
    Case("DE -> KR, an EU adequacy decision", c(T, "DE", destination_country="KR"), (True, "adequate", "adequacy")),
    Case("FR -> DE recipient stays inside the EEA", c(T, "FR", recipient="mail-de"), (True, "adequate", "not_required"),
         setup=[recipient("mail-de", "DE")]),
    Case("DE -> IN, a consent to * where the operator's rules accept one", c(T, "DE", destination_country="IN"),
         (True, "granted", "consent"), [consent_to("DE", "*")], rules=every_destination_accepted),
    Case("DE -> IN, consent to IN after a withdrawal of *", c(T, "DE", destination_country="IN"),
         (True, "granted", "consent"), [refuse(T, "written", "withdrawn", country="DE", destination_country="*"),
                                        consent_to("DE", "IN")]),
    # United Kingdom: adequacy regulations, the UK Extension to the DPF ("data bridge")
    Case("GB -> US DPF-certified recipient (UK Extension)", c(T, "GB", recipient="acme-us"),
         (True, "safeguarded", "dpf_certified"), setup=[DPF_US]),
    Case("GB -> GI, Gibraltar is adequate for the UK", c(T, "GB", destination_country="GI"), (True, "adequate", "adequacy")),
    Case("GB -> US without a recipient", c(T, "GB", destination_country="US"), (False, "opt_in_required", None)),
    # Switzerland: DPO Annex 1, the Swiss-US DPF
    Case("CH -> US DPF-certified recipient (Swiss-US DPF)", c(T, "CH", recipient="acme-us"),
         (True, "safeguarded", "dpf_certified"), setup=[DPF_US]),
    Case("CH -> MC, Monaco is adequate for Switzerland", c(T, "CH", destination_country="MC"), (True, "adequate", "adequacy")),
    Case("CH -> US recipient with SCCs", c(T, "CH", recipient="mailer-us"), (True, "safeguarded", "scc"), setup=[SCC_US]),
    # Japan: APPI Art. 28 (EEA and UK designated; a recipient bound by contract or group rules; consent)
    Case("JP -> DE, the EEA is designated (before: not_required)", c(T, "JP", destination_country="DE"),
         (True, "adequate", "adequacy")),
    Case("JP -> US, nothing recorded (before: not_required)", c(T, "JP", destination_country="US"),
         (False, "opt_in_required", None)),
    Case("JP -> US DPF-certified recipient: Japan does not recognize the DPF", c(T, "JP", recipient="acme-us"),
         (False, "opt_in_required", None), setup=[DPF_US]),
    Case("JP -> US recipient bound by contract", c(T, "JP", recipient="mailer-us"), (True, "safeguarded", "scc"),
         setup=[SCC_US]),
    Case("JP -> US, consent naming the US", c(T, "JP", destination_country="US"), (True, "granted", "consent"),
         [consent_to("JP", "US")]),
    # United States: no restriction on transfers out
    Case("US -> IN recipient without safeguards", c(T, "US", recipient="group-in"), (True, "not_required", "not_required"),
         setup=[recipient("group-in", "IN")]),
    Case("US consent to every destination is accepted (opt-out regime)", c(T, "US", destination_country="CN"),
         (True, "not_required", "not_required"), [consent_to("US", "*")]),
]

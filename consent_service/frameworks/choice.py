"""What a banner choice carries for the frameworks its banner showed: the TC string, held to that banner,
and the claims the visitor's token adds for them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from consent_service.errors import ValidationFailed
from consent_service.frameworks import gpp, tcstring
from consent_service.vocabulary import Method

# The TCF policy version of TCF v2.3 (the disclosedVendors segment is required since 28 February 2026).
TCF_POLICY_VERSION = 5


def accepted_tc_string(*, value: str | None, shown: Mapping[str, Any], method: Method) -> str | None:
    """The TC string of a choice, if the banner the visitor saw (`shown`, its config) offered TCF and the
    string agrees with it; refused (422, nothing written) otherwise. None: the choice carries none."""
    if value is None:
        return None
    offered = shown.get("frameworks", {}).get("tcf")
    if offered is None:
        raise _refused("This banner did not show the TCF layer: send no tc_string.")
    try:
        tc = tcstring.decode(value)
    except tcstring.TCStringError as err:
        raise _refused(f"Not a TC string: {err}") from err
    gvl = offered["gvl"]
    shown_vendors = {int(key) for key in gvl["vendors"]}
    problems = []
    if tc.cmp_id != offered["cmp_id"]:
        problems.append(f"CMP id {tc.cmp_id} is not this banner's ({offered['cmp_id']}).")
    if tc.vendor_list_version != gvl["vendorListVersion"]:
        problems.append(f"Vendor list {tc.vendor_list_version} is not the one shown ({gvl['vendorListVersion']}).")
    if tc.policy_version < TCF_POLICY_VERSION:
        problems.append(f"TCF policy version {tc.policy_version} is older than v2.3's ({TCF_POLICY_VERSION}).")
    if tc.disclosed_vendors is None:
        problems.append("TCF v2.3 requires the disclosedVendors segment.")
    elif tc.disclosed_vendors != shown_vendors:
        problems.append("The disclosed vendors are not the vendors this banner showed.")
    unshown = sorted((tc.vendor_consents | tc.vendor_legitimate_interests) - shown_vendors)
    if unshown:
        problems.append(f"Vendors this banner did not show: {', '.join(map(str, unshown))}.")
    if method is Method.BANNER_REJECT_ALL and (tc.purpose_consents or tc.vendor_consents or tc.special_feature_optins):
        problems.append("Reject all gives no TCF consent and no special feature opt-in.")
    if problems:
        raise _refused(*problems)
    return value


def token_claims(
    *, shown: Mapping[str, Any], tc_string: str | None, allowed: Callable[[str], bool], gpc: bool
) -> dict[str, Any]:
    """The frameworks' claims in the visitor's token: `tcf` (the TC string of the choice) and, where the banner
    showed GPP, `gpp` and `gpp_sid` (its applicable sections): the sections the banner showed, filled from the
    state the choice made, as the banner fills them."""
    frameworks = shown.get("frameworks", {})
    claims: dict[str, Any] = {}
    if tc_string is not None:
        claims["tcf"] = tc_string
    if "gpp" in frameworks:
        signal = gpp.filled(frameworks["gpp"], allowed=allowed, gpc=gpc, tc_string=tc_string)
        claims["gpp"] = signal.string
        claims["gpp_sid"] = signal.applicable_sections
    return claims


def _refused(*messages: str) -> ValidationFailed:
    return ValidationFailed("The TC string does not agree with the banner shown.", errors={"tc_string": list(messages)})

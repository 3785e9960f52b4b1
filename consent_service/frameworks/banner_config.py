"""The `frameworks` block of a banner config: for each framework the property enables, what the banner loads
and the data its code needs.

A framework enabled whose built file is missing (not in the manifest), or TCF without a stored vendor list, is
left out of the block with a warning logged, rather than failing the banner or the service's start: which
frameworks are enabled is data an admin changes at any time (a start-up check could not cover it), and failing
the config would take down the banner and its consent choice for an optional signal. Left out, the framework's
stub answers nothing beyond `ping`, exactly as when its file fails to load in the browser, so no vendor ever
reads a consent that was not given.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consent_service.config import Settings
from consent_service.frameworks import gpp
from consent_service.frameworks.manifest import Manifest, read_manifest
from consent_service.frameworks.service import VendorListEntry
from consent_service.regimes.service import RegimeRules, split_jurisdiction
from consent_service.vocabulary import Framework

log = logging.getLogger(__name__)

FRAMEWORKS_PATH = "/frameworks/"
# Frameworks whose code is a built file of their own; the others are driven by consent.js itself.
LOADED = (Framework.GPP, Framework.TCF)


@dataclass(frozen=True)
class FrameworkSources:
    """What the block is made of beyond the property: the built files, the current vendor list, the CMP's
    registration (settings TCF_CMP_ID and TCF_CMP_VERSION)."""

    manifest: Manifest
    vendor_list: VendorListEntry | None
    cmp_id: int
    cmp_version: int


def framework_sources(
    *, directory: Path | str, vendor_list: VendorListEntry | None, settings: Settings
) -> FrameworkSources:
    """The sources of now: the manifest is read each time (a few hundred bytes, and a deploy may rebuild the
    files under a running process)."""
    return FrameworkSources(
        manifest=read_manifest(directory),
        vendor_list=vendor_list,
        cmp_id=settings.tcf_cmp_id,
        cmp_version=settings.tcf_cmp_version,
    )


def frameworks_block(
    *,
    enabled: Sequence[str],
    tcf_vendors: Sequence[int],
    language: str,
    sources: FrameworkSources,
    property_key: str,
    rules: RegimeRules,
    jurisdiction: str | None,
) -> dict[str, Any]:
    """The block for a property enabling `enabled` (frameworks in Framework's order), shown in `language` to a
    visitor in `jurisdiction` (the GPP sections are that place's, with tcfeuv2 where the TCF layer is shown)."""
    block: dict[str, Any] = {}
    for framework in (Framework(name) for name in enabled):
        if framework not in LOADED:
            block[framework.value] = {}
            continue
        built = sources.manifest.files.get(framework.value)
        if built is None:
            log.warning(
                "property %s enables %s, but its built file is not in %s: left out of the banner config "
                "(run npm run build in js-snippet)",
                property_key,
                framework.value,
                sources.manifest.directory,
            )
            continue
        # The CMP's registration (one id for TCF and GPP): what the CMP APIs report and the TC string names.
        part: dict[str, Any] = {
            "src": FRAMEWORKS_PATH + built.file,
            "integrity": built.integrity,
            "cmp_id": sources.cmp_id,
            "cmp_version": sources.cmp_version,
        }
        if framework is Framework.TCF:
            if sources.vendor_list is None:
                log.warning(
                    "property %s enables tcf, but no Global Vendor List is stored: left out of the banner config "
                    "(flask tcf gvl update --from URL_OR_FILE)",
                    property_key,
                )
                continue
            shown_language, shown = sources.vendor_list.shown(vendor_ids=tcf_vendors, language=language)
            part.update(language=shown_language, gvl=shown)
        block[framework.value] = part
    if Framework.GPP.value in block:
        country, region = split_jurisdiction(jurisdiction)
        block[Framework.GPP.value].update(
            gpp.banner_config(country=country, region=region, rules=rules, tcf=Framework.TCF.value in block)
        )
    return block

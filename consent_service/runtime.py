"""The per-app objects views need (settings, rules, key store), built once in create_app."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from consent_service.banner.service import VersionLedger
from consent_service.config import Settings
from consent_service.generations.service import SnapshotCache
from consent_service.regimes.service import RegimeRules
from consent_service.tokens.keystore import KeyStore

EXTENSION_NAME = "consent_service"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    rules: RegimeRules
    keystore: KeyStore
    banner_versions: VersionLedger
    # Keys, purposes and material notices in memory, validated against the generation per request.
    snapshots: SnapshotCache = field(default_factory=SnapshotCache)


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION_NAME]

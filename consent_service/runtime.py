"""The per-app objects views need (settings, rules, key store, link signer), built once in create_app."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from consent_service.banner.versions import VersionLedger
from consent_service.config import Settings
from consent_service.generations.service import SnapshotCache
from consent_service.preferences.links import LinkSigner
from consent_service.regimes.service import RegimeRules
from consent_service.signing_keys.keystore import KeyStore
from consent_service.stores.reads import LaggingReads, PrimaryReads
from consent_service.stores.replicas import ReplicaSet

EXTENSION_NAME = "consent_service"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    rules: RegimeRules
    keystore: KeyStore
    banner_versions: VersionLedger
    # Keys, purposes and material notices in memory, validated against the generation per request.
    snapshots: SnapshotCache = field(default_factory=SnapshotCache)
    # Where histories, exports and reports read: a read replica when one may answer (stores/reads.py).
    reads: LaggingReads = field(default_factory=PrimaryReads)
    # The read replicas of DATABASE_REPLICA_URLS with their standing as last measured (None: no replicas).
    replicas: ReplicaSet | None = None


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION_NAME]


def app_signer() -> LinkSigner:
    """The running app's link signer: its secrets, its link lifetimes, its clock (tests replace the clock)."""
    return LinkSigner.from_settings(runtime().settings, clock=current_app.config["CLOCK"])

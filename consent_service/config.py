"""One settings object, read from the environment and validated when the app is created."""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

log = logging.getLogger(__name__)

ENVIRONMENTS = ("development", "testing", "production")
DEV_SECRETS_FILE = "dev-secrets.json"


class ConfigError(RuntimeError):
    """The configuration cannot run the service; the message names the setting."""


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def normalize_database_url(url: str) -> str:
    """postgres:// and postgresql:// URLs use the psycopg 3 driver the service ships with."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw not in ("1", "true", "yes", "0", "false", "no"):
        raise ConfigError(f"{name} must be true or false, got {raw!r}")
    return raw in ("1", "true", "yes")


def _development_issuer(host: str, port: str) -> str:
    """Outside production, the address `make run` serves on; a wildcard bind is reached on loopback."""
    if _is_unspecified(host):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _is_unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return host == ""


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_public_base_url(url: str) -> None:
    """TOKEN_ISSUER in production: set, absolute, a named host, https (plain http only on loopback)."""
    example = "e.g. TOKEN_ISSUER=https://consent.example.com"
    if not url:
        raise ConfigError(
            "TOKEN_ISSUER must be set when CONSENT_ENV=production: the public https URL of the service "
            f"({example}); tokens carry it as their issuer and emailed links start with it"
        )
    try:
        parts = urlsplit(url)
        parts.port
    except ValueError:
        raise ConfigError(f"TOKEN_ISSUER is not a URL ({example}), got {url!r}") from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password or parts.query \
            or parts.fragment:
        raise ConfigError(f"TOKEN_ISSUER must be an https URL with a host and nothing after the path ({example}), "
                          f"got {url!r}")
    if _is_unspecified(host):
        raise ConfigError(f"TOKEN_ISSUER names no host anyone can reach ({host}); set the public URL ({example})")
    if parts.scheme != "https" and not _is_loopback(host):
        raise ConfigError(f"TOKEN_ISSUER must use https in production ({example}), got {url!r}")
    if _is_loopback(host):
        log.warning("TOKEN_ISSUER is a loopback URL (%s): only this machine can open its links", url)


def _check_rate_limit(name: str, value: str) -> None:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name.upper()} must be a rate limit such as '60/minute', got {value!r}") from None


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    env: str = "development"
    database_url: str = ""
    secret_key: str = ""
    secret_key_fallbacks: tuple[str, ...] = ()
    # Fernet keys that encrypt the signing keys at rest; the first encrypts, all decrypt.
    key_encryption_keys: tuple[str, ...] = ()
    token_issuer: str = "http://127.0.0.1:8000"
    token_ttl_seconds: int = 3600
    # Every token is capped at this lifetime, so a retired key can be unpublished after it.
    token_max_ttl_seconds: int = 400 * 86400
    signing_key_cache_seconds: int = 60
    max_content_length: int = 64 * 1024
    db_pool_size: int = 5
    # A header set by the CDN with the visitor's country (e.g. CF-IPCountry); never guessed from the IP.
    country_header: str = ""
    # A header set by the CDN with the visitor's ISO 3166-2 region (US-CA, or CA beside the country header's
    # US, e.g. CloudFront-Viewer-Country-Region); trusted like the country header, a client's claim only tightens.
    region_header: str = ""
    # How many proxies in front of the service set X-Forwarded-For/-Proto; 0 trusts none.
    trusted_proxy_count: int = 0
    demo_page: bool = True
    # A rules file replacing the shipped regime rules (consent_service/regimes/rules.json).
    rules_file: str = ""
    # Webhooks: a delivery retried this long after its event is given up (kept for replay).
    webhook_max_age_seconds: int = 3 * 86400
    webhook_timeout_seconds: int = 5
    webhook_backoff_base_seconds: int = 5
    webhook_backoff_max_seconds: int = 3600
    # Private and loopback receivers invite SSRF; only production refuses them by default.
    webhook_allow_private_targets: bool = True
    # Lifetimes of the signed links in marketing emails; one-click links must outlive the mail itself.
    preference_link_max_age_seconds: int = 30 * 86400
    one_click_link_max_age_seconds: int = 400 * 86400
    double_opt_in_max_age_seconds: int = 7 * 86400
    # The key of erasure pseudonyms (HMAC-SHA256); losing it unlinks suppression entries from ids seen again.
    erasure_pepper: str = ""
    # Retention (days): an inactive visitor's consents expire; proof of an ended consent is kept this long.
    retention_visitor_inactivity_days: int = 395
    retention_recording_evidence_days: int = 1095
    retention_proof_after_withdrawal_days: int = 1826
    # The controller named in consent receipts.
    controller_name: str = "Consent Service operator"
    controller_contact: str = ""
    # Rate limits (flask-limiter syntax, e.g. "60/minute;1000/hour"); memory:// per process, redis://... shared.
    ratelimit_enabled: bool = True
    ratelimit_storage_uri: str = "memory://"
    banner_rate_limit_per_ip: str = "60/minute"
    banner_rate_limit_per_property: str = "6000/minute"
    auth_failure_rate_limit: str = "20/minute"
    # "refuse" stops the service on a database that can lose acknowledged writes; "warn" only logs it.
    durability_check: str = "refuse"
    # Every PostgreSQL statement is cancelled after this long, so a stuck query cannot hold a worker.
    statement_timeout_ms: int = 10_000
    # The admin console's session cookie lives this long after sign-in; then the admin key is asked for again.
    admin_session_ttl_seconds: int = 1800
    instance_path: str = ""
    generated_secrets: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, instance_path: str) -> "Settings":
        environ = os.environ if environ is None else environ
        env = environ.get("CONSENT_ENV", "development")
        if env not in ENVIRONMENTS:
            raise ConfigError(f"CONSENT_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
        host = environ.get("HOST", "127.0.0.1")
        port = environ.get("PORT", "8000")
        database_url = environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'consent.db'}"
        return cls(
            env=env,
            database_url=normalize_database_url(database_url),
            secret_key=environ.get("SECRET_KEY", ""),
            secret_key_fallbacks=_split(environ.get("SECRET_KEY_FALLBACKS", "")),
            key_encryption_keys=_split(environ.get("KEY_ENCRYPTION_KEYS", "")),
            # Production has no default: a bind address (HOST=0.0.0.0) is not where anyone reaches the service.
            token_issuer=(environ.get("TOKEN_ISSUER", "").strip()
                          or ("" if env == "production" else _development_issuer(host, port))).rstrip("/"),
            token_ttl_seconds=_int(environ, "TOKEN_TTL_SECONDS", 3600),
            token_max_ttl_seconds=_int(environ, "TOKEN_MAX_TTL_SECONDS", 400 * 86400),
            signing_key_cache_seconds=_int(environ, "SIGNING_KEY_CACHE_SECONDS", 60, minimum=0),
            max_content_length=_int(environ, "MAX_CONTENT_LENGTH", 64 * 1024),
            db_pool_size=_int(environ, "DB_POOL_SIZE", 5),
            country_header=environ.get("COUNTRY_HEADER", ""),
            region_header=environ.get("REGION_HEADER", ""),
            trusted_proxy_count=_int(environ, "TRUSTED_PROXY_COUNT", 0, minimum=0),
            demo_page=_bool(environ, "DEMO_PAGE", default=env != "production"),
            rules_file=environ.get("RULES_FILE", ""),
            webhook_max_age_seconds=_int(environ, "WEBHOOK_MAX_AGE_SECONDS", 3 * 86400),
            webhook_timeout_seconds=_int(environ, "WEBHOOK_TIMEOUT_SECONDS", 5),
            webhook_backoff_base_seconds=_int(environ, "WEBHOOK_BACKOFF_BASE_SECONDS", 5),
            webhook_backoff_max_seconds=_int(environ, "WEBHOOK_BACKOFF_MAX_SECONDS", 3600),
            webhook_allow_private_targets=_bool(
                environ, "WEBHOOK_ALLOW_PRIVATE_TARGETS", default=env != "production"
            ),
            preference_link_max_age_seconds=_int(environ, "PREFERENCE_LINK_MAX_AGE_SECONDS", 30 * 86400),
            one_click_link_max_age_seconds=_int(environ, "ONE_CLICK_LINK_MAX_AGE_SECONDS", 400 * 86400),
            double_opt_in_max_age_seconds=_int(environ, "DOUBLE_OPT_IN_MAX_AGE_SECONDS", 7 * 86400),
            erasure_pepper=environ.get("ERASURE_PEPPER", ""),
            retention_visitor_inactivity_days=_int(environ, "RETENTION_VISITOR_INACTIVITY_DAYS", 395),
            retention_recording_evidence_days=_int(environ, "RETENTION_RECORDING_EVIDENCE_DAYS", 1095),
            retention_proof_after_withdrawal_days=_int(environ, "RETENTION_PROOF_AFTER_WITHDRAWAL_DAYS", 1826),
            controller_name=environ.get("CONTROLLER_NAME", "Consent Service operator"),
            controller_contact=environ.get("CONTROLLER_CONTACT", ""),
            ratelimit_enabled=_bool(environ, "RATELIMIT_ENABLED", default=True),
            ratelimit_storage_uri=environ.get("RATELIMIT_STORAGE_URI", "memory://"),
            banner_rate_limit_per_ip=environ.get("BANNER_RATE_LIMIT_PER_IP", "60/minute"),
            banner_rate_limit_per_property=environ.get("BANNER_RATE_LIMIT_PER_PROPERTY", "6000/minute"),
            auth_failure_rate_limit=environ.get("AUTH_FAILURE_RATE_LIMIT", "20/minute"),
            durability_check=environ.get("DURABILITY_CHECK", "refuse"),
            statement_timeout_ms=_int(environ, "STATEMENT_TIMEOUT_MS", 10_000),
            admin_session_ttl_seconds=_int(environ, "ADMIN_SESSION_TTL_SECONDS", 1800, minimum=60),
            instance_path=instance_path,
        )

    def with_overrides(self, overrides: Mapping[str, object]) -> "Settings":
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        return replace(self, **overrides)

    def validated(self) -> "Settings":
        """Check the settings; outside production, generate missing secrets once (startup_notices says so)."""
        if self.token_ttl_seconds > self.token_max_ttl_seconds:
            raise ConfigError("TOKEN_TTL_SECONDS must not exceed TOKEN_MAX_TTL_SECONDS")
        if self.webhook_backoff_base_seconds > self.webhook_backoff_max_seconds:
            raise ConfigError("WEBHOOK_BACKOFF_BASE_SECONDS must not exceed WEBHOOK_BACKOFF_MAX_SECONDS")
        if self.durability_check not in ("refuse", "warn"):
            raise ConfigError(f"DURABILITY_CHECK must be refuse or warn, got {self.durability_check!r}")
        for name in ("banner_rate_limit_per_ip", "banner_rate_limit_per_property", "auth_failure_rate_limit"):
            _check_rate_limit(name, getattr(self, name))
        settings = self
        missing = [name for name in ("secret_key", "key_encryption_keys", "erasure_pepper") if not getattr(self, name)]
        if missing and self.env == "production":
            names = ", ".join(name.upper() for name in missing)
            raise ConfigError(f"{names} must be set when CONSENT_ENV=production")
        if self.env == "production":
            _check_public_base_url(self.token_issuer)
        if missing:
            settings = self._with_development_secrets(missing)
        for key in settings.key_encryption_keys:
            try:
                Fernet(key)
            except ValueError:
                raise ConfigError(
                    "KEY_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes); "
                    "make one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'"
                ) from None
        if self.env == "production" and len(settings.secret_key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
        if self.env == "production" and len(settings.erasure_pepper) < 32:
            raise ConfigError("ERASURE_PEPPER must be at least 32 characters in production")
        return settings

    def _with_development_secrets(self, missing: list[str]) -> "Settings":
        # Development keys live in the instance folder so restarts keep tokens and links valid.
        path = Path(self.instance_path) / DEV_SECRETS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        stored = json.loads(path.read_text()) if path.exists() else {}
        if "secret_key" not in stored or "key_encryption_key" not in stored:
            stored = {
                "secret_key": secrets.token_urlsafe(48),
                "key_encryption_key": Fernet.generate_key().decode(),
            }
            path.write_text(json.dumps(stored, indent=2))
            path.chmod(0o600)
        if "erasure_pepper" not in stored:
            # Added later than the other secrets: files written before keep their keys.
            stored["erasure_pepper"] = secrets.token_urlsafe(48)
            path.write_text(json.dumps(stored, indent=2))
            path.chmod(0o600)
        values: dict[str, object] = {}
        if "secret_key" in missing:
            values["secret_key"] = stored["secret_key"]
        if "key_encryption_keys" in missing:
            values["key_encryption_keys"] = (stored["key_encryption_key"],)
        if "erasure_pepper" in missing:
            values["erasure_pepper"] = stored["erasure_pepper"]
        return replace(self, generated_secrets=tuple(missing), **values)

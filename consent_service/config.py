"""One settings object, read from the environment and validated when the app is created.

Each setting is declared once, as a field of `Settings` made by `setting()`: its environment variable, its
kind (how the text is read and checked), its default and its meaning. `from_env` reads every declared field,
`validated` runs each kind's checks, and `flask config docs` writes docs/configuration.md from the same
declarations (settings_docs.py).

Not environs or pydantic-settings: each reads values its own way (in environs a set but empty integer is an
error, not the default, and "on" or "y" count as true; pydantic-settings brings pydantic and pydantic-core),
with its own error messages, where operators rely on today's reading and messages. Matching them would take
a parser of ours per kind on top of either; these few kinds are that parser, without the dependency.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from limits import parse_many

log = logging.getLogger(__name__)

ENVIRONMENTS = ("development", "testing", "production")
DEV_SECRETS_FILE = "dev-secrets.json"
# Every scheme of the limits library's Redis storages (redis://, rediss://, redis+unix://, redis+sentinel://, valkey://,
# ...): the ones that take a key prefix.
REDIS_SCHEMES = ("redis", "valkey")


class ConfigError(RuntimeError):
    """The configuration cannot run the service; the message names the setting."""


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def normalize_database_url(url: str) -> str:
    """postgres:// and postgresql:// URLs use the psycopg 3 driver the service ships with."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


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
        _ = parts.port  # reading the port is what checks it
    except ValueError:
        raise ConfigError(f"TOKEN_ISSUER is not a URL ({example}), got {url!r}") from None
    host = (parts.hostname or "").rstrip(".")
    if (
        parts.scheme not in ("http", "https")
        or not host
        or parts.username
        or parts.password
        or parts.query
        or parts.fragment
    ):
        raise ConfigError(
            f"TOKEN_ISSUER must be an https URL with a host and nothing after the path ({example}), got {url!r}"
        )
    if _is_unspecified(host):
        raise ConfigError(f"TOKEN_ISSUER names no host anyone can reach ({host}); set the public URL ({example})")
    if parts.scheme != "https" and not _is_loopback(host):
        raise ConfigError(f"TOKEN_ISSUER must use https in production ({example}), got {url!r}")
    if _is_loopback(host):
        log.warning("TOKEN_ISSUER is a loopback URL (%s): only this machine can open its links", url)


def _check_smtp(settings: Settings) -> None:
    """SMTP_URL readable, SMTP_FROM an address; in production no password in the clear beyond this machine."""
    from consent_service.mail.transport import BadSmtpUrl, SmtpTarget, check_sender  # the mail domain reads the URL

    try:
        target = SmtpTarget.parse(settings.smtp_url)
    except BadSmtpUrl as error:
        raise ConfigError(str(error)) from None
    if not settings.smtp_from:
        raise ConfigError("SMTP_FROM must be set when SMTP_URL is: the sender's address, e.g. privacy@example.com")
    try:
        check_sender(settings.smtp_from)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    if settings.env == "production" and target.password and target.security == "none" and not _is_loopback(target.host):
        raise ConfigError(
            "SMTP_URL sends its password unencrypted: use smtps:// or ?starttls=true (or a relay on this machine)"
        )


def _check_replicas(primary: str, replicas: tuple[str, ...]) -> None:
    """Replicas are PostgreSQL streaming standbys of a PostgreSQL primary: nothing else replays its writes."""
    if not primary.startswith("postgresql"):
        raise ConfigError(
            "DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL: replicas are streaming standbys of a "
            f"PostgreSQL primary, and DATABASE_URL is {primary.partition(':')[0]}"
        )
    for url in replicas:
        if not url.startswith("postgresql"):
            raise ConfigError(
                f"DATABASE_REPLICA_URLS must list postgresql:// URLs of streaming standbys, got one starting "
                f"{url.partition(':')[0]!r}"
            )
        if url == primary:
            raise ConfigError("DATABASE_REPLICA_URLS lists DATABASE_URL itself: name the standbys only")


@dataclass(frozen=True)
class Context:
    """What a default may depend on: the environment (CONSENT_ENV) and where the instance folder is."""

    env: str
    environ: Mapping[str, str]
    instance_path: str


@dataclass(frozen=True)
class Kind:
    """How a variable's text becomes a value. Set but empty counts as unset, except for plain text."""

    type_name: str = "text"
    empty_is_unset: bool = False

    def parse(self, name: str, raw: str) -> Any:
        return raw

    def check(self, name: str, value: Any) -> None:
        """Validation that also applies to values given as overrides (run by Settings.validated)."""

    def show(self, value: Any) -> str:
        return f"`{value}`" if value not in ("", ()) else "—"


@dataclass(frozen=True)
class Text(Kind):
    """Any text, taken as given."""


@dataclass(frozen=True)
class Names(Kind):
    """Comma-separated; blanks around and between the commas are dropped."""

    type_name: str = "comma-separated list"

    def parse(self, name: str, raw: str) -> tuple[str, ...]:
        return _split(raw)


@dataclass(frozen=True)
class Integer(Kind):
    type_name: str = "integer"
    empty_is_unset: bool = True
    minimum: int = 1
    # A bounded integer (a field of a fixed width elsewhere) is also checked when given as an override.
    maximum: int | None = None

    def parse(self, name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if value < self.minimum:
            raise ConfigError(f"{name} must be at least {self.minimum}, got {value}")
        self.check(name, value)
        return value

    def check(self, name: str, value: Any) -> None:
        if self.maximum is None:
            return
        if not isinstance(value, int) or isinstance(value, bool) or not self.minimum <= value <= self.maximum:
            raise ConfigError(f"{name} must be an integer from {self.minimum} to {self.maximum}, got {value!r}")

    def show(self, value: Any) -> str:
        days = f" ({value // 86400} days)" if value >= 86400 and value % 86400 == 0 else ""
        return f"`{value}`{days}"


@dataclass(frozen=True)
class Boolean(Kind):
    type_name: str = "true or false"
    empty_is_unset: bool = True

    def parse(self, name: str, raw: str) -> bool:
        word = raw.strip().lower()
        if word == "":
            raise _Unset()
        if word not in ("1", "true", "yes", "0", "false", "no"):
            raise ConfigError(f"{name} must be true or false, got {word!r}")
        return word in ("1", "true", "yes")

    def show(self, value: Any) -> str:
        return "`true`" if value else "`false`"


@dataclass(frozen=True)
class OneOf(Kind):
    type_name: str = "one of the values named"
    choices: tuple[str, ...] = ()

    def parse(self, name: str, raw: str) -> str:
        self.check(name, raw)
        return raw

    def check(self, name: str, value: Any) -> None:
        if value not in self.choices:
            allowed = " or ".join(self.choices) if len(self.choices) == 2 else ", ".join(self.choices)
            raise ConfigError(f"{name} must be {'' if len(self.choices) == 2 else 'one of '}{allowed}, got {value!r}")


@dataclass(frozen=True)
class RateLimit(Kind):
    type_name: str = "rate limit"

    def check(self, name: str, value: Any) -> None:
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(f"{name} must be a rate limit such as '60/minute', got {value!r}") from None


@dataclass(frozen=True)
class Url(Kind):
    """Blanks around it and a trailing slash are dropped; blank is unset."""

    type_name: str = "URL"
    empty_is_unset: bool = True

    def parse(self, name: str, raw: str) -> str:
        if not raw.strip():
            raise _Unset()
        return raw.strip().rstrip("/")


@dataclass(frozen=True)
class DatabaseUrl(Kind):
    type_name: str = "SQLAlchemy URL"
    empty_is_unset: bool = True

    def parse(self, name: str, raw: str) -> str:
        return normalize_database_url(raw)


@dataclass(frozen=True)
class DatabaseUrls(Kind):
    """Comma-separated SQLAlchemy URLs, each read as DATABASE_URL is."""

    type_name: str = "comma-separated SQLAlchemy URLs"

    def parse(self, name: str, raw: str) -> tuple[str, ...]:
        return tuple(normalize_database_url(url) for url in _split(raw))


class _Unset(Exception):
    """A value that reads as not set (blank): the default applies."""


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, how it is read, what it means; its default is the field's,
    unless `default_for` computes it from the context (`shown_default` then says it in the guide)."""

    variable: str
    kind: Kind
    doc: str
    default_for: Callable[[Context], Any] | None = None
    shown_default: str | None = None


def setting(
    variable: str,
    default: Any,
    kind: Kind,
    doc: str,
    *,
    default_for: Callable[[Context], Any] | None = None,
    shown_default: str | None = None,
) -> Any:
    """A field of Settings read from `variable`: declared once, with its default, kind and meaning."""
    return field(default=default, metadata={"setting": Setting(variable, kind, doc, default_for, shown_default)})


@dataclass(frozen=True)
class ProcessVariable:
    """A variable read by the processes around the app (the Makefile, gunicorn.conf.py), not by Settings."""

    variable: str
    default: str
    doc: str


HOST = ProcessVariable("HOST", "127.0.0.1", "Where `make run` serves.")
PORT = ProcessVariable("PORT", "8000", "Where `make run` serves.")
PROCESS_VARIABLES = (
    HOST,
    PORT,
    ProcessVariable("WEB_CONCURRENCY", "2", "gunicorn workers for `make run` and the Docker image."),
    ProcessVariable(
        "GUNICORN_THREADS",
        "4",
        "Threads per gunicorn worker (`gunicorn.conf.py`, gthread above 1): a "
        "worker keeps serving while a request waits on PostgreSQL or its commit's flush. `1` gives sync "
        "workers. Keep `DB_POOL_SIZE` ≥ this.",
    ),
    ProcessVariable(
        "PROMETHEUS_MULTIPROC_DIR",
        "",
        "A writable, empty directory, needed for `/metrics` totals across "
        "gunicorn workers (gunicorn.conf.py makes a private one when unset).",
    ),
)


def _database_default(context: Context) -> str:
    return f"sqlite:///{Path(context.instance_path) / 'consent.db'}"


def _issuer_default(context: Context) -> str:
    # Production has no default: a bind address (HOST=0.0.0.0) is not where anyone reaches the service.
    if context.env == "production":
        return ""
    return _development_issuer(
        context.environ.get(HOST.variable, HOST.default), context.environ.get(PORT.variable, PORT.default)
    )


def _unless_production(context: Context) -> bool:
    return context.env != "production"


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment: each field declares its variable once."""

    env: str = setting(
        "CONSENT_ENV",
        "development",
        OneOf(choices=ENVIRONMENTS),
        "`development`, `testing` or `production`. Production refuses to start without `SECRET_KEY`, "
        "`KEY_ENCRYPTION_KEYS`, `ERASURE_PEPPER` and `TOKEN_ISSUER`.",
    )
    database_url: str = setting(
        "DATABASE_URL",
        "",
        DatabaseUrl(),
        "SQLAlchemy URL. `postgresql://user@host/db` uses psycopg 3.",
        default_for=_database_default,
        shown_default="`sqlite:///instance/consent.db`",
    )
    database_replica_urls: tuple[str, ...] = setting(
        "DATABASE_REPLICA_URLS",
        (),
        DatabaseUrls(),
        "Comma-separated URLs of PostgreSQL streaming replicas of `DATABASE_URL` (PostgreSQL only). Checks, "
        "state reads, event histories, exports and the consent-rate report answer from one (`X-Consent-Read: "
        "replica`) unless it is down, lags beyond `REPLICA_MAX_LAG_MS` or has not replayed the revision a caller "
        "names; writes, locks and authentication stay on the primary "
        "([docs/operations.md](operations.md#read-replicas)).",
    )
    replica_max_lag_ms: int = setting(
        "REPLICA_MAX_LAG_MS",
        1000,
        Integer(),
        "A replica that has not replayed the WAL position the primary had reached this long ago (in milliseconds), "
        "or whose WAL waiting to be replayed is older than this, is skipped and the primary answers.",
    )
    replica_check_interval_ms: int = setting(
        "REPLICA_CHECK_INTERVAL_MS",
        1000,
        Integer(),
        "How long a worker trusts its last measure of a replica's lag or reachability, and its last sample of the "
        "primary's WAL position, before taking them again (one small query per replica and one on the primary per "
        "interval, never one per request); a replica may lag by up to `REPLICA_MAX_LAG_MS` plus twice this before "
        "it is skipped.",
    )
    admin_session_ttl_seconds: int = setting(
        "ADMIN_SESSION_TTL_SECONDS", 1800, Integer(minimum=60), "Lifetime of an admin console session (minimum 60)."
    )
    secret_key: str = setting(
        "SECRET_KEY",
        "",
        Text(),
        "Signs links (itsdangerous). At least 32 characters in production.",
        shown_default="generated in development",
    )
    secret_key_fallbacks: tuple[str, ...] = setting(
        "SECRET_KEY_FALLBACKS",
        (),
        Names(),
        "Comma-separated older secrets still accepted, so rotation does not break links.",
    )
    key_encryption_keys: tuple[str, ...] = setting(
        "KEY_ENCRYPTION_KEYS",
        (),
        Names(),
        "Comma-separated Fernet keys that encrypt the token signing keys at rest; the first encrypts, all decrypt. "
        "Every instance needs the same list. Make one with "
        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`.",
        shown_default="generated in development",
    )
    token_issuer: str = setting(
        "TOKEN_ISSUER",
        "http://127.0.0.1:8000",
        Url(),
        "The `iss` of every token and the start of every emailed link: the public base URL of the service. "
        "Production refuses to start without it, on `0.0.0.0`/`::`, or on plain `http` except to a loopback host "
        "(local tests; a warning is logged).",
        default_for=_issuer_default,
        shown_default="`http://HOST:PORT` (`127.0.0.1` for a wildcard `HOST`); none in production",
    )
    token_ttl_seconds: int = setting("TOKEN_TTL_SECONDS", 3600, Integer(), "Lifetime of tokens issued to services.")
    token_max_ttl_seconds: int = setting(
        "TOKEN_MAX_TTL_SECONDS",
        400 * 86400,
        Integer(),
        "Cap on every token's lifetime, so a retired signing key can be unpublished after it.",
    )
    signing_key_cache_seconds: int = setting(
        "SIGNING_KEY_CACHE_SECONDS",
        60,
        Integer(minimum=0),
        "How long a worker keeps the active signing key in memory (a rotation shows up within it).",
    )
    country_header: str = setting(
        "COUNTRY_HEADER",
        "",
        Text(),
        "A header your CDN sets with the visitor's country (e.g. `CF-IPCountry`); the country is never guessed "
        "from the IP.",
    )
    region_header: str = setting(
        "REGION_HEADER",
        "",
        Text(),
        "A header your CDN sets with the visitor's ISO 3166-2 region (`US-CA`, or `CA` beside the country header's "
        "`US`, e.g. `CloudFront-Viewer-Country-Region`); trusted like `COUNTRY_HEADER`, a client's claim only "
        "tightens ([docs/subdivisions.md](subdivisions.md)).",
    )
    trusted_proxy_count: int = setting(
        "TRUSTED_PROXY_COUNT",
        0,
        Integer(minimum=0),
        "Proxies in front of the service whose `X-Forwarded-For`/`-Proto` are trusted; 0 trusts none.",
    )
    max_content_length: int = setting("MAX_CONTENT_LENGTH", 64 * 1024, Integer(), "Larger request bodies get 413.")
    db_pool_size: int = setting(
        "DB_POOL_SIZE",
        5,
        Integer(),
        "PostgreSQL connections per worker (plus as many overflow); PostgreSQL's `max_connections` must cover "
        "instances × workers × 2 × this.",
    )
    demo_page: bool = setting(
        "DEMO_PAGE",
        True,
        Boolean(),
        "Serve `/demo`.",
        default_for=_unless_production,
        shown_default="`true`, `false` in production",
    )
    preference_link_max_age_seconds: int = setting(
        "PREFERENCE_LINK_MAX_AGE_SECONDS", 30 * 86400, Integer(), "Lifetime of preference-page links."
    )
    one_click_link_max_age_seconds: int = setting(
        "ONE_CLICK_LINK_MAX_AGE_SECONDS",
        400 * 86400,
        Integer(),
        "Lifetime of one-click unsubscribe links; they must outlive the mail itself.",
    )
    double_opt_in_max_age_seconds: int = setting(
        "DOUBLE_OPT_IN_MAX_AGE_SECONDS", 7 * 86400, Integer(), "Lifetime of double opt-in confirmation links."
    )
    privacy_request_systems: tuple[str, ...] = setting(
        "PRIVACY_REQUEST_SYSTEMS",
        (),
        Names(),
        "Comma-separated names of your other systems that hold personal data (e.g. `crm,newsletter,billing`): each "
        "is told of a verified privacy request by the `privacy_request.verified` webhook and reports back through "
        "`POST /v1/privacy-requests/{id}/systems/{name}` before the request completes. Empty: a request completes "
        "once this service's own part is done.",
    )
    privacy_request_verification: str = setting(
        "PRIVACY_REQUEST_VERIFICATION",
        "",
        OneOf(choices=("email", "webhook"), empty_is_unset=True),
        "How a person proves a privacy request is theirs: `email` mails them a signed link through `SMTP_URL` "
        "(refuses to start without it); `webhook` sends the link to your own mailer in a "
        "`privacy_request.verification_requested` webhook.",
        shown_default="`email` when `SMTP_URL` is set, else `webhook`",
    )
    privacy_request_link_max_age_seconds: int = setting(
        "PRIVACY_REQUEST_LINK_MAX_AGE_SECONDS", 86400, Integer(), "Lifetime of a privacy request's verification link."
    )
    privacy_request_status_link_max_age_seconds: int = setting(
        "PRIVACY_REQUEST_STATUS_LINK_MAX_AGE_SECONDS",
        60 * 86400,
        Integer(),
        "Lifetime of a privacy request's status link (the outcome, the receipt and, for an access request, the "
        "export download).",
    )
    webhook_max_age_seconds: int = setting(
        "WEBHOOK_MAX_AGE_SECONDS",
        3 * 86400,
        Integer(),
        "How long after its event a delivery is retried before it is marked failed (kept for replay).",
    )
    webhook_timeout_seconds: int = setting("WEBHOOK_TIMEOUT_SECONDS", 5, Integer(), "Timeout of one delivery attempt.")
    webhook_backoff_base_seconds: int = setting(
        "WEBHOOK_BACKOFF_BASE_SECONDS",
        5,
        Integer(),
        "First wait of the exponential backoff with full jitter between attempts; at most "
        "`WEBHOOK_BACKOFF_MAX_SECONDS`.",
    )
    webhook_backoff_max_seconds: int = setting(
        "WEBHOOK_BACKOFF_MAX_SECONDS", 3600, Integer(), "Longest wait between delivery attempts."
    )
    webhook_allow_private_targets: bool = setting(
        "WEBHOOK_ALLOW_PRIVATE_TARGETS",
        True,
        Boolean(),
        "Allow webhook URLs on private or loopback addresses (they invite SSRF).",
        default_for=_unless_production,
        shown_default="`true`, `false` in production",
    )
    smtp_url: str = setting(
        "SMTP_URL",
        "",
        Text(),
        "The mail server that sends privacy request mail (`flask mail run`): `smtp://[user:password@]host[:port]` "
        "(port 25), with `?starttls=true` to upgrade to TLS, or `smtps://...` (TLS from the start, port 465); "
        "escape `@`, `:` and `/` in the user or password as `%40`, `%3A`, `%2F`. Empty: no mail is sent. Production "
        "refuses a password sent without TLS to a host other than loopback.",
    )
    smtp_from: str = setting(
        "SMTP_FROM",
        "",
        Text(),
        "The sender of that mail, `privacy@example.com` or `Example Privacy <privacy@example.com>`; required with "
        "`SMTP_URL`.",
    )
    smtp_timeout_seconds: int = setting(
        "SMTP_TIMEOUT_SECONDS",
        10,
        Integer(maximum=300),
        "Longest wait for each step of an SMTP conversation (connect, login, one mail); at most 300.",
    )
    scanner_chromium: str = setting(
        "SCANNER_CHROMIUM",
        "/usr/bin/chromium",
        Text(),
        "The Chromium the compliance scanner drives (`flask scan`, `flask scans work`); Debian's package by default.",
    )
    scanner_delay_seconds: int = setting(
        "SCANNER_DELAY_SECONDS",
        1,
        Integer(minimum=0),
        "The scanner's polite rate: at least this long between two page loads of one scan.",
    )
    erasure_pepper: str = setting(
        "ERASURE_PEPPER",
        "",
        Text(),
        "Keys the pseudonyms of erased subjects (HMAC-SHA256); at least 32 characters in production; keep it "
        "stable (losing it unlinks suppression entries from ids seen again).",
        shown_default="generated in development",
    )
    retention_visitor_inactivity_days: int = setting(
        "RETENTION_VISITOR_INACTIVITY_DAYS", 395, Integer(), "An inactive visitor's consents expire after this."
    )
    retention_recording_evidence_days: int = setting(
        "RETENTION_RECORDING_EVIDENCE_DAYS", 1095, Integer(), "How long the evidence of a recording consent is kept."
    )
    retention_proof_after_withdrawal_days: int = setting(
        "RETENTION_PROOF_AFTER_WITHDRAWAL_DAYS", 1826, Integer(), "How long proof of an ended consent is kept."
    )
    retention_webhook_outbox_days: int = setting(
        "RETENTION_WEBHOOK_OUTBOX_DAYS",
        90,
        Integer(),
        "How long a webhook event is kept once every delivery of it is finished (delivered, or failed for good: "
        "replayable until then); `flask retention run` then removes it, a whole month at a time on PostgreSQL.",
    )
    controller_name: str = setting(
        "CONTROLLER_NAME", "Consent Service operator", Text(), "The controller named in consent receipts."
    )
    controller_contact: str = setting("CONTROLLER_CONTACT", "", Text(), "The controller's contact in consent receipts.")
    ratelimit_enabled: bool = setting("RATELIMIT_ENABLED", True, Boolean(), "Turns rate limiting on or off.")
    ratelimit_storage_uri: str = setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        Text(),
        "Where counts are kept: `memory://` counts per worker process (each worker logs a warning at start saying "
        "so); use `redis://host:6379/0` when several workers or instances run (`docker-compose.yml` does).",
    )
    ratelimit_key_prefix: str = setting(
        "RATELIMIT_KEY_PREFIX",
        "",
        Text(),
        "Prefix of every count's key in a Redis `RATELIMIT_STORAGE_URI` (empty: the library's `LIMITS`). Instances "
        "of one deployment share it; give each deployment on a shared Redis its own, so none spends another's "
        "allowance.",
    )
    banner_rate_limit_per_ip: str = setting(
        "BANNER_RATE_LIMIT_PER_IP",
        "60/minute",
        RateLimit(),
        "Banner requests per client IP (flask-limiter syntax, e.g. `60/minute;1000/hour`).",
    )
    banner_rate_limit_per_property: str = setting(
        "BANNER_RATE_LIMIT_PER_PROPERTY", "6000/minute", RateLimit(), "Banner requests per property."
    )
    auth_failure_rate_limit: str = setting(
        "AUTH_FAILURE_RATE_LIMIT",
        "20/minute",
        RateLimit(),
        "Failed authentications per client IP; past it, invalid keys get 429 while valid keys from that IP are "
        "still served.",
    )
    privacy_request_rate_limit_per_ip: str = setting(
        "PRIVACY_REQUEST_RATE_LIMIT_PER_IP",
        "10 per hour",
        RateLimit(),
        "Requests sent from the public privacy request page per client IP (only its form's POST counts).",
    )
    privacy_request_rate_limit_per_identifier: str = setting(
        "PRIVACY_REQUEST_RATE_LIMIT_PER_IDENTIFIER",
        "3 per day",
        RateLimit(),
        "Requests sent from the public privacy request page per identifier (counted under a keyed hash of it, "
        "never the identifier itself), so nobody can flood a person's mailbox with verification mails.",
    )
    durability_check: str = setting(
        "DURABILITY_CHECK",
        "refuse",
        OneOf(choices=("refuse", "warn")),
        "`refuse` stops the service on a database that can lose acknowledged writes (SQLite without WAL and "
        "synchronous=FULL, PostgreSQL without fsync and synchronous_commit); `warn` only logs it.",
    )
    statement_timeout_ms: int = setting(
        "STATEMENT_TIMEOUT_MS",
        10_000,
        Integer(),
        "Every PostgreSQL statement is cancelled after this long, so a stuck query cannot hold a worker.",
    )
    rules_file: str = setting(
        "RULES_FILE",
        "",
        Text(),
        "A rules file replacing the shipped regime, method, age, GPC and transfer rules ([docs/rules.md](rules.md)).",
        shown_default="the shipped `consent_service/regimes/rules.json`",
    )
    tcf_cmp_id: int = setting(
        "TCF_CMP_ID",
        0,
        Integer(minimum=0, maximum=4095),
        "The CMP id IAB Europe assigns when it registers this service as a CMP, written in every TC string (TCF "
        "v2.3); 0 until registered. A TC string's 12 bits hold at most 4095.",
    )
    tcf_cmp_version: int = setting(
        "TCF_CMP_VERSION",
        0,
        Integer(minimum=0, maximum=4095),
        "The CMP version written in every TC string, as registered with IAB Europe (raise it with each CMP change "
        "you declare); 0 until registered. At most 4095.",
    )
    instance_path: str = ""
    generated_secrets: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, instance_path: str) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        context = Context(env="", environ=environ, instance_path=instance_path)
        for name, declared in declared_settings():
            values[name] = _read(declared, environ, context, default=_default_of(name))
            if name == "env":  # every other default may depend on it
                context = replace(context, env=values[name])
        return cls(**values, instance_path=instance_path)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        return replace(self, **overrides)

    def validated(self) -> Settings:
        """Check the settings; outside production, generate missing secrets once (startup_notices says so)."""
        if self.token_ttl_seconds > self.token_max_ttl_seconds:
            raise ConfigError("TOKEN_TTL_SECONDS must not exceed TOKEN_MAX_TTL_SECONDS")
        if self.webhook_backoff_base_seconds > self.webhook_backoff_max_seconds:
            raise ConfigError("WEBHOOK_BACKOFF_BASE_SECONDS must not exceed WEBHOOK_BACKOFF_MAX_SECONDS")
        if self.ratelimit_key_prefix and not self.ratelimit_storage_uri.startswith(REDIS_SCHEMES):
            raise ConfigError("RATELIMIT_KEY_PREFIX needs a Redis RATELIMIT_STORAGE_URI (redis://, valkey://, ...)")
        if self.database_replica_urls:
            _check_replicas(self.database_url, self.database_replica_urls)
        settings = self._with_verification_mode()
        for name, declared in declared_settings():
            if name != "env":
                declared.kind.check(declared.variable, getattr(settings, name))
        missing = [name for name in ("secret_key", "key_encryption_keys", "erasure_pepper") if not getattr(self, name)]
        if missing and self.env == "production":
            names = ", ".join(name.upper() for name in missing)
            raise ConfigError(f"{names} must be set when CONSENT_ENV=production")
        if self.env == "production":
            _check_public_base_url(self.token_issuer)
        if self.smtp_url:
            _check_smtp(self)
        if missing:
            settings = settings._with_development_secrets(missing)
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

    def _with_verification_mode(self) -> Settings:
        """PRIVACY_REQUEST_VERIFICATION unset: mail the links when there is an SMTP server, else hand them to the
        operator's mailer by webhook."""
        if self.privacy_request_verification == "email" and not self.smtp_url:
            raise ConfigError(
                "PRIVACY_REQUEST_VERIFICATION=email mails the verification links through SMTP_URL, which is not set: "
                "set SMTP_URL, or PRIVACY_REQUEST_VERIFICATION=webhook to send them through your own mailer"
            )
        if self.privacy_request_verification:
            return self
        return replace(self, privacy_request_verification="email" if self.smtp_url else "webhook")

    def _with_development_secrets(self, missing: list[str]) -> Settings:
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
        values: dict[str, Any] = {}
        if "secret_key" in missing:
            values["secret_key"] = stored["secret_key"]
        if "key_encryption_keys" in missing:
            values["key_encryption_keys"] = (stored["key_encryption_key"],)
        if "erasure_pepper" in missing:
            values["erasure_pepper"] = stored["erasure_pepper"]
        return replace(self, generated_secrets=tuple(missing), **values)


def declared_settings() -> Iterator[tuple[str, Setting]]:
    """Each setting read from the environment, by field name, in the order declared."""
    for each in fields(Settings):
        if "setting" in each.metadata:
            yield each.name, each.metadata["setting"]


def _default_of(name: str) -> Any:
    return next(each.default for each in fields(Settings) if each.name == name)


def _read(declared: Setting, environ: Mapping[str, str], context: Context, *, default: Any) -> Any:
    raw = environ.get(declared.variable)
    if raw is not None and not (raw == "" and declared.kind.empty_is_unset):
        with contextlib.suppress(_Unset):  # the kind reads this value as "not set": the default applies
            return declared.kind.parse(declared.variable, raw)
    return declared.default_for(context) if declared.default_for else default

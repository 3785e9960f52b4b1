"""The consent service: create_app builds a configured Flask app."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy import Engine

    from consent_service.config import Settings
    from consent_service.consents.store import ConsentStore
    from consent_service.stores.replicas import ReplicaSet

# What create_app needs is imported when it runs: every command module imports this package first, and the
# `consent-service` command lists and parses commands without building an app (Flask, SQLAlchemy, the settings).


def create_app(
    overrides: Mapping[str, object] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    serve_http: bool = True,
) -> Flask:
    """Build an app from the environment, with optional setting overrides (tests use them).

    With serve_http=False it is the app of the `flask` commands (create_cli_app): the same validated settings,
    database, runtime and commands, without what only requests use (routes, the OpenAPI document, error pages,
    request hooks), whose imports take most of a command's start."""
    from consent_service.config import Settings
    from consent_service.logs import ServiceFlask, configure_logging

    app = ServiceFlask(__name__, instance_relative_config=True)
    settings = Settings.from_env(environ, instance_path=app.instance_path)
    settings = settings.with_overrides(overrides or {}).validated()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure_logging()
    app.config.update(_flask_config(settings))
    _bind_extensions(app, settings)
    if serve_http:
        _bind_http(app, settings)
        _register_blueprints(app)
        _bind_request_hooks(app, settings)
    _register_commands(app, serve_http=serve_http)
    return app


def create_cli_app() -> Flask:
    """The app `flask` commands run in (FLASK_APP=consent_service:create_cli_app): create_app without HTTP."""
    return create_app(serve_http=False)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The validated settings create_app reads, without building the app (gunicorn's master says what they imply)."""
    from consent_service.config import Settings
    from consent_service.logs import ServiceFlask

    instance_path = ServiceFlask(__name__, instance_relative_config=True).instance_path
    return Settings.from_env(environ, instance_path=instance_path).validated()


def _flask_config(settings: Settings) -> dict:
    from consent_service.clock import system_clock
    from consent_service.frameworks.manifest import DEFAULT_DIRECTORY as FRAMEWORKS_DIRECTORY

    # Connections idle for a while are tested on checkout instead (database.ping_when_idle).
    engine_options: dict = {}
    if not settings.database_url.startswith("sqlite"):
        engine_options.update(
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            # Times come back in UTC whatever the server's TimeZone: hot statements read driver values as they are.
            connect_args={
                "options": f"-c statement_timeout={settings.statement_timeout_ms} -c TimeZone=UTC",
                "connect_timeout": 5,
            },
        )
    return {
        "SECRET_KEY": settings.secret_key,
        "SECRET_KEY_FALLBACKS": list(settings.secret_key_fallbacks),
        "TESTING": settings.env == "testing",
        "MAX_CONTENT_LENGTH": settings.max_content_length,
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "CLOCK": system_clock,
        # The built framework files and their manifest (js-snippet's build); tests point it at their own.
        "FRAMEWORKS_DIRECTORY": FRAMEWORKS_DIRECTORY,
        "API_TITLE": "Consent Service",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
    }


def _bind_extensions(app: Flask, settings: Settings) -> None:
    import consent_service.models  # noqa: F401  (registers every table)
    from consent_service import durability, write_intent
    from consent_service.banner.versions import VersionLedger
    from consent_service.consents import store as consent_store
    from consent_service.database import ping_when_idle
    from consent_service.extensions import db
    from consent_service.regimes.service import load_rules
    from consent_service.runtime import EXTENSION_NAME, Runtime
    from consent_service.signing_keys.keystore import KeyStore
    from consent_service.stores.reads import PrimaryReads, ReplicaReads

    db.init_app(app)
    with app.app_context():
        ping_when_idle(db.engine)
        write_intent.bind(db.engine, strict=settings.env == "testing")
        durability.check(db.engine, refuse=settings.durability_check == "refuse")
        # The consent store of this database, chosen once (when first used): every session on this engine writes and
        # checks through it; with replicas, checks and state reads answer from one when it may.
        replicas = _replicas(settings, db.engine)
        consent_store.bind(db.engine, functools.partial(_consent_store, db.engine, replicas))
        # Histories, exports and reports run whole on a replica's session (stores/reads.py), with the replica's own
        # store.
        for replica in replicas.replicas if replicas is not None else ():
            consent_store.bind(replica.engine, functools.partial(_consent_store, replica.engine, None))
    app.extensions[EXTENSION_NAME] = Runtime(
        settings=settings,
        rules=load_rules(settings.rules_file or None),
        keystore=KeyStore(
            encryption_keys=settings.key_encryption_keys,
            cache_seconds=settings.signing_key_cache_seconds,
            max_token_ttl=settings.token_max_ttl_seconds,
        ),
        banner_versions=VersionLedger(),
        # Histories, exports and reports read a replica when one may answer; checks and state reads go through the
        # store. readyz reports the replicas' standing.
        reads=PrimaryReads() if replicas is None else ReplicaReads(replicas),
        replicas=replicas,
    )


def _replicas(settings: Settings, primary: Engine) -> ReplicaSet | None:
    """The read replicas of DATABASE_REPLICA_URLS, if any (the settings refused them without a PostgreSQL primary),
    measured against the WAL position of the primary on `primary`."""
    if not settings.database_replica_urls:
        return None
    from consent_service.stores.replicas import ReplicaSet, primary_wal_position, replica_engine

    engines = [
        replica_engine(url, pool_size=settings.db_pool_size, statement_timeout_ms=settings.statement_timeout_ms)
        for url in settings.database_replica_urls
    ]
    return ReplicaSet(
        engines,
        primary_position=functools.partial(primary_wal_position, primary),
        max_lag_ms=settings.replica_max_lag_ms,
        check_interval_ms=settings.replica_check_interval_ms,
    )


def _consent_store(engine: Engine, replicas: ReplicaSet | None) -> ConsentStore:
    from consent_service import stores
    from consent_service.flows.record_consent import store_guards

    if replicas is None:
        return stores.for_engine(engine, store_guards())
    return stores.with_replicas(engine, store_guards(), replicas)


def _bind_http(app: Flask, settings: Settings) -> None:
    """The OpenAPI document, the JSON error answers and the trusted proxies' headers: what only requests use."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from consent_service import openapi_fields, openapi_links, openapi_rules
    from consent_service.errors import register_error_handlers
    from consent_service.openapi import api

    # Plugins that complete what apispec writes: links between operations, a PATCH body naming a field, the rules
    # beyond each operation's schema.
    api.init_app(
        app,
        spec_kwargs={
            "extra_plugins": [
                openapi_links.LinksPlugin(),
                openapi_fields.ChangesNameAField(),
                openapi_rules.RulesPlugin(),
            ]
        },
    )
    openapi_fields.register(api)
    api.spec.components.security_scheme(
        "secretKey", {"type": "http", "scheme": "bearer", "description": "A secret API key (sk_...)."}
    )
    register_error_handlers(app)
    if settings.trusted_proxy_count:
        # Flask's documented way to add WSGI middleware; mypy sees wsgi_app only as a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxy_count, x_proto=settings.trusted_proxy_count
        )


def _register_blueprints(app: Flask) -> None:
    from consent_service.banner.api import blp as banner_blp
    from consent_service.banner.site import blp as site_blp
    from consent_service.consents.api import blp as consents_blp
    from consent_service.console.views import blp as console_blp
    from consent_service.docs import blp as docs_assets
    from consent_service.frameworks.site import blp as framework_files_blp
    from consent_service.metrics import blp as metrics_blp
    from consent_service.notices.api import blp as notices_blp
    from consent_service.openapi import api
    from consent_service.ops.api import blp as ops_blp
    from consent_service.preferences.api import blp as preferences_blp
    from consent_service.preferences.pages import blp as preference_pages_blp
    from consent_service.preferences.pages import register_signed_converter
    from consent_service.privacy_requests.api import blp as privacy_requests_blp
    from consent_service.privacy_requests.pages import blp as privacy_request_pages_blp
    from consent_service.properties.api import blp as properties_blp
    from consent_service.purposes.api import blp as purposes_blp
    from consent_service.recipients.api import blp as recipients_blp
    from consent_service.reports.api import blp as reports_blp
    from consent_service.rights.api import blp as rights_blp
    from consent_service.scanner.api import blp as scanner_blp
    from consent_service.subjects.schemas import register_subject_converter
    from consent_service.tokens.api import blp as tokens_blp
    from consent_service.webhooks.api import blp as webhooks_blp

    register_signed_converter(app, api)
    register_subject_converter(app, api)
    for blueprint in (
        consents_blp,
        tokens_blp,
        banner_blp,
        purposes_blp,
        properties_blp,
        notices_blp,
        webhooks_blp,
        site_blp,
        ops_blp,
        metrics_blp,
        preferences_blp,
        preference_pages_blp,
        privacy_request_pages_blp,
        rights_blp,
        reports_blp,
        recipients_blp,
        scanner_blp,
        framework_files_blp,
        privacy_requests_blp,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs_assets)
    app.register_blueprint(console_blp)  # HTML behind a session cookie, kept out of the OpenAPI document


def _bind_request_hooks(app: Flask, settings: Settings) -> None:
    """Request ids and access logs, security headers, rate limits, and the refusal of keys in URLs."""
    from consent_service import compression, logs, metrics, ratelimits, security_headers
    from consent_service.apikeys.auth import refuse_keys_in_query
    from consent_service.banner.api import blp as banner_blp
    from consent_service.cookie_session import CookieSessionInterface
    from consent_service.request_guards import refuse_nul_characters, refuse_unpaired_surrogates, refuse_unreadable_json

    app.session_interface = CookieSessionInterface()
    logs.init_app(app)
    metrics.init_app(app)
    security_headers.init_app(app, secure_cookies=settings.env == "production")
    ratelimits.init_app(app, settings, banner=banner_blp)
    compression.init_app(app)  # its hook runs first of these (Flask runs them in reverse), so logs see the bytes sent
    app.before_request(refuse_keys_in_query)
    app.before_request(refuse_unreadable_json)
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_unpaired_surrogates)


def _register_commands(app: Flask, *, serve_http: bool) -> None:
    from consent_service import commands
    from consent_service.schema_migrations import DbCommands, bind_migrations

    # The web app binds Flask-Migrate at once (tests migrate through it); the commands' app when `flask db` runs.
    if serve_http:
        bind_migrations(app)
    else:
        app.cli.add_command(DbCommands())
    commands.register(app)

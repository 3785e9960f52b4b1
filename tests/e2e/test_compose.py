"""docker-compose.yml and .env.example as an operator gets them (issue 22, acceptance 6).

One image built once for migrate, web and worker; Redis wired for rate limits; nginx the only way in;
a healthcheck on every long-running service; and every setting production refuses to start without
(found by asking config.py, not by listing them here) named in .env.example and passed to the service.
"""
from __future__ import annotations

import re

import pytest
import yaml
from cryptography.fernet import Fernet

from consent_service.config import ConfigError, Settings, declared_settings
from tests.e2e.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
APP_SERVICES = ("migrate", "web", "webhooks")
ONE_OFF = {"migrate"}  # runs `flask db upgrade` and exits
# A production environment the service accepts: each required setting is found by leaving it out.
PRODUCTION = {
    "CONSENT_ENV": "production",
    "SECRET_KEY": "s" * 32,
    "KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ERASURE_PEPPER": "p" * 32,
    "TOKEN_ISSUER": "https://consent.example.com",
}
SETTING_NAMES = {declared.variable for _, declared in declared_settings()}


def required_in_production(tmp_path) -> set[str]:
    """The settings whose absence makes the service refuse to start with CONSENT_ENV=production."""
    Settings.from_env(PRODUCTION, instance_path=str(tmp_path)).validated()  # the complete set starts
    required = set()
    for name in SETTING_NAMES - {"CONSENT_ENV"}:
        try:
            Settings.from_env({k: v for k, v in PRODUCTION.items() if k != name}, instance_path=str(tmp_path)).validated()
        except ConfigError:
            required.add(name)
    return required


def test_the_settings_production_requires_are_in_env_example_and_reach_the_service(tmp_path):
    required = required_in_production(tmp_path)
    assert {"SECRET_KEY", "TOKEN_ISSUER"} <= required  # the probe finds what it should
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, re.MULTILINE))  # uncommented lines only
    assert required <= listed, f"missing from .env.example: {required - listed}"
    for service in APP_SERVICES:
        environment = SERVICES[service]["environment"]
        for name in required:
            # `${NAME:?...}`: compose refuses to start without it rather than passing an empty value.
            assert environment[name].startswith(f"${{{name}:?"), (service, name, environment[name])
    # Everything else .env.example asks to fill in is read by the compose file.
    compose_text = (ROOT / "docker-compose.yml").read_text()
    assert all(f"${{{name}" in compose_text for name in listed)


def test_env_example_holds_no_secret_values():
    assert re.findall(r"^[A-Z][A-Z0-9_]*=(.+)$", ENV_EXAMPLE, re.MULTILINE) == []


def test_one_image_is_built_once_and_run_by_migrate_web_and_worker():
    built = [name for name, service in SERVICES.items() if "build" in service]
    assert built == ["migrate"]
    images = {SERVICES[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in set(APP_SERVICES) - {"migrate"}:
        assert SERVICES[name]["pull_policy"] == "never"  # the image migrate built, never a registry's
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert SERVICES["web"].get("command") is None  # the image's CMD: gunicorn
    assert SERVICES["webhooks"]["command"][:3] == ["flask", "webhooks", "run"]


def test_redis_counts_rate_limits_for_every_app_service():
    assert SERVICES["redis"]["image"].startswith("redis:")
    for name in APP_SERVICES:
        assert SERVICES[name]["environment"]["RATELIMIT_STORAGE_URI"] == "${RATELIMIT_STORAGE_URI:-redis://redis:6379/0}"
    assert SERVICES["web"]["depends_on"]["redis"] == {"condition": "service_healthy"}


def test_nginx_is_in_front_and_the_only_published_service():
    nginx = SERVICES["nginx"]
    assert [name for name, service in SERVICES.items() if service.get("ports")] == ["nginx"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert nginx["depends_on"]["web"] == {"condition": "service_healthy"}
    upstream = re.search(r"upstream consent_service \{\s*server ([\w.-]+):(\d+);", (ROOT / "deploy" / "nginx.conf").read_text())
    assert upstream.groups() == ("web", "8000") and "8000" in SERVICES["web"]["expose"]
    published = nginx["ports"][0].split(":")[-1]
    assert re.search(rf"^\s*listen {published};", (ROOT / "deploy" / "nginx.conf").read_text(), re.MULTILINE)


@pytest.mark.parametrize("name", sorted(set(SERVICES) - ONE_OFF))
def test_every_long_running_service_has_a_healthcheck(name):
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1


def test_the_workers_healthcheck_reads_the_heartbeat_it_writes():
    worker = SERVICES["webhooks"]
    heartbeat = worker["command"][worker["command"].index("--heartbeat-file") + 1]
    assert heartbeat in " ".join(worker["healthcheck"]["test"])


def test_the_documented_first_key_command_names_a_real_service_and_scope():
    from consent_service.vocabulary import Scope

    documented = (ROOT / "docs" / "deploying.md").read_text() + (ROOT / "docker-compose.yml").read_text()
    commands = re.findall(r"docker compose run --rm (\w+) flask keys create --name [\w-]+ --scope (\w+)", documented)
    assert commands
    for service, scope in commands:
        assert service in APP_SERVICES and scope == Scope.ADMIN.value

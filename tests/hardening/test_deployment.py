"""The Dockerfile and docker-compose.yml have the properties deployment relies on (Docker cannot run here)."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_dockerfile_is_multi_stage_slim_non_root_and_health_checked():
    steps = instructions(ROOT / "Dockerfile")
    bases = [args for name, args in steps if name == "FROM"]
    assert len(bases) >= 2 and all("slim" in base for base in bases)
    final_stage = steps[max(i for i, (name, _) in enumerate(steps) if name == "FROM"):]
    users = [args for name, args in final_stage if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    health = [args for name, args in final_stage if name == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    command = [args for name, args in final_stage if name == "CMD"][-1]
    assert "gunicorn" in command and "${WEB_CONCURRENCY}" in command
    assert "--access-logfile" not in command  # it would log full paths and IPs
    copied = " ".join(args for name, args in final_stage if name == "COPY")
    workdir = [args for name, args in final_stage if name == "WORKDIR"][-1]
    assert "gunicorn.conf.py" in copied and workdir == "/app"  # read from the working directory: /metrics sums workers
    env = " ".join(args for name, args in final_stage if name == "ENV")
    assert "CONSENT_ENV=production" in env and "WEB_CONCURRENCY=" in env


def test_compose_runs_postgres_the_service_and_the_webhook_worker():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:")
    # The service is reached through nginx only (deploy/nginx.conf; tests/e2e/test_deployment_config.py).
    # One image (built by migrate) for the three; tests/e2e/test_compose.py holds the rest of its shape.
    assert services["web"]["image"] == services["webhooks"]["image"] == services["migrate"]["image"]
    assert "8000" in services["web"]["expose"] and "ports" not in services["web"]
    assert "8000:8080" in services["nginx"]["ports"]
    assert services["webhooks"]["command"][:3] == ["flask", "webhooks", "run"]
    assert services["migrate"]["command"] == ["flask", "db", "upgrade"]
    for name in ("web", "webhooks", "migrate"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["DATABASE_URL"]
        assert "${SECRET_KEY:?" in env["SECRET_KEY"]  # no default secret: compose refuses to start without one

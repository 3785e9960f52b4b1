"""What an operator must hear when the service starts, said once by gunicorn's master (gunicorn.conf.py).

Every gunicorn worker and every `flask` command builds the app, so a warning logged while building it is
repeated per worker and on every command; these are said where the server starts instead.
"""

from __future__ import annotations

from pathlib import Path

from consent_service.config import DEV_SECRETS_FILE, Settings

PER_PROCESS_STORAGE = "memory://"


def startup_notices(settings: Settings, *, workers: int) -> list[str]:
    """The warnings for a server of `workers` processes run with these (validated) settings."""
    notices = []
    if settings.generated_secrets:
        notices.append(
            f"using generated development secrets from {Path(settings.instance_path) / DEV_SECRETS_FILE}"
            " (never in production)"
        )
    if workers > 1 and settings.ratelimit_enabled and settings.ratelimit_storage_uri.startswith(PER_PROCESS_STORAGE):
        notices.append(
            f"rate limits are counted per worker process (RATELIMIT_STORAGE_URI={PER_PROCESS_STORAGE}):"
            f" with {workers} workers a client gets {workers} times each limit; set"
            " RATELIMIT_STORAGE_URI=redis://host:6379/0 to share them"
        )
    return notices

"""The default rate-limit storage counts per worker, and the service says so when it starts."""
from __future__ import annotations

import logging

PER_WORKER = "rate limits are counted per worker"


def test_the_in_memory_storage_is_announced_as_per_worker_at_start(app_with, caplog):
    caplog.set_level(logging.INFO, logger="consent_service.ratelimits")
    app_with()
    assert any(PER_WORKER in record.getMessage() for record in caplog.records)
    caplog.clear()
    app_with(env="production")
    assert [record.levelno for record in caplog.records if PER_WORKER in record.getMessage()] == [logging.WARNING]


def test_a_shared_storage_or_no_limits_say_nothing_of_workers(app_with, caplog):
    caplog.set_level(logging.INFO, logger="consent_service.ratelimits")
    app_with(ratelimit_storage_uri="redis://127.0.0.1:6379/0")
    app_with(ratelimit_enabled=False)
    assert not any(PER_WORKER in record.getMessage() for record in caplog.records)

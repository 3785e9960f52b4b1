"""TCF_CMP_ID and TCF_CMP_VERSION: 0 until the CMP is registered, at most what a TC string's 12 bits hold."""
from __future__ import annotations

import pytest

from consent_service.config import ConfigError, Settings


def _settings(tmp_path, **environ: str) -> Settings:
    return Settings.from_env({"CONSENT_ENV": "testing", **environ}, instance_path=str(tmp_path)).validated()


def test_they_are_zero_until_registered(tmp_path):
    settings = _settings(tmp_path)
    assert (settings.tcf_cmp_id, settings.tcf_cmp_version) == (0, 0)
    registered = _settings(tmp_path, TCF_CMP_ID="4095", TCF_CMP_VERSION="3")
    assert (registered.tcf_cmp_id, registered.tcf_cmp_version) == (4095, 3)


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("TCF_CMP_ID", "4096", "TCF_CMP_ID must be an integer from 0 to 4095, got 4096"),
        ("TCF_CMP_ID", "-1", "TCF_CMP_ID must be at least 0, got -1"),
        ("TCF_CMP_VERSION", "two", "TCF_CMP_VERSION must be an integer, got 'two'"),
    ],
)
def test_values_out_of_range_stop_the_start(tmp_path, variable, raw, message):
    with pytest.raises(ConfigError, match=message):
        _settings(tmp_path, **{variable: raw})


def test_overrides_are_checked_too(tmp_path):
    base = Settings.from_env({"CONSENT_ENV": "testing"}, instance_path=str(tmp_path))
    for value in (5000, -3, True, "7"):
        with pytest.raises(ConfigError, match="TCF_CMP_VERSION must be an integer from 0 to 4095"):
            base.with_overrides({"tcf_cmp_version": value}).validated()

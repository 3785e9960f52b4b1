"""Rules are data: a changed rules file changes answers with no code change; a bad one stops the start."""
from __future__ import annotations

import pytest

from consent_service import create_app
from consent_service.config import ConfigError
from consent_service.regimes.service import load_rules
from tests.regimes.helpers import rules_with

CHECK_UK = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["analytics"], "country": "GB"}


def make_uk_opt_out(rules: dict) -> None:
    rules["regimes"]["opt_in"]["countries"].remove("GB")
    rules["regimes"]["opt_out"]["countries"].append("GB")


def test_moving_the_uk_to_opt_out_changes_the_answer(client, auth, app_with, tmp_path):
    headers = auth("consents:read")
    assert client.post("/v1/checks", json=CHECK_UK, headers=headers).json["decisions"]["analytics"] == {
        "allowed": False, "reason": "opt_in_required", "basis": None, "rule": "catalogue.defaults"}
    app = app_with(rules_file=rules_with(tmp_path, make_uk_opt_out))
    with app.app_context():
        answer = app.test_client().post("/v1/checks", json=CHECK_UK, headers=headers).json
    assert answer["decisions"]["analytics"] == {
        "allowed": True, "reason": "default_opt_out", "basis": "not_required", "rule": "catalogue.defaults"}


def test_rules_file_comes_from_the_environment(tmp_path):
    environ = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "RULES_FILE": rules_with(tmp_path, make_uk_opt_out)}
    app = create_app(environ=environ)
    from consent_service.runtime import EXTENSION_NAME

    assert app.extensions[EXTENSION_NAME].rules.regime_for("GB") == "opt_out"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda r: r["regimes"]["opt_in"]["countries"].append("Germany"), "regimes.opt_in.countries[32]"),
        (lambda r: r["regimes"]["opt_out"]["countries"].append("DE"), "regimes.opt_out.countries[1]: DE is already in opt_in"),
        (lambda r: r["regimes"]["opt_in"]["consent_methods"].append("telepathy"), "regimes.opt_in.consent_methods[8]"),
        (lambda r: r["regimes"].update(opt_sideways={"countries": []}), "regimes.opt_sideways: unknown regime"),
        (lambda r: r["age_of_consent"].update(DE=99), "age_of_consent.DE"),
        (lambda r: r.update(default_regime="maybe"), "default_regime"),
        (lambda r: r["transfers"]["EEA"].update(adequate="everyone"), "transfers.EEA.adequate"),
    ],
)
def test_an_invalid_rules_file_stops_the_start_naming_the_entry(tmp_path, change, named):
    path = rules_with(tmp_path, change)
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_rules(path)
    with pytest.raises(ConfigError, match="regime rules"):
        create_app(environ={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "RULES_FILE": path})


def test_unreadable_rules_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read as JSON"):
        load_rules(tmp_path / "missing.json")


def test_gpc_well_known_resource(client):
    assert client.get("/.well-known/gpc.json").json == {"gpc": True, "lastUpdate": load_rules().version}


def test_checks_take_the_country_from_the_cdn_header(app_with, auth):
    app = app_with(country_header="CF-IPCountry")
    with app.app_context():
        body = {"subject": {"kind": "visitor", "id": "v"}, "purposes": ["analytics"]}
        answer = app.test_client().post("/v1/checks", json=body, headers=auth("consents:read") | {"CF-IPCountry": "US"})
    assert answer.json["decisions"]["analytics"]["reason"] == "default_opt_out"

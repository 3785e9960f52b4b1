"""docs/rules-reference.md is the rules file rendered by `flask rules docs`: current, complete, every
rule beside its source, and a rule without one flagged on the page and failed here."""
from __future__ import annotations

import json
import random
from pathlib import Path

from consent_service.regimes.cli import DEFAULT_OUT, reference_name
from consent_service.regimes.reference import NO_SOURCE, render, rule_entries, unsourced
from consent_service.regimes.service import DEFAULT_RULES_PATH
from tests.regimes.helpers import rules_with

REPOSITORY = DEFAULT_RULES_PATH.parents[2]
REFERENCE = REPOSITORY / DEFAULT_OUT
COMMAND = "`flask rules docs` from the repository root (RULES_FILE unset)"


def shipped() -> dict:
    return json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def shipped_reference() -> str:
    return render(shipped(), rules_name=reference_name(DEFAULT_RULES_PATH))


def section(page: str, heading: str) -> str:
    """The text under a heading of the page, up to the next heading."""
    start = page.index(heading + "\n")
    following = page.find("\n#", start + len(heading))
    return page[start:following if following != -1 else None]


def test_the_reference_page_is_what_the_command_renders_now():
    assert REFERENCE.exists(), f"{DEFAULT_OUT} is missing: run {COMMAND} and commit it"
    assert REFERENCE.read_text(encoding="utf-8") == shipped_reference(), (
        f"{DEFAULT_OUT} is stale (it differs from what the command renders from the rules file now): "
        f"run {COMMAND} and commit it")


def test_every_rule_of_the_shipped_file_cites_its_source():
    """These entries count as rules, and each needs a `source` string:

    - each regime (`regimes.<regime>`: its countries, consent methods, GPC purposes) and each of its
      per-purpose entries (`regimes.<regime>.purposes.<purpose>`: default, consent methods);
    - the sections `gpc` (GPC precedence), `methods` (methods per category), `age_of_consent` (its
      source also covers `default_age_of_consent`) and `policy`;
    - each age rule, `minors[i]` and `policy.minors[i]`, and each transfer region `transfers.<region>`;
    - any other object that sets something (a value other than `source`, `description` or `name`): it
      cites its own source or sits inside an entry that does (`gpc.outranked_by` under `gpc`). So a
      section another change adds (subdivisions, transfer bases, recording) is held to the same rule.

    `version` and the top-level defaults (`default_regime`, `default_age_of_consent`) are settings
    of the whole file, shown with their section.
    """
    assert unsourced(shipped()) == [], "rules without a source: add a `source` citing the statute, guidance or notice"
    paths = {rule.path for rule in rule_entries(shipped())}
    assert {"regimes.opt_in", "regimes.opt_out.purposes.advertising", "gpc", "gpc.outranked_by", "methods",
            "age_of_consent", "minors[0]", "policy", "policy.minors[1]", "transfers.EEA"} <= paths


def test_every_rule_appears_on_the_page_with_its_source():
    page = shipped_reference()
    for rule in rule_entries(shipped()):
        if rule.path.count(".") or "[" in rule.path:
            text = section(page, next(line for line in page.splitlines() if line.endswith(f"`{rule.path}`")
                                      or f"`{rule.path}`: " in line))
            assert "Source: " in text, rule.path


def edited(tmp_path, change) -> dict:
    """The shipped rules after `change(rules)`."""
    return json.loads(Path(rules_with(tmp_path, change)).read_text())


def test_a_rule_without_a_source_is_flagged_on_the_page_and_listed(tmp_path):
    def drop_source(rules: dict) -> None:
        del rules["regimes"]["opt_out"]["purposes"]["advertising"]["source"]
        rules["minors"][1]["source"] = "  "

    document = edited(tmp_path, drop_source)
    assert unsourced(document) == ["regimes.opt_out.purposes.advertising", "minors[1]"]
    page = render(document, rules_name="rules.json")
    assert NO_SOURCE in section(page, "#### `regimes.opt_out.purposes.advertising`")
    assert NO_SOURCE in section(page, "### `minors[1]`: no_automated_decisions_for_children")
    assert "2 of " in page.split("## Regimes")[0]


def test_a_section_the_generator_does_not_know_appears_with_its_entries_and_sources(tmp_path):
    def add_sections(rules: dict) -> None:
        rules["sectors"] = {  # a section no version of the generator knows
            "US-CA": {"regime": "opt_out", "all_parties": True, "source": "Cal. Penal Code 632(a)"},
            "US-XX": {"regime": "opt_out"},
        }
        rules["transfers"]["EEA"]["derogations"] = ["contract", "explicit_consent"]
        rules["dnt_honoured"] = False

    document = edited(tmp_path, add_sections)
    page = render(document, rules_name="rules.json")
    known = section(page, "### `sectors.US-CA`")
    assert "Source: Cal. Penal Code 632(a)" in known and "`all_parties`: `true`" in known
    assert NO_SOURCE in section(page, "### `sectors.US-XX`")
    assert unsourced(document) == ["sectors.US-XX"]
    assert "`derogations`: contract, explicit_consent" in section(page, "### `transfers.EEA`")
    assert "- `dnt_honoured`: `false`" in section(page, "## Settings")


def test_the_page_depends_on_the_rules_alone(tmp_path):
    """No timestamp, and sets (countries, methods) shown sorted whatever their order in the file."""
    def shuffle_sets(rules: dict) -> None:
        shuffler = random.Random(17)
        for regime in rules["regimes"].values():
            shuffler.shuffle(regime["countries"])
            shuffler.shuffle(regime["consent_methods"])
        for region in rules["transfers"].values():
            shuffler.shuffle(region["adequate"])
        rules["age_of_consent"] = dict(reversed(list(rules["age_of_consent"].items())))

    shuffled = edited(tmp_path, shuffle_sets)
    assert render(shuffled, rules_name="x") == render(shipped(), rules_name="x")


def test_the_command_writes_the_rules_file_in_use(app_with, tmp_path):
    def move_gb(rules: dict) -> None:
        rules["regimes"]["opt_in"]["countries"].remove("GB")
        rules["regimes"]["opt_out"]["countries"].append("GB")

    path = rules_with(tmp_path, move_gb)
    out = tmp_path / "reference.md"
    result = app_with(rules_file=path).test_cli_runner().invoke(args=["rules", "docs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = out.read_text()
    assert written == render(json.loads(Path(path).read_text()), rules_name=path)
    assert "| `opt_out` | GB, US |" in written

    printed = app_with().test_cli_runner().invoke(args=["rules", "docs", "--out", "-"])
    assert printed.exit_code == 0 and printed.stdout == shipped_reference()


"""`flask retention run` removes whole expired chains, exactly once even when several run at once."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from consent_service.consents import service as consents
from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.runtime import runtime
from consent_service.subjects.models import Subject
from consent_service.vocabulary import Decision, Method
from tests.conftest import ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parents[2]
SUBJECTS_FOR_RACE = 240


def _ids() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(Subject.external_id)))


def _ledger_size() -> int:
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


def test_periods_decide_what_goes_and_dry_run_changes_nothing(record, clock, flask_cli, tmp_path, auth, client):
    record("visitor", "v-idle", [("analytics", "granted", "banner_custom")])
    record("customer", "c-recording-ended", [("recording", "withdrawn", "verbal")])
    record("customer", "c-marketing-ended", [("marketing", "withdrawn", "api")])
    record("customer", "c-relied-on", [("marketing", "granted", "api")])
    record("customer", "c-restricted", [("marketing", "withdrawn", "api")])
    client.post("/v1/subjects/customer/c-restricted/restriction", json={"restricted": True}, headers=auth("consents:write"))
    checkpoint = tmp_path / "before.jws"
    flask_cli("ledger", "checkpoint", "--output", str(checkpoint))
    clock.advance(days=1100)  # past visitor inactivity (395) and recording evidence (1095), not proof (1826)
    record("visitor", "v-active", [("analytics", "granted", "banner_custom")])
    before = (_ids(), _ledger_size())

    dry = flask_cli("retention", "run", "--dry-run")

    assert dry.exit_code == 0
    assert "would remove 2 chains (2 events)" in dry.output
    assert (_ids(), _ledger_size()) == before

    done = flask_cli("retention", "run")

    assert "removed 2 chains (2 events)" in done.output
    assert _ids() == before[0] - {"v-idle", "c-recording-ended"}
    again = flask_cli("retention", "run")
    assert "removed 0 chains" in again.output
    clock.advance(days=800)  # now past the proof period of the withdrawn marketing consent
    assert "removed 2 chains" in flask_cli("retention", "run").output  # c-marketing-ended, and v-active went idle
    assert _ids() == {"c-relied-on", "c-restricted"}
    verified = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint))
    assert verified.exit_code == 0, verified.output


def retention_command_env(database_url: str) -> dict[str, str]:
    """The environment of a `flask retention run` subprocess on this database, as an operator's shell would have it."""
    return {
        **os.environ,
        "FLASK_APP": "consent_service:create_cli_app",
        "CONSENT_ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "retention-secret-key-long-enough-for-production",
        "KEY_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "ERASURE_PEPPER": "retention-erasure-pepper-long-enough-for-production",
        # The subprocesses run on the real clock; the visitors were last seen at the frozen one.
        "RETENTION_VISITOR_INACTIVITY_DAYS": "1",
    }


def test_two_runs_started_together_remove_each_chain_exactly_once(app, database_url, session):
    rules = runtime().rules
    for n in range(SUBJECTS_FOR_RACE):
        record_consent(
            session=session, kind="visitor", external_id=f"v-{n}",
            events=[consents.EventInput(purpose="analytics", decision=Decision.GRANTED, method=Method.BANNER_CUSTOM)],
            context=consents.EventContext(notice_version="v1"), rules=rules, now=app.config["CLOCK"](),
        )
    session.commit()
    env = retention_command_env(database_url)
    runs = [
        subprocess.Popen([sys.executable, "-m", "flask", "retention", "run"], env=env, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    removed = [int(re.search(r"removed (\d+) chains", out).group(1)) for out, _ in outputs]
    assert sum(removed) == SUBJECTS_FOR_RACE
    lines = [line for out, _ in outputs for line in out.splitlines() if line.startswith("removed visitor #")]
    assert len(lines) == len(set(lines)) == SUBJECTS_FOR_RACE
    assert _ids() == set() and _ledger_size() == 0


def test_the_proof_of_an_erased_customer_goes_a_proof_period_after_its_erasure(record, clock, flask_cli, client, auth):
    record("customer", "c-erased", [("marketing", "granted", "api")])
    client.delete("/v1/subjects/customer/c-erased", headers=auth("subjects:erase"))
    clock.advance(days=1825)
    assert "removed 0 chains" in flask_cli("retention", "run").output
    clock.advance(days=2)
    assert "removed 1 chains (1 events)" in flask_cli("retention", "run").output
    assert _ids() == set() and flask_cli("ledger", "verify").exit_code == 0


def test_progress_is_heard_per_batch_and_shown_on_stderr(record, clock, flask_cli):
    from datetime import timedelta

    from consent_service.retention import service as retention

    for number in range(5):
        record("visitor", f"v-{number}", [("analytics", "granted", "banner_custom")])
    clock.advance(days=400)
    heard = []
    retention.run(session=db.session, periods=retention.Periods(visitor_inactivity=timedelta(days=395),
                                                                recording_evidence=timedelta(days=1095),
                                                                proof_after_withdrawal=timedelta(days=1826)),
                  pseudonymize=lambda kind, external_id: "erased", keystore=runtime().keystore, now=clock(),
                  dry_run=True, batch_size=2, progress=lambda done, total: heard.append((done, total)))
    assert heard == [(2, 5), (4, 5), (5, 5)]
    result = flask_cli("retention", "run", "--dry-run")
    assert "looking at subjects" in result.stderr and "looking at subjects" not in result.stdout
    assert "would remove 5 chains" in result.stdout

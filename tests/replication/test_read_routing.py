"""Checks, state reads and event histories through the Flask test client on a real primary and streaming replica:
which server answers (X-Consent-Read), read your writes with replay paused, a replica down, lagging or cut off
from the primary's stream, a key revoked, and the replicas' standing in /readyz."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from flask import Flask
from sqlalchemy import make_url

from consent_service import create_app
from consent_service.apikeys import service as apikeys
from consent_service.consents.store import store_for
from consent_service.extensions import db
from tests.conftest import PAIR_DURABILITY, FrozenClock, settings_for
from tests.streaming_replica import StreamingPair

WRITE_PATH = "/v1/subjects/customer/c-1/consent-events"
STATE_PATH = "/v1/subjects/customer/c-1/consents"
HISTORY_PATH = "/v1/subjects/customer/c-1/consent-events"
# Nothing listens on port 1: a replica that is never reachable.
UNREACHABLE_REPLICA = "postgresql://reader:secret@127.0.0.1:1/none"


def write(client, headers, decision: str, subject: str = "c-1") -> int:
    body = {"events": [{"purpose": "marketing", "decision": decision, "method": "api"}], "notice_version": "v1",
            "country": "DE"}
    response = client.post(f"/v1/subjects/customer/{subject}/consent-events", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["revision"]


def check_body(subject: str = "c-1", **extra) -> dict:
    return {"subject": {"kind": "customer", "id": subject}, "purposes": ["marketing"], "country": "DE", **extra}


def check(client, headers, **extra):
    response = client.post("/v1/checks", json=check_body(**extra), headers=headers)
    assert response.status_code == 200, response.json
    return response


def read_place(response) -> str:
    return response.headers["X-Consent-Read"]


def skips(client, reason: str) -> float:
    """consent_replica_skips_total{reason=...} as /metrics shows it."""
    prefix = f'consent_replica_skips_total{{reason="{reason}"}} '
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix):])
    return 0.0


def until(predicate: Callable[[], bool], what: str, timeout: float = 15) -> None:
    """Poll a real server's state (replication, a restart) until `predicate`, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.05)


@pytest.fixture
def build(replicated_database: tuple[str, str]) -> Iterator[Callable[..., Flask]]:
    """build(setting=value, ...) -> an app on the pair's primary with its replica, closed after the test."""
    primary_url, replica_url = replicated_database
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        values = {"database_replica_urls": (replica_url,), "replica_max_lag_ms": 600_000,
                  "replica_check_interval_ms": 50, "durability_check": PAIR_DURABILITY, **overrides}
        app = create_app(settings_for(primary_url, **values))
        app.config["CLOCK"] = FrozenClock()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            store = store_for(db.session())
            replicas = getattr(store, "replicas", None)
            if replicas is not None:
                replicas.dispose()
            db.session.remove()
            db.engine.dispose()


def key(app: Flask, *scopes: str) -> dict[str, str]:
    with app.app_context():
        _, plain = apikeys.create_key(session=db.session, name="replica-test", scopes=list(scopes), now=FrozenClock()())
        db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_without_replicas_the_answer_says_primary(client, full_access):
    assert read_place(check(client, full_access)) == "primary"
    batch = client.post("/v1/checks", json={"checks": [check_body(), check_body("c-2")]}, headers=full_access)
    assert batch.status_code == 200 and read_place(batch) == "primary"
    state = client.get(STATE_PATH, headers=full_access)
    assert state.status_code == 200 and read_place(state) == "primary"


def test_a_revision_the_replica_has_not_replayed_is_answered_by_the_primary(build, streaming_pair: StreamingPair):
    app = build()
    client, headers = app.test_client(), key(app, "consents:read", "consents:write")
    granted = write(client, headers, "granted")
    streaming_pair.wait_replayed()
    assert read_place(check(client, headers)) == "replica"

    streaming_pair.pause_replay()
    withdrawn = write(client, headers, "withdrawn")
    assert withdrawn > granted

    # Named by header or by field, single or batch: the primary answers, and says so, with the withdrawal.
    for answer in (
        check(client, {**headers, "Consent-Revision": str(withdrawn)}),
        check(client, headers, min_revision=withdrawn),
    ):
        assert read_place(answer) == "primary"
        assert answer.json["allowed"] is False
        assert answer.json["decisions"]["marketing"]["reason"] == "withdrawn"
    for body, extra_headers in (
        ({"checks": [check_body(min_revision=withdrawn), check_body("c-2")]}, {}),
        ({"checks": [check_body(), check_body("c-2")]}, {"Consent-Revision": str(withdrawn)}),
    ):
        batch = client.post("/v1/checks", json=body, headers={**headers, **extra_headers})
        assert batch.status_code == 200 and read_place(batch) == "primary"
        assert batch.json["results"][0]["decisions"]["marketing"]["reason"] == "withdrawn"
    for path, extra_headers in ((STATE_PATH, {"Consent-Revision": str(withdrawn)}),
                                (f"{STATE_PATH}?min_revision={withdrawn}", {})):
        state = client.get(path, headers={**headers, **extra_headers})
        assert state.status_code == 200 and read_place(state) == "primary"
        assert state.json["revision"] == withdrawn
        assert state.json["consents"]["marketing"]["decision"] == "withdrawn"

    # Without the revision (or with an older one) the replica answers, from the state it has replayed.
    for stale in (check(client, headers), check(client, headers, min_revision=granted)):
        assert read_place(stale) == "replica"
        assert stale.json["decisions"]["marketing"]["reason"] == "granted"
    batch = client.post("/v1/checks", json={"checks": [check_body(), check_body("c-2")]}, headers=headers)
    assert read_place(batch) == "replica"
    assert batch.json["results"][0]["decisions"]["marketing"]["reason"] == "granted"
    state = client.get(STATE_PATH, headers=headers)
    assert read_place(state) == "replica" and state.json["revision"] == granted
    assert skips(client, "behind") == 6  # each check, batch and state read that named the withdrawal


def history(client, headers, path: str = HISTORY_PATH, **extra_headers: str) -> tuple[str, list[tuple[int, str]]]:
    """Which server answered the subject's history, and its events (revision, decision), newest first."""
    response = client.get(path, headers={**headers, **extra_headers})
    assert response.status_code == 200, response.json
    return read_place(response), [(event["revision"], event["decision"]) for event in response.json["events"]]


def test_a_history_naming_a_revision_the_replica_has_not_replayed_is_read_on_the_primary(
    build, streaming_pair: StreamingPair
):
    app = build()
    client, headers = app.test_client(), key(app, "consents:read", "consents:write")
    granted = write(client, headers, "granted")
    streaming_pair.wait_replayed()
    assert history(client, headers) == ("replica", [(granted, "granted")])

    streaming_pair.pause_replay()
    withdrawn = write(client, headers, "withdrawn")
    newcomer = write(client, headers, "granted", subject="c-9")
    both = [(withdrawn, "withdrawn"), (granted, "granted")]
    # Named by header or by query field: the primary answers, with the withdrawal the replica has not replayed.
    assert history(client, headers, **{"Consent-Revision": str(withdrawn)}) == ("primary", both)
    assert history(client, headers, f"{HISTORY_PATH}?min_revision={withdrawn}") == ("primary", both)
    # A subject the replica does not know yet is at revision 0 there.
    newcomer_path = "/v1/subjects/customer/c-9/consent-events"
    assert history(client, headers, newcomer_path, **{"Consent-Revision": str(newcomer)}) == (
        "primary", [(newcomer, "granted")])
    assert skips(client, "behind") == 3

    # Without a revision, or with one the replica holds, the replica answers from what it has replayed.
    assert history(client, headers) == ("replica", [(granted, "granted")])
    assert history(client, headers, f"{HISTORY_PATH}?min_revision={granted}") == ("replica", [(granted, "granted")])
    assert history(client, headers, newcomer_path) == ("replica", [])
    assert skips(client, "behind") == 3

    streaming_pair.resume_replay()
    streaming_pair.wait_replayed()
    assert history(client, headers, **{"Consent-Revision": str(withdrawn)}) == ("replica", both)


def test_readiness_shows_each_replica_by_its_place_and_stays_ready_when_they_are_skipped(
    build, streaming_pair: StreamingPair, replicated_database: tuple[str, str]
):
    app = build(database_replica_urls=(replicated_database[1], UNREACHABLE_REPLICA))
    client, headers = app.test_client(), key(app, "consents:read", "consents:write")

    def readiness() -> dict:
        response = client.get("/readyz")
        assert response.status_code == 200, response.json
        # The probe is unauthenticated: no host, port, database or credentials of a replica.
        text = response.get_data(as_text=True)
        for secret in ("127.0.0.1", "secret", "reader", str(make_url(replicated_database[1]).port), "none"):
            assert secret not in text
        return response.json

    # Not measured yet: counted as down, as reads treat it (the primary answers them meanwhile).
    assert readiness() == {"status": "ready", "replicas": [
        {"replica": 1, "reads": False, "skipped": "down"}, {"replica": 2, "reads": False, "skipped": "down"}]}

    write(client, headers, "granted")
    streaming_pair.wait_replayed()
    until(lambda: read_place(check(client, headers)) == "replica", "the replica answered")
    assert readiness() == {"status": "ready", "replicas": [
        {"replica": 1, "reads": True}, {"replica": 2, "reads": False, "skipped": "down"}]}

    with replica_stopped(streaming_pair):
        until(lambda: read_place(check(client, headers)) == "primary", "the stopped replica was skipped")
        # Every replica skipped, the primary answers reads: still ready.
        assert readiness() == {"status": "ready", "replicas": [
            {"replica": 1, "reads": False, "skipped": "down"}, {"replica": 2, "reads": False, "skipped": "down"}]}
    streaming_pair.wait_replayed()
    until(lambda: read_place(check(client, headers)) == "replica", "the restarted replica answered again")
    assert readiness()["replicas"][0] == {"replica": 1, "reads": True}


def test_a_replica_down_is_skipped_and_used_again_once_back(build, streaming_pair: StreamingPair):
    app = build()
    client, headers = app.test_client(), key(app, "consents:read", "consents:write")
    write(client, headers, "granted")
    streaming_pair.wait_replayed()
    assert read_place(check(client, headers)) == "replica"

    with replica_stopped(streaming_pair):
        for _ in range(3):
            answer = check(client, headers)
            assert read_place(answer) == "primary"
            assert answer.json["decisions"]["marketing"]["reason"] == "granted"
        state = client.get(STATE_PATH, headers=headers)
        assert state.status_code == 200 and read_place(state) == "primary"
        assert skips(client, "down") == 4
    streaming_pair.wait_replayed()
    until(lambda: read_place(check(client, headers)) == "replica", "the restarted replica answered again")


def test_a_replica_lagging_beyond_the_limit_is_skipped(build, streaming_pair: StreamingPair):
    app = build(replica_max_lag_ms=300)
    client, headers = app.test_client(), key(app, "consents:read", "consents:write")
    write(client, headers, "granted")
    streaming_pair.wait_replayed()
    # An idle primary: the last replayed transaction grows old, yet the replica has replayed all there is.
    time.sleep(0.5)
    assert read_place(check(client, headers)) == "replica"

    streaming_pair.pause_replay()
    write(client, headers, "denied")
    time.sleep(0.4)  # the paused replay falls behind the limit
    until(lambda: read_place(check(client, headers)) == "primary", "the lagging replica was skipped")
    answer = check(client, headers)
    assert read_place(answer) == "primary" and answer.json["decisions"]["marketing"]["reason"] == "denied"
    assert skips(client, "lagging") >= 2

    streaming_pair.resume_replay()
    streaming_pair.wait_replayed()
    until(lambda: read_place(check(client, headers)) == "replica", "the replica that caught up answered again")


@contextmanager
def replica_stopped(pair: StreamingPair) -> Iterator[None]:
    """The replica's server stopped for the block, and started again even when the block fails (other tests use it)."""
    pair.replica.stop()
    try:
        yield
    finally:
        pair.replica.start()


@contextmanager
def stream_lost(pair: StreamingPair) -> Iterator[None]:
    """The replica's WAL stream cut for the block (no primary_conninfo, so no walreceiver), then restored.

    The replica stays up and a standby: it just receives nothing more. Restored even when the block fails, so the
    pair serves the other tests: the replica streams again and has replayed what the primary wrote meanwhile.
    """
    conninfo = pair.sql(pair.replica, "SHOW primary_conninfo")
    assert isinstance(conninfo, str) and conninfo, "the replica streams by primary_conninfo (pg_basebackup -R)"

    def set_conninfo(value: str) -> None:
        # ALTER SYSTEM takes no parameters: the value is quoted as a standard string literal.
        quoted = value.replace("'", "''")
        pair.sql(pair.replica, f"ALTER SYSTEM SET primary_conninfo = '{quoted}'")
        pair.sql(pair.replica, "SELECT pg_reload_conf()")

    def receivers() -> object:
        return pair.sql(pair.replica, "SELECT count(*) FROM pg_stat_wal_receiver")

    try:
        # PostgreSQL 13+ stops the walreceiver on reload once primary_conninfo changes, and starts none without it.
        set_conninfo("")
        until(lambda: receivers() == 0, "the replica's walreceiver stopped")
        yield
    finally:
        set_conninfo(conninfo)
        until(
            lambda: pair.sql(pair.replica, "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'") == 1,
            "the replica streamed again",
            timeout=30,
        )
        pair.wait_replayed()


def test_a_replica_cut_off_from_the_primary_is_skipped_though_it_looks_caught_up(
    build, streaming_pair: StreamingPair, caplog
):
    app = build(replica_max_lag_ms=300, replica_check_interval_ms=50)
    client, headers = app.test_client(), key(app, "consents:read", "consents:write")
    write(client, headers, "granted")
    streaming_pair.wait_replayed()
    # Long enough for samples of the primary's position older than the limit: a replica streaming normally on an
    # idle primary has replayed them, and answers.
    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:
        assert read_place(check(client, headers)) == "replica"
        time.sleep(0.05)

    with stream_lost(streaming_pair), caplog.at_level(logging.WARNING, logger="consent_service.stores.replicas"):
        withdrawn = write(client, headers, "withdrawn")
        # By its own view the replica is caught up (it replayed all it received): the rule before this one used it.
        assert streaming_pair.sql(streaming_pair.replica, "SELECT pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn()")
        assert streaming_pair.sql(streaming_pair.replica, "SELECT pg_is_in_recovery()")
        # Once the primary's position after the withdrawal is older than the limit, a check without a revision is
        # answered by the primary, with the withdrawal.
        until(lambda: read_place(check(client, headers)) == "primary", "the replica cut off was skipped")
        for answer in (check(client, headers), check(client, headers)):
            assert read_place(answer) == "primary"
            assert answer.json["decisions"]["marketing"]["reason"] == "withdrawn"
        state = client.get(STATE_PATH, headers=headers)
        assert read_place(state) == "primary" and state.json["revision"] == withdrawn
        assert skips(client, "lagging") >= 3
        skipped = [record.getMessage() for record in caplog.records if "skipped (lagging)" in record.getMessage()]
        assert len(skipped) == 1, skipped
        assert "replayed up to " in skipped[0] and ", the primary was at " in skipped[0] and " ms ago" in skipped[0]

    # Streaming again and caught up (stream_lost waited for both): the replica answers again, with the withdrawal.
    until(lambda: read_place(check(client, headers)) == "replica", "the replica streaming again answered")
    answer = check(client, headers)
    assert read_place(answer) == "replica" and answer.json["decisions"]["marketing"]["reason"] == "withdrawn"


def test_a_key_revoked_through_one_instance_is_refused_by_another_while_replay_is_paused(
    build, streaming_pair: StreamingPair, replicated_database: tuple[str, str]
):
    one, other = build(), build()
    headers = key(one, "consents:read")
    streaming_pair.wait_replayed()
    client = other.test_client()
    assert read_place(check(client, headers)) == "replica"  # the other instance holds the key in its snapshot

    streaming_pair.pause_replay()
    with one.app_context():
        apikeys.revoke_key(session=db.session, prefix=headers["Authorization"].split()[1][:11], now=FrozenClock()())
        db.session.commit()
    # The replica has not seen the revocation: authenticating there would accept the key.
    with psycopg.connect(replicated_database[1], autocommit=True) as replica:
        row = replica.execute("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL").fetchone()
        assert row is not None and row[0] == 1

    for response in (
        client.post("/v1/checks", json=check_body(), headers=headers),
        client.post("/v1/checks", json={"checks": [check_body()]}, headers=headers),
        client.get(STATE_PATH, headers=headers),
    ):
        assert response.status_code == 401, response.json
        assert response.json["code"] == "unauthorized"


def test_exports_and_reports_read_the_replica_and_the_primary_once_it_is_down(build, streaming_pair: StreamingPair):
    app = build()
    client = app.test_client()
    headers = key(app, "consents:read", "consents:write", "subjects:export", "admin")
    write(client, headers, "granted")
    streaming_pair.wait_replayed()

    def export():
        response = client.get("/v1/subjects/customer/c-1/export", headers=headers)
        assert response.status_code == 200, response.json
        return read_place(response), len(response.json["events"])

    def report():
        response = client.get("/v1/reports/consent-rates", headers=headers)
        assert response.status_code == 200, response.json
        return read_place(response), response.json

    assert export() == ("replica", 1)
    place, replayed = report()
    assert place == "replica"

    streaming_pair.pause_replay()
    write(client, headers, "withdrawn")
    assert export() == ("replica", 1)  # the replica's ledger, without the unreplayed withdrawal
    assert report() == ("replica", replayed)
    csv = client.get("/v1/reports/consent-rates", headers={**headers, "Accept": "text/csv"})
    assert csv.status_code == 200 and read_place(csv) == "replica"

    with replica_stopped(streaming_pair):
        assert export() == ("primary", 2)
        place, current = report()
        assert place == "primary" and current != replayed
        assert skips(client, "down") == 2
    streaming_pair.resume_replay()
    streaming_pair.wait_replayed()
    until(lambda: export() == ("replica", 2), "the restarted replica answered exports again")


def test_without_replicas_exports_and_reports_say_primary(client, auth):
    headers = auth("subjects:export", "consents:write", "admin")
    write(client, headers, "granted")
    exported = client.get("/v1/subjects/customer/c-1/export", headers=headers)
    assert exported.status_code == 200 and read_place(exported) == "primary"
    reported = client.get("/v1/reports/consent-rates", headers=headers)
    assert reported.status_code == 200 and read_place(reported) == "primary"

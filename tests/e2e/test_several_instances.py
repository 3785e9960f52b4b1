"""Two gunicorn instances on one PostgreSQL primary with a streaming replica and one Redis, under a bounded mixed load.

Every acknowledged write is read back exactly once from either instance, rate limits are counted across both, a key
revoked through one is refused by the other on its next request, and stopping and restarting the replica mid-load
fails no request. Issue 23, "Several instances".
"""
from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from threading import Lock

import psycopg
import pytest
import redis
import requests

from tests.conftest import PAIR_DURABILITY, new_replicated_database, unavailable
from tests.e2e.conftest import run_flask
from tests.e2e.gunicorn import Gunicorn, serving
from tests.streaming_replica import StreamingPair

pytestmark = pytest.mark.e2e

REDIS_URL = "redis://127.0.0.1:6379/0"
CLIENT_THREADS = 4
SUBJECTS = 24
# Each subject's round: a write (rounds 0, 3, 6, 9), then a check, then a state read, each through the instance the
# previous round did not use, so every read of a write goes through the other instance.
ROUNDS = 12
WRITE, CHECK, STATE = range(3)
DECISIONS = ("granted", "denied", "withdrawn", "granted")
# The replica is stopped while this round's requests are in flight, stays down for the rounds up to the next, and is
# started again while that round's requests are in flight.
REPLICA_STOPS_AT_ROUND = 4
REPLICA_STARTS_AT_ROUND = 8
# Every fourth subject's writes are sent a second time, with the same Idempotency-Key, through the other instance.
RETRIED_EVERY = 4
BANNER_LIMIT = 6
AUTH_FAILURE_LIMIT = 5
# Lag the test's own replica stays under while it runs, whatever the machine's load (the load test asserts no read
# timing, only that reads carrying a revision reflect it and that no request fails).
REPLICA_MAX_LAG_MS = "2000"
# Each worker measures the replica at most this often: a restarted replica is back within about this long.
REPLICA_CHECK_INTERVAL_MS = "200"
REPLICA_BACK_SECONDS = 30
TIMEOUT = 30


@dataclass(frozen=True)
class RateLimitCounts:
    """This module's counts in the shared Redis: their keys carry a prefix no other run uses."""

    connection: redis.Redis
    prefix: str

    def keys(self) -> list[str]:
        return [key.decode() for key in self.connection.scan_iter(f"{self.prefix}:*")]

    def clear(self) -> None:
        for key in self.keys():
            self.connection.delete(key)


@dataclass(frozen=True)
class Instances:
    a: Gunicorn
    b: Gunicorn
    primary_url: str
    pair: StreamingPair

    def alternately(self, count: int) -> list[Gunicorn]:
        return [(self.a, self.b)[n % 2] for n in range(count)]

    def flask(self, *args: str) -> str:
        return run_flask(self.a.env, *args).stdout


@pytest.fixture(scope="module")
def rate_limit_counts() -> Iterator[RateLimitCounts]:
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as exc:
        unavailable("Redis", f"{REDIS_URL}: {exc}")
    counts = RateLimitCounts(connection, f"consent-e2e-instances-{secrets.token_hex(6)}")
    yield counts
    counts.clear()
    connection.close()


@pytest.fixture(scope="module")
def instances(streaming_pair: StreamingPair, rate_limit_counts: RateLimitCounts) -> Iterator[Instances]:
    """Two gunicorns, two workers each, on a fresh database of the test's primary, its replica and Redis."""
    primary_url, replica_url = new_replicated_database(streaming_pair)
    settings = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": rate_limit_counts.prefix,
        "BANNER_RATE_LIMIT_PER_PROPERTY": f"{BANNER_LIMIT}/minute",
        "BANNER_RATE_LIMIT_PER_IP": "1000/minute",
        "AUTH_FAILURE_RATE_LIMIT": f"{AUTH_FAILURE_LIMIT}/minute",
        "DATABASE_REPLICA_URLS": replica_url,
        "REPLICA_MAX_LAG_MS": REPLICA_MAX_LAG_MS,
        "REPLICA_CHECK_INTERVAL_MS": REPLICA_CHECK_INTERVAL_MS,
        "DURABILITY_CHECK": PAIR_DURABILITY,
    }
    with ExitStack() as stack:
        a = stack.enter_context(serving(primary_url, name="instance-a", **settings))
        b = stack.enter_context(serving(primary_url, name="instance-b", **settings))
        yield Instances(a, b, primary_url, streaming_pair)


@pytest.fixture(scope="module")
def key(instances: Instances) -> str:
    return instances.flask("keys", "create", "--name", "load", "--scope", "consents:read", "--scope",
                           "consents:write").strip()


@dataclass
class Load:
    """The requests of the mixed load, what they answered, and which writes were acknowledged."""

    instances: Instances
    key: str
    failures: list[str] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # evidence reference -> subject
    latest: dict[str, tuple[str, int]] = field(default_factory=dict)  # subject -> (decision, revision)
    reads: Counter = field(default_factory=Counter)  # (round, X-Consent-Read) -> count
    requests: int = 0
    lock: Lock = field(default_factory=Lock)

    def send(self, instance: Gunicorn, method: str, path: str, **kwargs) -> requests.Response | None:
        headers = {"Authorization": f"Bearer {self.key}", **kwargs.pop("headers", {})}
        try:
            response = requests.request(method, f"{instance.url}{path}", headers=headers, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:  # a request the service never answered failed too
            with self.lock:
                self.requests += 1
                self.failures.append(f"{method} {path} via {instance.url}: {exc!r}")
            return None
        with self.lock:
            self.requests += 1
            if response.status_code >= 300:
                self.failures.append(f"{method} {path} via {instance.url}: {response.status_code} {response.text[:300]}")
                return None
        return response

    def step(self, number: int, round_: int) -> None:
        subject = f"load-{number}"
        instance, other = (self.instances.a, self.instances.b)[::1 if (number + round_) % 2 == 0 else -1]
        if round_ % 3 == WRITE:
            self.write(subject, round_, instance, other, retried=number % RETRIED_EVERY == 0)
        elif round_ % 3 == CHECK:
            self.check(subject, round_, instance)
        else:
            self.read_state(subject, round_, instance)

    def write(self, subject: str, round_: int, instance: Gunicorn, other: Gunicorn, *, retried: bool) -> None:
        decision = DECISIONS[round_ // 3 % len(DECISIONS)]
        reference = f"{subject}-round-{round_}"
        path = f"/v1/subjects/customer/{subject}/consent-events"
        body = {"events": [{"purpose": "marketing", "decision": decision, "method": "api"}],
                "notice_version": "2026-01-01", "country": "DE", "evidence": {"reference": reference}}
        written = self.send(instance, "POST", path, json=body, headers={"Idempotency-Key": reference})
        if written is None:
            return
        revision = written.json()["revision"]
        with self.lock:
            self.acknowledged[reference] = subject
            self.latest[subject] = (decision, revision)
        if retried:  # a client that lost the answer retries through the other instance: the first answer, no write
            again = self.send(other, "POST", path, json=body, headers={"Idempotency-Key": reference})
            if again is not None and (again.headers.get("Idempotent-Replayed") != "true"
                                      or again.json()["revision"] != revision):
                with self.lock:
                    self.failures.append(f"the retry of {reference} was not the first answer: {again.text[:300]}")

    def check(self, subject: str, round_: int, instance: Gunicorn) -> None:
        if subject not in self.latest:  # its write failed, and the failures say so
            return
        decision, revision = self.latest[subject]
        body = {"subject": {"kind": "customer", "id": subject}, "purposes": ["marketing"], "country": "DE"}
        # With the revision of the subject's last acknowledged write (the header, or the body's min_revision), the
        # answer reflects that write.
        if round_ % 2:
            checked = self.send(instance, "POST", "/v1/checks", json={**body, "min_revision": revision})
        else:
            checked = self.send(instance, "POST", "/v1/checks", json=body, headers={"Consent-Revision": str(revision)})
        if checked is not None:
            self.record_read(round_, checked)
            reason = checked.json()["decisions"]["marketing"]["reason"]
            if reason != decision:
                with self.lock:
                    self.failures.append(f"a check of {subject} at revision {revision} answered {reason}, "
                                         f"not {decision}, via {instance.url} from {checked.headers.get('X-Consent-Read')}")
        # Without it, any instance may answer from the replica, old or new: it must answer all the same.
        if (unrevised := self.send(instance, "POST", "/v1/checks", json=body)) is not None:
            self.record_read(round_, unrevised)

    def read_state(self, subject: str, round_: int, instance: Gunicorn) -> None:
        if subject not in self.latest:  # its write failed, and the failures say so
            return
        decision, revision = self.latest[subject]
        path = f"/v1/subjects/customer/{subject}/consents"
        if round_ % 2:
            state = self.send(instance, "GET", path, params={"min_revision": revision})
        else:
            state = self.send(instance, "GET", path, headers={"Consent-Revision": str(revision)})
        if state is None:
            return
        self.record_read(round_, state)
        answered = state.json()
        if answered["revision"] < revision or answered["consents"]["marketing"]["decision"] != decision:
            with self.lock:
                self.failures.append(f"the state of {subject} at revision {revision} answered revision "
                                     f"{answered['revision']}, {answered['consents']['marketing']['decision']}")

    def record_read(self, round_: int, response: requests.Response) -> None:
        with self.lock:
            self.reads[round_, response.headers.get("X-Consent-Read")] += 1

    def history(self, instance: Gunicorn, subject: str) -> Counter:
        """The evidence references of the subject's ledger, page by page, as one instance reads it."""
        references: Counter = Counter()
        cursor = None
        while True:
            page = self.send(instance, "GET", f"/v1/subjects/customer/{subject}/consent-events",
                             params={"limit": 2, **({"cursor": cursor} if cursor else {})})
            assert page is not None, self.failures[-1]
            references.update(event["evidence"].get("reference") for event in page.json()["events"])
            if not (cursor := page.json()["next_cursor"]):
                return references


def test_a_mixed_load_through_both_instances_keeps_every_acknowledged_write_exactly_once(instances, key):
    pair = instances.pair
    load = Load(instances, key)
    # Both instances read from the replica before it is stopped: the stop is one they have to ride out.
    assert [answers_from_replica(instance, key) for instance in (instances.a, instances.b)] == [True, True]
    replica_changes = {REPLICA_STOPS_AT_ROUND: pair.replica.stop, REPLICA_STARTS_AT_ROUND: pair.replica.start}
    try:
        with ThreadPoolExecutor(CLIENT_THREADS) as clients, ThreadPoolExecutor(1) as operator:
            for round_ in range(ROUNDS):
                change: Future | None = None
                if round_ in replica_changes:
                    change = operator.submit(replica_changes[round_])
                list(clients.map(lambda number, round_=round_: load.step(number, round_), range(SUBJECTS)))
                if change is not None:
                    change.result(timeout=90)  # the replica is down (or up) before the next round starts
                    assert pair.replica.running() == (round_ == REPLICA_STARTS_AT_ROUND)
    finally:
        if not pair.replica.running():  # the pair serves the rest of the run
            pair.replica.start()
    pair.wait_replayed()

    assert load.failures == [], load.failures[:5]
    writes = SUBJECTS * len(range(0, ROUNDS, 3))
    assert len(load.acknowledged) == writes
    # Read back through both instances: each acknowledged write once, nothing else (no loss, no duplicate).
    for number in range(SUBJECTS):
        subject = f"load-{number}"
        expected = Counter(reference for reference, owner in load.acknowledged.items() if owner == subject)
        assert load.history(instances.a, subject) == expected
        assert load.history(instances.b, subject) == expected
    assert load.failures == [], load.failures[:5]
    with psycopg.connect(instances.primary_url, autocommit=True) as connection:
        row = connection.execute("SELECT count(*), count(DISTINCT evidence->>'reference') FROM consent_events").fetchone()
    assert row == (writes, writes)
    assert "ledger ok" in instances.flask("ledger", "verify")
    # Every read says where it was answered; while the replica was down, every answer came from the primary.
    assert {source for _, source in load.reads} <= {"primary", "replica"}
    down = range(REPLICA_STOPS_AT_ROUND + 1, REPLICA_STARTS_AT_ROUND)
    assert {source for round_, source in load.reads if round_ in down} == {"primary"}
    # And once it is back, they read from it again.
    assert [answers_from_replica(instance, key) for instance in (instances.a, instances.b)] == [True, True]


def answers_from_replica(instance: Gunicorn, key: str) -> bool:
    """Whether a check without a revision comes to be answered from the replica (each worker measures the replica
    once per REPLICA_CHECK_INTERVAL_MS, and the primary answers until it has)."""
    deadline = time.monotonic() + REPLICA_BACK_SECONDS
    body = {"subject": {"kind": "customer", "id": "c-anyone"}, "purposes": ["marketing"], "country": "DE"}
    while time.monotonic() < deadline:
        response = requests.post(f"{instance.url}/v1/checks", json=body, headers={"Authorization": f"Bearer {key}"},
                                 timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        if response.headers.get("X-Consent-Read") == "replica":
            return True
        time.sleep(0.05)
    return False


def test_rate_limits_are_counted_across_both_instances(instances, rate_limit_counts):
    rate_limit_counts.clear()
    property_key = instances.flask("properties", "create", "--name", "Limited shop", "--origin",
                                   "https://limited.example", "--notice-version", "1", "--notice-url",
                                   "https://limited.example/privacy").strip()
    banner = [requests.get(f"{instance.url}/v1/banner/{property_key}", timeout=TIMEOUT)
              for instance in instances.alternately(BANNER_LIMIT + 4)]
    # Counted per instance (or per worker), ten requests alternating between two instances would all pass.
    assert [response.status_code for response in banner] == [200] * BANNER_LIMIT + [429] * 4
    assert banner[-1].json()["code"] == "rate_limited" and int(banner[-1].headers["Retry-After"]) >= 1

    unknown = {"Authorization": "Bearer sk_unknown0_" + secrets.token_urlsafe(16)}
    failed = [requests.get(f"{instance.url}/v1/subjects/customer/c-1/consents", headers=unknown, timeout=TIMEOUT)
              for instance in instances.alternately(AUTH_FAILURE_LIMIT + 2)]
    assert [response.status_code for response in failed] == [401] * AUTH_FAILURE_LIMIT + [429] * 2
    assert failed[-1].json()["code"] == "rate_limited"
    # The counts live in Redis under this module's prefix: the other runs sharing the server never see them.
    stored = rate_limit_counts.keys()
    assert any(property_key in stored_key for stored_key in stored)
    assert any("auth-failure" in stored_key for stored_key in stored)


def test_a_key_revoked_through_one_instance_is_refused_by_the_other_on_its_next_request(instances, rate_limit_counts):
    rate_limit_counts.clear()
    revoked = instances.flask("keys", "create", "--name", "revoked-soon", "--scope", "consents:read").strip()
    path = "/v1/subjects/customer/c-revoked/consents"
    bearer = {"Authorization": f"Bearer {revoked}"}
    # Enough requests that both of B's workers hold the key in their snapshot of keys.
    assert {requests.get(f"{instances.b.url}{path}", headers=bearer, timeout=TIMEOUT).status_code
            for _ in range(6)} == {200}
    # The replica has not replayed the revocation: an instance that trusted it would still accept the key.
    instances.pair.pause_replay()
    try:
        assert "revoked" in instances.flask("keys", "revoke", "_".join(revoked.split("_")[:2]))
        refused = [requests.get(f"{instances.b.url}{path}", headers=bearer, timeout=TIMEOUT)
                   for _ in range(AUTH_FAILURE_LIMIT - 1)]
    finally:
        instances.pair.resume_replay()
    assert [(response.status_code, response.json()["code"]) for response in refused] == [
        (401, "unauthorized")] * len(refused)
    assert requests.get(f"{instances.a.url}{path}", headers=bearer, timeout=TIMEOUT).status_code == 401

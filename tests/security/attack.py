"""The outside review's attacks, replayed against a real gunicorn on PostgreSQL in production mode.

Run it as `.venv/bin/python -m tests.security.attack` (PostgreSQL at TEST_POSTGRES_URL, default the local `test`
database's server): it makes a database of its own, serves it with gunicorn on 127.0.0.1, runs every attack, prints one
line per attempt and exits 1 if any succeeded. tests/security/test_attack.py runs the same in the suite.

Every request goes to a loopback address: `require_loopback` refuses any other URL before a connection is made.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

import psycopg
import requests

ORIGIN = "https://shop.example"
COUNTRY_HEADER = "CF-IPCountry"
ADMIN_SCOPES = ("admin", "consents:read", "consents:write", "tokens:issue", "subjects:export", "subjects:erase")


def require_loopback(url: str) -> str:
    """The URL itself, if its host is a loopback address (127.0.0.0/8, ::1, localhost); ValueError otherwise."""
    host = urlsplit(url).hostname
    if host is None:
        raise ValueError(f"refusing {url!r}: no host")
    if host == "localhost":
        return url
    try:
        if ipaddress.ip_address(host).is_loopback:
            return url
    except ValueError:
        pass
    raise ValueError(f"refusing {url!r}: the attack script only sends traffic to loopback addresses")


@dataclass(frozen=True)
class Outcome:
    finding: str
    attempt: str
    succeeded: bool
    detail: str


@dataclass
class Target:
    """The service under attack: its URL, an all-scopes key, a property, the CLI's environment, its database."""

    url: str
    env: dict
    database_url: str
    key: str = ""
    pk: str = ""
    http_session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, *, key: str | None = None, **kwargs) -> requests.Response:
        url = require_loopback(self.url + path)
        headers = dict(kwargs.pop("headers", {}) or {})
        if key is not None or self.key:
            headers.setdefault("Authorization", f"Bearer {key if key is not None else self.key}")
        kwargs.setdefault("timeout", 15)
        kwargs.setdefault("allow_redirects", False)
        return self.http_session.request(method, url, headers=headers, **kwargs)

    def public(self, method: str, path: str, **kwargs) -> requests.Response:
        """As a browser on the shop's page: no secret key, the shop's origin."""
        headers = {"Origin": ORIGIN, **(kwargs.pop("headers", {}) or {})}
        kwargs.setdefault("timeout", 15)
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, require_loopback(self.url + path), headers=headers, **kwargs)

    def flask(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        from tests.e2e.conftest import ROOT

        return subprocess.run([sys.executable, "-m", "flask", *args], env=env or self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        """As the database superuser: the attacker of the tamper cases."""
        with psycopg.connect(self.database_url.replace("postgresql+psycopg://", "postgresql://"),
                             autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []


def _server_error_or_success(response: requests.Response) -> bool:
    return response.status_code >= 500 or response.status_code < 400


# --- finding 1: a client-chosen country must not loosen the regime ------------------------------------------------

def country_downgrade(target: Target) -> Iterator[Outcome]:
    config = target.public("GET", f"/v1/banner/{target.pk}", params={"country": "US"},
                           headers={COUNTRY_HEADER: "DE"})
    ticked = [p["key"] for p in config.json().get("purposes", []) if p["preselected"] and p["refusable"]]
    yield Outcome("1", "GET banner ?country=US with the CDN saying DE", config.json().get("regime") != "opt_in"
                  or bool(ticked), f"regime {config.json().get('regime')}, pre-ticked {ticked}")
    body = {"choices": {p["key"]: True for p in config.json()["purposes"] if p.get("refusable", True)},
            "method": "banner_custom", "notice_version": config.json()["notice"]["version"],
            "banner_version": config.json()["banner_version"], "country": "US"}
    choice = target.public("POST", f"/v1/banner/{target.pk}/consents", json=body, headers={COUNTRY_HEADER: "DE"})
    if choice.status_code != 201:
        yield Outcome("1", "choice claiming US from DE", _server_error_or_success(choice), f"{choice.status_code}")
        return
    visitor = choice.json()["visitor_id"]
    events = target.request("GET", f"/v1/subjects/visitor/{visitor}/consent-events").json()
    regimes = {event.get("regime") for event in events.get("events", [])}
    yield Outcome("1", "choice claiming US from DE is recorded under the server's regime",
                  regimes != {"opt_in"}, f"recorded regimes {sorted(map(str, regimes))}")


# --- finding 2: webhook targets in special-purpose ranges ----------------------------------------------------------

SPECIAL_TARGETS = [
    "https://192.0.0.8/hook", "https://[::7f00:1]/hook", "https://[64:ff9b::a9fe:a9fe]/hook",
    "https://[2002:a9fe:a9fe::1]/hook", "https://[fec0::1]/hook", "https://169.254.169.254/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",
    "https://100.64.0.1/hook", "https://198.18.0.1/hook", "https://[fd00::1]/hook", "https://0.0.0.0/hook",
]


def webhook_ranges(target: Target) -> Iterator[Outcome]:
    for url in SPECIAL_TARGETS:  # registration alone: the service is asked to store, never to connect
        response = target.request("POST", "/v1/webhooks", json={"url": url, "event_types": ["consent.recorded"]})
        yield Outcome("2", f"register {url}", _server_error_or_success(response), str(response.status_code))


# --- finding 4 and 12: bodies that broke the parser or slipped through it ------------------------------------------

def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def hostile_bodies(target: Target) -> Iterator[Outcome]:
    check = "/v1/checks"
    choice = f"/v1/banner/{target.pk}/consents"
    events = "/v1/subjects/customer/attack-1/consent-events"
    bodies = [
        ("UTF-16 deep brackets on checks", "secret", check, _deep(12_000).encode("utf-16"), {}),
        ("UTF-16 deep brackets on a banner choice", "public", choice, _deep(12_000).encode("utf-16"), {}),
        ("UTF-32 deep brackets on checks", "secret", check, _deep(6_000).encode("utf-32"), {}),
        ("5,000-digit number on checks", "secret", check,
         b'{"subject": {"kind": "customer", "id": "c"}, "purposes": ["marketing"], "age": ' + b"9" * 5000 + b"}", {}),
        ("5,000-digit number on a banner choice", "public", choice, b'{"choices": {"analytics": ' + b"1" * 5000
         + b'}, "method": "banner_custom"}', {}),
        ("country with a trailing newline", "secret", events, json.dumps({
            "events": [{"purpose": "marketing", "decision": "granted", "method": "api"}],
            "notice_version": "2026-01-01", "country": "DE\n"}).encode(), {}),
        ("duplicate keys on a write", "secret", events, (
            b'{"events": [{"purpose": "marketing", "decision": "denied", "decision": "granted", "method": "api"}],'
            b' "notice_version": "2026-01-01", "country": "DE"}'), {}),
    ]
    for name, who, path, body, headers in bodies:
        send = target.request if who == "secret" else target.public
        response = send("POST", path, data=body, headers={"Content-Type": "application/json", **headers})
        yield Outcome("4/12", name, _server_error_or_success(response), str(response.status_code))
    stored = target.request("GET", "/v1/subjects/customer/attack-1/consent-events").json().get("events", [])
    yield Outcome("4/12", "nothing written by the refused bodies", bool(stored), f"{len(stored)} events")


def unnormalized_ids(target: Target) -> Iterator[Outcome]:
    """One person, two spellings: the second must find the first's consent or be refused, never be a stranger."""
    composed, decomposed = "Ren\u00e9e", unicodedata.normalize("NFD", "Ren\u00e9e")
    for first, second, name in ((composed, decomposed, "NFC then NFD"), ("Alice", "\uff21lice", "ASCII then fullwidth")):
        target.request("POST", f"/v1/subjects/customer/{first}/consent-events", json={
            "events": [{"purpose": "marketing", "decision": "granted", "method": "api"}],
            "notice_version": "2026-01-01", "country": "DE"})
        response = target.request("POST", "/v1/checks", json={
            "subject": {"kind": "customer", "id": second}, "purposes": ["marketing"], "country": "DE"})
        stranger = response.status_code == 200 and response.json()["decisions"]["marketing"]["reason"] != "granted"
        yield Outcome("12", f"subject id {name}", stranger or response.status_code >= 500, str(response.status_code))


# --- finding 7: links issued before an erasure --------------------------------------------------------------------

def erased_links(target: Target) -> Iterator[Outcome]:
    email = "erase-me@example.com"
    links = target.request("POST", "/v1/preference-links", json={"customer_id": email,
                                                                     "notice_version": "2026-01-01"}).json()
    assert "url" in links, links
    page, one_click = urlsplit(links["url"]).path, urlsplit(links["one_click_url"]).path
    target.request("POST", f"/v1/subjects/customer/{email}/consent-events", json={
        "events": [{"purpose": "marketing", "decision": "granted", "method": "api"}],
        "notice_version": "2026-01-01", "country": "DE"})
    erased = target.request("DELETE", f"/v1/subjects/customer/{email}")
    yield Outcome("7", "erase the customer", erased.status_code != 200, str(erased.status_code))
    opened = target.public("GET", page)
    yield Outcome("7", "open the preference page after erasure", opened.status_code < 400, str(opened.status_code))
    clicked = target.public("POST", one_click, data={"List-Unsubscribe": "One-Click"})
    yield Outcome("7", "one-click link after erasure", clicked.status_code < 400, str(clicked.status_code))
    rows = target.sql("SELECT count(*) FROM subjects WHERE external_id = %s", (email,))
    yield Outcome("7", "the email is not re-created", rows[0][0] > 0, f"{rows[0][0]} rows")


# --- finding 9: authentication before replay and validation -------------------------------------------------------

def revoked_key_replay(target: Target) -> Iterator[Outcome]:
    created = target.flask("keys", "create", "--name", "doomed", "--scope", "consents:write")
    doomed = created.stdout.strip()
    path = "/v1/subjects/customer/replay-1/consent-events"
    body = {"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}],
            "notice_version": "2026-01-01", "country": "DE"}
    first = target.request("POST", path, key=doomed, json=body, headers={"Idempotency-Key": "attack-replay-1"})
    prefix = "_".join(doomed.split("_")[:2])
    revoked = target.flask("keys", "revoke", prefix)
    yield Outcome("9", "revoke the key with the CLI (another process)", revoked.returncode != 0 or first.status_code
                  != 201, revoked.stderr.strip()[-200:] or str(first.status_code))
    replay = target.request("POST", path, key=doomed, json=body, headers={"Idempotency-Key": "attack-replay-1"})
    yield Outcome("9", "replay with the revoked key", replay.status_code != 401, str(replay.status_code))
    invalid = target.request("POST", path, key=doomed, json={"events": "nope"})
    yield Outcome("9", "invalid body with the revoked key", invalid.status_code != 401, str(invalid.status_code))


# --- finding 10: sessions, forms and failure limits ---------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def console_sign_out(target: Target) -> Iterator[Outcome]:
    browser = requests.Session()
    sign_in = require_loopback(target.url + "/admin/sign-in")
    token = CSRF.search(browser.get(sign_in, timeout=15).text).group(1)
    signed_in = browser.post(sign_in, data={"csrf_token": token, "key": target.key}, allow_redirects=False,
                             timeout=15)
    captured = dict(browser.cookies)
    dashboard = require_loopback(target.url + "/admin/dashboard")
    before = browser.get(dashboard, allow_redirects=False, timeout=15)
    page = browser.get(dashboard, timeout=15).text
    match = CSRF.search(page)
    browser.post(require_loopback(target.url + "/admin/sign-out"), data={"csrf_token": match.group(1) if match
                 else ""}, headers={"Origin": target.url}, allow_redirects=False, timeout=15)
    replayed = requests.get(dashboard, cookies=captured, allow_redirects=False, timeout=15)
    yield Outcome("10", "console session works before sign-out", before.status_code != 200 or signed_in.status_code
                  != 302, f"{signed_in.status_code}/{before.status_code}")
    yield Outcome("10", "captured console cookie after sign-out", replayed.status_code == 200,
                  str(replayed.status_code))


def preference_form_replay(target: Target) -> Iterator[Outcome]:
    customer = "replay@example.com"
    target.request("POST", f"/v1/subjects/customer/{customer}/consent-events", json={
        "events": [{"purpose": "marketing", "decision": "granted", "method": "api"}],
        "notice_version": "2026-01-01", "country": "DE"})
    links = target.request("POST", "/v1/preference-links", json={"customer_id": customer}).json()
    page_url = require_loopback(target.url + urlsplit(links["url"]).path)
    old = requests.Session()
    captured = CSRF.search(old.get(page_url, timeout=15).text).group(1)
    new = requests.Session()
    token = CSRF.search(new.get(page_url, timeout=15).text).group(1)
    saved = new.post(page_url, data={"csrf_token": token, "shown": "marketing"}, timeout=15, allow_redirects=False)
    replayed = old.post(page_url, data={"csrf_token": captured, "shown": "marketing", "purpose": "marketing"},
                        timeout=15, allow_redirects=False)
    check = target.request("POST", "/v1/checks", json={
        "subject": {"kind": "customer", "id": customer}, "purposes": ["marketing"], "country": "DE"})
    reason = check.json()["decisions"]["marketing"]["reason"]
    yield Outcome("10", "a captured preference form sent after a later choice", replayed.status_code < 400
                  or reason != "denied", f"save {saved.status_code}, replay {replayed.status_code}, now {reason}")


FAILURES = 30  # past the default limit of 20 a minute


def failure_limit(target: Target) -> Iterator[Outcome]:
    for _ in range(FAILURES):
        target.request("GET", "/v1/purposes", key="sk_wrong000_" + secrets.token_urlsafe(16))
    valid = target.request("GET", "/v1/purposes")
    yield Outcome("10", f"a valid key after {FAILURES} failures from the same address", valid.status_code == 429,
                  str(valid.status_code))


# --- finding 11: production without a public base URL ---------------------------------------------------------------

def missing_issuer(target: Target) -> Iterator[Outcome]:
    env = {name: value for name, value in target.env.items() if name != "TOKEN_ISSUER"}
    started = target.flask("routes", env=env)
    yield Outcome("11", "production starts without TOKEN_ISSUER", started.returncode == 0,
                  started.stderr.strip().splitlines()[-1][:160] if started.stderr.strip() else "exit 0")


# --- finding 3: tamper evidence -----------------------------------------------------------------------------------

def _record(target: Target, subject: str, *decisions: str) -> None:
    for decision in decisions:
        response = target.request("POST", f"/v1/subjects/customer/{subject}/consent-events", json={
            "events": [{"purpose": "marketing", "decision": decision, "method": "api"}],
            "notice_version": "2026-01-01", "country": "DE"})
        assert response.status_code == 201, response.text


def _subject_id(target: Target, subject: str) -> int:
    return target.sql("SELECT id FROM subjects WHERE external_id = %s", (subject,))[0][0]


def tampering(target: Target) -> Iterator[Outcome]:
    subjects = {"state": "tamper-state", "grant": "tamper-grant", "rewrite": "tamper-rewrite",
                "truncate": "tamper-truncate", "retire": "tamper-retire"}
    for case, subject in subjects.items():
        _record(target, subject, *(("denied",) if case == "grant" else ("granted", "withdrawn", "granted", "denied")))
    with tempfile.TemporaryDirectory() as folder:
        checkpoint, jwks = Path(folder) / "checkpoint", Path(folder) / "jwks.json"
        exported = target.flask("ledger", "checkpoint", "--out", str(checkpoint))
        yield Outcome("3", "export a signed checkpoint", exported.returncode != 0, exported.stderr.strip()[-200:])
        jwks.write_text(target.request("GET", "/.well-known/jwks.json").text)
        clean = target.flask("ledger", "verify", "--checkpoint", str(checkpoint), "--jwks", str(jwks))
        yield Outcome("3", "a clean ledger verifies with the public JWKS alone", clean.returncode != 0,
                      clean.stdout.strip()[-200:])

        ids = {case: _subject_id(target, subject) for case, subject in subjects.items()}
        grant_state = target.sql("SELECT * FROM consent_states WHERE subject_id = %s", (ids["grant"],))
        _as_superuser(target, [
            ("UPDATE consent_states SET decision = 'granted' WHERE subject_id = %s", (ids["state"],)),
            ("UPDATE consent_states SET purpose = 'analytics', decision = 'granted' WHERE subject_id = %s",
             (ids["grant"],)),
            *_rehash_from_second(target, ids["rewrite"]),
            ("DELETE FROM consent_events WHERE subject_id = %s AND revision > 2", (ids["truncate"],)),
            ("UPDATE consent_states SET (decision, event_id, revision, updated_at) = (SELECT decision, id, revision, "
             "recorded_at FROM consent_events WHERE subject_id = %s AND revision = 2) WHERE subject_id = %s",
             (ids["truncate"], ids["truncate"])),
            ("UPDATE subjects SET revision = 2 WHERE id = %s", (ids["truncate"],)),
            ("INSERT INTO retired_chains (subject_id, revision, hash, retired_at) SELECT subject_id, revision, hash, "
             "now() FROM consent_events WHERE subject_id = %s ORDER BY revision DESC LIMIT 1", (ids["retire"],)),
            ("DELETE FROM consent_states WHERE subject_id = %s", (ids["retire"],)),
            ("DELETE FROM consent_events WHERE subject_id = %s", (ids["retire"],)),
            ("DELETE FROM subjects WHERE id = %s", (ids["retire"],)),
        ])
        assert grant_state, "the grant case has a state to turn into another purpose's grant"
        verified = target.flask("ledger", "verify", "--checkpoint", str(checkpoint), "--jwks", str(jwks))
        report = verified.stdout + verified.stderr
        yield Outcome("3", "verify fails after tampering", verified.returncode == 0, f"exit {verified.returncode}")
        for case in subjects:
            named = f"subject #{ids[case]} " in report
            yield Outcome("3", f"verify names the subject of the {case} case", not named,
                          next((line for line in report.splitlines() if f"subject #{ids[case]} " in line), "not named"))
        rewritten = f"event {_second_event(target, ids['rewrite'])}" in report
        yield Outcome("3", "verify names the first rewritten event", not rewritten, "named" if rewritten else report[-300:])
        bypass = _maintenance_bypass(target)
        yield Outcome("3", "a role with UPDATE/DELETE sets consent.maintenance and deletes an event", bypass == "",
                      bypass or "deleted")


def _as_superuser(target: Target, statements: list[tuple[str, tuple]]) -> None:
    with psycopg.connect(target.database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SET LOCAL session_replication_role = replica")  # a superuser's way past the triggers
        for statement, params in statements:
            conn.execute(statement, params)


def _second_event(target: Target, subject_id: int) -> str:
    return target.sql("SELECT id FROM consent_events WHERE subject_id = %s AND revision = 2", (subject_id,))[0][0]


def _rehash_from_second(target: Target, subject_id: int) -> list[tuple[str, tuple]]:
    """Turn revision 2 (a withdrawal) into a grant and recompute every later hash: a self-consistent chain."""
    from types import SimpleNamespace

    from consent_service.consents import chain

    columns = [row[0] for row in target.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'consent_events'")]
    rows = target.sql(f"SELECT {', '.join(columns)} FROM consent_events WHERE subject_id = %s ORDER BY revision",
                      (subject_id,))
    events = [SimpleNamespace(**dict(zip(columns, row))) for row in rows]
    events[1].decision = "granted"
    statements, prev = [], events[0].hash
    for event in events[1:]:
        event.prev_hash, event.hash = prev, chain.link_hash(prev, event)
        prev = event.hash
        statements.append(("UPDATE consent_events SET decision = %s, prev_hash = %s, hash = %s WHERE id = %s",
                           (event.decision, event.prev_hash, event.hash, event.id)))
    return statements


def _maintenance_bypass(target: Target) -> str:
    """As a role granted UPDATE and DELETE (not the owner): '' if the delete went through, else the refusal."""
    role = f"attack_writer_{os.getpid()}"
    database = urlsplit(target.database_url).path.lstrip("/")
    target.sql(f"DROP ROLE IF EXISTS {role}")
    target.sql(f"CREATE ROLE {role}")
    try:
        target.sql(f"GRANT CONNECT ON DATABASE {database} TO {role}")
        target.sql(f"GRANT USAGE ON SCHEMA public TO {role}")
        target.sql(f"GRANT SELECT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        with psycopg.connect(target.database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            conn.execute(f"SET ROLE {role}")
            conn.execute("SET LOCAL consent.maintenance = 'on'")
            try:
                conn.execute("DELETE FROM consent_events WHERE id = (SELECT min(id) FROM consent_events)")
            except psycopg.Error as refused:
                conn.rollback()
                return type(refused).__name__
            conn.rollback()  # proven; leave the evidence as it was
            return ""
    finally:
        target.sql(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
        target.sql(f"DROP OWNED BY {role}")
        target.sql(f"DROP ROLE {role}")


ATTACKS: list[Callable[[Target], Iterator[Outcome]]] = [
    country_downgrade, webhook_ranges, hostile_bodies, unnormalized_ids, erased_links, revoked_key_replay,
    console_sign_out, preference_form_replay, missing_issuer, tampering,
    failure_limit,  # last: its failures count against this address for a minute
]


def run_all(target: Target) -> list[Outcome]:
    """Every attempt of every attack; an attack that breaks off counts as a success (it was not shown to fail)."""
    outcomes: list[Outcome] = []
    for attack in ATTACKS:
        try:
            outcomes.extend(attack(target))
        except (AssertionError, KeyError, LookupError, ValueError, AttributeError, requests.RequestException) as exc:
            outcomes.append(Outcome("?", f"{attack.__name__} broke off", True, f"{type(exc).__name__}: {exc}"))
    return outcomes


def prepare(target: Target) -> None:
    """An all-scopes key from the CLI and a property, as an operator would make them."""
    created = target.flask("keys", "create", "--name", "attacker-review", *[
        arg for scope in ADMIN_SCOPES for arg in ("--scope", scope)])
    assert created.returncode == 0, created.stderr
    target.key = created.stdout.strip()
    made = target.request("POST", "/v1/properties", json={
        "name": "Shop", "allowed_origins": [ORIGIN], "notice_version": "2026-01-01",
        "notice_url": "https://shop.example/privacy"})
    assert made.status_code == 201, made.text
    target.pk = made.json()["publishable_key"]


@contextmanager
def attacked_service(postgres_admin_url: str) -> Iterator[Target]:
    """A fresh PostgreSQL database served by gunicorn in production mode, dropped afterwards."""
    from tests.e2e.gunicorn import serving

    name = f"consent_attack_{os.getpid()}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    database_url = postgres_admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        with serving(database_url, name="attack", COUNTRY_HEADER=COUNTRY_HEADER) as server:
            target = Target(url=server.url, env=server.env, database_url=database_url)
            prepare(target)
            yield target
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> int:
    admin_url = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with attacked_service(admin_url) as target:
        outcomes = run_all(target)
    for outcome in outcomes:
        print(f"{'SUCCEEDED' if outcome.succeeded else 'held     '}  [{outcome.finding:>4}] {outcome.attempt}: "
              f"{outcome.detail}")
    succeeded = sum(outcome.succeeded for outcome in outcomes)
    print(f"{len(outcomes)} attempts, {succeeded} succeeded")
    return 1 if succeeded else 0


if __name__ == "__main__":
    sys.exit(main())

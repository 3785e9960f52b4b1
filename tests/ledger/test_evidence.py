"""`flask ledger verify` names the subject and the first differing event of every tamper case.

States edited or granted without an event (the table checks answer from), a rewrite that re-hashes
every later event, a truncation with the revision set back, a forged retirement hiding a deleted
chain; and a signed checkpoint exported to a file verifies with the public JWKS alone.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import jsonschema
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from consent_service.consents import chain
from consent_service.consents.models import ConsentState, RetiredChain
from consent_service.extensions import db
from consent_service.ledger import seals
from consent_service.runtime import runtime
from consent_service.signing_keys.keystore import b64url
from consent_service.signing_keys.models import SigningKey
from consent_service.subjects.models import Subject
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.models import WebhookEvent
from consent_service.webhooks.signing import SecretCipher
from tests.ledger.conftest import events_of
from tests.rights.tamper import as_superuser


def _state(subject_id: int, purpose: str) -> ConsentState:
    db.session.expire_all()
    return db.session.get(ConsentState, (subject_id, purpose))


def _checkpoint(flask_cli, tmp_path, name: str = "checkpoint.txt"):
    path = tmp_path / name
    result = flask_cli("ledger", "checkpoint", "--out", str(path))
    assert result.exit_code == 0, result.output
    return path


# (a) the states checks answer from


def test_an_edited_state_is_named(ledger, flask_cli):
    last = ledger[-1]
    state = _state(last.subject_id, "marketing")
    state.decision = "granted"  # consent_states has no trigger: anyone who can write the table can do this
    db.session.commit()
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1
    assert f"state_differs: subject #{last.subject_id} event {last.id}: marketing: the state's decision" in result.output


def test_a_grant_no_event_records_is_named(ledger, flask_cli):
    c2 = events_of("c-2")[0]
    db.session.add(ConsentState(
        subject_id=c2.subject_id, purpose="marketing", decision="granted", method="api", notice_version="v1",
        regime=c2.regime, property_key=None, actor_type="subject", destinations=None, event_id=c2.id,
        event_recorded_at=c2.recorded_at, revision=c2.revision, updated_at=c2.recorded_at,
    ))
    db.session.commit()
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1
    assert (f"state_without_event: subject #{c2.subject_id} event {c2.id}: marketing: a 'granted' state that no "
            "event of the chain records") in result.output


def test_a_deleted_state_is_named(ledger, flask_cli):
    last = ledger[-1]
    db.session.delete(_state(last.subject_id, "marketing"))
    db.session.commit()
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1 and f"state_missing: subject #{last.subject_id} event {last.id}" in result.output


# (b) what only a checkpoint kept elsewhere can tell


def _rewrite_with_rehash(events, index: int, **changes) -> None:
    """Change one event and recompute every later hash: a chain that is consistent with itself."""
    for event in events:
        if event in db.session:
            db.session.expunge(event)  # changed here only: the database is changed below, around the triggers
    for name, value in changes.items():
        setattr(events[index], name, value)
    prev = events[index - 1].hash if index else chain.GENESIS
    for event in events[index:]:
        event.prev_hash, event.hash = prev, chain.link_hash(prev, event)
        prev = event.hash
        as_superuser("UPDATE consent_events SET decision = :decision, prev_hash = :prev, hash = :hash WHERE id = :id",
                     decision=event.decision, prev=event.prev_hash, hash=event.hash, id=event.id)
    # The subject's stored head moves too, or verify names it (test_a_tampered_stored_head_is_named).
    as_superuser("UPDATE subjects SET head_hash = :hash WHERE id = :s", hash=prev, s=events[index].subject_id)


def test_a_rewrite_that_rehashes_every_later_event_is_named(ledger, flask_cli, tmp_path):
    checkpoint = _checkpoint(flask_cli, tmp_path)
    _rewrite_with_rehash(ledger, 1, decision="granted")  # the denial at revision 2 never happened
    assert flask_cli("ledger", "verify").exit_code == 0  # the chain alone cannot tell
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1
    assert (f"rewritten: subject #{ledger[1].subject_id} event {ledger[1].id}: revision 2 is not the event "
            "checkpointed") in result.output
    assert result.output.count("rewritten:") == 1  # c-2 is intact


def test_a_tampered_stored_head_is_named(ledger, flask_cli):
    """The head a write links to is the subject's head_hash: one that is not its chain's real head is named,
    and a chain-less subject holding one too."""
    last = events_of("c-1")[-1]
    subject = db.session.get(Subject, last.subject_id)
    subject.head_hash = ledger[0].hash  # a valid hash of the chain, but not its head
    db.session.commit()
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1
    assert (f"head_differs: subject #{last.subject_id} event {last.id}: the subject's stored head is not the hash "
            f"of revision {last.revision}, the chain's head") in result.output
    assert result.output.count("head_differs:") == 1

    subject = db.session.get(Subject, last.subject_id)
    subject.head_hash = last.hash
    bare = Subject(kind="customer", external_id="c-none", revision=0, head_hash=last.hash,
                   created_at=last.recorded_at, updated_at=last.recorded_at)
    db.session.add(bare)
    db.session.commit()
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1
    assert f"head_differs: subject #{bare.id} chain: a stored head but no events" in result.output
    assert result.output.count("head_differs:") == 1


def _truncate(events, keep: int) -> None:
    """An older backup: the newest events never happened, and the subject and its state agree."""
    subject_id, kept = events[0].subject_id, events[keep - 1]
    state = _state(subject_id, "marketing")
    state.decision, state.event_id, state.event_recorded_at, state.revision, state.updated_at = (
        kept.decision, kept.id, kept.recorded_at, kept.revision, kept.recorded_at)
    subject = db.session.get(Subject, subject_id)
    subject.revision, subject.head_hash = keep, kept.hash
    db.session.commit()
    as_superuser("DELETE FROM consent_events WHERE subject_id = :s AND revision > :keep", s=subject_id, keep=keep)


def test_a_truncation_with_the_revision_set_back_is_named(ledger, flask_cli, tmp_path):
    checkpoint = _checkpoint(flask_cli, tmp_path)
    _truncate(ledger, keep=2)
    assert flask_cli("ledger", "verify").exit_code == 0  # chain, subject and state agree with each other
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1
    assert (f"truncated: subject #{ledger[0].subject_id} chain: the chain ends at revision 2; revisions 3 to 4 "
            f"checkpointed at") in result.output
    assert f"(the first had hash {ledger[2].hash[:8]}...)" in result.output


def test_a_truncation_followed_by_new_decisions_names_the_first_new_one(ledger, flask_cli, record, tmp_path):
    checkpoint = _checkpoint(flask_cli, tmp_path)
    _truncate(ledger, keep=2)
    record("customer", "c-1", [("marketing", "granted", "api")])  # revision 3 again, a different event
    replaced = events_of("c-1")[2]
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1
    assert f"rewritten: subject #{replaced.subject_id} event {replaced.id}: revision 3" in result.output


def test_chains_only_grow_after_a_checkpoint(ledger, flask_cli, record, tmp_path):
    checkpoint = _checkpoint(flask_cli, tmp_path, "checkpoint.txt.gz")
    record("customer", "c-1", [("marketing", "granted", "api")])
    record("customer", "c-3", [("marketing", "granted", "api")])
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 0 and "ledger ok: 3 chains, 7 events, 3 states, 0 retired chains and the checkpoint" \
        in result.output


def test_a_checkpoint_goes_to_stdout_by_default(ledger, flask_cli, tmp_path):
    piped = flask_cli("ledger", "checkpoint")
    assert piped.exit_code == 0, piped.output
    token, body = piped.stdout_bytes.split(b"\n", 1)
    assert token.count(b".") == 2 and body  # the signed line, then the chains it vouches for


def test_no_checkpoint_vouches_for_a_ledger_that_does_not_verify(ledger, flask_cli, tmp_path):
    as_superuser("UPDATE consent_events SET decision = 'granted' WHERE id = :id", id=ledger[1].id)
    result = flask_cli("ledger", "checkpoint", "--out", str(tmp_path / "checkpoint.txt"))
    assert result.exit_code == 1 and "broken_hash" in result.output and not (tmp_path / "checkpoint.txt").exists()


def test_a_checkpoint_verifies_with_the_public_jwks_alone(ledger, flask_cli, client, tmp_path):
    checkpoint = _checkpoint(flask_cli, tmp_path)
    jwks = client.get("/.well-known/jwks.json").get_data(as_text=True)

    # Nothing but the file and the JWKS: no database, no service code.
    token, body = checkpoint.read_text().split("\n", 1)
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwt.PyJWKSet.from_json(jwks).keys if k.key_id == kid)
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"])
    assert claims["body"] == hashlib.sha256(body.encode()).hexdigest()
    assert (claims["chains"], claims["events"]) == (2, 5)
    assert f"{ledger[0].subject_id} 4 {ledger[-1].hash} " in body

    (tmp_path / "jwks.json").write_text(jwks)
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint), "--jwks", str(tmp_path / "jwks.json"))
    assert result.exit_code == 0 and "and the checkpoint" in result.output


def test_a_checkpoint_not_signed_by_the_published_keys_is_refused(ledger, flask_cli, tmp_path):
    checkpoint = _checkpoint(flask_cli, tmp_path)
    other = Ed25519PrivateKey.generate()
    token, body = checkpoint.read_text().split("\n", 1)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, other, algorithm="EdDSA", headers=jwt.get_unverified_header(token))
    (tmp_path / "forged.txt").write_text(forged + "\n" + body)
    result = flask_cli("ledger", "verify", "--checkpoint", str(tmp_path / "forged.txt"))
    assert result.exit_code == 1 and "checkpoint: subject #0 chain: not a checkpoint of this service" in result.output

    jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": jwt.get_unverified_header(token)["kid"],
                      "x": b64url(other.public_key().public_bytes_raw())}]}
    (tmp_path / "other.json").write_text(json.dumps(jwks))
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint), "--jwks", str(tmp_path / "other.json"))
    assert result.exit_code == 1 and "the signature does not verify" in result.output


def test_a_checkpoint_whose_chains_were_edited_is_refused(ledger, flask_cli, tmp_path):
    checkpoint = _checkpoint(flask_cli, tmp_path)
    token, body = checkpoint.read_text().split("\n", 1)
    checkpoint.write_text(token + "\n" + body.replace(f"{ledger[0].subject_id} 4 ", f"{ledger[0].subject_id} 3 "))
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1 and "the chains it lists are not the ones it signed" in result.output


# (c) retirements


def _retire_by_hand(subject_id: int, head, *, seal: str | None) -> None:
    """Delete a chain and write the retirement that would explain it, as a database superuser could."""
    revision, hash_ = head.revision, head.hash
    as_superuser("DELETE FROM consent_states WHERE subject_id = :s", "DELETE FROM consent_events WHERE subject_id = :s",
                 "DELETE FROM subjects WHERE id = :s", s=subject_id)
    db.session.add(RetiredChain(subject_id=subject_id, revision=revision, hash=hash_,
                                retired_at=datetime(2026, 12, 1, tzinfo=timezone.utc), seal=seal))
    db.session.commit()


def test_a_forged_retirement_hiding_a_deleted_chain_is_named(ledger, flask_cli, tmp_path):
    checkpoint = _checkpoint(flask_cli, tmp_path)
    head = events_of("c-2")[-1]
    subject_id = head.subject_id
    _retire_by_hand(subject_id, head, seal=None)
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1
    assert f"forged_retirement: subject #{subject_id} chain: no seal" in result.output
    assert f"missing_chain: subject #{subject_id} chain: its 1 events checkpointed at" in result.output


def test_a_retirement_sealed_with_a_key_written_into_the_database_is_forged(ledger, flask_cli, clock):
    """The attacker holds the database, not KEY_ENCRYPTION_KEYS: a key row they add is not the service's."""
    own = Ed25519PrivateKey.generate()
    db.session.add(SigningKey(kid="key_planted", algorithm="EdDSA", public_key=b64url(own.public_key().public_bytes_raw()),
                              private_key_encrypted="not-decryptable", created_at=clock()))
    db.session.commit()
    head = events_of("c-2")[-1]
    retired_at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    claims = seals.retirement_claims(subject_id=head.subject_id, revision=head.revision, hash_=head.hash,
                                     retired_at=retired_at, reason="visitor inactive")
    seal = jwt.encode(claims, own, algorithm="EdDSA", headers={"kid": "key_planted", "typ": seals.RETIREMENT_TYPE})
    subject_id = head.subject_id
    _retire_by_hand(subject_id, head, seal=seal)
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1
    assert (f"forged_retirement: subject #{subject_id} chain: the seal is not the service's: signed by key "
            "'key_planted', which is not one of the trusted keys") in result.output


def test_a_retention_run_seals_what_it_retires(record, flask_cli, clock, tmp_path):
    record("visitor", "v-idle", [("analytics", "granted", "banner_custom")])
    record("customer", "c-kept", [("marketing", "granted", "api")])
    checkpoint = _checkpoint(flask_cli, tmp_path)
    clock.advance(days=400)  # past visitor inactivity
    assert "removed 1 chains" in flask_cli("retention", "run").output
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 0 and "1 retired chains and the checkpoint" in result.output

    # Moving the retired head back (as if retired earlier) breaks the seal.
    retired = db.session.scalars(select(RetiredChain)).one()
    retired.revision = 0
    db.session.commit()
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1
    assert f"forged_retirement: subject #{retired.subject_id} chain: the row's rev differ" in result.output


def test_a_deleted_retirement_is_named_by_a_later_checkpoint(record, flask_cli, clock, tmp_path):
    record("visitor", "v-idle", [("analytics", "granted", "banner_custom")])
    clock.advance(days=400)
    flask_cli("retention", "run")
    checkpoint = _checkpoint(flask_cli, tmp_path)
    retired = db.session.scalars(select(RetiredChain)).one()
    subject_id = retired.subject_id
    db.session.delete(retired)  # the evidence that the chain was removed lawfully
    db.session.commit()
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1
    assert f"missing_retirement: subject #{subject_id} chain: the retirement of revision 1 checkpointed at" \
        in result.output


def test_unreadable_checkpoints_and_key_sets_get_a_clear_answer(ledger, flask_cli, tmp_path):
    (tmp_path / "not-gzip.txt.gz").write_text("plain text")
    result = flask_cli("ledger", "verify", "--checkpoint", str(tmp_path / "not-gzip.txt.gz"))
    assert result.exit_code == 1 and "not a checkpoint of this service: cannot read it" in result.output
    checkpoint = _checkpoint(flask_cli, tmp_path)
    result = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint), "--jwks", str(tmp_path / "absent.json"))
    assert result.exit_code == 2 and "--jwks: cannot read" in result.output


def test_a_checkpoint_goes_to_the_webhook_endpoints_that_subscribe(ledger, flask_cli, clock, tmp_path):
    result = flask_cli("ledger", "checkpoint", "--out", str(tmp_path / "unsent.txt"), "--webhook")
    assert result.exit_code == 1 and "no webhook endpoint subscribes to ledger.checkpoint" in result.output
    webhooks.create_endpoint(  # registration only: nothing is delivered in this test
        session=db.session, url="http://127.0.0.1:9/ledger", event_types=["ledger.checkpoint"],
        cipher=SecretCipher(runtime().settings.key_encryption_keys), allow_private=True, now=clock(),
    )
    db.session.commit()
    checkpoint = tmp_path / "sent.txt"
    assert flask_cli("ledger", "checkpoint", "--out", str(checkpoint), "--webhook").exit_code == 0

    event = db.session.scalars(select(WebhookEvent).where(WebhookEvent.type == "ledger.checkpoint")).one()
    schema = json.loads((Path(__file__).parents[2] / "schemas" / "webhook-event.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(event.payload)
    token, body = checkpoint.read_text().split("\n", 1)
    assert event.payload["data"]["checkpoint"] == token and event.payload["data"]["events"] == 5
    assert jwt.decode(token, options={"verify_signature": False})["body"] == hashlib.sha256(body.encode()).hexdigest()

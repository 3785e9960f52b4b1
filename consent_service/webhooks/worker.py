"""The delivery worker: claim a batch, send it signed and in parallel, record the outcomes, repeat."""

from __future__ import annotations

import logging
import math
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from consent_service.clock import Clock
from consent_service.config import Settings
from consent_service.webhooks import deliveries, signing, transport
from consent_service.webhooks.deliveries import Claimed, Outcome, RetryPolicy
from consent_service.webhooks.signing import SecretCipher, SecretDecryptionFailed

log = logging.getLogger(__name__)

Send = Callable[..., transport.Response]


@dataclass(frozen=True)
class WorkerOptions:
    batch: int
    concurrency: int
    timeout_seconds: float
    allow_private: bool
    policy: RetryPolicy

    @classmethod
    def from_settings(cls, settings: Settings, *, batch: int, concurrency: int) -> WorkerOptions:
        return cls(
            batch=batch,
            concurrency=concurrency,
            timeout_seconds=settings.webhook_timeout_seconds,
            allow_private=settings.webhook_allow_private_targets,
            policy=RetryPolicy(
                base_seconds=settings.webhook_backoff_base_seconds,
                max_seconds=settings.webhook_backoff_max_seconds,
                max_age_seconds=settings.webhook_max_age_seconds,
            ),
        )

    @property
    def lease_seconds(self) -> float:
        """Every round of sends bounded by the timeout, one more for a late start, one for recording."""
        return self.timeout_seconds * (math.ceil(self.batch / self.concurrency) + 2)


def new_owner() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    """One per process; all database work happens on the calling thread, only HTTP in the pool."""

    def __init__(
        self,
        *,
        session: Session,
        cipher: SecretCipher,
        options: WorkerOptions,
        clock: Clock,
        send: Send = transport.post,
        rng: random.Random | None = None,
        owner: str | None = None,
    ) -> None:
        self.session = session
        self.cipher = cipher
        self.options = options
        self.clock = clock
        self.send = send
        self.rng = rng or random.SystemRandom()
        self.owner = owner or new_owner()

    def run_batch(self) -> int:
        """Claim, send and record one batch; return how many deliveries it claimed."""
        claimed = deliveries.claim(
            session=self.session,
            owner=self.owner,
            limit=self.options.batch,
            lease_seconds=self.options.lease_seconds,
            now=self.clock(),
        )
        self.session.commit()
        if not claimed:
            return 0
        # No send may start that could still run when the lease ends and another worker reclaims it.
        latest_start = time.monotonic() + self.options.lease_seconds - 2 * self.options.timeout_seconds
        with ThreadPoolExecutor(max_workers=min(self.options.concurrency, len(claimed))) as pool:
            outcomes = list(pool.map(lambda item: self._send(item, latest_start), claimed))
        counts = deliveries.record(
            session=self.session,
            owner=self.owner,
            claimed=claimed,
            outcomes=outcomes,
            policy=self.options.policy,
            now=self.clock(),
            rng=self.rng,
        )
        self.session.commit()
        log.info(
            "webhooks: %d delivered, %d to retry, %d failed", counts["delivered"], counts["pending"], counts["failed"]
        )
        return len(claimed)

    def run(
        self,
        *,
        stop: threading.Event,
        poll_interval: float,
        once: bool = False,
        heartbeat: Callable[[], None] = lambda: None,
    ) -> None:
        """Deliver until `stop` is set (after the batch in hand), or with `once` until nothing is due.

        `heartbeat` is called after every poll that reached the database, so a container's
        healthcheck can tell a working worker from one that is stuck or cut off from its database.
        """
        log.info(
            "webhook worker %s started (batch %d, concurrency %d)",
            self.owner,
            self.options.batch,
            self.options.concurrency,
        )
        while not stop.is_set():
            try:
                claimed = self.run_batch()
            except OperationalError as error:
                # The database is away: keep the process, try again after a pause.
                self.session.rollback()
                log.error("webhook worker: database unavailable (%s)", error.orig.__class__.__name__)
                claimed = 0
                if once:
                    raise
            else:
                heartbeat()
            if claimed:
                continue
            if once:
                break
            stop.wait(poll_interval)
        log.info("webhook worker %s stopped", self.owner)

    def _send(self, item: Claimed, latest_start: float) -> Outcome:
        if time.monotonic() > latest_start:
            return Outcome(delivery_id=item.delivery_id, sent=False)
        try:
            secret = self.cipher.decrypt(item.secret_encrypted)
        except SecretDecryptionFailed as error:
            log.error("webhook delivery %s: %s", item.delivery_id, error)
            return Outcome(delivery_id=item.delivery_id, error=str(error))
        timestamp = int(self.clock().timestamp())
        headers = signing.headers(secret=secret, msg_id=item.msg_id, timestamp=timestamp, body=item.body)
        try:
            response = self.send(
                url=item.url,
                body=item.body,
                headers=headers,
                timeout=self.options.timeout_seconds,
                allow_private=self.options.allow_private,
            )
        except (transport.DeliveryFailed, transport.TargetRefused) as error:
            return Outcome(delivery_id=item.delivery_id, error=str(error))
        ok = 200 <= response.status < 300
        refusal = None if ok else f"HTTP {response.status} {response.reason}"
        return Outcome(delivery_id=item.delivery_id, status_code=response.status, error=refusal)

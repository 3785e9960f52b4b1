"""Prometheus metrics at /metrics: requests and latency per route, events written, check reasons, bad tokens,
reads a read replica could not answer, and the privacy request queue (read from the database at each scrape)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator

from flask import Flask, Response, current_app, g, has_app_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from consent_service.clock import now
from consent_service.consents.service import WRITTEN_EVENTS
from consent_service.extensions import db
from consent_service.logs import route_pattern
from consent_service.privacy_requests import service as privacy_requests
from consent_service.runtime import runtime
from consent_service.stores.replicas import replica_skipped
from consent_service.strict_json import Blueprint
from consent_service.tokens.service import token_rejected

log = logging.getLogger(__name__)

EXTENSION_NAME = "consent_service.metrics"
# Set by gunicorn's environment: every worker writes its samples there and /metrics sums them all.
MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Where the check view leaves its answers' reasons until the response goes out (counted only if it is a 200).
CHECK_REASONS = "metrics_check_reasons"


blp = Blueprint("metrics", __name__, description="Operations: Prometheus metrics.")


class PrivacyRequestGauges(Collector):
    """The privacy request queue as gauges, counted in the database when /metrics is read: every worker (and
    gunicorn's multiprocess mode, which builds a fresh registry per scrape) answers the same numbers."""

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        if not has_app_context():
            return
        try:
            summary = privacy_requests.queue_summary(
                session=db.session(), rules=runtime().rules.privacy_requests, now=now()
            )
        except OperationalError as unreachable:
            # The request counters still go out; /readyz reports the database.
            db.session.rollback()
            reason = unreachable.orig.__class__.__name__
            log.warning("privacy request gauges skipped: database unavailable (%s)", reason)
            return
        open_, overdue, due_soon, median = self._families()
        open_.add_metric([], summary.open)
        overdue.add_metric([], summary.overdue)
        due_soon.add_metric([], summary.due_soon)
        yield from (open_, overdue, due_soon)
        if summary.median_days_to_close is not None:
            median.add_metric([], summary.median_days_to_close)
            yield median

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, ...]:
        return (
            GaugeMetricFamily("privacy_requests_open", "Privacy requests not closed (unverified or in progress)"),
            GaugeMetricFamily("privacy_requests_overdue", "Open privacy requests past their due date"),
            GaugeMetricFamily("privacy_requests_due_soon", "Open privacy requests due within the rules' due_soon_days"),
            GaugeMetricFamily(
                "privacy_requests_median_days_to_close", "Median days from receipt to close of closed privacy requests"
            ),
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(PrivacyRequestGauges())
        self.requests = Counter(
            "http_requests_total", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            registry=self.registry,
        )
        self.events = Counter(
            "consent_events_written_total",
            "Consent events committed to the ledger",
            ["purpose", "decision"],
            registry=self.registry,
        )
        self.check_answers = Counter(
            "consent_check_answers_total",
            "Answers of /v1/checks per purpose decision",
            ["reason"],
            registry=self.registry,
        )
        self.tokens_rejected = Counter(
            "token_verifications_failed_total", "Consent tokens refused", ["reason"], registry=self.registry
        )
        self.replica_skips = Counter(
            "consent_replica_skips_total",
            "Reads (checks, state reads, exports, reports) the primary answered though read replicas are configured, "
            "by why (down, lagging, not_standby, behind: the replica had not replayed the revision asked for)",
            ["reason"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            registry.register(PrivacyRequestGauges())
            return generate_latest(registry)
        return generate_latest(self.registry)


def _metrics() -> Metrics | None:
    return current_app.extensions.get(EXTENSION_NAME) if has_app_context() else None


def init_app(app: Flask) -> None:
    metrics = app.extensions[EXTENSION_NAME] = Metrics()
    connect_listeners()

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        route = route_pattern(request.url_rule.rule) if request.url_rule else "unmatched"
        metrics.requests.labels(request.method, route, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            metrics.latency.labels(request.method, route).observe(time.perf_counter() - started)
        reasons = g.pop(CHECK_REASONS, None)
        if reasons is not None and response.status_code == 200:
            for reason, count in reasons.items():
                metrics.check_answers.labels(reason).inc(count)
        return response


@blp.route("/metrics")
@blp.doc(
    responses={
        "200": {
            "description": "Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    }
)
def metrics():
    """Request counts and latencies per route, consent events written, check reasons, refused tokens."""
    return Response(current_app.extensions[EXTENSION_NAME].exposition(), mimetype=CONTENT_TYPE_LATEST)


def count_check_answers(results: Iterable) -> None:
    """Remember how often each reason answers a check's results (CheckResults); counted when its 200 goes out."""
    counts: dict[str, int] = {}
    for result in results:
        for decision in result.decisions.values():
            counts[decision.reason] = counts.get(decision.reason, 0) + 1
    setattr(g, CHECK_REASONS, counts)


def _on_token_rejected(_sender: object, reason: str = "unknown", **_extra: object) -> None:
    metrics = _metrics()
    if metrics is not None:
        metrics.tokens_rejected.labels(reason).inc()


def _on_replica_skipped(_sender: object, reason: str = "unknown", **_extra: object) -> None:
    metrics = _metrics()
    if metrics is not None:
        metrics.replica_skips.labels(str(reason)).inc()


def _count_committed_events(session: Session) -> None:
    written = session.info.pop(WRITTEN_EVENTS, [])
    metrics = _metrics()
    if metrics is not None:
        for purpose, decision in written:
            metrics.events.labels(purpose, str(decision)).inc()


def _forget_rolled_back_events(session: Session) -> None:
    session.info.pop(WRITTEN_EVENTS, None)


def connect_listeners() -> None:
    """Process-wide hooks, connected once; each counts into the app of the current context."""
    token_rejected.connect(_on_token_rejected, weak=False)
    replica_skipped.connect(_on_replica_skipped, weak=False)
    for name, listener in (("after_commit", _count_committed_events), ("after_rollback", _forget_rolled_back_events)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)

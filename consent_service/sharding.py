"""The Citus layout of the schema: which tables are sharded by subject, which are copied to every node, which stay.

A configuration, not code the service runs: docs/scaling.md explains it and gives the statements that
make it a cluster, and tests/test_sharding_keys.py holds the schema to it: every key of a subject-keyed
table holds its subject, so a subject's rows stay on one shard and its writes and checks go to one node.
"""

from __future__ import annotations

from types import MappingProxyType

# Distributed by the subject's internal id, co-located with subjects: a subject's rows live on one shard.
SUBJECT_KEYED = MappingProxyType(
    {
        "subjects": "id",
        "consent_events": "subject_id",
        "consent_states": "subject_id",
        "issued_tokens": "subject_id",
        "retired_chains": "subject_id",
        # A link is the visitor's: it is read and removed with the visitor's chain.
        "subject_links": "visitor_subject_id",
    }
)

# Keys of subject-keyed tables that do not hold the distribution column, and why. Citus refuses them on
# a distributed table: each one is work left on the road to sharding (docs/scaling.md, "What is left").
CROSS_SHARD_KEYS = MappingProxyType(
    {
        # The customer is another subject, on another shard; linking (rights/linking.py) reads both subjects.
        ("subject_links", ("customer_subject_id",)): "foreign key to the customer, another subject",
        # A subject is found by its identifier before its id is known: distributed by id, the identifier's
        # uniqueness needs a directory sharded by identifier, or ids derived from the identifier.
        ("subjects", ("kind", "external_id")): "unique identifier, looked up before the id is known",
    }
)

# Small, read by every check or write, changed by operators: a copy on every node.
REFERENCE = frozenset(
    {
        "purposes",
        "properties",
        "notices",
        "recipients",
        "api_keys",
        "signing_keys",
        "banner_versions",
        "cookie_declarations",
        "tcf_vendor_lists",
        "webhook_endpoints",
        # The counter the reference tables' triggers bump: read with every check, beside them.
        "generations",
    }
)

# On the coordinator only: operators' records, outboxes and aggregates no subject's request routes by.
LOCAL = frozenset(
    {
        "audit_entries",
        "console_sessions",
        "consent_rollups",
        "idempotency_records",
        "ledger_maintenance",
        "outgoing_mails",
        "privacy_requests",
        "privacy_request_steps",
        "privacy_request_systems",
        "scans",
        "scan_screenshots",
        "suppressions",
        "webhook_events",
        "webhook_deliveries",
    }
)

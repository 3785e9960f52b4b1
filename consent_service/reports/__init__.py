"""Consent-rate reports: rollups kept in the write transaction, read without scanning the ledger."""

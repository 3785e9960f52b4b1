"""Ed25519 signing keys: what signs tokens, ledger seals, checkpoints and receipts, below every domain that signs."""

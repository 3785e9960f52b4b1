"""The tamper-evident ledger: verify every chain, sign and check checkpoints of their heads."""

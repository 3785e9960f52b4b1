"""Retention: expire what the configured periods no longer justify keeping."""

"""Use cases that cross domains: each sequences the domains it needs, which never call one another for it."""

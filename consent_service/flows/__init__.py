"""Use cases that sequence several domains in one transaction: each module is one, and commits it.

Above the domains and below HTTP: api.py, cli.py and pages call a flow; domains never import one.
"""

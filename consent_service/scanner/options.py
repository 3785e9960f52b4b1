"""The bounds of a scan's options and the defaults of those not given: the service's rule, `flask scan`'s defaults."""

from __future__ import annotations

OPTION_BOUNDS = {"max_pages": (1, 500), "page_seconds": (1, 120), "total_seconds": (10, 7200)}
OPTION_DEFAULTS = {"max_pages": 50, "page_seconds": 30, "total_seconds": 900}

"""The compliance scanner: drive Chromium over a property's pages and prove what is set before and after a choice."""

"""The console's pages carry a CSRF token beside text from the request, so they are never compressed (BREACH),
whatever the client accepts; compression.py explains the rule."""
from __future__ import annotations

from consent_service.compression import MIN_SIZE_BYTES


def test_console_pages_are_sent_uncompressed(console):
    page = console.get("/admin/dashboard", headers={"Accept-Encoding": "br, gzip"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert len(page.data) > MIN_SIZE_BYTES and b"csrf" in page.data.lower()
    assert "Content-Encoding" not in page.headers


def test_the_consoles_static_files_are_compressed(console):
    with console.get("/static/console.css", headers={"Accept-Encoding": "gzip"}) as css:
        assert css.headers["Content-Encoding"] == "gzip"

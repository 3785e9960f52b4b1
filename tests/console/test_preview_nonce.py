"""The console preview's one inline <style> passes by a nonce the policy names, new on every response."""
from __future__ import annotations


def test_the_console_preview_policy_names_the_nonce_on_its_page(console, prop):
    page = console.get(f"/admin/properties/{prop.id}/preview")
    nonce = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in page.get_data(as_text=True)
    assert console.get(f"/admin/properties/{prop.id}/preview").headers["Content-Security-Policy"] != \
        page.headers["Content-Security-Policy"], "a new nonce per response"

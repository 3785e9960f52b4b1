"""What verifying the stored token costs a returning visit, in Chromium: the time until a blocked
tag runs, with the current consent.js (WebCrypto Ed25519 check, keys cached from the last config)
against the last build that trusted the cookie unverified (git BASE's consent_service/static/consent.js).

    .venv/bin/python bench/snippet_verify.py [--runs 25] [--base 56fcc70] [--no-write]

A loopback server serves a page with one blocked inline tag, the script, and a config answered after
CONFIG_DELAY_MS (so both builds act on the stored token before it arrives, as on a slow network).
Each run is a reload of a page whose cookie holds a valid token and whose localStorage holds the keys;
the two builds alternate so a slow second of this shared machine hits both. Figures are medians of
the time from the script's arrival (its resource timing's responseEnd) to the moment the blocked tag
ran: parsing and running the script, and for the current build reading the cache and verifying.
Also the WebCrypto work alone (import the key, verify one token) in a page, median of many. Writes
its section of BENCHMARKS.md (bench:snippet-verify) unless --no-write.
"""
from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import platform
import statistics
import subprocess
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sections import write_section

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "consent_service" / "static" / "consent.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PROPERTY = "pk_bench"
CONFIG_DELAY_MS = 400
# The build before the snippet verified its token (the commit this work started from).
DEFAULT_BASE = "35bc5b0"
PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<script src="/{{build}}/consent.js" data-property="{PROPERTY}" async></script></head><body>
<script type="text/plain" data-consent="analytics">
window.__ranAt = performance.now() - performance.getEntriesByType('resource').find((e) => e.name.endsWith('/consent.js')).responseEnd
</script>
</body></html>"""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


class Service:
    """The loopback stand-in for the consent service: page, both builds, a config with the bench key."""

    def __init__(self, builds: dict[str, bytes]) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.builds = builds
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        x = b64url(self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        self.config = {
            "property": {"key": PROPERTY, "name": "Bench"}, "language": "en", "regime": "opt_in",
            "notice": {"version": "2026-01-01", "url": "https://example.invalid/privacy"},
            "banner_version": "sha256:bench", "gpc_honoured": True, "cookie": {"name": "consent_token", "domain": None},
            "texts": {k: k for k in ("title", "description", "accept_all", "reject_all", "settings", "save", "close",
                                     "always_on", "notice_link", "placeholder", "load_content", "gpc_active")},
            "purposes": [{"key": "necessary", "name": "n", "description": "", "refusable": False, "preselected": True},
                         {"key": "analytics", "name": "a", "description": "", "refusable": True, "preselected": False}],
            "tokens": {"issuer": self.url, "keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k_bench",
                                                     "use": "sig", "alg": "EdDSA"}]},
        }

    def token(self) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "sub": "visitor:v_bench", "iat": now, "exp": now + 86400, "jti": "j",
                  "purposes": {"necessary": True, "analytics": True}, "notice": "2026-01-01", "regime": "opt_in",
                  "rev": 1, "prp": PROPERTY, "gpc": False}
        signing_input = f"{segment({'alg': 'EdDSA', 'kid': 'k_bench', 'typ': 'JWT'})}.{segment(claims)}"
        return f"{signing_input}.{b64url(self.key.sign(signing_input.encode()))}"

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                build, _, rest = self.path.lstrip("/").partition("/")
                if self.path == "/blank.html":
                    self._send(b"<!doctype html><title>blank</title>", "text/html")
                elif rest == "page.html" and build in service.builds:
                    self._send(PAGE.format(build=build).encode(), "text/html")
                elif rest == "consent.js" and build in service.builds:
                    self._send(service.builds[build], "application/javascript")
                elif self.path.startswith(f"/v1/banner/{PROPERTY}"):
                    time.sleep(CONFIG_DELAY_MS / 1000)
                    self._send(json.dumps(service.config).encode(), "application/json")
                else:
                    self.send_error(404)

            def _send(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a reload before the (delayed) config answered: as intended

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        return Handler

    def __enter__(self) -> "Service":
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def measure(runs: int, base: str) -> dict:
    from playwright.sync_api import sync_playwright

    builds = {"verified": SCRIPT.read_bytes(),
              "unverified": subprocess.run(["git", "show", f"{base}:consent_service/static/consent.js"], cwd=ROOT,
                                           check=True, capture_output=True).stdout}
    times: dict[str, list[float]] = {name: [] for name in builds}
    with Service(builds) as service, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            pages = {}
            for name in builds:
                context = browser.new_context()
                context.add_cookies([{"name": "consent_token", "value": "1." + service.token(), "url": service.url}])
                page = context.new_page()
                page.goto(f"{service.url}/{name}/page.html")  # the first visit leaves the keys in localStorage
                page.wait_for_function("window.__ranAt !== undefined", timeout=10_000)
                page.wait_for_timeout(CONFIG_DELAY_MS + 200)
                pages[name] = page
            assert pages["verified"].evaluate("!!localStorage.getItem('consent_keys')")
            for _ in range(runs):
                for name, page in pages.items():
                    page.reload()
                    page.wait_for_function("window.__ranAt !== undefined", timeout=10_000)
                    times[name].append(page.evaluate("window.__ranAt"))
            crypto_ms = pages["verified"].evaluate(CRYPTO_ONLY, service.token())
            jwk = service.config["tokens"]["keys"][0]
            blank = browser.new_page()
            cold = []
            for _ in range(runs):  # the first WebCrypto use of a fresh page, as on a returning visit
                blank.goto(f"{service.url}/blank.html")
                cold.append(blank.evaluate(COLD_CRYPTO, [service.token(), jwk]))
        finally:
            browser.close()
    medians = {name: statistics.median(values) for name, values in times.items()}
    quartiles = {name: statistics.quantiles(values, n=4) for name, values in times.items()}
    return {"runs": runs, "base": base, "medians_ms": medians, "quartiles_ms": quartiles,
            "cost_ms": medians["verified"] - medians["unverified"], "crypto_ms": crypto_ms,
            "cold_crypto_ms": statistics.median(cold), "times_ms": times}


# The WebCrypto part alone, as consent.js does it (import the JWK, verify), median of 200 in one page.
CRYPTO_ONLY = """async (token) => {
  const { keys: [jwk] } = JSON.parse(localStorage.getItem('consent_keys'));
  const [h, p, s] = token.split('.');
  const bytes = (t) => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const times = [];
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
    if (!(await crypto.subtle.verify({ name: 'Ed25519' }, key, bytes(s), new TextEncoder().encode(h + '.' + p)))) throw new Error('bad');
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[100];
}"""


# The same work once, as the first WebCrypto use of a fresh page.
COLD_CRYPTO = """async ([token, jwk]) => {
  const [h, p, s] = token.split('.');
  const bytes = (t) => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const started = performance.now();
  const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
  if (!(await crypto.subtle.verify({ name: 'Ed25519' }, key, bytes(s), new TextEncoder().encode(h + '.' + p)))) throw new Error('bad');
  return performance.now() - started;
}"""


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def fmt(values: list[float]) -> str:
    return "/".join(f"{value:.1f}" for value in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--base", default=DEFAULT_BASE)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    result = measure(args.runs, args.base)
    version = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip()
    script = SCRIPT.read_bytes()
    medians = result["medians_ms"]
    body = "\n".join([
        f"- {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, `make bench-snippet` (`.venv/bin/python bench/snippet_verify.py"
        f" --runs {args.runs}`), {version}, {os.cpu_count()} vCPU ({cpu_model()}), shared with other work.",
        f"- A returning visit (valid token in the cookie, keys cached from the last config, config answered after"
        f" {CONFIG_DELAY_MS} ms): a blocked tag ran **{medians['verified']:.1f} ms** after the script arrived with the"
        f" verifying script, {medians['unverified']:.1f} ms with the last build that trusted the cookie ({args.base}):"
        f" verification adds **{result['cost_ms']:.1f} ms** (median of {args.runs} reloads each, alternating;"
        f" quartiles {fmt(result['quartiles_ms']['verified'])} against {fmt(result['quartiles_ms']['unverified'])} ms:"
        f" the spread is this shared machine's), and no request.",
        f"- The WebCrypto work alone (import the key, verify the Ed25519 signature): {result['cold_crypto_ms']:.1f} ms as"
        f" the first use in a fresh page (median of {args.runs}), {result['crypto_ms']:.1f} ms once warm (median of 200).",
        f"- consent.js: {len(script)} B raw, {len(gzip.compress(script, 9))} B gzip -9 (budget 8192 B).",
    ])
    print(body)
    print(json.dumps(result))
    if not args.no_write:
        write_section("snippet-verify", body, heading="Banner: verifying the stored token")


if __name__ == "__main__":
    main()

"""Compressed responses: files compressed at build time served by content negotiation, and other responses
compressed on the fly above a size threshold (flask-compress; brotli or gzip, as the client accepts).

Small answers (a check, a state read) are sent as they are: under MIN_SIZE_BYTES compressing costs more time
than the bytes it saves. HTML that carries a secret beside text taken from the request (the console's CSRF
token, a preference page's signed link) is never compressed: the compressed size would let an observer who
can make the browser send chosen text find the secret byte by byte (BREACH). The JSON API is compressed: its
key travels in an Authorization header that a cross-site request cannot send.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, request
from flask_compress import Compress

MIN_SIZE_BYTES = 1024
# Preferred first when the client accepts both equally.
ENCODINGS = ("br", "gzip")
SUFFIXES = {"br": ".br", "gzip": ".gz"}
NEVER_COMPRESSED_BLUEPRINTS = frozenset({"console", "preference_pages"})
# Brotli's level for per-request work: 4 is near gzip's speed with smaller output; files compressed at build
# time use the highest level instead.
DYNAMIC_BROTLI_LEVEL = 4
# Files from a static folder (the console's CSS and JS) are compressed per request only up to this size: Swagger
# UI's megabyte bundle would cost some 80 ms of CPU per request, for anyone who asks.
STATIC_FILE_MAX_BYTES = 64 * 1024


def init_app(app: Flask) -> None:
    app.config.update(
        COMPRESS_REGISTER=False,  # our hook below decides which responses may be compressed
        COMPRESS_ALGORITHM=list(ENCODINGS),
        # Streamed responses are files (send_file); flask-compress would drop their close() when it wraps them.
        COMPRESS_STREAMS=False,
        COMPRESS_MIN_SIZE=MIN_SIZE_BYTES,
        COMPRESS_BR_LEVEL=DYNAMIC_BROTLI_LEVEL,
    )
    compress = Compress(app)

    @app.after_request
    def _compressed(response: Response) -> Response:
        if request.blueprint in NEVER_COMPRESSED_BLUEPRINTS:
            return response
        # werkzeug types content_length as int, but it is None when the response has no Content-Length.
        small = response.content_length is not None and response.content_length < MIN_SIZE_BYTES  # type: ignore[redundant-expr]
        if small or accepted_encoding(ENCODINGS) is None:
            # The hot path (a check's answer) stops here: no header parsed, nothing compressed.
            # Also: flask-compress would pick an encoding the client refused with q=0.
            _vary_on_accept_encoding(response)
            return response
        length = response.content_length
        if response.direct_passthrough and length is not None and length <= STATIC_FILE_MAX_BYTES:  # type: ignore[redundant-expr]
            response.direct_passthrough = False
            response.make_sequence()  # read the (small) file now; its handle is closed with the response
        return compress.after_request(response)


def _vary_on_accept_encoding(response: Response) -> None:
    # The header as text: werkzeug's parsed `response.vary` costs several microseconds on every answer.
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Accept-Encoding"
    elif "accept-encoding" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Accept-Encoding"


def accepted_encoding(available: tuple[str, ...]) -> str | None:
    """The encoding among `available` the client accepts with the highest quality (ties: ENCODINGS' order)."""
    best, best_quality = None, 0.0
    for encoding in ENCODINGS:
        quality = request.accept_encodings.quality(encoding) if encoding in available else 0
        if quality > best_quality:
            best, best_quality = encoding, quality
    return best


def send_precompressed(path: Path, *, mimetype: str, max_age: int, immutable: bool = False) -> Response:
    """`path` or its build-time .br/.gz copy, whichever the client accepts best; one strong ETag per encoding."""
    encoding = accepted_encoding(
        tuple(encoding for encoding, suffix in SUFFIXES.items() if path.with_name(path.name + suffix).is_file())
    )
    data = (path.with_name(path.name + SUFFIXES[encoding]) if encoding else path).read_bytes()
    response = Response(data, mimetype=mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    # Caches keep one copy per encoding; without Vary one would hand brotli bytes to a client that cannot read them.
    _vary_on_accept_encoding(response)
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    if immutable:
        response.cache_control.immutable = True
    response.make_conditional(request)  # answers 304 in place when the client's copy is current
    return response

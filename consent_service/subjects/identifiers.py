"""Subject identifiers in one spelling: what the service stores, looks up, signs into links and compares.

An identifier that reaches the service is made canonical before anything else sees it:
 1. fullwidth and halfwidth forms become their usual characters (`Ａlice` is `Alice`), the width
    mapping of RFC 8265 (PRECIS) for identifiers;
 2. Unicode normalization form C (a composed `é` and `e` + combining accent are one identifier);
 3. in an identifier with an `@`, the part after the last `@` is lowercased: an email's domain is
    case-insensitive (RFC 5321), its local part is left as given.
Nothing else changes: case elsewhere, spaces and punctuation are the operator's. Identifiers stored
before this rule are not rewritten; one stored in another spelling is reached by its canonical
spelling only if the two agree (`flask subjects non-canonical` counts the others).
"""

from __future__ import annotations

import unicodedata

# <wide> and <narrow> compatibility mappings: the Halfwidth and Fullwidth Forms block and the ideographic space.
_WIDTH_RANGE = (0x3000, *range(0xFF01, 0xFFEF))
WIDTH_MAP = {
    code_point: unicodedata.normalize("NFKC", chr(code_point))
    for code_point in _WIDTH_RANGE
    if unicodedata.decomposition(chr(code_point)).startswith(("<wide>", "<narrow>"))
}


def canonical(external_id: str) -> str:
    """The one spelling of a subject identifier (see the module's rules); an ASCII one costs two scans."""
    if not external_id.isascii():
        external_id = unicodedata.normalize("NFC", external_id.translate(WIDTH_MAP))
    local, at, domain = external_id.rpartition("@")
    if at:
        lowered = domain.lower()
        if lowered != domain:
            return f"{local}@{lowered}"
    return external_id


def is_canonical(external_id: str) -> bool:
    return canonical(external_id) == external_id

"""Text patterns shared by the validation and the OpenAPI document, as plain strings (no marshmallow here: the
services and the commands' app use them too). They match whole values: `fullmatch` (fields.FullMatch), never
`match` with a `$`, which also accepts the value followed by a newline ("DE\n")."""

from __future__ import annotations

# A two-letter ISO 639-1 code in lower case: a property's default language and the key of every per-language map
# (banner texts, cookie descriptions). The schemas state it (a `pattern`, a map's `propertyNames`) and the services
# check it, from this one string.
LANGUAGE_CODE = "[a-z]{2}"

# RFC 3986's IPv6address and IPv4address, spelled without look-arounds so that the OpenAPI document's
# ECMA-262 `pattern` and Python's `re` read it alike. An IPv4 octet has no leading zero, as `ipaddress` wants.
_H16 = "[0-9A-Fa-f]{1,4}"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
IPV4_ADDRESS = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_LS32 = f"(?:{_H16}:{_H16}|{IPV4_ADDRESS})"
# After "::", what may follow when at most i + 1 groups precede it (i = 0..6): "::" stands for one group at least.
_AFTER_ELISION = (
    f"(?:{_H16}:){{4}}{_LS32}",
    f"(?:{_H16}:){{3}}{_LS32}",
    f"(?:{_H16}:){{2}}{_LS32}",
    f"{_H16}:{_LS32}",
    _LS32,
    _H16,
    "",
)
IPV6_ADDRESS = "|".join(
    [f"(?:{_H16}:){{6}}{_LS32}", f"::(?:{_H16}:){{5}}{_LS32}"]
    + [f"(?:(?:{_H16}:){{0,{i}}}{_H16})?::{after}" for i, after in enumerate(_AFTER_ELISION)]
)
# A DNS host name (RFC 1123 labels of 1 to 63 letters, digits and inner hyphens), in any case; the length of the
# whole is a maxLength beside the pattern.
HOST_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_NAME = rf"{HOST_LABEL}(?:\.{HOST_LABEL})*"

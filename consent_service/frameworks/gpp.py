"""The IAB GPP string: decode and encode it, and which sections a visitor gets, filled from their choices.

Written from the GPP "Consent String Specification" (Core/): a header section (Type Int(6) = 3, Version
Int(6) = 1, the section ids as a Fibonacci-coded range), then one section per id, in the header's order,
joined by "~"; a section's segments are joined by "." and each is its bit string, zero-padded to whole bytes,
in base64url without padding. The US sections' fields are in gpp_sections.py; the tcfeuv2 section (2) is a TC
string (tcstring.py). What each US field says for this service is the rules file's `gpp` block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from consent_service.frameworks import tcstring
from consent_service.frameworks.gpp_sections import (
    BY_ID,
    BY_PREFIX,
    GPC_SUBSECTION_TYPE,
    HEADER_TYPE,
    HEADER_VERSION,
    STATE_SECTIONS,
    TCFEUV2,
    TCFEUV2_ID,
    USNAT_ID,
    Field,
    SectionSpec,
)
from consent_service.frameworks.tcstring import BitReader, BitWriter, TCString, TCStringError
from consent_service.regimes.service import RegimeRules

NO_SECTION_APPLIES = -1
# Section ids are small (the spec lists up to 27): a header naming a larger one is refused before its range is
# expanded, so a few Fibonacci bits cannot ask for billions of ids.
MAX_SECTION_ID = 63  # applicableSections when none applies (GPP CMP API specification)
US = "US"


class GPPStringError(ValueError):
    """A GPP string, or sections to encode, that cannot be read or written; the message says what is wrong."""


@dataclass(frozen=True)
class GPPString:
    """A decoded GPP string: the header's section ids and each section's fields by API prefix (tcfeuv2:
    {"tc_string": the TC string}, decoded as `tcf`)."""

    section_ids: tuple[int, ...]
    sections: dict[str, dict[str, Any]]
    tcf: TCString | None = field(default=None, compare=False)


@dataclass(frozen=True)
class GPPSignal:
    string: str
    applicable_sections: list[int]
    section_ids: list[int]


# ---------------------------------------------------------------- the string


def decode(value: str) -> GPPString:
    """The header and sections of a GPP string; GPPStringError says what is wrong with a malformed one."""
    if not value:
        raise GPPStringError("a GPP string is a non-empty string")
    header, *bodies = value.split("~")
    reader = BitReader(_bits(header, "header"), "header")
    try:
        kind, version = reader.uint(6, "Type"), reader.uint(6, "Version")
        section_ids = _read_fibonacci_range(reader)
    except TCStringError as exc:
        raise GPPStringError(str(exc)) from None
    if kind != HEADER_TYPE or version != HEADER_VERSION:
        raise GPPStringError(f"header: type {kind} version {version} is not a GPP header (type 3, version 1)")
    if len(section_ids) != len(bodies):
        raise GPPStringError(f"header lists {len(section_ids)} sections, the string has {len(bodies)}")
    sections: dict[str, dict[str, Any]] = {}
    tcf = None
    for section_id, body in zip(section_ids, bodies, strict=True):
        if section_id == TCFEUV2_ID:
            try:
                tcf = tcstring.decode(body)
            except TCStringError as exc:
                raise GPPStringError(f"section tcfeuv2: {exc}") from None
            sections[TCFEUV2] = {"tc_string": body}
        elif section_id in BY_ID:
            sections[BY_ID[section_id].prefix] = _decode_section(BY_ID[section_id], body)
        else:
            raise GPPStringError(f"section id {section_id} is not one this service reads")
    return GPPString(section_ids=tuple(section_ids), sections=sections, tcf=tcf)


def encode(sections: Mapping[str, Mapping[str, Any] | str]) -> str:
    """The GPP string of these sections ({api_prefix: {field: value}}; tcfeuv2: the TC string, or
    {"tc_string": it}), in the order of their ids. Fields not given take their default (0, the version)."""
    bodies: dict[int, str] = {}
    for prefix, fields in sections.items():
        if prefix == TCFEUV2:
            tc = fields if isinstance(fields, str) else fields.get("tc_string")
            if not isinstance(tc, str):
                raise GPPStringError("section tcfeuv2: give the TC string")
            try:
                tcstring.decode(tc)
            except TCStringError as exc:
                raise GPPStringError(f"section tcfeuv2: {exc}") from None
            bodies[TCFEUV2_ID] = tc
        elif prefix in BY_PREFIX and not isinstance(fields, str):
            spec = BY_PREFIX[prefix]
            bodies[spec.id] = _encode_section(spec, fields)
        else:
            raise GPPStringError(f"section {prefix!r} is not one this service writes")
    header = BitWriter()
    header.uint(HEADER_TYPE, 6, "Type")
    header.uint(HEADER_VERSION, 6, "Version")
    _write_fibonacci_range(header, sorted(bodies))
    return "~".join([_base64(header.text()), *(bodies[section_id] for section_id in sorted(bodies))])


def _bits(segment: str, where: str) -> str:
    try:
        return tcstring.bits_from_base64url(segment, where)
    except TCStringError as exc:
        raise GPPStringError(str(exc)) from None


def _base64(bits: str) -> str:
    return tcstring.base64url_from_bits(bits, 8)


def _decode_section(spec: SectionSpec, body: str) -> dict[str, Any]:
    segments = body.split(".")
    where = f"section {spec.prefix}"
    reader = BitReader(_bits(segments[0], where), where)
    values: dict[str, Any] = {}
    try:
        version = reader.uint(6, "Version")
        core = spec.core_for(version)
        if core is None:
            raise GPPStringError(f"{where}: version {version} is not one this service reads")
        values[core[0].name] = version
        _read_fields(reader, core[1:], values)
        extra = segments[1:]
        if len(extra) > 1:
            raise GPPStringError(f"{where}: {len(segments)} segments, at most 2")
        for segment in extra:
            sub = BitReader(_bits(segment, where), f"{where} subsection")
            if spec.has_gpc:
                kind = sub.uint(2, "SubsectionType")
                if kind != GPC_SUBSECTION_TYPE:
                    raise GPPStringError(f"{where}: subsection type {kind} is not Gpc ({GPC_SUBSECTION_TYPE})")
                values["Gpc"] = sub.flag("Gpc")
            elif spec.optional_segment:
                _read_fields(sub, spec.optional_segment, values)
            else:
                raise GPPStringError(f"{where} has no subsection")
    except TCStringError as exc:
        raise GPPStringError(str(exc)) from None
    return values


def _read_fields(reader: BitReader, fields: tuple[Field, ...], values: dict[str, Any]) -> None:
    for f in fields:
        if f.count is None:
            values[f.name] = reader.uint(f.width, f.name)
        else:
            values[f.name] = [reader.uint(f.width, f.name) for _ in range(f.count)]


def _encode_section(spec: SectionSpec, given: Mapping[str, Any]) -> str:
    where = f"section {spec.prefix}"
    version = given.get("Version", given.get("MspaVersion", spec.version))
    core = spec.core_for(version) if isinstance(version, int) else None
    if core is None:
        raise GPPStringError(f"{where}: version {version!r} is not one this service writes")
    known = {f.name for f in core + spec.optional_segment} | ({"Gpc"} if spec.has_gpc else set())
    unknown = set(given) - known
    if unknown:
        raise GPPStringError(f"{where}: unknown fields {sorted(unknown)} (known: {', '.join(sorted(known))})")
    values = {**given, core[0].name: version}
    segments = [_write_fields(core, values, where)]
    if spec.has_gpc and "Gpc" in values:
        if not isinstance(values["Gpc"], bool):
            raise GPPStringError(f"{where}: Gpc must be true or false")
        writer = BitWriter()
        writer.uint(GPC_SUBSECTION_TYPE, 2, "SubsectionType")
        writer.flag(values["Gpc"])
        segments.append(writer.text())
    if spec.optional_segment and spec.optional_segment[0].name in values:
        segments.append(_write_fields(spec.optional_segment, values, where))
    return ".".join(_base64(bits) for bits in segments)


def _write_fields(fields: tuple[Field, ...], values: Mapping[str, Any], where: str) -> str:
    writer = BitWriter()
    for f in fields:
        value = values.get(f.name, f.default if f.count is None else [f.default] * f.count)
        items = [value] if f.count is None else value
        if f.count is not None and (not isinstance(value, list) or len(value) != f.count):
            raise GPPStringError(f"{where}: {f.name} must be a list of {f.count} integers")
        for item in items:
            if not isinstance(item, int) or isinstance(item, bool):
                raise GPPStringError(f"{where}: {f.name} must hold integers, not {item!r}")
            try:
                writer.uint(item, f.width, f.name)
            except TCStringError as exc:
                raise GPPStringError(f"{where}: {exc}") from None
    return writer.text()


def _fibonacci(value: int) -> str:
    """Fibonacci coding (Zeckendorf, least significant first) of a positive integer, ending in "11"."""
    if value < 1:
        raise GPPStringError(f"Fibonacci coding needs a positive integer, not {value}")
    fibs = [1, 2]
    while fibs[-1] + fibs[-2] <= value:
        fibs.append(fibs[-1] + fibs[-2])
    bits = ["0"] * len(fibs)
    for index in range(len(fibs) - 1, -1, -1):
        if fibs[index] <= value:
            bits[index] = "1"
            value -= fibs[index]
    return "".join(bits).rstrip("0") + "1"


def _read_fibonacci(reader: BitReader, name: str) -> int:
    value, fibs, previous = 0, [1, 2], "0"
    for index in range(64):
        bit = reader.take(1, name)
        if bit == "1" and previous == "1":
            return value
        if index >= len(fibs):
            fibs.append(fibs[-1] + fibs[-2])
        if bit == "1":
            value += fibs[index]
        previous = bit
    raise GPPStringError(f"header: {name} is not Fibonacci-coded")


def _read_fibonacci_range(reader: BitReader) -> list[int]:
    """Range(Fibonacci): Int(12) entries, each a flag and one id, or a first and last id, each coded as
    its offset from the id before it."""
    ids: list[int] = []
    offset = 0
    for _ in range(reader.uint(12, "NumEntries")):
        if reader.flag("IsRange"):
            first = offset + _read_fibonacci(reader, "section id")
            last = first + _read_fibonacci(reader, "section id")
        else:
            first = last = offset + _read_fibonacci(reader, "section id")
        if last > MAX_SECTION_ID:
            raise GPPStringError(f"header: section id {last} is not one this service reads")
        ids.extend(range(first, last + 1))
        offset = last
    return ids


def _write_fibonacci_range(writer: BitWriter, ids: list[int]) -> None:
    runs = tcstring.runs(ids)
    writer.uint(len(runs), 12, "NumEntries")
    offset = 0
    for first, last in runs:
        writer.flag(first != last)
        writer.bits.append(_fibonacci(first - offset))
        if first != last:
            writer.bits.append(_fibonacci(last - first))
        offset = last


# ---------------------------------------------------------------- what a visitor gets


def banner_config(*, country: str | None, region: str | None, rules: RegimeRules, tcf: bool) -> dict[str, Any]:
    """The sections a visitor gets and how to fill them (the banner config's frameworks.gpp, without src):
    a US visitor gets usnat, plus their state's section where the region is a subdivision the rules ship and
    GPP has a section for; `applicable` is the state's section id, else usnat's (7). Elsewhere no US section
    applies: [2] where TCF is enabled and the country is one the rules' gpp.tcfeuv2_countries name, else [-1]."""
    gpp = rules.gpp
    if gpp is None:
        raise GPPStringError("the regime rules have no gpp block: GPP sections cannot be filled")
    country = (country or (region or "")[:2] or "").upper() or None
    sections: list[str] = []
    applicable = [NO_SECTION_APPLIES]
    if country == US:
        sections = ["usnat"]
        applicable = [USNAT_ID]
        state = STATE_SECTIONS.get(region or "")
        if state is not None and region in rules.subdivisions:
            sections.append(state)
            applicable = [BY_PREFIX[state].id]
    elif tcf and country in gpp.tcfeuv2_countries:
        applicable = [TCFEUV2_ID]
    fields = {prefix: gpp.fields_of(BY_PREFIX[prefix].field_names) for prefix in sections}
    opt_outs = {prefix: gpp.opt_outs_of(BY_PREFIX[prefix].field_names) for prefix in sections}
    return {
        "sections": sections,
        "applicable": applicable,
        "fields": fields,
        "opt_outs": opt_outs,
        "gpc": [prefix for prefix in sections if BY_PREFIX[prefix].has_gpc],
        "tcfeuv2": tcf,
    }


def fill_section(
    prefix: str,
    *,
    fields: Mapping[str, Any],
    opt_outs: Mapping[str, str],
    has: Callable[[str], bool],
    gpc: bool | None,
) -> dict[str, Any]:
    """One section's values, as the banner's gpp.js fills them: every field as given; every opt-out 2 (did not
    opt out) where `has(purpose)`, else 1 (opted out); Gpc (the honoured GPC signal) where `gpc` is not None.
    A section with an optional segment gets it as the IAB library writes it by default (all 0)."""
    spec = BY_PREFIX[prefix]
    values: dict[str, Any] = dict(fields)
    for name, purpose in opt_outs.items():
        values[name] = 2 if has(purpose) else 1
    if gpc is not None:
        values["Gpc"] = gpc
    for optional in spec.optional_segment:
        values.setdefault(optional.name, [optional.default] * (optional.count or 1))
    return values


def signal(
    *,
    country: str | None,
    region: str | None,
    rules: RegimeRules,
    allowed: Callable[[str], bool],
    gpc: bool,
    tc_string: str | None,
) -> GPPSignal:
    """The GPP string a visitor's choices make (the same filling as the banner's), its applicable section ids
    and the ids of the sections it holds. `allowed(purpose)` is the effective decision; `tc_string`, when
    given, is carried as the tcfeuv2 section."""
    config = banner_config(country=country, region=region, rules=rules, tcf=tc_string is not None)
    return filled(config, allowed=allowed, gpc=gpc, tc_string=tc_string)


def filled(config: Mapping[str, Any], *, allowed: Callable[[str], bool], gpc: bool, tc_string: str | None) -> GPPSignal:
    """The GPP string of a banner_config (as a banner showed it), filled as the banner's gpp.js fills it."""
    sections: dict[str, Mapping[str, Any] | str] = {
        prefix: fill_section(
            prefix,
            fields=config["fields"][prefix],
            opt_outs=config["opt_outs"][prefix],
            has=allowed,
            gpc=gpc if prefix in config["gpc"] else None,
        )
        for prefix in config["sections"]
    }
    if tc_string is not None and config["tcfeuv2"]:
        sections[TCFEUV2] = tc_string
    ids = sorted(TCFEUV2_ID if prefix == TCFEUV2 else BY_PREFIX[prefix].id for prefix in sections)
    return GPPSignal(string=encode(sections), applicable_sections=list(config["applicable"]), section_ids=ids)


def section_ids(prefixes: Iterable[str]) -> list[int]:
    """The GPP section ids of these API prefixes, ascending."""
    return sorted(TCFEUV2_ID if prefix == TCFEUV2 else BY_PREFIX[prefix].id for prefix in prefixes)

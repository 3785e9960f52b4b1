"""The IAB TCF v2 TC string: decode and encode its core, disclosedVendors and publisherTC segments.

Written from IAB Europe's "Transparency & Consent String with Global Vendor & CMP List Formats" (TCF v2.3):
each segment is a bit string written most significant bit first, padded with zero bits and written in
base64url without padding; segments are joined by ".". Strings made by @iabtechlabtcf/core pad each segment
to a multiple of 24 bits and choose, per vendor section, the shorter of a bitfield and a range list: decode
records which one (`layout`) so that encode(decode(s)) gives s back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

VendorEncoding = Literal["bitfield", "range"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DECISECOND = timedelta(milliseconds=100)
# Segment types (the first 3 bits of every segment but the core one).
CORE, DISCLOSED_VENDORS, ALLOWED_VENDORS, PUBLISHER_TC = 0, 1, 2, 3
SEGMENT_NAMES = {DISCLOSED_VENDORS: "disclosedVendors", ALLOWED_VENDORS: "allowedVendors", PUBLISHER_TC: "publisherTC"}
# Publisher restriction types (TCF v2 policy): 0 not allowed, 1 require consent, 2 require legitimate interest.
RESTRICTION_TYPES = (0, 1, 2)
# The library writes a range list only for a maxVendorId above two ids, a flag and a count (16 * 2 + 1 + 12).
MIN_RANGE_MAX_ID = 45
SEGMENT_PAD_BITS = 24
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
BASE64URL_INDEX = {char: index for index, char in enumerate(BASE64URL)}


class TCStringError(ValueError):
    """A TC string that cannot be read or written; the message says what is wrong."""


class BitWriter:
    """Collects fields as bits, most significant first."""

    def __init__(self) -> None:
        self.bits: list[str] = []

    def uint(self, value: int, width: int, name: str) -> None:
        if value < 0 or value >= 1 << width:
            raise TCStringError(f"{name} {value} does not fit in {width} bits")
        self.bits.append(format(value, f"0{width}b"))

    def flag(self, value: bool) -> None:
        self.bits.append("1" if value else "0")

    def bitfield(self, ids: Iterable[int], width: int, name: str) -> None:
        """Ids 1..width as one bit each."""
        chosen = set(ids)
        if any(not 1 <= i <= width for i in chosen):
            outside = sorted(i for i in chosen if not 1 <= i <= width)
            raise TCStringError(f"{name} holds ids outside 1..{width}: {outside}")
        self.bits.append("".join("1" if i in chosen else "0" for i in range(1, width + 1)))

    def letters(self, value: str, name: str) -> None:
        """Two letters A-Z, 6 bits each (A = 0)."""
        if len(value) != 2 or not all("A" <= c <= "Z" for c in value):
            raise TCStringError(f"{name} {value!r} is not two letters A-Z")
        for c in value:
            self.uint(ord(c) - ord("A"), 6, name)

    def text(self) -> str:
        return "".join(self.bits)


class BitReader:
    """Reads fields from a bit string, failing with the field's name when the string ends first."""

    def __init__(self, bits: str, segment: str) -> None:
        self.bits, self.at, self.segment = bits, 0, segment

    def take(self, width: int, name: str) -> str:
        if self.at + width > len(self.bits):
            raise TCStringError(f"{self.segment}: the string ends inside {name}")
        chunk = self.bits[self.at : self.at + width]
        self.at += width
        return chunk

    def uint(self, width: int, name: str) -> int:
        return int(self.take(width, name), 2) if width else 0

    def flag(self, name: str) -> bool:
        return self.take(1, name) == "1"

    def bitfield(self, width: int, name: str) -> frozenset[int]:
        return frozenset(i + 1 for i, bit in enumerate(self.take(width, name)) if bit == "1")

    def letters(self, name: str) -> str:
        codes = (self.uint(6, name), self.uint(6, name))
        if any(code > 25 for code in codes):
            raise TCStringError(f"{self.segment}: {name} is not two letters A-Z")
        return "".join(chr(ord("A") + code) for code in codes)


def bits_from_base64url(value: str, segment: str) -> str:
    """The bits of a base64url segment without padding, 6 per character (any length, as the libraries read)."""
    if not value:
        raise TCStringError(f"{segment}: empty segment")
    try:
        return "".join(format(BASE64URL_INDEX[char], "06b") for char in value)
    except KeyError:
        raise TCStringError(f"{segment}: {value!r} is not base64url") from None


def base64url_from_bits(bits: str, pad_to: int) -> str:
    """The bits padded with zeros to a multiple of `pad_to`, 6 per base64url character, no '=' padding."""
    bits += "0" * (-len(bits) % pad_to)
    bits += "0" * (-len(bits) % 6)
    return "".join(BASE64URL[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))


@dataclass(frozen=True)
class VendorLayout:
    """How one vendor section was written: a bitfield or a range list, up to which maxVendorId."""

    encoding: VendorEncoding
    max_vendor_id: int


@dataclass(frozen=True)
class PublisherRestriction:
    """A publisher's restriction of a purpose for some vendors. `ranges` as written (the library spans ids the
    GVL does not list, so a range may name ids no vendor has): (first, last) pairs, first == last for one."""

    purpose: int
    restriction_type: int  # 0 not allowed, 1 require consent, 2 require legitimate interest
    ranges: tuple[tuple[int, int], ...]

    @property
    def vendors(self) -> frozenset[int]:
        return frozenset(i for first, last in self.ranges for i in range(first, last + 1))


@dataclass(frozen=True)
class PublisherTC:
    """The publisherTC segment: the publisher's own purposes and its custom purposes (1..N)."""

    purpose_consents: frozenset[int] = frozenset()
    purpose_legitimate_interests: frozenset[int] = frozenset()
    custom_purposes: int = 0
    custom_purpose_consents: frozenset[int] = frozenset()
    custom_purpose_legitimate_interests: frozenset[int] = frozenset()


@dataclass(frozen=True)
class TCString:
    """The core segment + disclosedVendors (+ publisherTC, allowedVendors if present)."""

    version: int
    created: datetime
    last_updated: datetime
    cmp_id: int
    cmp_version: int
    consent_screen: int
    consent_language: str
    vendor_list_version: int
    policy_version: int
    is_service_specific: bool
    use_non_standard_texts: bool
    special_feature_optins: frozenset[int]
    purpose_consents: frozenset[int]
    purpose_legitimate_interests: frozenset[int]
    purpose_one_treatment: bool
    publisher_country_code: str
    vendor_consents: frozenset[int]
    vendor_legitimate_interests: frozenset[int]
    publisher_restrictions: tuple[PublisherRestriction, ...] = ()
    disclosed_vendors: frozenset[int] | None = None
    allowed_vendors: frozenset[int] | None = None
    publisher_tc: PublisherTC | None = None
    # How each vendor section was written (keys: vendor_consents, vendor_legitimate_interests,
    # disclosed_vendors, allowed_vendors); a section not named is written the shorter way.
    layout: dict[str, VendorLayout] = field(default_factory=dict, compare=False, hash=False)


def decode(value: str) -> TCString:
    """The TC string's fields; TCStringError says what is wrong with a malformed one."""
    if not value:
        raise TCStringError("a TC string is a non-empty string")
    parts = value.split(".")
    core = BitReader(bits_from_base64url(parts[0], "core segment"), "core segment")
    version = core.uint(6, "Version")
    if version != 2:
        raise TCStringError(f"core segment: version {version} is not TCF v2")
    layout: dict[str, VendorLayout] = {}
    # Keyword arguments are evaluated in order: the fields are read in the order the spec writes them.
    tc = TCString(
        version=version,
        created=_datetime(core.uint(36, "Created")),
        last_updated=_datetime(core.uint(36, "LastUpdated")),
        cmp_id=core.uint(12, "CmpId"),
        cmp_version=core.uint(12, "CmpVersion"),
        consent_screen=core.uint(6, "ConsentScreen"),
        consent_language=core.letters("ConsentLanguage"),
        vendor_list_version=core.uint(12, "VendorListVersion"),
        policy_version=core.uint(6, "TcfPolicyVersion"),
        is_service_specific=core.flag("IsServiceSpecific"),
        use_non_standard_texts=core.flag("UseNonStandardTexts"),
        special_feature_optins=core.bitfield(12, "SpecialFeatureOptIns"),
        purpose_consents=core.bitfield(24, "PurposesConsent"),
        purpose_legitimate_interests=core.bitfield(24, "PurposesLITransparency"),
        purpose_one_treatment=core.flag("PurposeOneTreatment"),
        publisher_country_code=core.letters("PublisherCC"),
        vendor_consents=_read_vendors(core, "vendor_consents", layout),
        vendor_legitimate_interests=_read_vendors(core, "vendor_legitimate_interests", layout),
        publisher_restrictions=_read_restrictions(core),
        layout=layout,
    )
    seen: set[int] = set()
    for part in parts[1:]:
        segment_bits = bits_from_base64url(part, "segment")
        kind = int(segment_bits[:3], 2)
        if kind not in SEGMENT_NAMES:
            raise TCStringError(f"segment type {kind} is not disclosedVendors (1), allowedVendors (2), publisherTC (3)")
        if kind in seen:
            raise TCStringError(f"the {SEGMENT_NAMES[kind]} segment appears twice")
        seen.add(kind)
        reader = BitReader(segment_bits, f"{SEGMENT_NAMES[kind]} segment")
        reader.uint(3, "SegmentType")
        if kind == DISCLOSED_VENDORS:
            tc = replace(tc, disclosed_vendors=_read_vendors(reader, "disclosed_vendors", layout))
        elif kind == ALLOWED_VENDORS:
            tc = replace(tc, allowed_vendors=_read_vendors(reader, "allowed_vendors", layout))
        else:
            tc = replace(tc, publisher_tc=_read_publisher_tc(reader))
    return replace(tc, layout=layout)


def encode(tc: TCString) -> str:
    """The TC string of `tc`: core, then disclosedVendors, allowedVendors and publisherTC where present."""
    core = BitWriter()
    if tc.version != 2:
        raise TCStringError(f"version {tc.version} is not TCF v2")
    core.uint(tc.version, 6, "version")
    core.uint(_deciseconds(tc.created, "created"), 36, "created")
    core.uint(_deciseconds(tc.last_updated, "last_updated"), 36, "last_updated")
    core.uint(tc.cmp_id, 12, "cmp_id")
    core.uint(tc.cmp_version, 12, "cmp_version")
    core.uint(tc.consent_screen, 6, "consent_screen")
    core.letters(tc.consent_language, "consent_language")
    core.uint(tc.vendor_list_version, 12, "vendor_list_version")
    core.uint(tc.policy_version, 6, "policy_version")
    core.flag(tc.is_service_specific)
    core.flag(tc.use_non_standard_texts)
    core.bitfield(tc.special_feature_optins, 12, "special_feature_optins")
    core.bitfield(tc.purpose_consents, 24, "purpose_consents")
    core.bitfield(tc.purpose_legitimate_interests, 24, "purpose_legitimate_interests")
    core.flag(tc.purpose_one_treatment)
    core.letters(tc.publisher_country_code, "publisher_country_code")
    _write_vendors(core, tc.vendor_consents, tc.layout.get("vendor_consents"), "vendor_consents")
    interests = "vendor_legitimate_interests"
    _write_vendors(core, tc.vendor_legitimate_interests, tc.layout.get(interests), interests)
    _write_restrictions(core, tc.publisher_restrictions)
    segments = [core.text()]
    for kind, vendors, key in (
        (DISCLOSED_VENDORS, tc.disclosed_vendors, "disclosed_vendors"),
        (ALLOWED_VENDORS, tc.allowed_vendors, "allowed_vendors"),
    ):
        if vendors is not None:
            writer = BitWriter()
            writer.uint(kind, 3, "segment type")
            _write_vendors(writer, vendors, tc.layout.get(key), key)
            segments.append(writer.text())
    if tc.publisher_tc is not None:
        segments.append(_publisher_tc_bits(tc.publisher_tc))
    return ".".join(base64url_from_bits(bits, SEGMENT_PAD_BITS) for bits in segments)


@dataclass(frozen=True)
class Refusal:
    """Why a TC string does not let a vendor process: a stable `reason`, the TCF `ids` it is about, a message."""

    reason: Literal[
        "publisher_restricted",
        "purpose_not_consented",
        "vendor_not_consented",
        "objected",
        "special_feature_not_opted_in",
    ]
    ids: tuple[int, ...]
    message: str


def vendor_refusal(
    tc: TCString,
    *,
    vendor: int,
    purposes: Iterable[int] = (),
    legitimate_interest_purposes: Iterable[int] = (),
    special_features: Iterable[int] = (),
) -> Refusal | None:
    """Why the TC string does not let `vendor` process for `purposes` (consent), `legitimate_interest_purposes`
    and with `special_features` (opt-in); None when it does. Publisher restrictions apply: "not allowed" refuses,
    "require consent" turns a legitimate interest purpose into a consent one, "require legitimate interest" the
    reverse (never for purpose 1, which is never based on legitimate interest)."""
    restricted = {
        restriction.purpose: restriction.restriction_type
        for restriction in tc.publisher_restrictions
        if vendor in restriction.vendors
    }
    wanted = [(purpose, "consent") for purpose in purposes] + [
        (purpose, "legitimate_interest") for purpose in legitimate_interest_purposes
    ]
    for purpose, basis in wanted:
        restriction = restricted.get(purpose)
        if restriction == 0:
            return Refusal(
                "publisher_restricted", (purpose,), f"the publisher does not allow vendor {vendor} purpose {purpose}"
            )
        if restriction == 1:
            basis = "consent"
        elif restriction == 2 and purpose != 1:
            basis = "legitimate_interest"
        if basis == "consent":
            if purpose not in tc.purpose_consents:
                return Refusal("purpose_not_consented", (purpose,), f"no consent to purpose {purpose}")
            if vendor not in tc.vendor_consents:
                return Refusal("vendor_not_consented", (vendor,), f"no consent for vendor {vendor}")
        else:
            if purpose not in tc.purpose_legitimate_interests:
                return Refusal("objected", (purpose,), f"objection to purpose {purpose} (legitimate interest)")
            if vendor not in tc.vendor_legitimate_interests:
                return Refusal("objected", (vendor,), f"objection to vendor {vendor} (legitimate interest)")
    for feature in special_features:
        if feature not in tc.special_feature_optins:
            return Refusal("special_feature_not_opted_in", (feature,), f"no opt-in to special feature {feature}")
        if vendor not in tc.vendor_consents:
            return Refusal("vendor_not_consented", (vendor,), f"no consent for vendor {vendor}")
    return None


def _datetime(deciseconds: int) -> datetime:
    return EPOCH + deciseconds * DECISECOND


def _deciseconds(moment: datetime, name: str) -> int:
    if moment.tzinfo is None:
        raise TCStringError(f"{name} must be timezone-aware")
    return (moment - EPOCH) // DECISECOND


def _read_vendors(reader: BitReader, key: str, layout: dict[str, VendorLayout]) -> frozenset[int]:
    """A vendor section: MaxVendorId(16), IsRangeEncoding(1), then a bitfield or NumEntries(12) + entries."""
    max_id = reader.uint(16, f"{key} MaxVendorId")
    if reader.flag(f"{key} IsRangeEncoding"):
        layout[key] = VendorLayout("range", max_id)
        vendors: set[int] = set()
        for first, last in _read_ranges(reader, key):
            if last > max_id:
                raise TCStringError(f"{reader.segment}: {key} names vendor {last} above MaxVendorId {max_id}")
            vendors.update(range(first, last + 1))
        return frozenset(vendors)
    layout[key] = VendorLayout("bitfield", max_id)
    return reader.bitfield(max_id, f"{key} bitfield")


def _read_ranges(reader: BitReader, key: str) -> list[tuple[int, int]]:
    """NumEntries(12), then per entry IsARange(1), a vendor id(16) and for a range the last id(16). The entries
    ascend without overlap (as the spec's encoders write them): a string cannot make us expand the same ids
    4095 times over."""
    ranges: list[tuple[int, int]] = []
    for _ in range(reader.uint(12, f"{key} NumEntries")):
        is_range = reader.flag(f"{key} IsARange")
        first = reader.uint(16, f"{key} StartOrOnlyVendorId")
        last = reader.uint(16, f"{key} EndVendorId") if is_range else first
        if first < 1 or last < first:
            raise TCStringError(f"{reader.segment}: {key} has an empty or zero vendor range {first}-{last}")
        if ranges and first <= ranges[-1][1]:
            raise TCStringError(f"{reader.segment}: {key} ranges do not ascend ({first} after {ranges[-1][1]})")
        ranges.append((first, last))
    return ranges


def _write_vendors(writer: BitWriter, vendors: frozenset[int], layout: VendorLayout | None, key: str) -> None:
    if any(vendor < 1 for vendor in vendors):
        raise TCStringError(f"{key}: vendor ids start at 1")
    max_id = max(vendors, default=0)
    ranges = runs(vendors)
    if layout is None:
        range_bits = 12 + sum(17 if first == last else 33 for first, last in ranges)
        encoding: VendorEncoding = "range" if max_id > MIN_RANGE_MAX_ID and range_bits < max_id else "bitfield"
    else:
        encoding, max_id = layout.encoding, max(layout.max_vendor_id, max_id)
    writer.uint(max_id, 16, f"{key} MaxVendorId")
    writer.flag(encoding == "range")
    if encoding == "range":
        _write_ranges(writer, ranges, key)
    else:
        writer.bitfield(vendors, max_id, key)


def _write_ranges(writer: BitWriter, ranges: Iterable[tuple[int, int]], key: str) -> None:
    entries = list(ranges)
    writer.uint(len(entries), 12, f"{key} NumEntries")
    for first, last in entries:
        writer.flag(first != last)
        writer.uint(first, 16, f"{key} vendor id")
        if first != last:
            writer.uint(last, 16, f"{key} vendor id")


def runs(ids: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive ids as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for i in sorted(ids):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _read_restrictions(reader: BitReader) -> tuple[PublisherRestriction, ...]:
    restrictions = []
    for _ in range(reader.uint(12, "NumPubRestrictions")):
        purpose = reader.uint(6, "PurposeId")
        restriction_type = reader.uint(2, "RestrictionType")
        if restriction_type not in RESTRICTION_TYPES:
            raise TCStringError(f"{reader.segment}: restriction type {restriction_type} is not 0, 1 or 2")
        restrictions.append(
            PublisherRestriction(purpose, restriction_type, tuple(_read_ranges(reader, "publisher restriction")))
        )
    return tuple(restrictions)


def _write_restrictions(writer: BitWriter, restrictions: tuple[PublisherRestriction, ...]) -> None:
    writer.uint(len(restrictions), 12, "publisher restrictions")
    for restriction in restrictions:
        if restriction.restriction_type not in RESTRICTION_TYPES:
            raise TCStringError(f"restriction type {restriction.restriction_type} is not 0, 1 or 2")
        writer.uint(restriction.purpose, 6, "restriction purpose")
        writer.uint(restriction.restriction_type, 2, "restriction type")
        _write_ranges(writer, restriction.ranges, "publisher restriction")


def _read_publisher_tc(reader: BitReader) -> PublisherTC:
    consents = reader.bitfield(24, "PubPurposesConsent")
    interests = reader.bitfield(24, "PubPurposesLITransparency")
    custom = reader.uint(6, "NumCustomPurposes")
    return PublisherTC(
        purpose_consents=consents,
        purpose_legitimate_interests=interests,
        custom_purposes=custom,
        custom_purpose_consents=reader.bitfield(custom, "CustomPurposesConsent"),
        custom_purpose_legitimate_interests=reader.bitfield(custom, "CustomPurposesLITransparency"),
    )


def _publisher_tc_bits(publisher: PublisherTC) -> str:
    writer = BitWriter()
    writer.uint(PUBLISHER_TC, 3, "segment type")
    writer.bitfield(publisher.purpose_consents, 24, "publisher purpose_consents")
    writer.bitfield(publisher.purpose_legitimate_interests, 24, "publisher purpose_legitimate_interests")
    writer.uint(publisher.custom_purposes, 6, "custom_purposes")
    writer.bitfield(publisher.custom_purpose_consents, publisher.custom_purposes, "custom_purpose_consents")
    writer.bitfield(
        publisher.custom_purpose_legitimate_interests, publisher.custom_purposes, "custom_purpose_legitimate_interests"
    )
    return writer.text()

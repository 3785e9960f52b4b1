"""The GPP sections we read and write, as data: each section's id, API prefix, version and fields in order.

Transcribed from the IAB Global Privacy Platform specifications (github.com/InteractiveAdvertisingBureau/
Global-Privacy-Platform): "Sections/Section Information.md" (ids and prefixes), "Sections/US-National/IAB
Privacy's Multi-State Privacy Agreement (MSPA) US National Technical Specification.md" (usnat, version 2 and 1)
and "Sections/US-States/<ST>/... Privacy Technical Specification.md" (one per state). A field is the spec's
Int(n) (`width` bits) or N-Bitfield(n, count) (`count` integers of `width` bits each); `Gpc` is the Gpc
subsection (SubsectionType Int(2) = 1, Gpc Boolean), written only when a section's fields give `Gpc`.

MD, IN, KY and RI: their specification (public-comment drafts) describes a new section header (SectionID,
Version, SubSections) that no released library writes; the wire layout below is the one @iabgpp/cmpapi 3.2.0
writes and reads, whose core subsection starts with MspaVersion (the spec's core subsection fields in its
order), and for IN, KY and RI the Sensitive Data Consents subsection as the optional second segment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    width: int
    count: int | None = None  # N-Bitfield(width, count): a list of `count` integers of `width` bits
    default: int = 0


@dataclass(frozen=True)
class SectionSpec:
    id: int
    prefix: str
    version: int
    core: tuple[Field, ...]
    has_gpc: bool
    # A second segment of fields, optional, written when its first field is given (IN, KY, RI).
    optional_segment: tuple[Field, ...] = ()
    # The specifications of earlier versions this service still reads (usnat version 1).
    older: tuple[tuple[int, tuple[Field, ...]], ...] = ()

    def core_for(self, version: int) -> tuple[Field, ...] | None:
        if version == self.version:
            return self.core
        return dict(self.older).get(version)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.core + self.optional_segment) + (("Gpc",) if self.has_gpc else ())


TCFEUV2_ID, TCFEUV2 = 2, "tcfeuv2"
HEADER_TYPE, HEADER_VERSION = 3, 1
USNAT_ID = 7
VERSION_FIELDS = frozenset({"Version", "MspaVersion"})
GPC_SUBSECTION_TYPE = 1


def _int(name: str, width: int = 2, default: int = 0) -> Field:
    return Field(name, width, None, default)


def _list(name: str, count: int) -> Field:
    return Field(name, 2, count)


def _version() -> Field:
    return _int("Version", 6)


# Most sections end with the MSPA fields. The IAB library's default for MspaCoveredTransaction is 1 (covered).
MSPA = (_int("MspaCoveredTransaction", default=1), _int("MspaOptOutOptionMode"), _int("MspaServiceProviderMode"))
# Sale and targeted advertising notices and opt-outs, as most state sections order them.
STATE_OPT_OUTS = (
    _int("SaleOptOutNotice"),
    _int("TargetedAdvertisingOptOutNotice"),
    _int("SaleOptOut"),
    _int("TargetedAdvertisingOptOut"),
)


def _state(notice: str, sensitive: int, child: int | None, additional: bool) -> tuple[Field, ...]:
    """The core of the sections that follow one pattern (CO, CT, MT, OR, TX, DE, NE, NH, NJ, TN, MN, FL, VA):
    Version, a notice, the sale and targeted advertising notices and opt-outs, SensitiveDataProcessing,
    KnownChildSensitiveDataConsents (an Int(2) where `child` is None), AdditionalDataProcessingConsent, MSPA."""
    name = "KnownChildSensitiveDataConsents"
    known_child = _int(name) if child is None else _list(name, child)
    extra = (_int("AdditionalDataProcessingConsent"),) if additional else ()
    return (
        _version(),
        _int(notice),
        *STATE_OPT_OUTS,
        _list("SensitiveDataProcessing", sensitive),
        known_child,
        *extra,
        *MSPA,
    )


def _usnat(sensitive: int, child: int) -> tuple[Field, ...]:
    return (
        _version(),
        _int("SharingNotice"),
        _int("SaleOptOutNotice"),
        _int("SharingOptOutNotice"),
        _int("TargetedAdvertisingOptOutNotice"),
        _int("SensitiveDataProcessingOptOutNotice"),
        _int("SensitiveDataLimitUseNotice"),
        _int("SaleOptOut"),
        _int("SharingOptOut"),
        _int("TargetedAdvertisingOptOut"),
        _list("SensitiveDataProcessing", sensitive),
        _list("KnownChildSensitiveDataConsents", child),
        _int("PersonalDataConsents"),
        *MSPA,
    )


# The later MSPA-versioned layout (MD, IN, KY, RI): MspaVersion, MSPA coverage and mode, then the notices.
def _mspa_versioned(*tail: Field) -> tuple[Field, ...]:
    return (
        _int("MspaVersion", 6),
        _int("MspaCoveredTransaction", default=1),
        _int("MspaMode"),
        _int("ProcessingNotice"),
        *STATE_OPT_OUTS,
        *tail,
    )


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(USNAT_ID, "usnat", 2, _usnat(16, 3), True, older=((1, _usnat(12, 2)),)),
    SectionSpec(
        8,
        "usca",
        1,
        (
            _version(),
            _int("SaleOptOutNotice"),
            _int("SharingOptOutNotice"),
            _int("SensitiveDataLimitUseNotice"),
            _int("SaleOptOut"),
            _int("SharingOptOut"),
            _list("SensitiveDataProcessing", 9),
            _list("KnownChildSensitiveDataConsents", 2),
            _int("PersonalDataConsents"),
            *MSPA,
        ),
        True,
    ),
    SectionSpec(9, "usva", 1, _state("SharingNotice", 8, None, False), False),
    SectionSpec(10, "usco", 1, _state("SharingNotice", 7, None, False), True),
    SectionSpec(
        11,
        "usut",
        1,
        (
            _version(),
            _int("SharingNotice"),
            _int("SaleOptOutNotice"),
            _int("TargetedAdvertisingOptOutNotice"),
            _int("SensitiveDataProcessingOptOutNotice"),
            _int("SaleOptOut"),
            _int("TargetedAdvertisingOptOut"),
            _list("SensitiveDataProcessing", 8),
            _int("KnownChildSensitiveDataConsents"),
            *MSPA,
        ),
        False,
    ),
    SectionSpec(12, "usct", 1, _state("SharingNotice", 8, 3, False), True),
    SectionSpec(13, "usfl", 1, _state("ProcessingNotice", 8, 3, True), False),
    SectionSpec(14, "usmt", 1, _state("SharingNotice", 8, 3, True), True),
    SectionSpec(15, "usor", 1, _state("ProcessingNotice", 11, 3, True), True),
    SectionSpec(16, "ustx", 1, _state("ProcessingNotice", 8, None, True), True),
    SectionSpec(17, "usde", 1, _state("ProcessingNotice", 9, 5, True), True),
    SectionSpec(
        18,
        "usia",
        1,
        (
            _version(),
            _int("ProcessingNotice"),
            _int("SaleOptOutNotice"),
            _int("TargetedAdvertisingOptOutNotice"),
            _int("SensitiveDataOptOutNotice"),
            _int("SaleOptOut"),
            _int("TargetedAdvertisingOptOut"),
            _list("SensitiveDataProcessing", 8),
            _int("KnownChildSensitiveDataConsents"),
            *MSPA,
        ),
        True,
    ),
    SectionSpec(19, "usne", 1, _state("ProcessingNotice", 8, None, True), True),
    SectionSpec(20, "usnh", 1, _state("ProcessingNotice", 8, 3, True), True),
    SectionSpec(21, "usnj", 1, _state("ProcessingNotice", 10, 5, True), True),
    SectionSpec(22, "ustn", 1, _state("ProcessingNotice", 8, None, True), True),
    SectionSpec(23, "usmn", 1, _state("ProcessingNotice", 8, None, True), True),
    SectionSpec(24, "usmd", 1, _mspa_versioned(_int("AdditionalDataProcessingConsent")), True),
    *(
        SectionSpec(
            section_id,
            prefix,
            1,
            _mspa_versioned(_int("KnownChildSensitiveDataConsents"), _int("AdditionalDataProcessingConsent")),
            False,
            optional_segment=(_list("SensitiveDataProcessing", 8),),
        )
        for section_id, prefix in ((25, "usin"), (26, "usky"), (27, "usri"))
    ),
)
BY_ID = {spec.id: spec for spec in SECTIONS}
BY_PREFIX = {spec.prefix: spec for spec in SECTIONS}
# The section of each US state (ISO 3166-2) that has one.
STATE_SECTIONS = {f"US-{spec.prefix[2:].upper()}": spec.prefix for spec in SECTIONS if spec.prefix != "usnat"}

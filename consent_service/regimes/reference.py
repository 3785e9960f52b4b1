"""The rules file rendered as Markdown (docs/rules-reference.md): every rule beside the source it cites.

Known sections get a short introduction and summary tables; every entry, known or not, is then
rendered from the data itself, so a section or key a later change adds still appears, with its
source. The output depends on the file alone: sets and maps of values sorted, entries in file order
(the order of some means something; a list entry's index is its name, e.g. `minors[0]`), no timestamps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The entries that must cite their own `source`, whatever any enclosing section cites ("*": any key,
# "#": any index). Any other object that sets something (a value other than a description or a name)
# is a rule too, and may rely on the source of the section that holds it (`gpc.outranked_by` on `gpc`).
OWN_SOURCE_POSITIONS = (
    ("regimes", "*"),
    ("regimes", "*", "purposes", "*"),
    ("gpc",),
    ("methods",),
    ("age_of_consent",),
    ("minors", "#"),
    ("policy",),
    ("policy", "minors", "#"),
    ("subdivisions", "entries", "*"),
    ("transfers", "*"),
)
PROSE_KEYS = ("source", "description", "name")
NO_SOURCE = "**⚠ NO SOURCE: this rule cites no statute, guidance or notice.**"

# Known top-level sections in reading order, with what they mean; any other section follows, by name.
SECTIONS = {
    "regimes": (
        "Regimes",
        "A country's regime decides whether a purpose needs consent before processing "
        "(`opt_in`) or runs until the person objects (`opt_out`). A purpose a regime does not list "
        "takes the purpose catalogue's default for that regime.",
    ),
    "gpc": (
        "Global Privacy Control precedence",
        "A GPC signal opts out of each regime's GPC purposes; only a "
        "later grant by an actor type and a method listed here outranks it.",
    ),
    "methods": (
        "Methods per category of purpose",
        "Which methods can record a decision on a purpose of each "
        "catalogue category; the methods in `only_from_flow` are written by the service's own flows "
        "only, never sent by a caller.",
    ),
    "age_of_consent": (
        "Ages of digital consent",
        "Below this age (per country of the check; "
        "`default_age_of_consent` elsewhere) only a guardian's grant allows a consent-based "
        "purpose.",
    ),
    "minors": (
        "Age rules of the law",
        "Each rule names its purposes (`*`: every consent-based purpose), the "
        "age it protects (`under`), where it holds (`countries`: codes or transfer regions; everywhere "
        "if absent) and what still allows (`allows`: `guardian` by default, `any_grant`, `nothing`).",
    ),
    "policy": ("Operator policy", ""),
    "subdivisions": ("Subdivisions (ISO 3166-2)", "The guide: [subdivisions.md](subdivisions.md)."),
    "privacy_requests": (
        "Privacy request deadlines",
        "How long the operator has to answer a person's request, counted from receipt, per law "
        "(`respond_within`), and by how much it may extend it once with a stated reason (`extension`; none "
        "if null); a region's law wins over its country's, `default` holds elsewhere. `promises` are the "
        "operator's notice's own deadlines (for every type, `respond_within`, or `by_type`), which bind where "
        "sooner than the law's. `verification` says which request types need the person's identity proven.",
    ),
    "transfers": (
        "Transfer regions",
        "Countries whose law restricts transfers out of them, and the "
        "destinations each region deems adequate, in the file's order.",
    ),
}
MAP_HEADERS = {"age_of_consent": ("Country", "Age")}
# Top-level values shown with the section they belong to, not as settings of their own.
SECTION_SETTINGS = {"default_regime": "regimes", "default_age_of_consent": "age_of_consent"}
LABELS = {
    "countries": "Countries",
    "consent_methods": "Methods that count as consent",
    "gpc_purposes": "Purposes a GPC signal opts out of",
    "default": "Default",
    "adequate": "Adequate destinations",
    "purposes": "Purposes",
    "under": "Under the age of",
    "allows": "What still allows",
    "actor_types": "Actor types",
    "methods": "Methods",
    "only_from_flow": "Only from the service's own flow",
    "operator_purposes": "Operator purposes",
    "by_category": "By category",
    "outranked_by": "Outranked by",
    "default_regime": "Regime of unlisted countries",
    "default_age_of_consent": "Age of digital consent where no country is listed",
    "inherits": "Inherits",
    "recording_all_parties": "Recording needs every party's consent",
    "respond_within": "Respond within",
    "extension": "Extension",
    "regions": "Regions",
    "due_soon_days": "Due soon within (days)",
}


@dataclass(frozen=True)
class Rule:
    """An entry of the rules file that decides answers, and where its source is cited (None: nowhere)."""

    path: str
    cited_at: str | None


def dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def rule_entries(document: dict) -> list[Rule]:
    """Every rule of a rules document, in file order, with where its source is cited."""
    rules: list[Rule] = []

    def walk(node: Any, path: tuple[str | int, ...], inherited: str | None) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, index), inherited)
            return
        if not isinstance(node, dict):
            return
        own = dotted(path) if _source(node) is not None else None
        if path and (_own_source_required(path) or own or _sets_something(node)):
            rules.append(Rule(dotted(path), own if _own_source_required(path) else own or inherited))
        for key, value in node.items():
            walk(value, (*path, key), own or inherited)

    walk(document, (), None)
    return rules


def unsourced(document: dict) -> list[str]:
    """The paths of the rules that cite no source."""
    return [rule.path for rule in rule_entries(document) if rule.cited_at is None]


def render(document: dict, *, rules_name: str) -> str:
    """The Markdown reference of a rules document read from `rules_name` (shown, not opened)."""
    rules = {rule.path: rule for rule in rule_entries(document)}
    out = _Writer()
    out.para("# Rules reference")
    out.para(
        f"Generated by `flask rules docs` from `{rules_name}` (rules version "
        f"`{document.get('version', '')}`). Do not edit it by hand: change the rules file and run the "
        "command again (`tests/regimes/test_rules_docs.py` fails when this page is stale)."
    )
    out.para(
        "Every rule shows the `source` it cites (statute, regulator guidance, or the notice's promise). "
        "Headings are the rules file's paths: an answer's `rule` names one of them or a key under it. "
        "Lists of codes are sets and shown sorted; entries keep the file's order (a list entry's index is "
        "its name)."
    )
    missing = [path for path, rule in rules.items() if rule.cited_at is None]
    if missing:
        out.para(f"{NO_SOURCE} {len(missing)} of {len(rules)} rules: " + ", ".join(f"`{p}`" for p in missing) + ".")
    else:
        out.para(f"All {len(rules)} rules cite a source.")
    settings = {
        key: value
        for key, value in document.items()
        if key != "version" and key not in SECTION_SETTINGS and not _is_nested(value)
    }
    if settings:
        out.line("## Settings")
        out.blank()
        for key in sorted(settings):
            out.line(_setting_line(key, settings[key]))
        out.blank()
    sections = [key for key in SECTIONS if key in document]
    sections += sorted(key for key in document if key not in SECTIONS and _is_nested(document[key]))
    for key in sections:
        title, intro = SECTIONS.get(key, (f"`{key}`", ""))
        out.line(f"## {title}")
        out.blank()
        if intro:
            out.para(intro)
        for setting, section in SECTION_SETTINGS.items():
            if section == key and setting in document:
                out.para(_setting_line(setting, document[setting]).removeprefix("- "))
        _entry(out, (key,), document[key], rules, level=3, summary=SUMMARIES.get(key))
    return out.text()


def _entry(
    out: _Writer,
    path: tuple[str | int, ...],
    node: Any,
    rules: dict[str, Rule],
    level: int,
    summary: Callable[[_Writer, dict], None] | None = None,
) -> None:
    """One object or list of the file: its prose and source, its settings, then its nested entries one
    level down (in file order: the order of some, such as transfer regions, means something)."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            _entry(out, (*path, index), item, rules, level)
        return
    if not isinstance(node, dict):
        return
    name = node.get("name")
    container = all(_is_nested(value) for value in node.values()) and dotted(path) not in rules
    if len(path) > 1 and not container:
        out.line(f"{'#' * min(level, 6)} `{dotted(path)}`" + (f": {name}" if isinstance(name, str) else ""))
        out.blank()
    if isinstance(node.get("description"), str):
        out.para(node["description"])
    rule = rules.get(dotted(path))
    source = _source(node)
    if source is not None:
        out.para(f"Source: {source}")
    elif rule is not None and rule.cited_at is None:
        out.para(NO_SOURCE)
    elif rule is not None and rule.cited_at != dotted(path):
        out.para(f"Source: as `{rule.cited_at}`.")
    if summary is not None:
        summary(out, node)
    flat = sorted(key for key, value in node.items() if key not in PROSE_KEYS and not _is_nested(value))
    if flat and all(not isinstance(node[key], list) for key in flat) and len(flat) > 6:
        _map_table(out, {key: node[key] for key in flat}, MAP_HEADERS.get(dotted(path), ("Key", "Value")))
    else:
        for key in flat:
            out.line(_setting_line(key, node[key]))
        if flat:
            out.blank()
    deeper = level + (1 if len(path) > 1 and not container else 0)
    for key in (key for key, value in node.items() if key not in PROSE_KEYS and _is_nested(value)):
        _entry(out, (*path, key), node[key], rules, deeper)


def _regimes_summary(out: _Writer, regimes: dict) -> None:
    """Per purpose, each regime's default, beside the regimes' countries."""
    names = sorted(key for key, body in regimes.items() if isinstance(body, dict))
    out.line("| Regime | Countries |")
    out.line("| --- | --- |")
    for name in names:
        countries = regimes[name].get("countries")
        listed = ", ".join(sorted(map(str, countries))) if isinstance(countries, list) else ""
        out.line(f"| `{name}` | {listed} |")
    out.blank()
    purposes = sorted(
        {
            purpose
            for name in names
            for purpose, rule in _obj(regimes[name].get("purposes")).items()
            if isinstance(rule, dict)
        }
    )
    if not purposes:
        return
    out.para(
        "Per-purpose rules (a blank default: the catalogue's default for the regime; methods: the "
        "regime's `consent_methods`):"
    )
    out.line("| Purpose | " + " | ".join(f"`{name}`" for name in names) + " |")
    out.line("| --- |" + " --- |" * len(names))
    for purpose in purposes:
        cells = []
        for name in names:
            rule = _obj(_obj(regimes[name].get("purposes")).get(purpose))
            cell = [f"default {rule['default']}"] if "default" in rule else []
            if isinstance(rule.get("consent_methods"), list):
                cell.append("methods " + ", ".join(sorted(map(str, rule["consent_methods"]))))
            cells.append("; ".join(cell))
        out.line(f"| `{purpose}` | " + " | ".join(cells) + " |")
    out.blank()


def _methods_summary(out: _Writer, methods: dict) -> None:
    """Which method can decide which category of purpose, as a grid."""
    by_category = {key: value for key, value in _obj(methods.get("by_category")).items() if isinstance(value, list)}
    only_from_flow = methods.get("only_from_flow")
    flow = only_from_flow if isinstance(only_from_flow, list) else []
    categories = sorted(by_category)
    every = sorted({str(method) for listed in by_category.values() for method in listed} | set(map(str, flow)))
    if not every:
        return
    out.line("| Method | " + " | ".join(categories) + " | only from the service's flow |")
    out.line("| --- |" + " --- |" * (len(categories) + 1))
    for method in every:
        marks = ["yes" if method in by_category[category] else "" for category in categories]
        out.line(f"| `{method}` | " + " | ".join(marks) + f" | {'yes' if method in flow else ''} |")
    out.blank()


def _subdivisions_summary(out: _Writer, subdivisions: dict) -> None:
    """Per entry what it inherits and what it changes most often: GPC purposes and all-party recording."""
    entries = {code: entry for code, entry in _obj(subdivisions.get("entries")).items() if isinstance(entry, dict)}
    if not entries:
        return
    out.para("A blank cell: inherited unchanged.")
    out.line("| Code | Name | Inherits | GPC purposes | Recording needs every party | Other changes |")
    out.line("| --- | --- | --- | --- | --- | --- |")
    for code, entry in entries.items():
        gpc = _value(entry["gpc_purposes"]) if isinstance(entry.get("gpc_purposes"), list) else ""
        recording = _value(entry["recording_all_parties"]) if "recording_all_parties" in entry else ""
        other = ", ".join(f"`{key}`" for key in entry if key in ("consent_methods", "purposes"))
        out.line(
            f"| `{code}` | {_value(entry.get('name', ''))} | {_value(entry.get('inherits', code[:2]))} | {gpc} "
            f"| {recording} | {other} |"
        )
    out.blank()


SUMMARIES = {"regimes": _regimes_summary, "methods": _methods_summary, "subdivisions": _subdivisions_summary}


def _map_table(out: _Writer, mapping: dict, headers: tuple[str, str]) -> None:
    out.line(f"| {headers[0]} | {headers[1]} |")
    out.line("| --- | --- |")
    for key in sorted(key for key in mapping if key not in PROSE_KEYS):
        out.line(f"| `{key}` | {_value(mapping[key])} |")
    out.blank()


def _setting_line(key: str, value: Any) -> str:
    label = LABELS.get(key)
    count = f", {len(value)}" if isinstance(value, list) and len(value) > 3 else ""
    return f"- {label} (`{key}`{count}): {_value(value)}" if label else f"- `{key}`{count}: {_value(value)}"


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(sorted(_value(item) for item in value)) if value else "none"
    if isinstance(value, bool) or value is None:
        return f"`{str(value).lower() if value is not None else 'null'}`"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_value(value[key])}" for key in sorted(value))
    return str(value).replace("|", "\\|").replace("\n", " ")


def _source(node: dict) -> str | None:
    source = node.get("source")
    return source.strip() if isinstance(source, str) and source.strip() else None


def _own_source_required(path: tuple[str | int, ...]) -> bool:
    return any(
        len(pattern) == len(path)
        and all(
            want == part or (want == "*" and isinstance(part, str)) or (want == "#" and isinstance(part, int))
            for want, part in zip(pattern, path, strict=True)
        )
        for pattern in OWN_SOURCE_POSITIONS
    )


def _sets_something(node: dict) -> bool:
    return any(key not in PROSE_KEYS and not _is_nested(value) for key, value in node.items())


def _is_nested(value: Any) -> bool:
    """Whether a value holds entries of its own (an object, or a list with one) rather than a setting."""
    return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(i, (dict, list)) for i in value))


def _obj(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text)

    def blank(self) -> None:
        self.lines.append("")

    def para(self, text: str) -> None:
        self.lines.extend((text, ""))

    def text(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"

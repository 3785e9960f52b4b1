"""Convert the Open Cookie Database's CSV into the compact JSON the scanner ships (run by hand, output committed).

Source: https://github.com/jkwakman/Open-Cookie-Database, file `open-cookie-database.csv` at commit
0ee5a17fe1cb002943f89370d24fc26a4226061c (2026-01-21). Licence: Apache-2.0, copied beside the output as
`LICENSE-open-cookie-database`; the repository's NOTICE names the database and says the data was converted.

To update: download the CSV of a newer commit, run

    python consent_service/scanner/data/convert_open_cookie_database.py open-cookie-database.csv --commit <sha>

review the diff of `open-cookie-database.json`, and update the commit above and in NOTICE.

What the conversion does:
- categories become our purposes: Functional, Security and Necessary -> necessary (the database's README
  defines Functional as "technical, essential or strictly necessary"; nine rows say Necessary outright),
  Personalization -> preferences, Analytics -> analytics, Marketing -> advertising. A row of any other
  category is skipped and listed on stderr, as is a row without a name.
- a name ending in `*` or holding a placeholder such as `%INTEGER%` becomes a wildcard (prefix) up to it;
  invisible characters (zero-width space, soft hyphen) and surrounding whitespace are dropped.
- the domain loses notes such as "(3rd party)", leading and trailing dots and "www."; "a.com or b.com"
  gives one entry per domain; a label holding a placeholder ("ads-[account].adhese.com") is dropped with
  the labels before it; a value with no dot left is no domain (""): it cannot be matched on labels.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

SOURCE = "https://github.com/jkwakman/Open-Cookie-Database"
OUTPUT = Path(__file__).with_name("open-cookie-database.json")
FIELDS = ("name", "wildcard", "domain", "purpose", "platform", "retention", "description")
PURPOSES = {
    "Functional": "necessary",
    "Security": "necessary",
    "Necessary": "necessary",
    "Personalization": "preferences",
    "Analytics": "analytics",
    "Marketing": "advertising",
}
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
PLACEHOLDER = re.compile(r"%[A-Za-z_]+%|\*")
DOMAIN_LABEL = re.compile(r"[a-z0-9-]+")


def clean(text: str) -> str:
    return " ".join(text.translate(INVISIBLE).split())


def name_of(raw: str, wildcard: bool) -> tuple[str, bool]:
    """The cookie name, and whether it is a prefix: a `*` or `%PLACEHOLDER%` cuts the name there."""
    name = clean(raw)
    placeholder = PLACEHOLDER.search(name)
    if placeholder:
        return name[: placeholder.start()], True
    return name, wildcard


def domains_of(raw: str) -> list[str]:
    """The domains a row names, normalized; [""] when it names none."""
    domains = []
    for part in clean(raw.lower().replace("(3rd party)", " ")).split():
        if part == "or":
            continue
        labels = part.strip(".").split(".")
        # A placeholder label stands for any subdomain: keep what follows it.
        while labels and not all(DOMAIN_LABEL.fullmatch(label) for label in labels):
            labels = labels[1:]
        if labels[:1] == ["www"]:
            labels = labels[1:]
        if len(labels) >= 2 and ".".join(labels) not in domains:
            domains.append(".".join(labels))
    return domains or [""]


def convert(rows: list[dict[str, str]]) -> tuple[list[list[str | bool]], list[str]]:
    """The entries, sorted and without duplicates, and a line per skipped row."""
    entries: dict[tuple[str | bool, ...], list[str | bool]] = {}
    skipped = []
    for row in rows:
        name, wildcard = name_of(row["Cookie / Data Key name"], row["Wildcard match"].strip() == "1")
        purpose = PURPOSES.get(row["Category"].strip())
        if purpose is None or not name:
            skipped.append(f"{row['ID']}: category {row['Category']!r}, name {row['Cookie / Data Key name']!r}")
            continue
        for domain in domains_of(row["Domain"]):
            entry: list[str | bool] = [
                name,
                wildcard,
                domain,
                purpose,
                clean(row["Platform"]),
                clean(row["Retention period"]),
                clean(row["Description"]),
            ]
            entries.setdefault((name, wildcard, domain, purpose), entry)
    return sorted(entries.values(), key=lambda entry: tuple(str(value) for value in entry)), skipped


def dump(entries: list[list[str | bool]], commit: str) -> str:
    """JSON with one entry per line, so an update reviews as a readable diff."""
    head = {"source": SOURCE, "commit": commit, "license": "Apache-2.0", "fields": list(FIELDS)}
    lines = [json.dumps(entry, ensure_ascii=False) for entry in entries]
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "entries": [\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path, help="open-cookie-database.csv of the commit given")
    parser.add_argument("--commit", required=True, help="the Open Cookie Database commit the CSV comes from")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    arguments = parser.parse_args()
    with arguments.csv.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    entries, skipped = convert(rows)
    arguments.output.write_text(dump(entries, arguments.commit), encoding="utf-8")
    for line in skipped:
        print("skipped", line, file=sys.stderr)
    print(f"{len(rows)} rows -> {len(entries)} entries, {len(skipped)} skipped: {arguments.output}", file=sys.stderr)


if __name__ == "__main__":
    main()

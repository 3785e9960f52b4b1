"""The synthetic vendor lists of tests/frameworks/data, read or changed for a test."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
GVL_41, GVL_42 = DATA / "gvl-v3-41.json", DATA / "gvl-v3-42.json"
TRANSLATIONS = {"de": DATA / "purposes-de.json", "fr": DATA / "purposes-fr.json"}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path

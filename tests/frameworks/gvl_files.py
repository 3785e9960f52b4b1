"""The synthetic vendor lists of tests/frameworks/data, read or changed for a test; built framework files."""
from __future__ import annotations

import base64
import hashlib
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


def built(directory: Path, name: str, code: bytes) -> dict[str, object]:
    """One framework file as js-snippet's build writes it, and its manifest entry."""
    file = f"{name}.{hashlib.sha256(code).hexdigest()[:10]}.js"
    (directory / file).write_bytes(code)
    return {"file": file, "integrity": "sha384-" + base64.b64encode(hashlib.sha384(code).digest()).decode(),
            "bytes": len(code), "gzip_bytes": len(code)}

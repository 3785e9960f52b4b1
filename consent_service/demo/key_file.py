"""The demo key's plain text, kept beside the development secrets so `make run` shows the same key every time.

Only outside production, and only for the demo key: the database still stores the key's hash alone, like
every other key. The file sits in the instance folder with dev-secrets.json, whose SECRET_KEY and key
encryption key are worth more than a demo key, under the same owner-only permissions (0600); whoever can
read one can read the other. Production keys are shown once and kept nowhere (`flask keys create`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEMO_KEY_FILE = "demo-key"


@dataclass(frozen=True)
class DemoKeyFile:
    path: Path

    @classmethod
    def in_instance(cls, instance_path: str) -> DemoKeyFile:
        return cls(Path(instance_path) / DEMO_KEY_FILE)

    def read(self) -> str | None:
        """The stored key, or None when there is none yet."""
        try:
            return self.path.read_text().strip() or None
        except FileNotFoundError:
            return None

    def write(self, plain: str) -> None:
        """Replace the stored key; the file is created owner-only, never readable by others even briefly."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # a file that existed keeps its old mode through O_CREAT
        with os.fdopen(descriptor, "w") as stream:
            stream.write(plain + "\n")

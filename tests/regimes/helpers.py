"""What the rules-and-answers tests share: a rules file changed from the shipped one, and a consent write."""
from __future__ import annotations

import json

from consent_service.regimes.service import DEFAULT_RULES_PATH


def rules_with(tmp_path, change) -> str:
    """The path of a copy of the shipped rules file after `change(rules)` edited it."""
    rules = json.loads(DEFAULT_RULES_PATH.read_text())
    change(rules)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    return str(path)


def post_events(client, headers, clock, body: dict) -> None:
    """One consent-events request a minute after the last; `subject` (default c-1) and the `error` code
    it must be refused with (422) ride in the body."""
    clock.advance(minutes=1)
    subject = body.pop("subject", "c-1")
    error = body.pop("error", None)
    body.setdefault("notice_version", "2026-01-01")
    response = client.post(f"/v1/subjects/customer/{subject}/consent-events", json=body, headers=headers)
    if error is None:
        assert response.status_code == 201, response.json
    else:
        assert response.status_code == 422, response.json
        assert response.json["code"] == error

"""NUL characters are refused with the same 422 on both databases (PostgreSQL text cannot store them)."""
from __future__ import annotations


def test_nul_in_query_path_and_body_is_a_422(client, auth):
    headers = auth("admin", "consents:write")
    cases = [
        client.get("/v1/notices", query_string={"property": "\x00"}, headers=headers),
        client.get("/v1/subjects/customer/a%00b/consents", headers=headers),
        client.post("/v1/subjects/customer/c-1/consent-events", headers=headers, json={
            "events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v\x001"}),
        client.post("/v1/purposes", headers=headers, json={"key\x00": "x"}),
    ]
    for response in cases:
        assert response.status_code == 422, response.json
        assert response.json["code"] == "validation_error"

"""Every error answers in one JSON shape: status, code, message, field errors."""
from __future__ import annotations


def test_not_found_and_method_not_allowed_are_json(client):
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json["code"] == "not_found" and missing.json["status"] == 404
    wrong_method = client.delete("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json["code"] == "method_not_allowed"
    # RFC 9110: a 405 names the methods the resource takes.
    assert set(wrong_method.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert wrong_method.content_type == "application/json"


def test_bodies_over_64_kib_are_refused(client, auth):
    big = '{"purposes": ["' + "a" * 70_000 + '"]}'
    response = client.post(
        "/v1/checks", data=big, headers=auth("consents:read") | {"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json["code"] == "payload_too_large"


def test_malformed_json_is_a_clear_400(client, auth):
    response = client.post(
        "/v1/checks", data="{not json", headers=auth("consents:read") | {"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["message"] == "The request body is not valid JSON."


def test_unexpected_failures_are_a_json_500_without_details(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json == {"status": 500, "code": "internal_error", "message": "An unexpected error occurred."}
    assert b"secret internals" not in response.data

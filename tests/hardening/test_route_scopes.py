"""Every route of the app is either public by design or refuses keys without its one scope."""
from __future__ import annotations

import pytest

from consent_service.vocabulary import Scope

# Reached without a secret key on purpose: probes, docs, keys to verify tokens, the banner (publishable
# key + CORS), its script, framework files and demo, and the pages behind signed links (the signature is the credential).
PUBLIC_BY_DESIGN = {
    "static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "docs_assets.static",
    "ops.healthz", "ops.readyz", "metrics.metrics", "tokens.jwks", "site.consent_js", "site.consent_js_versioned",
    "site.snippet_integrity", "site.consent_frameworks_js", "site.consent_frameworks_js_versioned",
    "site.frameworks_snippet_integrity", "site.demo", "site.demo_analytics", "site.demo_embed", "site.gpc_support",
    "framework_files.framework_file",
    "banner.config", "banner.choose", "banner.verify", "banner.declaration",
    "preference_pages.PreferencePage", "preference_pages.OneClickUnsubscribe",
    "preference_pages.DoubleOptInConfirmation",
    "privacy_request_pages.RequestForm", "privacy_request_pages.VerifyPage", "privacy_request_pages.StatusPage",
    "privacy_request_pages.ExportDownload", "privacy_request_pages.ReceiptDownload",
}
# The admin console authenticates with a session cookie (an admin key exchanged at its sign-in page), not a
# bearer key: without a session its pages redirect to sign-in and its forms are refused (tests/console too).
SESSION_AUTHENTICATED_CONSOLE = "console."
CONSOLE_SIGN_IN = "console.sign_in"
ARGUMENTS = {"kind": "customer", "subject_id": "c-1", "property_id": "p-1", "webhook_id": "w-1",
             "signed": "x.y.z", "filename": "x", "event_id": "1", "version": "1"}


def every_operation(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def url_for(rule, prop) -> str:
    values = {name: ARGUMENTS.get(name, "x") for name in rule.arguments}
    if "property_key" in values:
        values["property_key"] = prop.publishable_key
    return rule.build(values, append_unknown=False)[1]


def test_every_route_is_public_by_design_or_scope_checked(app_with, make_key, prop):
    # The walk fails authentication on purpose far more often than the per-IP limit allows.
    app = app_with(auth_failure_rate_limit="10000/minute")
    client = app.test_client()
    keys = {scope: make_key(scope.value) for scope in Scope}
    checked = 0
    for rule, method in every_operation(app):
        url = url_for(rule, prop)
        anonymous = client.open(url, method=method)
        anonymous.close()  # file responses (the script) hold their file open until closed
        if rule.endpoint.startswith(SESSION_AUTHENTICATED_CONSOLE):
            continue  # checked by test_every_console_route_refuses_without_a_session
        if rule.endpoint in PUBLIC_BY_DESIGN:
            # A public form sent without its page's token is refused as forged (CSRF), not for want of a key.
            forged_form = anonymous.status_code == 403 and b"form_rejected" in anonymous.data
            assert anonymous.status_code not in (401, 403) or forged_form, (method, url)
            continue
        assert anonymous.status_code == 401, (method, url, anonymous.status_code)
        assert anonymous.json["code"] == "unauthorized"
        answers = {scope: client.open(url, method=method, headers={"Authorization": f"Bearer {key}"}).status_code
                   for scope, key in keys.items()}
        refused = [scope for scope, status in answers.items() if status == 403]
        # Exactly one scope opens each operation; every other key is refused before any work is done.
        assert len(refused) == len(Scope) - 1, (method, url, answers)
        checked += 1
    assert checked >= 20


def test_every_console_route_refuses_without_a_session(app_with, make_key, prop):
    app = app_with(auth_failure_rate_limit="10000/minute")
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {make_key(Scope.ADMIN.value)}"}
    checked = 0
    for rule, method in every_operation(app):
        if not rule.endpoint.startswith(SESSION_AUTHENTICATED_CONSOLE):
            continue
        url = url_for(rule, prop)
        for headers in ({}, bearer):
            answer = client.open(url, method=method, headers=headers)
            if rule.endpoint == CONSOLE_SIGN_IN:
                assert answer.status_code == (200 if method == "GET" else 403), (method, url)  # a POST needs the form's token
            elif method == "GET":
                assert answer.status_code == 302 and answer.location.startswith("/admin/sign-in?"), (method, url)
            else:
                assert answer.status_code == 403, (method, url)
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize("parameter", ["api_key", "access_token", "key", "anything"])
def test_a_key_in_the_query_string_is_refused(client, make_key, parameter):
    key = make_key("consents:read")
    response = client.get("/v1/subjects/customer/c-1/consents", query_string={parameter: key},
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400
    assert response.json["code"] == "key_in_query"
    assert key not in response.get_data(as_text=True)

"""Flask's session opens as Flask opens it: empty without a cookie or with a forged one, its data with a signed one."""
from __future__ import annotations

from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from consent_service.cookie_session import CookieSessionInterface


def test_the_app_uses_the_cookie_session(app):
    assert isinstance(app.session_interface, CookieSessionInterface)


def test_sessions_open_as_flasks_own(app):
    flasks = SecureCookieSessionInterface()
    signed = flasks.get_signing_serializer(app).dumps({"seen": 3})
    name = flasks.get_cookie_name(app)
    for cookie, expected in ((None, {}), (signed, {"seen": 3}), ("forged." + signed, {}), ("", {})):
        headers = {"Cookie": f"{name}={cookie}"} if cookie is not None else {}
        with app.test_request_context("/healthz", headers=headers) as context:
            ours = app.session_interface.open_session(app, context.request)
            theirs = flasks.open_session(app, context.request)
        assert isinstance(ours, SecureCookieSession)
        assert dict(ours) == dict(theirs) == expected
        assert not ours.modified

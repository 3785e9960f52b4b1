"""Flask's signed-cookie session, without building its signer for requests that carry no session cookie."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's own session, opened the same way; only the signer Flask builds for every request (no
    view of ours uses the session: the console signs its own cookie) waits for a cookie to read."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

"""A property to show the banner for, on an app that trusts a CDN's country header."""
from __future__ import annotations

import pytest

from consent_service import create_app
from consent_service.extensions import db
from consent_service.properties import service as properties
from tests.conftest import settings_for

ORIGIN = "https://shop.example"
COUNTRY_HEADER = "CF-IPCountry"


@pytest.fixture
def app(database_url, clock):
    app = create_app(settings_for(database_url, country_header=COUNTRY_HEADER))
    app.config["CLOCK"] = clock
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def prop(app, clock):
    created = properties.create_property(
        session=db.session,
        name="Shop",
        allowed_origins=[ORIGIN],
        notice_version="2026-01-01",
        notice_url="https://shop.example/privacy",
        now=clock(),
    )
    db.session.commit()
    return created


@pytest.fixture
def banner(client, prop):
    """banner(lang=..., country=..., cdn_country=...) -> the config JSON, fetched as the shop's page would
    (cdn_country: what the CDN's header says)."""

    def fetch(cdn_country=None, **query):
        headers = {"Origin": ORIGIN} | ({COUNTRY_HEADER: cdn_country} if cdn_country else {})
        response = client.get(f"/v1/banner/{prop.publishable_key}", query_string=query, headers=headers)
        assert response.status_code == 200, response.json
        return response.json

    return fetch


@pytest.fixture
def choose(client, prop, banner):
    """choose(choices, method=..., **extra) -> the POST response, on a freshly fetched banner."""

    def post(choices, method="banner_custom", headers=None, config=None, **extra):
        config = config or banner()
        body = {
            "choices": choices,
            "method": method,
            "notice_version": config["notice"]["version"],
            "banner_version": config["banner_version"],
            **extra,
        }
        return client.post(
            f"/v1/banner/{prop.publishable_key}/consents",
            json=body,
            headers={"Origin": ORIGIN, "User-Agent": "Mozilla/5.0 Chrome/131.0 Safari/537.36", **(headers or {})},
            environ_base={"REMOTE_ADDR": "198.51.100.23"},
        )

    return post

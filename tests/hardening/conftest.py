"""A property for the hardening tests, made through the service as an operator would."""
from __future__ import annotations

import pytest

from consent_service.extensions import db
from consent_service.properties import service as properties

ORIGIN = "https://shop.example"


def make_property(clock, name: str = "Shop"):
    created = properties.create_property(
        session=db.session,
        name=name,
        allowed_origins=[ORIGIN],
        notice_version="2026-01-01",
        notice_url="https://shop.example/privacy",
        now=clock(),
    )
    db.session.commit()
    return created


@pytest.fixture
def prop(app, clock):
    return make_property(clock)

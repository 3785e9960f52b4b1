"""The property page's frameworks form: enable frameworks, pick vendors of the current Global Vendor List, see the
tag with data-frameworks; a refused form changes nothing, a saved one is audited."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from consent_service.audit.models import AuditEntry
from consent_service.extensions import db
from consent_service.properties.models import Property
from tests.frameworks.gvl_files import GVL_42, TRANSLATIONS, built

VENDOR_BOX = re.compile(r'<input type="checkbox" id="vendor-(\d+)" name="tcf_vendors" value="\d+"( checked)?>')
FRAMEWORK_BOX = re.compile(r'<input type="checkbox" id="framework-(\w+)" name="frameworks" value="\w+"( checked)?>')


@pytest.fixture
def stored_gvl(app):
    args = ["tcf", "gvl", "update", "--from", str(GVL_42), "--translation", f"de={TRANSLATIONS['de']}"]
    assert app.test_cli_runner().invoke(args=args).exit_code == 0


def _stored(prop) -> Property:
    db.session.expire_all()
    return db.session.get(Property, prop.id)


def _actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _post(console, prop, frameworks=(), vendors=()):
    return console.post(f"/admin/properties/{prop.id}/frameworks", data={
        "csrf_token": console.csrf, "language": "en", "frameworks": list(frameworks), "tcf_vendors": list(vendors)})


def test_the_page_offers_the_lists_vendors_and_the_tag(console, prop, stored_gvl):
    html = console.get(f"/admin/properties/{prop.id}").get_data(as_text=True)
    assert "Global Vendor List 42" in html
    assert [v for v, _ in VENDOR_BOX.findall(html)] == ["1", "2", "4", "7", "12"]  # 9 is deleted
    assert "Example Video Platform (12)" in html
    assert [f for f, checked in FRAMEWORK_BOX.findall(html)] == ["gpp", "tcf", "microsoft_uet", "clarity"]
    tag = re.search(r'<code data-field="tag">(.*?)</code>', html).group(1)
    assert tag == (f'&lt;script src=&#34;http://consent.test/consent.js&#34; data-property=&#34;{prop.publishable_key}'
                   '&#34; async&gt;&lt;/script&gt;')


def test_saving_frameworks_and_vendors_is_audited_and_shows_the_tag(console, prop, stored_gvl):
    page = _post(console, prop, frameworks=["tcf", "gpp"], vendors=["12", "2"])
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert "Frameworks saved." in html
    # The variant with the stubs, without async: the stubs must be there before any later tag runs.
    assert (f'&lt;script src=&#34;http://consent.test/consent-frameworks.js&#34; data-property=&#34;'
            f'{prop.publishable_key}&#34; data-frameworks=&#34;gpp tcf&#34;&gt;&lt;/script&gt;') in html
    assert {v for v, checked in VENDOR_BOX.findall(html) if checked} == {"2", "12"}
    assert {f for f, checked in FRAMEWORK_BOX.findall(html) if checked} == {"gpp", "tcf"}
    stored = _stored(prop)
    assert (stored.frameworks, stored.tcf_vendors) == (["gpp", "tcf"], [2, 12])
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.target) == ("property_frameworks_updated", prop.id)
    assert entry.details == {"frameworks": ["gpp", "tcf"], "tcf_vendors": [2, 12]}
    cleared = _post(console, prop)
    cleared_html = cleared.get_data(as_text=True)
    assert cleared.status_code == 200 and "data-frameworks" not in cleared_html
    assert "/consent.js&#34;" in cleared_html and "consent-frameworks.js&#34;" not in cleared_html
    assert (_stored(prop).frameworks, _stored(prop).tcf_vendors) == ([], [])


@pytest.mark.parametrize(
    ("frameworks", "vendors", "shown"),
    [
        (["tcf"], ["9"], "(or deleted from it): 9."),
        (["tcf"], ["abc"], "Not a valid integer."),
        (["amp"], [], "Must be one of"),
        (["gpp", "gpp"], [], "Name each framework once."),
    ],
)
def test_a_bad_frameworks_form_changes_nothing(console, prop, stored_gvl, frameworks, vendors, shown):
    page = _post(console, prop, frameworks=frameworks, vendors=vendors)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert shown in html and "Frameworks saved." not in html
    stored = _stored(prop)
    assert (stored.frameworks, stored.tcf_vendors) == ([], [])
    assert _actions() == ["sign_in"]


def test_without_a_vendor_list_tcf_is_refused_and_the_page_says_how_to_store_one(console, prop):
    html = console.get(f"/admin/properties/{prop.id}").get_data(as_text=True)
    assert "flask tcf gvl update --from URL_OR_FILE" in html and not VENDOR_BOX.findall(html)
    refused = _post(console, prop, frameworks=["tcf"])
    assert refused.status_code == 422 and "No Global Vendor List is stored yet" in refused.get_data(as_text=True)
    assert _stored(prop).frameworks == [] and _actions() == ["sign_in"]
    assert _post(console, prop, frameworks=["microsoft_uet", "clarity"]).status_code == 200


def test_the_form_needs_the_sessions_csrf_token(console, prop, stored_gvl):
    refused = console.post(f"/admin/properties/{prop.id}/frameworks", data={"frameworks": ["gpp"]})
    assert refused.status_code in (400, 403)
    assert _stored(prop).frameworks == [] and _actions() == ["sign_in"]


def test_the_preview_carries_the_frameworks_block(console, prop, stored_gvl, app, tmp_path):
    app.config["FRAMEWORKS_DIRECTORY"] = tmp_path
    (tmp_path / "manifest.json").write_text(json.dumps({"tcf": built(tmp_path, "tcf", b"/* tcf */")}))
    _post(console, prop, frameworks=["clarity", "tcf", "gpp"], vendors=["4"])
    page = console.get(f"/admin/properties/{prop.id}/preview", query_string={"language": "de"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="cs-preview-config">(.*?)</script>', html,
                                  re.S).group(1))
    assert set(config["frameworks"]) == {"clarity", "tcf"}  # gpp is not built in this directory
    tcf = config["frameworks"]["tcf"]
    assert tcf["language"] == "de" and set(tcf["gvl"]["vendors"]) == {"4"}
    # consent.js would not load the framework files the config names.
    assert '<script src="/consent-frameworks.js" data-preview="cs-preview-config"' in html

"""One loader reads the localized text files of the banner and of the preference pages; every language has
every English text, and the language is chosen the same way for both."""
from __future__ import annotations

import pytest

from consent_service import localized_texts
from consent_service.texts import banner as banner_texts
from consent_service.preferences import texts as page_texts
from consent_service.privacy_requests import texts as privacy_request_texts


def keys(value: object, prefix: str = "") -> set[str]:
    if not isinstance(value, dict):
        return {prefix}
    return set().union(*(keys(child, f"{prefix}.{name}") for name, child in value.items()))


@pytest.mark.parametrize(
    "texts", [banner_texts, page_texts, privacy_request_texts], ids=["banner", "preference pages", "privacy requests"]
)
def test_every_language_has_every_english_text(texts):
    files = localized_texts.load(texts.TEXTS_DIR)
    assert set(files) == {"en", "de", "fr"} and files is texts.builtin()
    for language, content in files.items():
        assert keys(content) == keys(files["en"]), language


def test_the_language_is_the_requested_one_else_the_browsers_else_the_default():
    available = {"en", "de", "fr"}
    choose = localized_texts.choose_language
    assert choose(requested="fr-CA", accepted=["de"], available=available, default="en") == "fr"
    assert choose(requested="it", accepted=["it-IT", "de_AT"], available=available, default="en") == "de"
    assert choose(requested=None, accepted=[], available=available, default="it") == "en"
    assert page_texts.choose_language(requested=None, accepted=["fr"]) == "fr"

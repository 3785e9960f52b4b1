"""The recorder turns the browser's reports (DevTools events, the cookie jar, frame reads) into the observation."""
from __future__ import annotations

from consent_service.scanner.observations import Observation, Party, State, StorageArea
from consent_service.scanner.recording import StateRecorder, bare_url, cookie_names, initiator_of

PAGE = "https://shop.example.com/cart?id=7"


def sent(request_id, url, **params):
    return {"requestId": request_id, "request": {"url": url}, "documentURL": PAGE, **params}


def jar_cookie(name, domain, **extra):
    return {"name": name, "domain": domain, "path": "/", "expires": -1, "secure": False, "httpOnly": False, **extra}


def test_the_url_loses_its_query_and_fragment():
    assert bare_url("https://t.test/p.gif?uid=42&email=a@b#x") == "https://t.test/p.gif"


def test_cookie_names_from_set_cookie_headers():
    assert cookie_names(["a=1; Path=/", "b=2; HttpOnly\nc=3", "no-equals-sign", "=empty"]) == ["a", "b", "c"]


def test_the_initiator_is_the_url_then_the_stack_then_the_document():
    assert initiator_of({"initiator": {"type": "parser", "url": "https://shop.example.com/"}}) == "https://shop.example.com/"
    stack = {"callFrames": [{"url": ""}], "parent": {"callFrames": [{"url": "https://t.test/tag.js"}]}}
    assert initiator_of({"initiator": {"type": "script", "stack": stack}}) == "https://t.test/tag.js"
    assert initiator_of({"initiator": {"type": "other"}, "documentURL": PAGE}) == PAGE


def test_only_other_sites_requests_are_recorded_once_per_page_with_their_cookies():
    observation = Observation(start_urls=[PAGE])
    recorder = StateRecorder(observation, State.REJECTED)
    recorder.request_sent(sent("1", "https://cdn.shop.example.com/app.js", type="Script"), now=1.0)  # same site
    recorder.request_sent(sent("2", "https://t.test/p.gif?u=1", type="Image"), now=1.0)
    recorder.request_sent(sent("3", "https://t.test/p.gif?u=2", type="Image"), now=1.0)
    recorder.request_headers({"requestId": "3", "headers": {"Cookie": "uid=1"}})
    recorder.request_sent(sent("4", "https://t.test/api", initiator={"type": "preflight", "url": "https://t.test/api"}), now=1.0)
    recorder.request_sent(sent("5", "data:image/png;base64,AA"), now=1.0)
    assert recorder.in_flight == {"1", "2", "3", "4", "5"}
    recorder.request_ended({"requestId": "1"}, now=2.0)
    assert recorder.in_flight == {"2", "3", "4", "5"} and recorder.last_activity == 2.0

    recorder.page_read(page=PAGE, cookies=[], frames=[])

    [pixel] = observation.requests
    assert (pixel.url, pixel.host, pixel.site, pixel.carried_cookies, pixel.resource_type) == (
        "https://t.test/p.gif", "t.test", "t.test", True, "image"
    )
    assert pixel.initiator == PAGE and pixel.state == State.REJECTED
    recorder.page_read(page=PAGE, cookies=[], frames=[])
    assert len(observation.requests) == 1  # requests are read once


def test_requests_before_the_choice_are_forgotten():
    observation = Observation(start_urls=[PAGE])
    recorder = StateRecorder(observation, State.ACCEPTED)
    recorder.request_sent(sent("1", "https://t.test/p.gif"), now=1.0)
    recorder.forget_requests()
    recorder.page_read(page=PAGE, cookies=[], frames=[])
    assert observation.requests == []


def test_cookies_are_recorded_once_per_state_with_party_and_writer():
    observation = Observation(start_urls=[PAGE])
    recorder = StateRecorder(observation, State.NO_CHOICE)
    recorder.response_cookies("https://t.test/sync", ["uid=9; SameSite=None; Secure"])
    frames = [{"origin": "https://shop.example.com", "cookieWriters": {"_ga": "https://www.googletagmanager.com/gtag/js"}}]
    jar = [
        jar_cookie("_ga", ".example.com", expires=1900000000.5, sameSite="Lax"),
        jar_cookie("uid", "t.test", secure=True, sameSite="None"),
        jar_cookie("sid", "shop.example.com", httpOnly=True),
    ]
    recorder.page_read(page=PAGE, cookies=jar, frames=frames)
    recorder.page_read(page="https://shop.example.com/other", cookies=jar, frames=[])

    seen = {cookie.name: cookie for cookie in observation.cookies}
    assert len(observation.cookies) == 3
    assert (seen["_ga"].party, seen["_ga"].set_by, seen["_ga"].expires, seen["_ga"].page) == (
        Party.FIRST, "https://www.googletagmanager.com/gtag/js", 1900000000.5, PAGE
    )
    assert (seen["uid"].party, seen["uid"].set_by, seen["uid"].secure, seen["uid"].same_site) == (
        Party.THIRD, "https://t.test/sync", True, "None"
    )
    assert (seen["sid"].expires, seen["sid"].http_only, seen["sid"].set_by) == (None, True, None)


def test_storage_keys_per_area_and_origin_with_their_writer():
    observation = Observation(start_urls=[PAGE])
    recorder = StateRecorder(observation, State.ACCEPTED)
    frames = [
        {
            "origin": "https://shop.example.com",
            "localStorage": ["_hjid", "cart"],
            "sessionStorage": ["_hjid"],
            "storageWriters": {"localStorage\u0000_hjid": "https://static.hotjar.com/c/hotjar.js"},
        },
        {"origin": "null", "localStorage": ["ignored"], "sessionStorage": []},
    ]
    recorder.page_read(page=PAGE, cookies=[], frames=frames)
    recorder.page_read(page=PAGE, cookies=[], frames=frames)

    assert [(item.area, item.key, item.origin, item.set_by) for item in observation.storage] == [
        (StorageArea.LOCAL, "_hjid", "https://shop.example.com", "https://static.hotjar.com/c/hotjar.js"),
        (StorageArea.LOCAL, "cart", "https://shop.example.com", None),
        (StorageArea.SESSION, "_hjid", "https://shop.example.com", None),
    ]

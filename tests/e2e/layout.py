"""The console's layout assertion, one for every browser test: measured in Chromium at a given window size."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SIZES = (("laptop", LAPTOP), ("phone", PHONE))

# One pass over the page: the widths, what sticks out of the window (an element's box cut by every ancestor that
# clips it, so a table inside a region that scrolls sideways counts only as far as the region shows it), the
# regions that scroll sideways, clipped textareas, and the header's height against its tallest item's.
MEASURE_JS = """() => {
  const width = window.innerWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const clips = el => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const visibleRight = el => {
    let right = el.getBoundingClientRect().right;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (clips(up)) right = Math.min(right, up.getBoundingClientRect().right);
    }
    return right;
  };
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const outside = [...document.body.querySelectorAll('*')]
    .filter(el => shown(el) && !el.closest('.visually-hidden, .skip-link') && visibleRight(el) > width + 1)
    .map(name);
  // Form fields scroll their own text, and visually hidden text (a 1 px box) is clipped on purpose: neither is
  // a layout's.
  const sideways = [...document.querySelectorAll('main *')]
    .filter(el => shown(el) && clips(el) && !el.matches('input, select, textarea') && el.clientWidth > 1
      && el.scrollWidth > el.clientWidth + 1)
    .map(el => ({element: name(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth}));
  const clipped = [...document.querySelectorAll('textarea')]
    .filter(el => shown(el) && el.scrollHeight > el.clientHeight + 1)
    .map(el => ({element: name(el), scrollHeight: el.scrollHeight, clientHeight: el.clientHeight}));
  const header = document.querySelector('.masthead .wrap');
  const style = getComputedStyle(header);
  const inner = header.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  const items = [...header.children].filter(shown);
  const line = Math.max(...items.map(el => el.getBoundingClientRect().height));
  const navItems = [...header.querySelectorAll('.console-nav li')].map(el => el.getBoundingClientRect().top);
  // Room left in the header's row (between the navigation and the sign-out form), to see how near it is to wrapping.
  const nav = header.querySelector('.console-nav'), signOut = header.querySelector('.sign-out');
  const spare = nav && signOut ? signOut.getBoundingClientRect().left - nav.getBoundingClientRect().right
    - parseFloat(style.columnGap) : null;
  return {
    headerSpare: spare, scrollWidth: document.documentElement.scrollWidth, innerWidth: width, outside: outside.slice(0, 8),
    sideways, clipped, headerHeight: inner, headerLine: line,
    navRows: new Set(navItems.map(top => Math.round(top))).size,
  };
}"""


@dataclass(frozen=True)
class Measured:
    page: str
    size: str
    scroll_width: int
    inner_width: int
    header_height: float
    header_line: float
    header_spare: float | None  # px left in the header's row at this size (None: no navigation, as at sign-in)
    screenshot: Path
    problems: list[str]


def problems_of(found: dict, *, size: str, sideways_allowed: bool) -> list[str]:
    """What is wrong with a page's measurements at one size: the layout rule, in one place."""
    problems = []
    if found["scrollWidth"] > found["innerWidth"]:
        problems.append(f"the page scrolls sideways ({found['scrollWidth']} px in {found['innerWidth']})")
    if found["outside"]:
        problems.append(f"past the window's edge: {found['outside']}")
    if found["clipped"]:
        problems.append(f"textareas hiding text: {found['clipped']}")
    if found["sideways"] and not sideways_allowed:
        problems.append(f"regions scrolling sideways: {found['sideways']}")
    if size == "laptop" and (found["headerHeight"] > found["headerLine"] + 1 or found["navRows"] > 1):
        problems.append(f"the header wraps ({found['headerHeight']} px high, one line is {found['headerLine']} px)")
    return problems


def check_layout(page, name: str, directory: Path, *, sideways_at_phone: bool = True) -> list[Measured]:
    """The page at laptop and at phone size, photographed into `directory`, and what is wrong with its layout: wider
    than the window, something sticking out of it, a textarea that hides part of its text; at laptop size also a
    table not whole (a region scrolling sideways) or a header on more than one line. At phone size a wide table may
    scroll inside its own region (`sideways_at_phone=False` forbids that too)."""
    measured = []
    for size, viewport in SIZES:
        page.set_viewport_size(viewport)
        page.wait_for_timeout(50)  # a relayout after the resize, before measuring
        found = page.evaluate(MEASURE_JS)
        path = directory / f"console-{name}-{size}.png"
        page.screenshot(path=str(path), full_page=True)
        problems = problems_of(found, size=size, sideways_allowed=size == "phone" and sideways_at_phone)
        measured.append(Measured(name, size, found["scrollWidth"], found["innerWidth"], found["headerHeight"],
                                 found["headerLine"], found["headerSpare"], path, [f"{name} at {size} size: {p}" for p in problems]))
    page.set_viewport_size(LAPTOP)
    return measured


def assert_fits(measured: list[Measured]) -> None:
    problems = [problem for m in measured for problem in m.problems]
    assert problems == [], "\n".join(problems)

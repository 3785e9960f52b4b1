"""SVG charts drawn on the server: geometry only; the template writes the elements, the table carries the numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 36
MAX_X_LABELS = 8
# Distinguishable for common colour-vision deficiencies (Okabe-Ito), readable on white and dark.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#8a7a00", "#7f7f7f")
CHOICE_COLORS = {"accept_all": "#009E73", "reject_all": "#D55E00", "custom": "#0072B2"}


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Line:
    name: str
    color: str
    path: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    color: str
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    lines: tuple[Line, ...] = ()
    bars: tuple[Bar, ...] = ()
    legend: tuple[tuple[str, str], ...] = ()  # (name, color)

    @property
    def empty(self) -> bool:
        return not any(line.points for line in self.lines) and not any(bar.segments for bar in self.bars)


def _x_positions(periods: Sequence[date]) -> dict[date, float]:
    span = WIDTH - LEFT - RIGHT
    if len(periods) == 1:
        return {periods[0]: LEFT + span / 2}
    step = span / (len(periods) - 1)
    return {period: LEFT + index * step for index, period in enumerate(periods)}


def _x_ticks(periods: Sequence[date], positions: dict[date, float]) -> tuple[Tick, ...]:
    every = max(1, -(-len(periods) // MAX_X_LABELS))
    return tuple(Tick(positions[p], p.isoformat()) for p in periods[::every])


def _y(fraction: float) -> float:
    return HEIGHT - BOTTOM - fraction * (HEIGHT - TOP - BOTTOM)


def _frame(**parts: Any) -> Chart:
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        **parts,
    )


def rate_lines(periods: Sequence[date], rates: dict[str, dict[date, float | None]]) -> Chart:
    """One line per purpose: its opt-in rate (0..1) per period; periods without decisions leave a gap."""
    positions = _x_positions(periods)
    lines = []
    for index, (purpose, by_period) in enumerate(sorted(rates.items())):
        color = PALETTE[index % len(PALETTE)]
        points, path, pen_down = [], [], False
        for period in periods:
            rate = by_period.get(period)
            if rate is None:
                pen_down = False
                continue
            x, y = positions[period], _y(rate)
            path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
            pen_down = True
            points.append(Point(x, y, f"{purpose}, {period.isoformat()}: {rate * 100:.1f} %"))
        lines.append(Line(purpose, color, " ".join(path), tuple(points)))
    y_ticks = tuple(Tick(_y(f / 4), f"{f * 25} %") for f in range(5))
    return _frame(
        x_ticks=_x_ticks(periods, positions),
        y_ticks=y_ticks,
        lines=tuple(lines),
        legend=tuple((line.name, line.color) for line in lines),
    )


def choice_bars(periods: Sequence[date], splits: dict[date, dict[str, int]], names: dict[str, str]) -> Chart:
    """Stacked bars per period: accept all, reject all, custom (counts)."""
    positions = _x_positions(periods)
    peak = max((sum(split.values()) for split in splits.values()), default=0) or 1
    span = WIDTH - LEFT - RIGHT
    width = max(2.0, min(40.0, span / max(1, len(periods)) * 0.7))
    bars = []
    for period in periods:
        split = splits.get(period, {})
        bottom, segments = 0, []
        for kind, color in CHOICE_COLORS.items():
            count = split.get(kind, 0)
            if not count:
                continue
            top = _y((bottom + count) / peak)
            segments.append(
                Segment(top, _y(bottom / peak) - top, color, f"{period.isoformat()}: {names[kind]} {count}")
            )
            bottom += count
        x = min(max(positions[period] - width / 2, LEFT), WIDTH - RIGHT - width)
        bars.append(Bar(x, width, tuple(segments)))
    y_ticks = tuple(Tick(_y(f / 4), str(round(peak * f / 4))) for f in range(5))
    return _frame(
        x_ticks=_x_ticks(periods, positions),
        y_ticks=y_ticks,
        bars=tuple(bars),
        legend=tuple((names[kind], color) for kind, color in CHOICE_COLORS.items()),
    )

"""The operations page's chart of credits per day: a server-rendered SVG, coloured by presentation attributes.

Presentation attributes rather than classes, so the admin needs no stylesheet of its own (and no inline style,
which the Content-Security-Policy refuses).
"""

from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from credits.selectors import CreditsDay

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 30, 28
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
X_LABELS = 6
# Each figure of a CreditsDay: its colour (readable on white) and label.
SERIES = {
    "bought": ("#1a7f37", "bought"),
    "spent": ("#0b5cad", "spent"),
    "refunded": ("#b35900", "refunded"),
    "granted": ("#6f42c1", "granted"),
    "taken_back": ("#b3261e", "taken back"),
}
GRID, LABEL = "#d0d7de", "#57606a"


def _nice_top(value: int) -> int:
    """A round upper bound for the credits axis: 1, 2 or 5 times a power of ten."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if value <= factor * magnitude:
                return factor * magnitude
        magnitude *= 10


def _point(index: int, count: int, value: int, top: int) -> str:
    x = LEFT + (index + 0.5) * PLOT_WIDTH / count
    y = TOP + PLOT_HEIGHT * (1 - value / top)
    return f"{x:.1f},{y:.1f}"


def credits_flow_chart(days: Sequence[CreditsDay]) -> SafeString:
    """A line per figure (bought, spent, refunded, granted, taken back) over the days, with a legend."""
    count = len(days)
    top = _nice_top(max((getattr(day, name) for day in days for name in SERIES), default=0))
    parts = []
    for tick in (0, top / 2, top):
        y = TOP + PLOT_HEIGHT * (1 - tick / top)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{LABEL}">')
        parts.append(f"{tick:g}</text>")
    for index in range(0, count, max(1, round(count / X_LABELS))):
        x = LEFT + (index + 0.5) * PLOT_WIDTH / count
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11" fill="{LABEL}">')
        parts.append(f"{days[index].day.strftime('%b %-d')}</text>")
    for position, (name, (colour, label)) in enumerate(SERIES.items()):
        line = " ".join(_point(index, count, getattr(day, name), top) for index, day in enumerate(days))
        parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        x = LEFT + position * 120
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="18" font-size="12" fill="{LABEL}">{label}</text>')
    totals = ", ".join(f"{sum(getattr(day, name) for day in days)} {label}" for name, (_, label) in SERIES.items())
    return format_html(
        '<svg class="credits-chart" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="credits-chart-title '
        'credits-chart-desc"><title id="credits-chart-title">Credits per day</title>'
        '<desc id="credits-chart-desc">Over {} days: {}.</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        count,
        totals,
        mark_safe("".join(parts)),  # noqa: S308 - built above from numbers and fixed labels only
    )

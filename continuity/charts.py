"""Server-rendered SVG charts of the continuity dashboard: accessible images, no script and no CDN."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from continuity.engine import ENHANCE_BELOW_RATE, PASSING_CONFIDENCE, PERFORMANCE_BANDS

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
X_LABELS = 6
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH = 18, 6, 150
TELEMETRY_BARS = 30


@dataclass(frozen=True)
class Day:
    """One day of the dashboard's period and its validations (None: no validation that day)."""

    day: date
    total: int = 0
    passed: int = 0
    failed: int = 0
    average: float | None = None
    lowest: float | None = None
    highest: float | None = None


@dataclass(frozen=True)
class Rate:
    """One telemetry element's rate and category."""

    element: str
    rate: float
    category: str
    attempts: int


def _svg(chart_id: str, title: str, description: str, body: str, height: int = HEIGHT) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'preserveAspectRatio="xMidYMid meet"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        mark_safe(body),  # noqa: S308 - built below from numbers and escaped text only
    )


def _x(index: int, count: int) -> float:
    """The x of the centre of day `index` of `count`."""
    return LEFT + (index + 0.5) * PLOT_WIDTH / count


def _y(value: float, top: float) -> float:
    return TOP + PLOT_HEIGHT * (1 - value / top) if top else TOP + PLOT_HEIGHT


def _frame(days: Sequence[Day], ticks: Sequence[float], top: float, tick_format: str) -> list[str]:
    """Grid lines with their value labels, and a few date labels along the bottom."""
    parts = []
    for tick in ticks:
        y = _y(tick, top)
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">')
        parts.append(f"{tick_format.format(tick)}</text>")
    count = len(days)
    step = max(1, round(count / X_LABELS))
    for index in range(0, count, step):
        x = _x(index, count)
        label = days[index].day.strftime("%b %-d")
        parts.append(f'<text class="chart-label" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{label}</text>')
    return parts


def _empty(parts: list[str], message: str) -> None:
    parts.append(
        f'<text class="chart-empty" x="{LEFT + PLOT_WIDTH / 2}" y="{TOP + PLOT_HEIGHT / 2}" '
        f'text-anchor="middle">{escape(message)}</text>'
    )


def _runs(days: Sequence[Day]) -> list[list[int]]:
    """Indexes of days with validations, split where a day has none: the line and band break there."""
    runs: list[list[int]] = [[]]
    for index, day in enumerate(days):
        if day.average is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(index)
    return [run for run in runs if run]


def confidence_chart(days: Sequence[Day]) -> SafeString:
    """Average confidence per day as a line, inside the band from the day's lowest to its highest."""
    count = len(days)
    parts = _frame(days, (0, 0.25, 0.5, 0.75, 1), 1, "{:.2f}")
    threshold = _y(PASSING_CONFIDENCE, 1)
    parts.append(
        f'<line class="chart-threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{threshold:.1f}" y2="{threshold:.1f}"/>'
    )
    parts.append(f'<text class="chart-label" x="{WIDTH - RIGHT - 4}" y="{threshold - 4:.1f}" text-anchor="end">')
    parts.append(f"passes at {PASSING_CONFIDENCE}</text>")
    measured = [day for day in days if day.average is not None]
    for run in _runs(days):
        upper = " ".join(f"{_x(i, count):.1f},{_y(days[i].highest, 1):.1f}" for i in run)
        lower = " ".join(f"{_x(i, count):.1f},{_y(days[i].lowest, 1):.1f}" for i in reversed(run))
        parts.append(f'<polygon class="chart-band" points="{upper} {lower}"/>')
        line = " ".join(f"{_x(i, count):.1f},{_y(days[i].average, 1):.1f}" for i in run)
        parts.append(f'<polyline class="chart-line" points="{line}"/>')
        if count <= 93 or len(run) == 1:
            parts.extend(
                f'<circle class="chart-dot" cx="{_x(i, count):.1f}" cy="{_y(days[i].average, 1):.1f}" r="3"/>'
                for i in run
            )
    if measured:
        average = sum(day.average * day.total for day in measured) / sum(day.total for day in measured)
        description = (
            f"{len(measured)} of {count} days have validations; overall average confidence {average:.2f}, "
            f"lowest single validation {min(day.lowest for day in measured):.2f}."
        )
    else:
        description = f"No validations in these {count} days."
        _empty(parts, "No validations in this period")
    return _svg(
        "confidence-chart", "Confidence per day: average, with the lowest to highest range", description, "".join(parts)
    )


def _nice_top(value: int) -> int:
    """A round upper bound for a count axis."""
    for top in (4, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= top:
            return top
    return -(-value // 1000) * 1000


def passed_failed_chart(days: Sequence[Day]) -> SafeString:
    """Validations per day as stacked bars: passed below, failed above."""
    count = len(days)
    top = _nice_top(max((day.total for day in days), default=0))
    parts = _frame(days, [top * n / 4 for n in range(5)], top, "{:g}")
    width = max(PLOT_WIDTH / count * 0.7, 1)
    for index, day in enumerate(days):
        if not day.total:
            continue
        x = _x(index, count) - width / 2
        passed_top, failed_top = _y(day.passed, top), _y(day.total, top)
        base = TOP + PLOT_HEIGHT
        parts.append(
            f'<rect class="chart-passed" x="{x:.1f}" y="{passed_top:.1f}" width="{width:.1f}" '
            f'height="{base - passed_top:.1f}"/>'
        )
        if day.failed:
            parts.append(
                f'<rect class="chart-failed" x="{x:.1f}" y="{failed_top:.1f}" width="{width:.1f}" '
                f'height="{passed_top - failed_top:.1f}"/>'
            )
    passed = sum(day.passed for day in days)
    failed = sum(day.failed for day in days)
    if passed + failed:
        description = f"{passed} validations passed and {failed} failed over {count} days."
    else:
        description = f"No validations in these {count} days."
        _empty(parts, "No validations in this period")
    return _svg("passed-chart", "Passed and failed validations per day", description, "".join(parts))


def telemetry_chart(rates: Sequence[Rate]) -> SafeString:
    """Each element's rate as a bar coloured by its category, lowest first, with the category thresholds."""
    shown = sorted(rates, key=lambda rate: (rate.rate, rate.element))[:TELEMETRY_BARS]
    height = TOP + BOTTOM + max(len(shown), 3) * (BAR_HEIGHT + BAR_GAP)
    plot_width = WIDTH - LABEL_WIDTH - RIGHT
    parts = []
    for band in PERFORMANCE_BANDS[:-1]:
        x = LABEL_WIDTH + plot_width * band.lowest_rate
        parts.append(f'<line class="chart-threshold" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{height - BOTTOM}"/>')
        parts.append(f'<text class="chart-label" x="{x:.1f}" y="{height - 8}" text-anchor="middle">')
        parts.append(f"{band.name} ≥ {band.lowest_rate:g}</text>")
    for index, rate in enumerate(shown):
        y = TOP + index * (BAR_HEIGHT + BAR_GAP)
        label = rate.element if len(rate.element) <= 22 else rate.element[:21] + "…"
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.72:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        parts.append(
            f'<rect class="chart-{escape(rate.category)}" x="{LABEL_WIDTH}" y="{y}" '
            f'width="{max(plot_width * rate.rate, 2):.1f}" height="{BAR_HEIGHT}"/>'
        )
    if rates:
        poor = sum(rate.rate < ENHANCE_BELOW_RATE for rate in rates)
        description = (
            f"{len(rates)} elements; {poor} below {ENHANCE_BELOW_RATE}, which prompt enhancement insists on."
            + (f" The {TELEMETRY_BARS} lowest rates are drawn." if len(rates) > TELEMETRY_BARS else "")
        )
    else:
        description = "No clip has been checked for its props yet."
        parts.append(
            f'<text class="chart-empty" x="{LABEL_WIDTH + plot_width / 2}" y="{height / 2}" text-anchor="middle">'
            "No clip checked for its props yet</text>"
        )
    return _svg("telemetry-chart", "How often each element showed up in clips", description, "".join(parts), height)


def period_days(rows: Sequence, *, start: date, end: date) -> list[Day]:
    """Every day from `start` to `end`, with the daily analytics row of the days that have one."""
    by_day = {row.validation_date.date(): row for row in rows}
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        row = by_day.get(day)
        days.append(
            Day(
                day,
                row.total_scenes,
                row.scenes_passed,
                row.scenes_failed,
                row.avg_confidence,
                row.min_confidence,
                row.max_confidence,
            )
            if row
            else Day(day)
        )
    return days

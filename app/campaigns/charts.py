"""Charts drawn on the server as SVG: no JavaScript, work offline, readable by a screen reader.

Each chart carries a <title> and <desc> (role="img", aria-labelledby); the page shows the
same numbers in a table next to it. Names come from users, so every piece is a literal
`Markup` template filled by `.format`, which escapes each value; nothing wraps a built string.
"""

from __future__ import annotations

import itertools
from datetime import date

from markupsafe import Markup

from app.i18n import gettext

_ids = itertools.count(1)
WIDTH = 560


def _open(height: int, title: str, desc: str) -> tuple[Markup, Markup]:
    head = Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
                  'viewBox="0 0 {width} {height}" width="100%" '
                  'aria-labelledby="chart-t{n} chart-d{n}">'
                  '<title id="chart-t{n}">{title}</title>'
                  '<desc id="chart-d{n}">{desc}</desc>').format(
        width=WIDTH, height=height, n=next(_ids), title=title, desc=desc)
    return head, Markup("</svg>")


def bars(items: list[tuple[str, int]], *, title: str, target: int | None = None) -> Markup:
    """Horizontal bars, one per (label, value); an optional target line."""
    row, left = 24, 170
    height = max(1, len(items)) * row + 24
    top = max([target or 0, *(v for _, v in items), 1])
    scale = (WIDTH - left - 50) / top
    desc = "; ".join(f"{label}: {value}" for label, value in items) or gettext("no data")
    if target:
        desc += "; " + gettext("target %(target)s") % {"target": target}
    head, tail = _open(height, title, desc)
    parts = [head]
    for i, (label, value) in enumerate(items):
        y = 8 + i * row
        parts.append(Markup(
            '<text x="{label_x}" y="{text_y}" text-anchor="end" class="chart-label">{label}</text>'
            '<rect x="{left}" y="{y}" width="{bar:.1f}" height="{bar_height}" class="chart-bar"/>'
            '<text x="{value_x:.1f}" y="{text_y}" class="chart-value">{value}</text>').format(
            label_x=left - 6, text_y=y + 14, label=label, left=left, y=y,
            bar=max(0.0, value * scale), bar_height=row - 8, value_x=left + value * scale + 4,
            value=value))
    if target:
        x = left + target * scale
        parts.append(Markup(
            '<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="{line_end}" class="chart-target"/>'
            '<text x="{x:.1f}" y="{text_y}" text-anchor="middle" class="chart-value">'
            '{target}</text>').format(x=x, line_end=height - 14, text_y=height - 2,
                                      target=gettext("target %(target)s") % {"target": target}))
    parts.append(tail)
    return Markup("").join(parts)


def line(points: list[tuple[date, int]], *, title: str, start: date, end: date,
         target: int | None = None) -> Markup:
    """A step line of a running total over days from `start` to `end`."""
    height, left, bottom = 180, 50, 24
    span = max(1, (end - start).days)
    top = max([target or 0, *(v for _, v in points), 1])

    def xy(day: date, value: int) -> tuple[float, float]:
        x = left + (WIDTH - left - 10) * min(max((day - start).days, 0), span) / span
        y = (height - bottom) - (height - bottom - 10) * value / top
        return x, y

    desc = ("; ".join(f"{d.isoformat()}: {v}" for d, v in points)
            or gettext("nothing confirmed yet"))
    head, tail = _open(height, title, desc)
    parts = [head, Markup(
        '<line x1="{left}" x2="{right}" y1="{axis_y}" y2="{axis_y}" class="chart-axis"/>'
        '<text x="{left}" y="{label_y}" class="chart-label">{start}</text>'
        '<text x="{right}" y="{label_y}" text-anchor="end" class="chart-label">{end}</text>'
        '<text x="{top_x}" y="14" text-anchor="end" class="chart-label">{top}</text>').format(
        left=left, right=WIDTH - 10, axis_y=height - bottom, label_y=height - 6,
        start=start.isoformat(), end=end.isoformat(), top_x=left - 6, top=top)]
    path, last = [f"M{left},{height - bottom}"], 0
    for day, value in points:
        x, y_last = xy(day, last)
        _, y = xy(day, value)
        path.append(f"L{x:.1f},{y_last:.1f} L{x:.1f},{y:.1f}")
        last = value
    x_end, y_end = xy(end, last)
    path.append(f"L{x_end:.1f},{y_end:.1f}")
    parts.append(Markup('<path d="{d}" class="chart-line"/>').format(d=" ".join(path)))
    if target:
        _, y = xy(start, target)
        parts.append(Markup(
            '<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" class="chart-target"/>'
            '<text x="{text_x}" y="{text_y:.1f}" text-anchor="end" class="chart-value">'
            '{target}</text>').format(left=left, right=WIDTH - 10, y=y, text_x=WIDTH - 12,
                                      text_y=y - 3,
                                      target=gettext("target %(target)s") % {"target": target}))
    parts.append(tail)
    return Markup("").join(parts)

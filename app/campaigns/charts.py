"""Charts drawn on the server as SVG: no JavaScript, work offline, readable by a screen reader.

Each chart carries a <title> and <desc> (role="img", aria-labelledby); the page shows the
same numbers in a table next to it. Text is escaped: names come from users.
"""

from __future__ import annotations

import itertools
from datetime import date

from markupsafe import Markup, escape

_ids = itertools.count(1)
WIDTH = 560


def _open(height: int, title: str, desc: str) -> tuple[str, str]:
    n = next(_ids)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" '
            f'aria-labelledby="chart-t{n} chart-d{n}">'
            f'<title id="chart-t{n}">{escape(title)}</title>'
            f'<desc id="chart-d{n}">{escape(desc)}</desc>')
    return head, "</svg>"


def bars(items: list[tuple[str, int]], *, title: str, target: int | None = None) -> Markup:
    """Horizontal bars, one per (label, value); an optional target line."""
    row, left = 24, 170
    height = max(1, len(items)) * row + 24
    top = max([target or 0, *(v for _, v in items), 1])
    scale = (WIDTH - left - 50) / top
    desc = "; ".join(f"{label}: {value}" for label, value in items) or "no data"
    if target:
        desc += f"; target {target}"
    head, tail = _open(height, title, desc)
    parts = [head]
    for i, (label, value) in enumerate(items):
        y = 8 + i * row
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" class="chart-label">'
                     f'{escape(label)}</text>'
                     f'<rect x="{left}" y="{y}" width="{max(0.0, value * scale):.1f}" '
                     f'height="{row - 8}" class="chart-bar"/>'
                     f'<text x="{left + value * scale + 4:.1f}" y="{y + 14}" '
                     f'class="chart-value">{value}</text>')
    if target:
        x = left + target * scale
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="{height - 14}" '
                     f'class="chart-target"/><text x="{x:.1f}" y="{height - 2}" '
                     f'text-anchor="middle" class="chart-value">target {target}</text>')
    parts.append(tail)
    return Markup("".join(parts))


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

    desc = ("; ".join(f"{d.isoformat()}: {v}" for d, v in points) or "nothing confirmed yet")
    head, tail = _open(height, title, desc)
    parts = [head, f'<line x1="{left}" x2="{WIDTH - 10}" y1="{height - bottom}" '
                   f'y2="{height - bottom}" class="chart-axis"/>',
             f'<text x="{left}" y="{height - 6}" class="chart-label">{start.isoformat()}</text>',
             f'<text x="{WIDTH - 10}" y="{height - 6}" text-anchor="end" class="chart-label">'
             f'{end.isoformat()}</text>',
             f'<text x="{left - 6}" y="14" text-anchor="end" class="chart-label">{top}</text>']
    path, last = [f"M{left},{height - bottom}"], 0
    for day, value in points:
        x, y_last = xy(day, last)
        _, y = xy(day, value)
        path.append(f"L{x:.1f},{y_last:.1f} L{x:.1f},{y:.1f}")
        last = value
    x_end, y_end = xy(end, last)
    path.append(f"L{x_end:.1f},{y_end:.1f}")
    parts.append(f'<path d="{" ".join(path)}" class="chart-line"/>')
    if target:
        _, y = xy(start, target)
        parts.append(f'<line x1="{left}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'class="chart-target"/><text x="{WIDTH - 12}" y="{y - 3:.1f}" '
                     f'text-anchor="end" class="chart-value">target {target}</text>')
    parts.append(tail)
    return Markup("".join(parts))

"""The server-drawn SVG charts escape what users typed (names reach them from campaign goals)."""

from datetime import date

from app.campaigns import charts

HOSTILE = '<script>alert(1)</script>"'


def test_bar_labels_and_title_are_escaped() -> None:
    svg = str(charts.bars([(HOSTILE, 3)], title=HOSTILE, target=4))
    assert "<script>" not in svg
    assert svg.count("&lt;script&gt;") == 3  # title, desc and the bar's label
    assert 'class="chart-value">3</text>' in svg and "target 4" in svg


def test_line_draws_a_step_per_point_and_escapes_the_title() -> None:
    svg = str(charts.line([(date(2026, 1, 2), 2), (date(2026, 1, 5), 4)], title=HOSTILE,
                          start=date(2026, 1, 1), end=date(2026, 1, 10)))
    assert "<script>" not in svg
    assert svg.count(" L") == 5  # two steps of two segments, then the run to the end date
    assert "2026-01-02: 2; 2026-01-05: 4" in svg

"""The map's legend lists every kind of marker the map draws (issue 11, the map): the
kinds the features have (app.maps.features.KINDS), the styles static/js/map.js draws
them with, the legend of templates/_map.html and its swatches in static/css/app.css
are the same, colour for colour, and the legend reads in the user's language."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from app.config import ROOT
from app.i18n import catalogue
from app.maps import features

MAP_JS = ROOT / "static" / "js" / "map.js"
APP_CSS = ROOT / "static" / "css" / "app.css"


def _js_styles() -> dict[str, dict[str, str]]:
    """map.js's STYLES: kind -> its colours (fillColor, color)."""
    block = re.search(r"var STYLES = \{(.*?)\n  \};", MAP_JS.read_text(), re.S)
    assert block, "map.js no longer has its STYLES table"
    styles = {}
    for kind, body in re.findall(r"^\s*(\w+): \{([^}]*)\}", block.group(1), re.M):
        styles[kind] = dict(re.findall(r'(\w+): "(#[0-9a-fA-F]{6})"', body))
    return styles


def _legend(html: str) -> list[str]:
    return re.findall(r'data-legend-kind="(\w+)"', html)


def test_every_kind_the_map_draws_has_a_style_and_the_features_make_no_other() -> None:
    assert set(_js_styles()) == set(features.KINDS)
    source = "\n".join(p.read_text() for p in (ROOT / "app" / "maps").glob("*.py"))
    made = set(re.findall(r'point_feature\("(\w+)"', source)) | set(
        re.findall(r'"kind": "(\w+)"', source))
    assert made and made <= set(features.KINDS)
    assert set(features.KIND_LABELS) == set(features.KINDS)


def test_the_legend_swatches_have_the_map_s_colours() -> None:
    css = APP_CSS.read_text()
    for kind, colours in _js_styles().items():
        rule = re.search(r"\.map-key-" + kind + r"\s*\{([^}]*)\}", css)
        assert rule, f"no legend swatch for {kind} in app.css"
        for colour in colours.values():
            assert colour.lower() in rule.group(1).lower(), (kind, colour)


def test_the_page_s_legend_lists_every_marker_kind_with_the_hand_over_point(
    client: Any, session: Session, world: Any, make_operation: Any, make_user: Any,
    login: Any,
) -> None:
    make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-LEG",
                   code_name="Legend Heron")
    thai = login(client, make_user(session, role="liaison", agency="TH-RTP"))
    page = thai.get("/operations/OP-LEG").text
    assert sorted(_legend(page)) == sorted(features.KINDS)
    assert "Hand-over point away from a crossing" in page
    # In Thai, every legend entry is translated.
    thai.cookies.set("jointops_lang", "th")
    translated = thai.get("/operations/OP-LEG").text
    legend = translated.split('class="map-legend', 1)[1].split("</ul>", 1)[0]
    for english in ("Unit base", "Border crossing (and its hand-overs)",
                    "Hand-over point away from a crossing (an airport)", "Route", "Site"):
        assert catalogue("th")[english] in legend and f"> {english}<" not in legend

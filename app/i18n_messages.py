"""The board's translatable messages, and the catalogues kept in step with them.

Messages are English phrases marked in templates (`_("…")`, `{% trans %}`) and in Python
(`gettext("…")`, `N_("…")` and `later("…", …)` for text translated when shown, and the
first argument of `register_nav`, the navigation's labels).
`python -m app.i18n_messages` adds new messages to every catalogue in
`app/translations/` (untranslated, for a translator to fill) and drops the ones no longer
used; `tests/test_i18n.py` fails while any catalogue lacks a translation.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from app.i18n import BABEL_LOCALE, CATALOGUES, DEFAULT, LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "register_nav": (1,),
            "N_": None, "later": (1,), "phrase": None}
METHODS = [("app/**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extract() -> dict[str, list[str]]:
    """Every marked message -> where it is used (`templates/base.html:12`)."""
    found: dict[str, list[str]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.setdefault(text, []).append(f"{filename}:{line}")
    return found


def catalogue_path(code: str) -> Path:
    return CATALOGUES / f"{code}.po"


def load(code: str) -> Catalog:
    path = catalogue_path(code)
    if not path.exists():
        return Catalog(locale=BABEL_LOCALE[code], project="JointOps")
    with path.open("rb") as handle:
        return read_po(handle, locale=BABEL_LOCALE[code])


def update() -> dict[str, int]:
    """Bring every catalogue in step with the messages; returns untranslated per language."""
    messages = extract()
    missing = {}
    for code in LANGUAGES:
        if code == DEFAULT:
            continue
        old = load(code)
        new = Catalog(locale=BABEL_LOCALE[code], project="JointOps", fuzzy=False)
        for text, places in sorted(messages.items()):
            before = old.get(text)
            new.add(text, before.string if before else "",
                    locations=[(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places])
        CATALOGUES.mkdir(exist_ok=True)
        with catalogue_path(code).open("wb") as handle:
            write_po(handle, new, width=100, sort_output=True, include_lineno=False)
        missing[code] = sum(1 for text in messages if not (new.get(text) and new[text].string))
    return missing


if __name__ == "__main__":
    for code, count in update().items():
        print(f"{code}: {count} untranslated")

"""The board's own browser scripts (static/js; vendored libraries are in static/vendor):
text goes in as text, and nothing is kept in browser storage (ASVS 5.0 3.2.2, 14.3.3)."""

from __future__ import annotations

import re

from app.config import ROOT

SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write")
STORAGE = re.compile(r"localStorage|sessionStorage|indexedDB|document\.cookie")


def test_the_boards_scripts_write_text_not_html() -> None:
    assert SCRIPTS
    sinks = [(p.name, m.group(0)) for p in SCRIPTS for m in HTML_SINKS.finditer(p.read_text())]
    assert sinks == []
    # They do write to the page, as text.
    assert any(".textContent" in p.read_text() for p in SCRIPTS)


def test_the_boards_scripts_keep_nothing_in_browser_storage_but_an_encrypted_form_draft() -> None:
    # One exception, asked for by issue 11 (unsaved edits kept across Back): the operation
    # form's draft, in sessionStorage (this tab only), never for TLP:RED, removed on save
    # and discard, cleared at sign-out by Clear-Site-Data (14.3.1), and written only as
    # AES-GCM ciphertext under a key of the signed-in session (14.3.3). Shown in Chromium by
    # tests/e2e/test_forms_for_people.py::
    # test_the_draft_is_kept_encrypted_and_no_other_session_can_read_it.
    uses = {(p.name, m.group(0)) for p in SCRIPTS for m in STORAGE.finditer(p.read_text())}
    assert uses == {("form-draft.js", "sessionStorage")}
    draft = (ROOT / "static" / "js" / "form-draft.js").read_text()
    assert 'tlp.value === "RED"' in draft and "if (red()) { forget(); return; }" in draft
    writes = re.findall(r"\.setItem\((.*)\);", draft)
    assert writes == ["key, JSON.stringify({iv: base64(iv), data: base64(sealed)})"]
    assert "subtle.encrypt(algorithm(iv), k, plain)" in draft


def test_htmx_keeps_no_page_snapshots_in_browser_storage() -> None:
    # htmx copies pages into sessionStorage for its history cache unless told not to:
    # operation pages must not stay behind in the browser (14.3.3).
    import json

    base = (ROOT / "templates" / "base.html").read_text()
    match = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base)
    assert match
    config = json.loads(match.group(1))
    assert config["historyCacheSize"] == 0
    assert config["allowEval"] is False and config["allowScriptTags"] is False


# Prototype pollution (15.3.6): writes that could reach Object.prototype, and merges that
# copy keys from data into an object.
PROTOTYPE_WRITES = re.compile(r"__proto__|setPrototypeOf|\.prototype\.\w+\s*=(?!=)"
                              r"|\bconstructor\s*\[|\[\s*[\"']constructor[\"']\s*\]")
MERGE = re.compile(r"Object\.assign\(\s*(?P<target>[^,]*),\s*(?P<source>[^)]*)\)")
COMPUTED_WRITE = re.compile(r"(?P<target>[\w$]+)\[(?P<key>[^\]]+)\]\s*(?:=(?!=)|\+=|-=)")


def test_the_boards_scripts_cannot_pollute_prototypes() -> None:
    writes = [(p.name, m.group(0)) for p in SCRIPTS
              for m in PROTOTYPE_WRITES.finditer(p.read_text())]
    assert writes == []
    # Object.assign only copies a constant style table into a fresh literal, never data
    # into an existing object, and nothing merges parsed JSON.
    merges = [(p.name, m["target"], m["source"]) for p in SCRIPTS
              for m in MERGE.finditer(p.read_text())]
    assert merges and all(target.startswith("{") and source.startswith("STYLES")
                          for _, target, source in merges), merges
    assert all(not re.search(r"(assign|extend|merge)\([^)]*JSON\.parse", p.read_text())
               for p in SCRIPTS)
    # A key computed at run time (a form field's name, a feature's kind from the server,
    # a time-zone offset) is written only into an object made without a prototype, so
    # "__proto__" or "constructor" is an ordinary key there. Constant keys are fine.
    computed = []
    for path in SCRIPTS:
        text = path.read_text()
        for m in COMPUTED_WRITE.finditer(text):
            if re.fullmatch(r"\s*([\"'])[^\"']*\1\s*", m["key"]):
                continue
            computed.append((path.name, m["target"]))
            assert re.search(rf"\b{re.escape(m['target'])} = Object\.create\(null\)", text), \
                (path.name, m.group(0))
    assert {name for name, _ in computed} == {"form-draft.js", "local-time.js", "map.js"}
    # A draft read back from sessionStorage is only looked up by own keys.
    draft = (ROOT / "static" / "js" / "form-draft.js").read_text()
    assert "Object.prototype.hasOwnProperty.call(draft.values, el.name)" in draft

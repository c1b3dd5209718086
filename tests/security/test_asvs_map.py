"""docs/asvs-l2.md cannot rot: every ASVS 5.0 level 1/2 requirement is there once, with a
known status, and every test and document section it cites exists.

The ids below are those of ASVS 5.0.0 (github.com/OWASP/ASVS, `5.0/en`), level 1 and 2,
by section. A test renamed or removed, or a requirement dropped from the document, fails
here. The cited tests themselves run with the rest of `make test`.
"""

from __future__ import annotations

import ast
import re
from functools import cache

from app.config import ROOT

DOCUMENT = ROOT / "docs" / "asvs-l2.md"
STATUSES = {"met", "partial", "gap", "n/a"}
CHAPTERS = (
    "V1 Encoding and Sanitization", "V2 Validation and Business Logic",
    "V3 Web Frontend Security", "V4 API and Web Service", "V5 File Handling",
    "V6 Authentication", "V7 Session Management", "V8 Authorization",
    "V9 Self-contained Tokens", "V10 OAuth and OIDC", "V11 Cryptography",
    "V12 Secure Communication", "V13 Configuration", "V14 Data Protection",
    "V15 Secure Coding and Architecture", "V16 Security Logging and Error Handling",
    "V17 WebRTC",
)
# The documentation sections of ASVS 5.0: a `met` there may rest on a document section.
DOCUMENTATION_SECTIONS = {"2.1", "5.1", "6.1", "7.1", "8.1", "11.1", "13.1", "14.1", "15.1",
                          "16.1"}
# Requirements of other sections that a document alone satisfies (an inventory).
DOCUMENTED_ELSEWHERE = {"16.2.3"}
LEVEL_1_AND_2 = {
    "1.1": "1 2",
    "1.2": "1 2 3 4 5 6 7 8 9",
    "1.3": "1 2 3 4 5 6 7 8 9 10 11",
    "1.4": "1 2 3",
    "1.5": "1 2",
    "2.1": "1 2 3",
    "2.2": "1 2 3",
    "2.3": "1 2 3 4",
    "2.4": "1",
    "3.2": "1 2",
    "3.3": "1 2 3 4",
    "3.4": "1 2 3 4 5 6",
    "3.5": "1 2 3 4 5",
    "3.7": "1 2",
    "4.1": "1 2 3",
    "4.2": "1",
    "4.3": "1 2",
    "4.4": "1 2 3 4",
    "5.1": "1",
    "5.2": "1 2 3",
    "5.3": "1 2",
    "5.4": "1 2 3",
    "6.1": "1 2 3",
    "6.2": "1 2 3 4 5 6 7 8 9 10 11 12",
    "6.3": "1 2 3 4",
    "6.4": "1 2 3 4",
    "6.5": "1 2 3 4 5",
    "6.6": "1 2 3",
    "6.8": "1 2 3 4",
    "7.1": "1 2 3",
    "7.2": "1 2 3 4",
    "7.3": "1 2",
    "7.4": "1 2 3 4 5",
    "7.5": "1 2",
    "7.6": "1 2",
    "8.1": "1 2",
    "8.2": "1 2 3",
    "8.3": "1",
    "8.4": "1",
    "9.1": "1 2 3",
    "9.2": "1 2 3 4",
    "10.1": "1 2",
    "10.2": "1 2",
    "10.3": "1 2 3 4",
    "10.4": "1 2 3 4 5 6 7 8 9 10 11",
    "10.5": "1 2 3 4 5",
    "10.6": "1 2",
    "10.7": "1 2 3",
    "11.1": "1 2",
    "11.2": "1 2 3",
    "11.3": "1 2 3",
    "11.4": "1 2 3 4",
    "11.5": "1",
    "11.6": "1",
    "12.1": "1 2 3",
    "12.2": "1 2",
    "12.3": "1 2 3 4",
    "13.1": "1",
    "13.2": "1 2 3 4 5",
    "13.3": "1 2",
    "13.4": "1 2 3 4 5",
    "14.1": "1 2",
    "14.2": "1 2 3 4",
    "14.3": "1 2 3",
    "15.1": "1 2 3",
    "15.2": "1 2 3",
    "15.3": "1 2 3 4 5 6 7",
    "16.1": "1",
    "16.2": "1 2 3 4 5",
    "16.3": "1 2 3 4",
    "16.4": "1 2 3",
    "16.5": "1 2 3",
    "17.1": "1",
    "17.2": "1 2 3 4",
    "17.3": "1 2",}
ROW = re.compile(r"^\| (\d+\.\d+\.\d+) \| ([12]) \| (.*?) \| (\S+) \| (.*?) \| (.*) \|$")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
DOC_REF = re.compile(r"`((?:SECURITY\.md|docs/[\w.-]+\.md)) § ([^`]+)`")


def _rows() -> dict[str, tuple[str, str, str]]:
    rows: dict[str, tuple[str, str, str]] = {}
    for line in DOCUMENT.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rid, _level, _text, status, control, evidence = match.groups()
            assert rid not in rows, f"{rid} is listed twice"
            rows[rid] = (status, control, evidence)
    return rows


@cache
def _defined(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(
        node.name for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    )


def test_every_level_1_and_2_requirement_is_mapped_once() -> None:
    expected = {f"{section}.{n}" for section, ns in LEVEL_1_AND_2.items() for n in ns.split()}
    assert len(expected) == 253
    rows = _rows()
    assert set(rows) - expected == set(), "ids that are not ASVS 5.0 level 1/2"
    assert expected - set(rows) == set(), "requirements missing from docs/asvs-l2.md"
    text = DOCUMENT.read_text(encoding="utf-8")
    for chapter in CHAPTERS:
        assert f"\n## {chapter}\n" in text, chapter


def test_every_row_has_a_status_and_what_it_rests_on() -> None:
    for rid, (status, control, evidence) in _rows().items():
        assert status in STATUSES, (rid, status)
        if status == "met":
            assert control.strip("- "), f"{rid}: met without a control"
            tests = TEST_REF.findall(evidence)
            documented = rid.rsplit(".", 1)[0] in DOCUMENTATION_SECTIONS or rid in (
                DOCUMENTED_ELSEWHERE)
            assert tests or (documented and DOC_REF.search(evidence)), (
                f"{rid}: met without a test")
        else:
            assert evidence.strip("- "), f"{rid}: {status} without a reason"


def test_every_cited_test_exists() -> None:
    cited = {ref for _, _, evidence in _rows().values() for ref in TEST_REF.findall(evidence)}
    assert len(cited) > 50
    missing = [
        f"{path}::{name}" for path, name in sorted(cited)
        if not (ROOT / path).is_file() or name not in _defined(path)
    ]
    assert missing == []


def test_every_cited_document_section_exists() -> None:
    refs = {ref for _, _, evidence in _rows().values() for ref in DOC_REF.findall(evidence)}
    assert refs
    for path, heading in sorted(refs):
        text = (ROOT / path).read_text(encoding="utf-8")
        heading = heading.strip()
        assert re.search(rf"^#+ {re.escape(heading)}\s*$|\*\*{re.escape(heading)}\.?\*\*",
                         text, re.M), (path, heading)


def test_security_md_links_the_mapping() -> None:
    assert "docs/asvs-l2.md" in (ROOT / "SECURITY.md").read_text(encoding="utf-8")


def test_the_summary_counts_the_rows() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    rows = _rows()
    summary = re.compile(r"^\| \**(V\d+ [^|]*?|all)\** \| \**(\d+)\** \| \**(\d+)\** \| "
                         r"\**(\d+)\** \| \**(\d+)\** \| \**(\d+)\** \|$", re.M)
    found = {name: tuple(map(int, numbers)) for name, *numbers in summary.findall(text)}
    assert set(found) == {*CHAPTERS, "all"}
    for name, numbers in found.items():
        if name == "all":
            ids = list(rows)
        else:
            chapter = int(name.split()[0][1:])
            ids = [rid for rid in rows if int(rid.split(".")[0]) == chapter]
        counts = tuple(sum(1 for rid in ids if rows[rid][0] == s)
                       for s in ("met", "partial", "gap", "n/a"))
        assert numbers == (len(ids), *counts), name
    met, partial, gap, na = found["all"][1:]
    gaps = "1 gap" if gap == 1 else f"{gap} gaps"
    figures = f"{met} met, {partial} partial,\n{gaps}, {na} not applicable"
    assert " ".join(figures.split()) in " ".join(
        (ROOT / "SECURITY.md").read_text(encoding="utf-8").split()), figures

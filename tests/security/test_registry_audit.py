"""The registry audit (.ci/registry_audit.py, ASVS 5.0 15.2.1 and 3.7.1) judged on registry
answers written here by hand, in the shape PyPI's project JSON and npm's package metadata
have: no network. One test runs the script itself against a closed port."""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import time
import urllib.error
from datetime import UTC, datetime, timedelta
from email.message import Message
from types import ModuleType
from typing import Any

import pytest

from app.config import ROOT

NOW = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)


def _load() -> ModuleType:
    path = ROOT / ".ci" / "registry_audit.py"
    spec = importlib.util.spec_from_file_location("registry_audit", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["registry_audit"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


audit = _load()


def _ago(days: int) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _pypi(latest: str, releases: dict[str, int], *, yanked: dict[str, str] | None = None,
          vulnerabilities: list[dict[str, Any]] | None = None,
          classifiers: list[str] | None = None) -> dict[str, Any]:
    """A project JSON: releases maps a version to how many days ago it was uploaded."""
    yanked = yanked or {}
    return {
        "info": {"name": "example", "version": latest,
                 "classifiers": classifiers or ["Development Status :: 5 - Production/Stable"]},
        "releases": {
            version: [{"filename": f"example-{version}.tar.gz",
                       "upload_time_iso_8601": _ago(days),
                       "yanked": version in yanked, "yanked_reason": yanked.get(version)}]
            for version, days in releases.items()},
        "vulnerabilities": vulnerabilities or [],
    }


def _vulnerability(vid: str, *, withdrawn: str | None = None,
                   fixed_in: list[str] | None = None) -> dict[str, Any]:
    return {"id": vid, "aliases": ["CVE-2026-0001"], "details": "…", "fixed_in": fixed_in or [],
            "link": f"https://osv.dev/vulnerability/{vid}", "source": "osv", "summary": None,
            "withdrawn": withdrawn}


def _npm(latest: str, versions: dict[str, int], *,
         deprecated: dict[str, str] | None = None) -> dict[str, Any]:
    """npm metadata: versions maps a version to how many days ago it was published."""
    deprecated = deprecated or {}
    return {
        "name": "example", "dist-tags": {"latest": latest},
        "versions": {v: {"name": "example", "version": v,
                         **({"deprecated": deprecated[v]} if v in deprecated else {})}
                     for v in versions},
        "time": {"created": _ago(max(versions.values())),
                 **{v: _ago(days) for v, days in versions.items()}},
    }


# --- PyPI ------------------------------------------------------------------------------

def test_the_latest_pin_with_no_known_vulnerability_passes() -> None:
    verdict = audit.judge_pypi("example", "1.2.0", _pypi("1.2.0", {"1.1.0": 60, "1.2.0": 20}),
                               NOW)
    assert (verdict.level, verdict.reasons) == ("OK", ["the latest release, of 2026-11-14"])


def test_a_yanked_pin_fails() -> None:
    project = _pypi("1.2.0", {"1.1.0": 60, "1.2.0": 20}, yanked={"1.2.0": "broken wheel"})
    verdict = audit.judge_pypi("example", "1.2.0", project, NOW)
    assert verdict.level == "FAIL"
    assert "YANKED (broken wheel)" in verdict.line()


def test_a_pin_missing_from_pypi_fails() -> None:
    verdict = audit.judge_pypi("example", "1.3.0", _pypi("1.2.0", {"1.2.0": 20}), NOW)
    assert verdict.level == "FAIL"
    # The lock's spelling of a version matches the registry's by PEP 440.
    same = audit.judge_pypi("example", "1.2", _pypi("1.2.0", {"1.2.0": 20}), NOW)
    assert same.level == "OK"


def test_the_latest_pin_with_a_known_vulnerability_fails_naming_it() -> None:
    project = _pypi("1.2.0", {"1.2.0": 20}, vulnerabilities=[
        _vulnerability("PYSEC-2026-1"), _vulnerability("GHSA-xxxx", withdrawn="2026-11-30")])
    verdict = audit.judge_pypi("example", "1.2.0", project, NOW)
    assert verdict.level == "FAIL"
    assert "PYSEC-2026-1 (CVE-2026-0001)" in verdict.line()
    assert "GHSA-xxxx" not in verdict.line(), "a withdrawn advisory is not held against us"


def test_a_withdrawn_vulnerability_alone_passes() -> None:
    project = _pypi("1.2.0", {"1.2.0": 20},
                    vulnerabilities=[_vulnerability("GHSA-xxxx", withdrawn="2026-11-30")])
    assert audit.judge_pypi("example", "1.2.0", project, NOW).level == "OK"


def test_a_vulnerability_of_the_latest_fails_an_older_pin_too() -> None:
    # Listed for the latest, it is fixed in no release: the older pin very likely has it.
    project = _pypi("1.2.0", {"1.1.0": 60, "1.2.0": 20},
                    vulnerabilities=[_vulnerability("PYSEC-2026-2")])
    verdict = audit.judge_pypi("example", "1.1.0", project, NOW)
    assert verdict.level == "FAIL"
    assert "fixed in no release (PYSEC-2026-2" in verdict.line()


def test_a_newer_release_is_noted_then_warned_after_the_longest_time_frame() -> None:
    releases = {"1.1.0": 400, "1.2.0": 30, "1.2.1": 10}
    fresh = audit.judge_pypi("example", "1.1.0", _pypi("1.2.1", releases), NOW)
    assert fresh.level == "NOTE"
    assert fresh.reasons == ["latest 1.2.1; 2 newer releases, the first (1.2.0) 30 days ago"]
    releases["1.2.0"] = 91
    stale = audit.judge_pypi("example", "1.1.0", _pypi("1.2.1", releases), NOW)
    assert stale.level == "WARN"
    assert "the first (1.2.0) 91 days ago, past the longest time frame (90 days)" in (
        stale.line())


def test_pre_releases_and_yanked_releases_are_not_newer() -> None:
    releases = {"1.1.0": 400, "1.2.0rc1": 200, "1.2.0.dev3": 210, "1.1.1": 150, "1.1.2": 5}
    project = _pypi("1.1.2", releases, yanked={"1.1.1": "regression"})
    verdict = audit.judge_pypi("example", "1.1.0", project, NOW)
    assert verdict.reasons == ["latest 1.1.2; 1 newer release, the first (1.1.2) 5 days ago"]


def test_a_newer_major_says_how_many_newer_releases_are_on_our_line() -> None:
    project = _pypi("7.1.0", {"6.33.5": 300, "6.33.6": 100, "7.0.0": 280, "7.1.0": 10})
    verdict = audit.judge_pypi("example", "6.33.5", project, NOW)
    assert verdict.level == "WARN"
    assert "3 newer releases, the first (7.0.0) 280 days ago (1 of them on our major line 6.x)" \
        in verdict.line()


@pytest.mark.parametrize("classifiers, last_upload, says", [
    (["Development Status :: 7 - Inactive"], 20, "'Development Status :: 7 - Inactive'"),
    (None, 731, "no release for 731 days: still supported?"),
])
def test_a_project_that_looks_unsupported_warns(classifiers: list[str] | None,
                                                last_upload: int, says: str) -> None:
    project = _pypi("2.0.0", {"2.0.0": last_upload}, classifiers=classifiers)
    verdict = audit.judge_pypi("example", "2.0.0", project, NOW)
    assert verdict.level == "WARN"
    assert says in verdict.line()


def test_a_project_with_a_release_within_two_years_does_not_warn() -> None:
    assert audit.judge_pypi("example", "2.0.0", _pypi("2.0.0", {"2.0.0": 729}), NOW).level == (
        "OK")


def test_versions_sort_as_pep_440_says() -> None:
    ordered = ["1.0.dev1", "1.0a1", "1.0a2.dev1", "1.0a2", "1.0b1", "1.0rc1", "1.0",
               "1.0.post1", "1.0.1", "1.1", "2!0.1"]
    keys = [audit.pypi_key(v) for v in ordered]
    assert None not in keys
    assert sorted(keys) == keys
    assert audit.pypi_key("1.0") == audit.pypi_key("1.0.0")
    assert [audit.pypi_is_final(k) for k in keys] == [False] * 6 + [True] * 5
    assert audit.pypi_key("not a version") is None


# --- npm -------------------------------------------------------------------------------

def test_the_latest_npm_version_passes() -> None:
    verdict = audit.judge_npm("example", "1.9.4", _npm("1.9.4", {"1.9.3": 400, "1.9.4": 300}),
                              NOW)
    assert (verdict.level, verdict.reasons) == ("OK", ["the latest release, of 2026-02-07"])


def test_a_deprecated_npm_version_fails() -> None:
    package = _npm("1.9.4", {"1.9.3": 400, "1.9.4": 300},
                   deprecated={"1.9.4": "critical security issue, use 1.9.5"})
    verdict = audit.judge_npm("example", "1.9.4", package, NOW)
    assert verdict.level == "FAIL"
    assert "DEPRECATED: critical security issue, use 1.9.5" in verdict.line()


def test_an_unpublished_npm_version_fails() -> None:
    verdict = audit.judge_npm("example", "1.9.5", _npm("1.9.4", {"1.9.4": 300}), NOW)
    assert verdict.level == "FAIL"


def test_a_newer_minor_on_our_line_is_noted_then_warned_after_90_days() -> None:
    versions = {"1.9.4": 300, "1.10.0": 40, "2.0.0-beta.1": 100}
    fresh = audit.judge_npm("example", "1.9.4", _npm("1.10.0", versions), NOW)
    assert fresh.level == "NOTE"
    assert fresh.reasons == ["newer minor release on our line: 1, the first (1.10.0) 40 days ago"]
    versions["1.10.0"] = 120
    stale = audit.judge_npm("example", "1.9.4", _npm("1.10.0", versions), NOW)
    assert stale.level == "WARN"


def test_a_newer_major_is_reported_with_our_lines_last_release() -> None:
    # htmx's shape: 4.x is the latest, and 2.x still has releases after 4.0.0.
    versions = {"2.0.10": 120, "4.0.0": 81, "2.0.11": 72, "4.0.1": 33}
    verdict = audit.judge_npm("htmx.org", "2.0.11", _npm("4.0.1", versions), NOW)
    assert verdict.level == "NOTE"
    assert verdict.reasons == ["newer major: latest 4.0.1, the first (4.0.0) 81 days ago; our "
                               "line 2.x last released 2.0.11 on 2026-09-23"]


def test_a_newer_major_and_a_silent_line_warn() -> None:
    versions = {"1.9.4": 800, "2.0.0": 700, "2.1.0": 10}
    verdict = audit.judge_npm("example", "1.9.4", _npm("2.1.0", versions), NOW)
    assert verdict.level == "WARN"
    assert "our major line 1.x has had no release for 800 days" in verdict.line()


def test_an_npm_package_whose_latest_is_over_two_years_old_warns() -> None:
    verdict = audit.judge_npm("example", "2.0.2", _npm("2.0.2", {"2.0.2": 731}), NOW)
    assert verdict.level == "WARN"
    assert "the latest release 2.0.2 is 731 days old: still supported?" in verdict.line()
    recent = audit.judge_npm("example", "2.0.2", _npm("2.0.2", {"2.0.2": 729}), NOW)
    assert recent.level == "OK"


# --- fetching and the verdict ------------------------------------------------------------

PINS = [("alpha", "1.0.0"), ("beta", "2.0.0")]
VENDORED = [("@scope/gamma", "3.0.0")]


def _answers(documents: dict[str, Any]) -> Any:
    def fetch(url: str, timeout: float) -> Any:
        assert 0 < timeout <= audit.REQUEST_TIMEOUT
        answer = documents[url]
        if isinstance(answer, Exception):
            raise answer
        return answer
    return fetch


def _all_answered() -> dict[str, Any]:
    return {
        "https://pypi.org/pypi/alpha/json": _pypi("1.0.0", {"1.0.0": 10}),
        "https://pypi.org/pypi/beta/json": _pypi("2.0.0", {"2.0.0": 10}),
        "https://registry.npmjs.org/@scope%2Fgamma": _npm("3.0.0", {"3.0.0": 10}),
    }


def test_every_component_answered_and_clean_passes_with_the_count() -> None:
    verdicts = audit.audit(PINS, VENDORED, _answers(_all_answered()), NOW)
    lines, code = audit.report(verdicts, strict=True)
    assert code == 0
    assert ("registry audit: 3 of 3 components checked (2 of 2 PyPI pins, 1 of 1 npm "
            "packages); 0 FAIL, 0 WARN, 0 NOTE, 3 OK, 0 NOT CHECKED") in lines
    assert lines[-1] == "registry audit: passed for all 3 components"
    assert any("not visible from these endpoints" in line for line in lines)


def test_a_fail_fails_the_step() -> None:
    documents = _all_answered()
    documents["https://registry.npmjs.org/@scope%2Fgamma"] = _npm(
        "3.0.0", {"3.0.0": 10}, deprecated={"3.0.0": "do not use"})
    lines, code = audit.report(audit.audit(PINS, VENDORED, _answers(documents), NOW), False)
    assert code == 1
    assert lines[-1].startswith("registry audit: FAILED: 1 components")


def test_a_package_the_registry_says_it_does_not_know_fails() -> None:
    documents = _all_answered()
    url = "https://pypi.org/pypi/beta/json"
    documents[url] = urllib.error.HTTPError(url, 404, "Not Found", Message(),
                                            io.BytesIO(b'{"message": "Not Found"}'))
    verdicts = audit.audit(PINS, VENDORED, _answers(documents), NOW)
    assert [v.level for v in verdicts] == ["OK", "FAIL", "OK"]


def test_a_bare_404_is_not_proof_of_a_missing_package() -> None:
    # This machine's proxy answers an empty 404 for whatever it does not serve.
    documents = _all_answered()
    url = "https://pypi.org/pypi/beta/json"
    documents[url] = urllib.error.HTTPError(url, 404, "Not Found", Message(), io.BytesIO(b""))
    verdicts = audit.audit(PINS, VENDORED, _answers(documents), NOW)
    assert [v.level for v in verdicts] == ["OK", "NOT CHECKED", "OK"]


@pytest.mark.parametrize("strict, code", [(False, 0), (True, 1)])
def test_a_registry_out_of_reach_is_not_checked_and_the_step_degrades(strict: bool,
                                                                      code: int) -> None:
    asked: list[str] = []

    def offline(url: str, timeout: float) -> Any:
        asked.append(url)
        raise audit.Unreachable("[Errno 111] Connection refused")

    verdicts = audit.audit(PINS * 20, VENDORED, offline, NOW)
    assert {v.level for v in verdicts} == {"NOT CHECKED"}
    assert len(asked) < len(verdicts), "a registry out of reach is asked no more"
    lines, exit_code = audit.report(verdicts, strict)
    assert exit_code == code
    assert "0 of 41 components checked" in lines[-3]
    assert lines[-1].startswith("registry audit: NOT CHECKED: 41 of 41 components could not")
    assert not any(line.startswith("registry audit: passed") for line in lines)


def test_one_registry_out_of_reach_is_not_a_clean_audit() -> None:
    documents = _all_answered()
    documents["https://registry.npmjs.org/@scope%2Fgamma"] = audit.Unreachable("timed out")
    verdicts = audit.audit(PINS, VENDORED, _answers(documents), NOW)
    assert [v.level for v in verdicts] == ["OK", "OK", "NOT CHECKED"]
    lines, code = audit.report(verdicts, strict=False)
    assert code == 0
    assert "NOT CHECKED: 1 of 3" in lines[-1]
    assert audit.report(verdicts, strict=True)[1] == 1


def test_an_unexpected_answer_or_an_empty_budget_is_not_checked() -> None:
    documents = _all_answered()
    documents["https://pypi.org/pypi/alpha/json"] = {"info": {}}
    verdicts = audit.audit(PINS, VENDORED, _answers(documents), NOW)
    assert [v.level for v in verdicts] == ["NOT CHECKED", "OK", "OK"]
    late = audit.audit(PINS, VENDORED, _answers(_all_answered()), NOW, budget=-1)
    assert {v.level for v in late} == {"NOT CHECKED"}


def test_nothing_to_check_never_passes() -> None:
    lines, code = audit.report([], strict=False)
    assert code == 1
    assert "no component found" in lines[-1]


def test_the_lists_are_read_whole() -> None:
    lock = (ROOT / "requirements" / "runtime.lock").read_text(encoding="utf-8")
    pins = audit.pinned_packages(lock)
    assert len(pins) == sum(1 for line in lock.splitlines() if line[:1].isalnum())
    assert ("fastapi", pins[[n for n, _ in pins].index("fastapi")][1]) in pins
    manifest = (ROOT / "static" / "vendor" / "MANIFEST").read_text(encoding="utf-8")
    vendored = dict(audit.vendored_packages(manifest))
    listed = {line.split()[1] for line in manifest.splitlines()
              if line.strip() and not line.startswith("#")}
    assert {f"{p}@{v}" for p, v in vendored.items()} == listed
    assert {"htmx.org", "leaflet", "swagger-ui-dist", "@fontsource/noto-sans-sc"} <= set(vendored)


@pytest.mark.parametrize("strict, code", [("0", 0), ("1", 1)])
def test_the_script_offline_ends_fast_and_says_not_checked(strict: str, code: int) -> None:
    env = {**os.environ, "JOINTOPS_PYPI_JSON_URL": "http://127.0.0.1:9/pypi",
           "JOINTOPS_NPM_REGISTRY_URL": "http://127.0.0.1:9", "JOINTOPS_AUDIT_STRICT": strict,
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / ".ci" / "registry_audit.py")],
                          capture_output=True, text=True, env=env, timeout=60)
    assert time.monotonic() - started < 30
    assert done.returncode == code, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("registry audit: NOT CHECKED:"), done.stdout
    assert "registry audit: 0 of " in done.stdout
    assert "registry audit: passed" not in done.stdout

"""What the package registries alone can tell about our components (ASVS 5.0 15.2.1, 3.7.1).

From the development machines only the registries answer: PyPI's per-release JSON (what
pip-audit needs) answers 404 and osv.dev is out of reach, and npm audit's POST to the
advisories endpoint is refused. What does answer is PyPI's project JSON
(`/pypi/<name>/json`: every release with its upload times and `yanked`, the latest
version, the classifiers, and the known vulnerabilities of the latest release only) and
npm's package metadata (`/<package>`: versions, `deprecated`, `time`, `dist-tags`).

For every pin of requirements/runtime.lock and every package of static/vendor/MANIFEST:

- FAIL: the pinned release is yanked, deprecated or not on the registry; or the latest
  release is listed with a known vulnerability (not withdrawn). A vulnerability listed for
  the latest is fixed in no release, so an older pin very likely has it too.
- WARN: a newer release has been out longer than the longest remediation time frame
  (90 days, SECURITY.md § Third-party components): had it fixed anything, every time frame
  would have passed, and these endpoints cannot show whether it did. Or the project looks
  unsupported ("Development Status :: 7 - Inactive", or no release for two years), which
  SECURITY.md says is replaced within 90 days of the notice.
- NOTE: a newer release, out for less than 90 days.

What cannot be seen: a vulnerability fixed in a release newer than a pin (it is no longer
listed for the latest), and any vulnerability of an npm package. The verdict says so.

Every component is counted as checked only when its registry answered and its answer was
judged; a registry out of reach gives NOT CHECKED, and the step degrades (exit 0) unless
JOINTOPS_AUDIT_STRICT=1, as .ci/pip_audit.py does. Standard library only; offline it ends
within the time budget (connections refused or timing out stop asking that registry).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "runtime.lock"
MANIFEST = ROOT / "static" / "vendor" / "MANIFEST"
# Overridable so a test can point them at a closed port.
PYPI_URL = os.environ.get("JOINTOPS_PYPI_JSON_URL", "https://pypi.org/pypi")
NPM_URL = os.environ.get("JOINTOPS_NPM_REGISTRY_URL", "https://registry.npmjs.org")

LONGEST_TIME_FRAME = timedelta(days=90)  # the "low" row of SECURITY.md's table
UNSUPPORTED_AFTER = timedelta(days=730)  # no release for two years
INACTIVE = "Development Status :: 7 - Inactive"
REQUEST_TIMEOUT = 10.0  # seconds per socket operation
TIME_BUDGET = 25.0  # seconds for all requests; what is left unasked is NOT CHECKED
WORKERS = 6
MAX_BODY = 64 * 1024 * 1024

OK, NOTE, WARN, FAIL, NOT_CHECKED = "OK", "NOTE", "WARN", "FAIL", "NOT CHECKED"
_RANK = {OK: 0, NOTE: 1, WARN: 2, FAIL: 3}


@dataclass
class Verdict:
    ecosystem: str  # "pypi" or "npm"
    name: str
    version: str
    level: str = OK
    reasons: list[str] = field(default_factory=list)

    def add(self, level: str, reason: str) -> None:
        if _RANK[level] > _RANK[self.level]:
            self.level = level
        self.reasons.append(reason)

    def line(self) -> str:
        said = "; ".join(self.reasons) or "no remark"
        return f"  {self.level:<11} {self.ecosystem:<4} {self.name} {self.version}: {said}"


class Unreachable(Exception):
    """The registry did not answer at all (refused, timed out, no such host)."""


# --- the lists -------------------------------------------------------------------------

def pinned_packages(lock_text: str) -> list[tuple[str, str]]:
    """(name, version) of every `name==version` pin of a pip-compile lock."""
    return re.findall(r"^([A-Za-z0-9][\w.-]*)==([^\s\\;]+)", lock_text, re.M)


def vendored_packages(manifest_text: str) -> list[tuple[str, str]]:
    """(package, version) of static/vendor/MANIFEST, each once, in the list's order."""
    seen: dict[tuple[str, str], None] = {}
    for line in manifest_text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        package, _, version = line.split()[1].rpartition("@")
        seen[(package, version)] = None
    return list(seen)


# --- versions --------------------------------------------------------------------------

_PEP440 = re.compile(
    r"^v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre>a|alpha|b|beta|c|rc|pre|preview)[-_.]?(?P<pre_n>\d*))?"
    r"(?:-(?P<post_implicit>\d+)|[-_.]?(?:post|rev|r)[-_.]?(?P<post>\d*))?"
    r"(?:[-_.]?(?P<dev>dev)[-_.]?(?P<dev_n>\d*))?(?:\+[a-z0-9.]+)?$", re.I)
_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}

PyKey = tuple[int, tuple[int, ...], tuple[int, int], int, tuple[int, int]]


def pypi_key(version: str) -> PyKey | None:
    """A sort key following PEP 440's order, or None for a version it cannot read."""
    m = _PEP440.match(version.strip())
    if not m:
        return None
    release = tuple(int(part) for part in m["release"].split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    post_text = m["post_implicit"] or m["post"]
    has_post = m["post_implicit"] is not None or m["post"] is not None
    post = int(post_text or 0) if has_post else -1
    if m["pre"]:
        pre = (_PRE_RANK[m["pre"].lower()], int(m["pre_n"] or 0))
    elif m["dev"] and not has_post:
        pre = (-1, 0)  # 1.0.dev1 sorts before 1.0a1
    else:
        pre = (3, 0)
    dev = (0, int(m["dev_n"] or 0)) if m["dev"] else (1, 0)
    return (int(m["epoch"] or 0), release, pre, post, dev)


def pypi_is_final(key: PyKey) -> bool:
    return key[2] == (3, 0) and key[4] == (1, 0)


_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def semver(version: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of a release; None for a pre-release or anything else."""
    m = _SEMVER.match(version)
    if not m or m[4]:
        return None
    return int(m[1]), int(m[2]), int(m[3])


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _days(delta: timedelta) -> int:
    return max(delta.days, 0)


# --- PyPI ------------------------------------------------------------------------------

def judge_pypi(name: str, pinned: str, project: dict[str, Any], now: datetime) -> Verdict:
    """What PyPI's project JSON says of our pin."""
    verdict = Verdict("pypi", name, pinned)
    pinned_key = pypi_key(pinned)
    if pinned_key is None:
        verdict.add(FAIL, "the pinned version is not a PEP 440 version")
        return verdict
    releases: dict[str, list[dict[str, Any]]] = project["releases"]
    uploaded: dict[str, datetime] = {}
    yanked: dict[str, str] = {}
    pinned_as = None
    for version, files in releases.items():
        if not files:
            continue
        uploaded[version] = min(_when(f["upload_time_iso_8601"]) for f in files)
        if any(f.get("yanked") for f in files):
            reasons = {f.get("yanked_reason") or "" for f in files} - {""}
            yanked[version] = ", ".join(sorted(reasons)) or "no reason given"
        if pypi_key(version) == pinned_key:
            pinned_as = version
    if pinned_as is None:
        verdict.add(FAIL, "the pinned release is not on PyPI (removed?)")
        return verdict
    if pinned_as in yanked:
        verdict.add(FAIL, f"the pinned release is YANKED ({yanked[pinned_as]})")

    latest = str(project["info"]["version"])
    latest_key = pypi_key(latest)
    vulnerabilities = [v for v in project.get("vulnerabilities") or [] if not v.get("withdrawn")]
    ids = ", ".join(_vulnerability_name(v) for v in vulnerabilities)
    if latest_key == pinned_key:
        if vulnerabilities:
            verdict.add(FAIL, f"the pinned release is the latest and has known "
                              f"vulnerabilities: {ids}")
    elif latest_key is not None and latest_key > pinned_key:
        newer = sorted((uploaded[v], v) for v in uploaded
                       if v not in yanked and (key := pypi_key(v)) is not None
                       and pinned_key < key and pypi_is_final(key))
        if vulnerabilities:
            verdict.add(FAIL, f"the latest release {latest} has known vulnerabilities fixed "
                              f"in no release ({ids}): the older pin very likely has them")
        if newer:
            first_at, first = newer[0]
            age = now - first_at
            said = (f"latest {latest}; {len(newer)} newer release"
                    f"{'s' if len(newer) > 1 else ''}, the first ({first}) "
                    f"{_days(age)} days ago")
            on_our_line = [v for _, v in newer if (key := pypi_key(v)) is not None
                           and key[1][0] == pinned_key[1][0]]
            if latest_key[1][0] > pinned_key[1][0]:
                said += (f" ({len(on_our_line)} of them on our major line "
                         f"{pinned_key[1][0]}.x)")
            if age > LONGEST_TIME_FRAME:
                verdict.add(WARN, said + f", past the longest time frame "
                                         f"({LONGEST_TIME_FRAME.days} days)")
            else:
                verdict.add(NOTE, said)
    else:
        verdict.add(NOTE, f"pinned newer than the latest final release {latest}")

    if not verdict.reasons:
        verdict.add(OK, f"the latest release, of {uploaded[pinned_as]:%Y-%m-%d}")
    classifiers = project["info"].get("classifiers") or []
    if INACTIVE in classifiers:
        verdict.add(WARN, f"the project says '{INACTIVE}': unsupported")
    if uploaded:
        last = max(uploaded.values())
        if now - last > UNSUPPORTED_AFTER:
            verdict.add(WARN, f"no release for {_days(now - last)} days: still supported?")
    return verdict


def _vulnerability_name(vulnerability: dict[str, Any]) -> str:
    name = str(vulnerability.get("id", "?"))
    aliases = [a for a in vulnerability.get("aliases") or [] if str(a).startswith("CVE-")]
    fixed = vulnerability.get("fixed_in") or []
    return (name + (f" ({', '.join(aliases)})" if aliases else "")
            + (f" fixed in {', '.join(map(str, fixed))}" if fixed else ""))


# --- npm -------------------------------------------------------------------------------

def judge_npm(name: str, pinned: str, package: dict[str, Any], now: datetime) -> Verdict:
    """What the npm registry's metadata says of a vendored package's version."""
    verdict = Verdict("npm", name, pinned)
    versions: dict[str, dict[str, Any]] = package["versions"]
    times: dict[str, str] = package.get("time") or {}
    if pinned not in versions:
        verdict.add(FAIL, "the pinned version is not on the registry (unpublished?)")
        return verdict
    deprecated = versions[pinned].get("deprecated")
    if deprecated:
        verdict.add(FAIL, f"the pinned version is DEPRECATED: {deprecated}")
    ours = semver(pinned)
    latest = str(package["dist-tags"]["latest"])
    if latest != pinned and versions.get(latest, {}).get("deprecated"):
        verdict.add(WARN, f"the latest version {latest} is deprecated: "
                          f"{versions[latest]['deprecated']}")

    if ours is not None:
        newer = sorted((_when(times[v]), v, parsed) for v in versions
                       if (parsed := semver(v)) is not None and parsed > ours
                       and not versions[v].get("deprecated") and v in times)
        if newer:
            same_line = [(at, v, parsed) for at, v, parsed in newer if parsed[0] == ours[0]]
            other_major = [(at, v) for at, v, parsed in newer if parsed[0] > ours[0]]
            if same_line:
                kind = "minor" if any(p[1] > ours[1] for _, _, p in same_line) else "patch"
                first_at, first, _ = same_line[0]
                age = now - first_at
                said = (f"newer {kind} release on our line: {len(same_line)}, "
                        f"the first ({first}) {_days(age)} days ago")
                if age > LONGEST_TIME_FRAME:
                    verdict.add(WARN, said + f", past the longest time frame "
                                             f"({LONGEST_TIME_FRAME.days} days)")
                else:
                    verdict.add(NOTE, said)
            if other_major:
                first_at, first = other_major[0]
                line = sorted((_when(times[v]), v) for v in versions
                              if (p := semver(v)) is not None and p[0] == ours[0]
                              and v in times)
                line_at, line_newest = line[-1]
                verdict.add(NOTE, f"newer major: latest {latest}, the first ({first}) "
                                  f"{_days(now - first_at)} days ago; our line {ours[0]}.x "
                                  f"last released {line_newest} on {line_at:%Y-%m-%d}")
                if now - line_at > UNSUPPORTED_AFTER:
                    verdict.add(WARN, f"our major line {ours[0]}.x has had no release for "
                                      f"{_days(now - line_at)} days: still supported?")
    if not verdict.reasons and pinned in times:
        verdict.add(OK, f"the latest release, of {_when(times[pinned]):%Y-%m-%d}")
    if latest in times:
        age = now - _when(times[latest])
        if age > UNSUPPORTED_AFTER:
            verdict.add(WARN, f"the latest release {latest} is {_days(age)} days old: "
                              f"still supported?")
    return verdict


# --- fetching --------------------------------------------------------------------------

Fetch = Callable[[str, float], Any]  # (url, timeout in seconds) -> the parsed JSON


def fetch_json(url: str, timeout: float = REQUEST_TIMEOUT) -> Any:
    """The JSON at url. Unreachable when nothing answered; HTTPError when something did."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": "jointops-registry-audit"})
    try:
        # The scheme is checked above: no file:// or custom scheme reaches urlopen.
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # nosec B310
            return json.loads(answer.read(MAX_BODY))
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", error)
        raise Unreachable(str(reason) or type(error).__name__) from error


def pypi_url(name: str) -> str:
    return f"{PYPI_URL}/{urllib.parse.quote(name, safe='')}/json"


def npm_url(name: str) -> str:
    return f"{NPM_URL}/{urllib.parse.quote(name, safe='@')}"


def _registry_said_not_found(error: urllib.error.HTTPError) -> bool:
    """PyPI and npm say "not found" in a JSON body; a proxy's bare 404 is not theirs."""
    try:
        body = json.loads(error.read(4096) or b"null")
    except (ValueError, OSError):
        return False
    return isinstance(body, dict) and bool(body)


@dataclass
class _Registry:
    """Once a registry did not answer, it is asked no more: offline ends quickly."""
    label: str
    down: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def audit(pins: list[tuple[str, str]], vendored: list[tuple[str, str]], fetch: Fetch,
          now: datetime, budget: float = TIME_BUDGET) -> list[Verdict]:
    """A verdict for every pin and vendored package, in the lists' order."""
    deadline = time.monotonic() + budget
    pypi, npm = _Registry("PyPI"), _Registry("npm")

    def one(ecosystem: str, name: str, version: str) -> Verdict:
        registry, url, judge = ((pypi, pypi_url(name), judge_pypi) if ecosystem == "pypi"
                                else (npm, npm_url(name), judge_npm))
        if registry.down:
            return Verdict(ecosystem, name, version, NOT_CHECKED,
                           [f"{registry.label} out of reach ({registry.down})"])
        if time.monotonic() > deadline - 0.5:
            return Verdict(ecosystem, name, version, NOT_CHECKED,
                           [f"the {budget:.0f} s time budget ran out"])
        try:
            document = fetch(url, min(REQUEST_TIMEOUT, deadline - time.monotonic()))
        except Unreachable as error:
            with registry.lock:
                registry.down = registry.down or str(error)
            return Verdict(ecosystem, name, version, NOT_CHECKED,
                           [f"{registry.label} out of reach ({error})"])
        except urllib.error.HTTPError as error:
            if error.code == 404 and _registry_said_not_found(error):
                return Verdict(ecosystem, name, version, FAIL,
                               [f"{registry.label} knows no such package ({url}: 404)"])
            # This machine's proxy answers an empty 404 for whatever it does not serve (a
            # per-release JSON, another host): no proof that the package is missing.
            return Verdict(ecosystem, name, version, NOT_CHECKED,
                           [f"{url} answered {error.code} with no answer of "
                            f"{registry.label}'s own"])
        except ValueError as error:
            return Verdict(ecosystem, name, version, NOT_CHECKED,
                           [f"{registry.label} answered no JSON ({error})"])
        try:
            return judge(name, version, document, now)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            return Verdict(ecosystem, name, version, NOT_CHECKED,
                           [f"unexpected answer from {registry.label} "
                            f"({type(error).__name__}: {error})"])

    jobs = [("pypi", n, v) for n, v in pins] + [("npm", n, v) for n, v in vendored]
    # One package of each registry first, both at once: a registry out of reach costs one
    # request timeout, and is not asked again (the rest would race to ask it meanwhile).
    first = [i for i in (0, len(pins)) if i < len(jobs)]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        verdicts = dict(zip(first, pool.map(lambda i: one(*jobs[i]), first), strict=True))
        rest = [i for i in range(len(jobs)) if i not in verdicts]
        verdicts.update(zip(rest, pool.map(lambda i: one(*jobs[i]), rest), strict=True))
    return [verdicts[i] for i in range(len(jobs))]


# --- the report ------------------------------------------------------------------------

INVISIBLE = ("registry audit: not visible from these endpoints: a vulnerability fixed in a "
             "release newer than a pin (PyPI lists the vulnerabilities of the latest release "
             "only; pip-audit's per-release JSON and osv.dev are out of reach) and every "
             "vulnerability of an npm package (npm audit's POST is refused here).")


def report(verdicts: list[Verdict], strict: bool) -> tuple[list[str], int]:
    """The lines to print and the exit code. Nothing checked never reads as a pass."""
    lines = ["registry audit: PyPI project JSON for requirements/runtime.lock, npm metadata "
             "for static/vendor/MANIFEST"]
    lines += [v.line() for v in verdicts]
    counts = {level: sum(1 for v in verdicts if v.level == level)
              for level in (FAIL, WARN, NOTE, OK, NOT_CHECKED)}
    checked = len(verdicts) - counts[NOT_CHECKED]
    by_ecosystem = ", ".join(
        f"{sum(1 for v in verdicts if v.ecosystem == e and v.level != NOT_CHECKED)} of "
        f"{sum(1 for v in verdicts if v.ecosystem == e)} {label}"
        for e, label in (("pypi", "PyPI pins"), ("npm", "npm packages")))
    lines.append(f"registry audit: {checked} of {len(verdicts)} components checked "
                 f"({by_ecosystem}); {counts[FAIL]} FAIL, {counts[WARN]} WARN, "
                 f"{counts[NOTE]} NOTE, {counts[OK]} OK, {counts[NOT_CHECKED]} NOT CHECKED")
    lines.append(INVISIBLE)
    if not verdicts:
        lines.append("registry audit: FAILED: no component found in the lists")
        return lines, 1
    if counts[FAIL]:
        lines.append(f"registry audit: FAILED: {counts[FAIL]} components breach the rules "
                     f"above")
        return lines, 1
    if counts[NOT_CHECKED]:
        lines.append(f"registry audit: NOT CHECKED: {counts[NOT_CHECKED]} of "
                     f"{len(verdicts)} components could not be checked; "
                     + ("JOINTOPS_AUDIT_STRICT=1 fails the step." if strict else
                        "the step is degraded, not passed (JOINTOPS_AUDIT_STRICT=1 fails it)."))
        return lines, 1 if strict else 0
    lines.append(f"registry audit: passed for all {checked} components"
                 + (f", {counts[WARN]} with warnings" if counts[WARN] else ""))
    return lines, 0


def main() -> int:
    pins = pinned_packages(LOCK.read_text(encoding="utf-8"))
    vendored = vendored_packages(MANIFEST.read_text(encoding="utf-8"))
    verdicts = audit(pins, vendored, fetch_json, datetime.now(UTC))
    lines, code = report(verdicts, os.environ.get("JOINTOPS_AUDIT_STRICT") == "1")
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())

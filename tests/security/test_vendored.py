"""The vendored front-end files (ASVS 5.0 3.7.1): each file under static/vendor is listed
in static/vendor/MANIFEST with the npm package and version it comes from and its SHA-256,
the libraries state that same version inside, and the list agrees with the SBOM
(scripts/sbom.py). Whether a version is still supported needs the network: `make audit`
asks the npm registry (.ci/registry_audit.py, tested in test_registry_audit.py)."""

from __future__ import annotations

import hashlib
import importlib.util
import re

from app.config import ROOT

VENDOR = ROOT / "static" / "vendor"
LINE = re.compile(r"^(?P<sha>[0-9a-f]{64})  (?P<package>(@[a-z0-9-]+/)?[a-z0-9.-]+)"
                  r"@(?P<version>\d+\.\d+\.\d+)  (?P<path>\S+)$")
# Where each library states its own version, "{v}" standing for the manifest's.
STATED = {
    "htmx.org": ("htmx-{v}.min.js", 'version:"{v}"'),
    "leaflet": ("leaflet-{v}/leaflet.js", "Leaflet {v}, a JS library"),
    "swagger-ui-dist": ("swagger-ui-{v}/swagger-ui-bundle.js", 'PACKAGE_VERSION:"{v}"'),
    "world-atlas": ("borders-lancang-mekong-world-atlas-{v}.geojson",
                    '"source":"world-atlas {v} '),
}


def _manifest() -> dict[str, tuple[str, str, str]]:
    """path -> (sha256, package, version)."""
    rows: dict[str, tuple[str, str, str]] = {}
    for number, line in enumerate((VENDOR / "MANIFEST").read_text().splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        assert match, f"MANIFEST line {number}: {line!r}"
        assert match["path"] not in rows, f"MANIFEST lists {match['path']} twice"
        rows[match["path"]] = (match["sha"], match["package"], match["version"])
    return rows


def test_every_vendored_file_is_listed_with_its_package_version_and_hash() -> None:
    rows = _manifest()
    files = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    assert files - {"README.md", "MANIFEST"} == set(rows), "static/vendor/MANIFEST is stale"
    changed = [path for path, (sha, _, _) in rows.items()
               if hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() != sha]
    assert changed == []
    # A version in a file's or folder's name is the manifest's version.
    for path, (_, _, version) in rows.items():
        named = re.findall(r"-(\d+\.\d+\.\d+)(?=[./])", path)
        assert all(v == version for v in named), (path, version)
    assert len(rows) > 100  # 111 font files among them


def test_each_library_states_the_version_the_manifest_gives() -> None:
    versions = {(package, version) for _, package, version in _manifest().values()}
    for package, (path, needle) in STATED.items():
        [version] = [v for p, v in versions if p == package]
        text = (VENDOR / path.format(v=version)).read_text(encoding="utf-8")
        assert needle.format(v=version) in text, (package, version)
    # The fonts carry no version inside; their licence files are named with it.
    assert {p for p, _ in versions} - set(STATED) == {
        f"@fontsource/{name}" for name in ("noto-sans", "noto-sans-thai", "noto-sans-lao",
                                           "noto-sans-myanmar", "noto-sans-khmer",
                                           "noto-sans-sc")}


def test_the_manifest_and_the_sbom_name_the_same_packages_and_versions() -> None:
    spec = importlib.util.spec_from_file_location("sbom", ROOT / "scripts" / "sbom.py")
    assert spec and spec.loader
    sbom = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sbom)
    in_sbom = {(package, version) for package, version, _, _ in sbom.VENDORED}
    assert {(p, v) for _, p, v in _manifest().values()} == in_sbom

"""Write the board's software bill of materials (ASVS 5.0 15.1.2): CycloneDX 1.6 JSON.

Offline, from what the repository pins: every package of `requirements/runtime.lock`
(scope "required": it ships in the image) and of `requirements/dev.lock` that the runtime
lock lacks (scope "excluded": tests and tools only), with its version, PyPI package URL
and the SHA-256 hashes the lock accepts; and the vendored front-end files
(`static/vendor/README.md`). The same locks give the same document, byte for byte (the
serial number is derived from them, and no time is written).

    python scripts/sbom.py [output]        # or: make sbom (writes var/sbom.cdx.json)
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCKS = (("runtime", ROOT / "requirements" / "runtime.lock"),
         ("dev", ROOT / "requirements" / "dev.lock"))
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")
# The vendored front-end files (static/vendor/README.md): npm package, version, the path
# that holds them, licence.
VENDORED: tuple[tuple[str, str, str, str], ...] = (
    ("htmx.org", "2.0.11", "static/vendor/htmx-2.0.11.min.js", "0BSD"),
    ("swagger-ui-dist", "5.35.0", "static/vendor/swagger-ui-5.35.0", "Apache-2.0"),
    ("leaflet", "1.9.4", "static/vendor/leaflet-1.9.4", "BSD-2-Clause"),
    ("world-atlas", "2.0.2",
     "static/vendor/borders-lancang-mekong-world-atlas-2.0.2.geojson", "ISC"),
    *((f"@fontsource/{name}", "5.3.0", f"static/vendor/fonts/{name}-5.3.0.LICENSE",
       "OFL-1.1")
      for name in ("noto-sans", "noto-sans-thai", "noto-sans-lao", "noto-sans-myanmar",
                   "noto-sans-khmer", "noto-sans-sc")),
)


def locked(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name (normalised, PEP 503) -> (version, sha256 hashes) of a pip-compile lock."""
    packages: dict[str, tuple[str, list[str]]] = {}
    name = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        pin = _PIN.match(line)
        if pin:
            name = re.sub(r"[-_.]+", "-", pin.group(1)).lower()
            packages[name] = (pin.group(2), [])
        elif name and line.startswith(" "):
            packages[name][1].extend(_HASH.findall(line))
        else:
            name = ""
    return packages


def _project_version() -> str:
    match = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    return match.group(1) if match else "0"


def bom() -> dict[str, Any]:
    """The SBOM as a JSON-ready dict."""
    components: list[dict[str, Any]] = []
    seen: set[str] = set()
    digest = hashlib.sha256()
    for lock, path in LOCKS:
        digest.update(path.read_bytes())
        for name, (version, hashes) in sorted(locked(path).items()):
            if name in seen:
                continue
            seen.add(name)
            purl = f"pkg:pypi/{name}@{version}"
            components.append({
                "type": "library", "bom-ref": purl, "name": name, "version": version,
                "purl": purl, "scope": "required" if lock == "runtime" else "excluded",
                "hashes": [{"alg": "SHA-256", "content": h} for h in hashes],
                "properties": [{"name": "jointops:lock", "value": f"requirements/{lock}.lock"}],
            })
    for package, version, where, licence in VENDORED:
        purl = f"pkg:npm/{package.replace('@', '%40')}@{version}"
        components.append({
            "type": "library", "bom-ref": purl, "name": package, "version": version,
            "purl": purl, "scope": "required", "licenses": [{"license": {"id": licence}}],
            "properties": [{"name": "jointops:vendored", "value": where}],
        })
    version = _project_version()
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.UUID(bytes=digest.digest()[:16], version=5)}",
        "version": 1,
        "metadata": {
            "component": {"type": "application", "bom-ref": f"jointops@{version}",
                          "name": "jointops", "version": version},
            "tools": {"components": [{"type": "application", "name": "scripts/sbom.py"}]},
        },
        "components": components,
    }


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else ROOT / "var" / "sbom.cdx.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    document = bom()
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"{target}: {len(document['components'])} components")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

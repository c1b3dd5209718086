"""The software bill of materials (ASVS 5.0 15.1.2): `make sbom` writes CycloneDX 1.6
JSON offline, listing every package of both locks and every vendored front-end file."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from cyclonedx.model.bom import Bom

from app.config import ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sbom", ROOT / "scripts" / "sbom.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / f"{lock}.lock").read_text(encoding="utf-8")
    return {re.sub(r"[-_.]+", "-", name).lower(): version
            for name, version in re.findall(r"^([A-Za-z0-9][\w.-]*)==(\S+)", text, re.M)}


def test_the_sbom_lists_every_locked_package_and_vendored_file(tmp_path: Path) -> None:
    target = tmp_path / "sbom.cdx.json"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "sbom.py"), str(target)],
                          capture_output=True, text=True, check=True)
    document = json.loads(target.read_text(encoding="utf-8"))
    assert f"{len(document['components'])} components" in done.stdout
    assert (document["bomFormat"], document["specVersion"]) == ("CycloneDX", "1.6")
    listed = {(c["name"], c["version"]): c for c in document["components"]}
    runtime, dev = _pins("runtime"), _pins("dev")
    assert len(runtime) > 40 and len(dev) > len(runtime)
    for name, version in runtime.items():
        component = listed[(name, version)]
        assert component["scope"] == "required"
        assert component["purl"] == f"pkg:pypi/{name}@{version}"
        assert component["hashes"], name  # the lock's --hash values
    for name, version in dev.items():
        assert (name, version) in listed or name in runtime, name
    assert all(c["scope"] == "excluded" for (name, _), c in listed.items()
               if name in dev and name not in runtime)
    # Every vendored file or folder that names a version is listed, and exists.
    vendored = {c["properties"][0]["value"] for c in document["components"]
                if c["properties"][0]["name"] == "jointops:vendored"}
    assert all((ROOT / path).exists() for path in vendored)
    named = {str(p.relative_to(ROOT)) for p in (ROOT / "static" / "vendor").rglob("*")
             if re.search(r"-\d+\.\d+\.\d+(\.min\.js|\.geojson)?$", p.name)
             or (p.parent.name == "fonts" and p.name.endswith(".LICENSE"))}
    assert named and named <= vendored
    # CycloneDX's own library reads it back; the same locks give the same bytes.
    bom = Bom.from_json(document)  # type: ignore[attr-defined]
    assert len(bom.components) == len(document["components"])
    assert _script().bom() == document


def test_a_lock_is_read_with_its_hashes() -> None:
    packages = _script().locked(ROOT / "requirements" / "runtime.lock")
    assert packages == {name: (version, packages[name][1]) for name, version in
                        _pins("runtime").items()}
    assert all(len(hashes) >= 1 for _, hashes in packages.values())

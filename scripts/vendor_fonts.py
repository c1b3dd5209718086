"""Vendor the fonts that render the officers' scripts offline (issue 11): Noto Sans for
Latin and Vietnamese, Thai, Lao, Myanmar, Khmer and Simplified Chinese, from the
@fontsource npm packages, as woff2 files in static/vendor/fonts/ and one stylesheet,
static/css/fonts.css, whose unicode-range rules make a browser fetch a file only when a
page holds a character of it (the Chinese font is 102 small files, not one of 4 MB).

    mkdir /tmp/fonts && cd /tmp/fonts
    for p in noto-sans noto-sans-thai noto-sans-lao noto-sans-myanmar noto-sans-khmer \\
             noto-sans-sc; do npm pack @fontsource/$p@5.3.0; done
    for f in *.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
    python scripts/vendor_fonts.py /tmp/fonts
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "static" / "vendor" / "fonts"
STYLESHEET = ROOT / "static" / "css" / "fonts.css"
VERSION = "5.3.0"

# package -> (weights, subsets kept; "[n]" keeps the numbered chunks of a CJK font).
# Chinese gets regular only: bold is synthesised, which halves 7 MB of files.
PACKAGES: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "noto-sans": ((400, 700), ("latin", "latin-ext", "vietnamese")),
    "noto-sans-thai": ((400, 700), ("thai",)),
    "noto-sans-lao": ((400, 700), ("lao",)),
    "noto-sans-myanmar": ((400, 700), ("myanmar",)),
    "noto-sans-khmer": ((400, 700), ("khmer",)),
    "noto-sans-sc": ((400,), ("[n]",)),
}
BLOCK = re.compile(r"/\* (?P<name>[^*]+?) \*/\s*(?P<rule>@font-face \{.*?\})", re.S)
WOFF2 = re.compile(r"url\(\./files/(?P<file>[^)]+?\.woff2)\) format\('woff2'\)")


def subset_of(package: str, name: str, weight: int) -> str:
    """`noto-sans-thai-thai-400-normal` -> `thai`; `noto-sans-sc-[4]-400-normal` -> `[n]`."""
    middle = name.removeprefix(package + "-").removesuffix(f"-{weight}-normal")
    return "[n]" if re.fullmatch(r"\[\d+\]", middle) else middle


def main(source: Path) -> None:
    if FONTS.exists():
        shutil.rmtree(FONTS)
    FONTS.mkdir(parents=True)
    rules = [f"/* Noto Sans from @fontsource {VERSION} (SIL Open Font License 1.1), "
             "written by scripts/vendor_fonts.py: do not edit. */"]
    for package, (weights, subsets) in PACKAGES.items():
        root = source / f"fontsource-{package}-{VERSION}" / "package"
        shutil.copy(root / "LICENSE", FONTS / f"{package}-{VERSION}.LICENSE")
        for weight in weights:
            css = (root / f"{weight}.css").read_text()
            for block in BLOCK.finditer(css):
                if subset_of(package, block["name"], weight) not in subsets:
                    continue
                rule = block["rule"]
                woff2 = WOFF2.search(rule)
                assert woff2, block["name"]
                shutil.copy(root / "files" / woff2["file"], FONTS / woff2["file"])
                # woff2 only: every browser the board supports reads it.
                rule = re.sub(r"src: [^;]+;", f"src: url(../vendor/fonts/{woff2['file']}) "
                              "format('woff2');", rule)
                rules.append(rule)
    STYLESHEET.write_text("\n".join(rules) + "\n")
    files = list(FONTS.glob("*.woff2"))
    size = sum(f.stat().st_size for f in files)
    print(f"{len(files)} font files, {size / 1e6:.1f} MB; {len(rules) - 1} @font-face rules")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

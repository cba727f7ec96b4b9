"""Ship a Chinese font for the PDF meeting pack: Noto Sans CJK SC, subset to GB2312 + ASCII.

The PDF export (``dashboard/review_pdf.py``) and its charts must draw Chinese text offline,
on machines that may have no CJK font installed, so the repository carries one. This script
makes it from Debian's ``fonts-noto-cjk`` package (``/usr/share/fonts/opentype/noto/``):

1. take the Simplified Chinese member ("Noto Sans CJK SC") out of the TTC collection;
2. subset it to ASCII, the GB2312 character set (6,763 hanzi and 682 symbols) and the few
   marks the dashboard prints (−, —, –, …, ·, ±, ×, ≤, ≥, ∞, ‰, €, ¥);
3. write ``data/shipped/fonts/NotoSansSC-<Weight>-GB2312.otf`` with the SIL Open Font
   License next to it (``OFL.txt``; the font is OFL 1.1, © Adobe, with its Reserved Font
   Name "Source", which a subset under the name "Noto Sans CJK SC" does not use).

Run from the repository root: ``.venv/bin/python scripts/ship_cjk_font.py``. The output is
deterministic for one input font (fontTools' subsetter with timestamps left as they were).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
TARGET_DIR = Path(__file__).resolve().parents[1] / "data" / "shipped" / "fonts"
#: One weight keeps the repository small; headings use size and colour instead of bold.
WEIGHTS = ("Regular",)
FAMILY = "Noto Sans CJK SC"
EXTRA = "−—–…·±×≤≥∞‰€¥“”‘’、。，：；！？（）【】《》〈〉「」『』"
#: Debian's copyright file of the package, which carries the licence's full text.
COPYRIGHT_FILE = Path("/usr/share/doc/fonts-noto-cjk/copyright")


def gb2312_characters() -> str:
    """Every character of GB2312 (rows 0xA1–0xF7, cells 0xA1–0xFE), decoded."""
    chars = []
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def wanted_text() -> str:
    """ASCII, GB2312 and the extra marks."""
    ascii_chars = "".join(chr(c) for c in range(0x20, 0x7F))
    return ascii_chars + gb2312_characters() + EXTRA


def simplified_member(path: Path):
    """The "Noto Sans CJK SC" font of the collection at ``path``."""
    collection = TTCollection(str(path))
    for font in collection.fonts:
        if font["name"].getDebugName(1) == FAMILY:
            return font
    raise SystemExit(f"{path}: no {FAMILY!r} in the collection")


def ship(weight: str, source_dir: Path, target_dir: Path) -> Path:
    """Subset one weight and write it; returns the written path."""
    font = simplified_member(source_dir / f"NotoSansCJK-{weight}.ttc")
    options = subset.Options()
    options.hinting = False  # printed and rasterised at high resolution: no need
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.drop_tables += ["DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=wanted_text())
    subsetter.subset(font)
    target = target_dir / f"NotoSansSC-{weight}-GB2312.otf"
    font.save(str(target))
    return target


def licence_text(font_path: Path, copyright_file: Path) -> str:
    """The OFL 1.1 text with the font's own copyright notice above it."""
    from fontTools.ttLib import TTFont

    notice = TTFont(str(font_path))["name"].getDebugName(0)
    lines = copyright_file.read_text(encoding="utf-8").splitlines()
    start = lines.index("License: SIL-1.1", lines.index("License: SIL-1.1") + 1) + 1
    body = []
    for line in lines[start:]:
        if line.startswith("License:"):
            break
        body.append("" if line.strip() == "." else line[1:])
    header = f"{FAMILY}, subset to GB2312 + ASCII by scripts/ship_cjk_font.py\n{notice}\n"
    return header + "\n" + "\n".join(body).strip() + "\n"


def main() -> None:
    """Write the subset fonts and report their sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE_DIR)
    parser.add_argument("--target", type=Path, default=TARGET_DIR)
    args = parser.parse_args()
    args.target.mkdir(parents=True, exist_ok=True)
    for weight in WEIGHTS:
        path = ship(weight, args.source, args.target)
        print(f"{path}: {path.stat().st_size / 1e6:.2f} MB")
    ofl = args.target / "OFL.txt"
    ofl.write_text(licence_text(path, COPYRIGHT_FILE), encoding="utf-8")
    print(ofl)


if __name__ == "__main__":
    main()

"""Make the small CJK font the PDF falls back on: WenQuanYi Micro Hei, cut down to the
Chinese characters that appear in data/ and chapters/ (Typst's own fonts have none).

Run after adding Chinese text: `python tools/subset_cjk_font.py` (needs Debian's
fonts-wqy-microhei at build time of the subset only). tests/test_fonts.py fails while
a character of data/ or chapters/ is missing from the subset.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
TARGET = ROOT / "code/briefing/render/assets/fonts/wqy-microhei-subset.ttf"


def is_cjk(char: str) -> bool:
    """CJK ideographs, CJK symbols and punctuation, and full-width forms."""
    code = ord(char)
    return (0x3000 <= code <= 0x303F or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF)


def needed_characters(root: Path = ROOT) -> set[str]:
    files = [*root.glob("data/**/*.csv"), *root.glob("data/**/*.json"), *root.glob("chapters/*.qmd"),
             root / "index.qmd", root / "references.bib"]
    return {c for f in files if f.is_file() for c in f.read_text(encoding="utf-8") if is_cjk(c)}


def main() -> int:
    chars = needed_characters()
    font = TTFont(SOURCE, fontNumber=0)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    font["head"].modified = font["head"].created
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(TARGET, reorderTables=True)
    print(f"{TARGET.relative_to(ROOT)}: {len(chars)} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())

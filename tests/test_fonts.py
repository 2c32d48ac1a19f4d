"""The PDF's CJK fallback font covers every Chinese character the book can print."""

from __future__ import annotations

import sys

from fontTools.ttLib import TTFont

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from subset_cjk_font import TARGET, needed_characters  # noqa: E402


def test_cjk_subset_covers_every_chinese_character_in_data_and_chapters():
    cmap = TTFont(TARGET).getBestCmap()
    missing = sorted(c for c in needed_characters() if ord(c) not in cmap)
    assert missing == [], f"run `python tools/subset_cjk_font.py`: {''.join(missing)} not in {TARGET.name}"


def test_the_bank_of_china_plan_title_is_covered():
    # data/investments.csv: 支持人工智能产业链发展行动方案, the Bank of China's plan (China Business Journal copy)
    cmap = TTFont(TARGET).getBestCmap()
    assert all(ord(c) in cmap for c in "支持人工智能产业链发展行动方案")

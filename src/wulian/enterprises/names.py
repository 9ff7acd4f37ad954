"""Enterprise names folded for duplicate detection, and keyed for sorting and finding in pinyin.

Two spellings of one firm's name often differ only in width (（） vs ()), spaces, brackets
or the company-form suffix (有限公司 / 有限责任公司 / 股份有限公司). `name_key` folds all of
these, so firms without a credit code can still be flagged as likely duplicates. A branch
(分公司) stays distinct.

`pinyin_key` sorts names as Chinese readers expect (by pinyin, syllable by syllable, not by code
point); `search_key` lets a list find a firm by part of its name or a former name, by its full
pinyin or by the pinyin initials (cqcaqc finds 重庆长安汽车), whichever is typed. Readings come
from pypinyin's phrase dictionary (重庆 chóng qìng, 长安 cháng ān), shipped with the library.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin

_BRACKETS = re.compile(r"[()\[\]{}<>〔〕【】《》「」『』]")
_SPACES = re.compile(r"[\s\u3000·.。、,，-]+")
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司")


def clean_name(name: str) -> str:
    """The name as it is stored: NFKC width folding of letters and digits, spaces collapsed."""
    text = unicodedata.normalize("NFKC", name).strip()
    text = re.sub(r"\s+", " ", text)
    # Chinese names keep full-width brackets, as registration certificates print them.
    return text.replace("(", "（").replace(")", "）")


def name_key(name: str) -> str:
    """The folded form that likely duplicates share."""
    text = unicodedata.normalize("NFKC", name).lower()
    text = _BRACKETS.sub("", text)
    text = _SPACES.sub("", text)
    if text.endswith("分公司"):
        return text
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def _syllables(name: str, style: Style = Style.NORMAL) -> list[str]:
    text = unicodedata.normalize("NFKC", name).lower()
    return [s for s in lazy_pinyin(text, style=style, errors="default") if s.strip()]


def pinyin_key(name: str) -> str:
    """The sort key of a name: its pinyin without tones, syllables apart (“chong qing …”)."""
    return " ".join(_syllables(name))[:400]


def search_key(name: str, former: Iterable[str] = ()) -> str:
    """What a search matches against: each name folded as `name_key`, in full pinyin and in
    pinyin initials, for the name and every former name ("|" apart, lower case)."""
    parts = []
    for text in (name, *former):
        parts += [
            name_key(text),
            "".join(_syllables(text)).replace(" ", ""),
            "".join(_syllables(text, Style.FIRST_LETTER)).replace(" ", ""),
        ]
    return "|".join(dict.fromkeys(p for p in parts if p))[:2000]

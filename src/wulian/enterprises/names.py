"""Enterprise names folded for duplicate detection.

Two spellings of one firm's name often differ only in width (（） vs ()), spaces, brackets
or the company-form suffix (有限公司 / 有限责任公司 / 股份有限公司). `name_key` folds all of
these, so firms without a credit code can still be flagged as likely duplicates. A branch
(分公司) stays distinct.
"""

from __future__ import annotations

import re
import unicodedata

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

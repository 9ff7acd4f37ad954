"""The national occupation classification (职业分类大典 2022) as a code → name table, read from
the operator's own copy (a CSV with columns level, code, name, …), or absent.

An occupation code given for a person or a post is stored when the table knows it as an
occupation (level 4, x-xx-xx-xx); with no table configured only the code's shape is checked.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Mapping
from pathlib import Path

from wulian.core.errors import InvalidInput

CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")


@functools.cache
def load(path: Path) -> Mapping[str, str]:
    """The occupations (level 4) of the CSV at path: code → name."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {
            row["code"].strip(): row["name"].strip()
            for row in csv.DictReader(handle)
            if str(row.get("level", "")).strip() == "4"
        }


def check(
    code: str, table: Mapping[str, str] | None, *, field: str = "occupation_code"
) -> str | None:
    """The occupation code as stored (None when not given), or a clear error."""
    code = code.strip()
    if not code:
        return None
    if not CODE.match(code):
        raise InvalidInput(
            f"职业代码“{code}”格式不对：应为职业分类大典（2022）的细类代码，如 2-02-09-01",
            field=field,
            value=code,
        )
    if table is not None and code not in table:
        raise InvalidInput(
            f"职业分类大典（2022）中没有职业代码“{code}”（须为细类，即职业）",
            field=field,
            value=code,
        )
    return code

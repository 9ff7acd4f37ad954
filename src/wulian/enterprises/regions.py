"""Regions of addresses: cpca finds province, city and county in free-text Chinese addresses."""

from __future__ import annotations

from collections.abc import Sequence


def locate(addresses: Sequence[str | None]) -> list[str | None]:
    """The six-digit county (or city) adcode of each address, None where cpca finds none."""
    import cpca  # loads its tables on first use (about half a second)

    texts = [a or "" for a in addresses]
    if not any(texts):
        return [None] * len(texts)
    frame = cpca.transform(texts)
    codes: list[str | None] = []
    for code in frame["adcode"].tolist():
        text = str(code) if code is not None and str(code) not in ("", "nan", "None") else ""
        codes.append(text[:6] if len(text) >= 6 else None)
    return codes

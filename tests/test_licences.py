"""Every package wulian runs on carries a licence a government deployment accepts, and the
notices shipped with the package list exactly those packages with their licences."""

from __future__ import annotations

import re

import pytest

from wulian.cli import licences


def test_every_runtime_package_has_an_accepted_licence():
    found = licences.packages()
    assert {"fastapi", "polars", "sqlalchemy", "pypinyin", "psycopg"} <= {p.name for p in found}
    assert not any(p.name in ("pytest", "hypothesis", "playwright", "ruff") for p in found)
    refused = [(p.name, p.licence) for p in found if not p.accepted]
    assert refused == []


def test_the_shipped_notices_are_current():
    rows = re.findall(r"^\| ([a-z0-9-]+) \| [^|]+ \| ([^|]+) \|", licences.shipped(), re.M)
    installed = [(p.name, p.licence) for p in licences.packages()]
    assert rows == installed, "run: wulian licences --write src/wulian/THIRD_PARTY_NOTICES.md"


@pytest.mark.parametrize(
    ("licence", "accepted"),
    [
        ("MIT", True),
        ("BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0", True),
        ("BSD License; Apache Software License", True),
        ("BSD-2-Clause AND Apache-2.0 WITH LLVM-exception", True),
        ("GPL-3.0-only", False),
        ("AGPL-3.0-or-later", False),
        ("MIT AND GPL-2.0-only", False),
        ("LGPL-3.0-only", False),  # only the named, unmodified libraries are accepted
        ("未声明", False),
    ],
)
def test_which_licences_are_accepted(licence, accepted):
    assert licences.Package("somepkg", "1", licence, "").accepted is accepted

"""Every package wulian runs on carries a licence a government deployment accepts, and the
notices shipped with the package list exactly those packages with their licences."""

from __future__ import annotations

import hashlib
import re
import subprocess
from importlib import resources
from pathlib import Path

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


@pytest.mark.parametrize("vendored", licences.VENDORED, ids=lambda v: v.name)
def test_each_vendored_library_ships_as_released_with_its_licence_texts(vendored):
    """The file is the one released (its digest), of the version the notices name, with its
    licence and notice texts beside it, and listed in the shipped notices."""
    root = resources.files("wulian")
    content = root.joinpath(vendored.path).read_bytes()
    assert hashlib.sha256(content).hexdigest() == vendored.sha256
    assert f'version="{vendored.version}"'.encode() in content
    for text in vendored.texts:
        assert root.joinpath(vendored.folder, text).read_text("utf-8").strip()
    assert f"| {vendored.path} | {vendored.name} | {vendored.version} |" in licences.shipped()


def test_the_wheel_ships_the_static_files():
    """Hatch packs every file under src/wulian that git does not ignore: nothing ignores the
    vendored libraries or the chart script."""
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "-v",
         "src/wulian/web/static/vendor/echarts/echarts.min.js",
         "src/wulian/web/static/js/charts.js"],
        cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ignored.stdout == ""

"""The cultivation pools as a list: filtered by title, chain and firm, firms in pinyin order, a
title's members page by page, an export of exactly what the filter matches; a title that is not
on the ladder is refused in Chinese."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.conftest import login
from tests.policy.conftest import actor_of
from wulian.core.errors import InvalidInput
from wulian.policy import service


@pytest.fixture
def run_id(world, zone):
    analyst = actor_of(world, "analyst1")
    return world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)


def pooled(world, run_id, **filters):
    analyst = actor_of(world, "analyst1")
    chosen = service.PoolFilters(**filters)
    _, found = world.run(lambda s: service.pools(s, actor=analyst, run_id=run_id, filters=chosen))
    return {p.policy.id: [m.enterprise.name for _, m in p.members()] for p in found}


def test_the_filters(world, run_id):
    everyone = pooled(world, run_id)
    assert everyone["kexing"] == ["政策丙科技有限公司", "政策甲科技有限公司"]  # bing, jia
    assert list(pooled(world, run_id, title="kexing")) == ["kexing"]
    assert pooled(world, run_id, title="kexing", q="政策甲") == {"kexing": ["政策甲科技有限公司"]}
    assert pooled(world, run_id, title="kexing", q="zcb")["kexing"] == ["政策丙科技有限公司"]
    assert pooled(world, run_id, chain="电子信息")["kexing"] == everyone["kexing"]
    assert pooled(world, run_id, chain=service.NO_CHAIN)["kexing"] == []
    with pytest.raises(InvalidInput, match="没有这个培育称号"):
        pooled(world, run_id, title="gaoqi")


def test_the_page_pages_a_title_and_exports_the_filter(world, run_id, make_client):
    client = make_client()
    login(client, "analyst1")
    base = f"/policies/runs/{run_id}/pools"
    every = client.get(base)
    assert every.status_code == 200
    assert every.text.count("data-firm=") == 2
    one = client.get(base + "?title=kexing&per_page=1")
    assert one.text.count("data-firm=") == 1
    assert "第 1 / 2 页，共 2 条" in one.text
    second = client.get(base + "?title=kexing&per_page=1&page=2")
    assert "政策甲科技有限公司" in second.text
    assert "政策丙科技有限公司" not in second.text
    found = client.get(base + "?q=%E6%94%BF%E7%AD%96%E7%94%B2")  # 政策甲
    assert found.text.count("data-firm=") == 1
    assert f'href="{base}/export.xlsx?q=%E6%94%BF%E7%AD%96%E7%94%B2"' in found.text
    export = client.get(base + "/export.xlsx?title=kexing")
    values = list(openpyxl.load_workbook(io.BytesIO(export.content)).active.values)
    header = next(i for i, r in enumerate(values) if r and r[0] == "培育称号")
    rows = [r for r in values[header + 1 :] if r and r[2]]
    assert [r[2] for r in rows] == ["政策丙科技有限公司", "政策甲科技有限公司"]
    assert {r[1] for r in rows} == {"电子信息"}  # the chain by name (unknown chains as given)
    assert all(r[4] for r in rows)  # the gaps, in words
    bad = client.get(base + "?title=gaoqi")
    assert bad.status_code == 422
    assert "没有这个培育称号" in bad.text
    assert bad.text.count("data-firm=") == 2  # every pool, unfiltered

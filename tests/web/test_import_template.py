"""The import page offers a template to fill in: a column per metric that can be reported, as
the import reads it; a filled-in template checks clean; the demo's sample file is offered only
where the demo wrote one."""

from __future__ import annotations

import io

import openpyxl

from tests.conftest import SYSTEM, csrf_from, login
from wulian.core.permissions import Role
from wulian.enterprises import importreport
from wulian.enterprises.uscc import synthetic
from wulian.reference import service as reference_service


def test_a_filled_in_template_checks_clean(client, world, settings):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    world.enterprise("模板测试科技有限公司", code=synthetic(77))
    world.user("officer1", Role.OFFICER, department_id=world.department())
    login(client, "officer1")
    page = client.get("/imports").text
    assert 'href="/imports/template.xlsx"' in page
    assert "sample.xlsx" not in page  # no demo here
    assert client.get("/imports/sample.xlsx").status_code == 404
    response = client.get("/imports/template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["企业数据", "指标说明"]
    sheet = book["企业数据"]
    headers = [c.value for c in sheet[1]]
    assert headers[:2] == ["统一社会信用代码", "企业名称"]
    assert "营业收入（万元）" in headers
    sheet.append([synthetic(77), "模板测试科技有限公司"] + [None] * (len(headers) - 2))
    sheet.cell(2, headers.index("营业收入（万元）") + 1, 1234.5)
    buffer = io.BytesIO()
    book.save(buffer)
    checked = client.post(
        "/imports",
        data={"csrf_token": csrf_from(page), "kind": "facts", "period": "2024", "source": "tax"},
        files={"file": ("模板.xlsx", buffer.getvalue())},
    )
    assert checked.status_code == 200
    assert 'id="import-summary"' in checked.text
    assert "1 行" in checked.text or "1 条" in checked.text
    assert "不认识这个表头" not in checked.text


def test_the_demo_sample_is_offered_where_it_was_written(client, world, settings):
    world.user("officer1", Role.OFFICER, department_id=world.department())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / importreport.SAMPLE_NAME).write_bytes(b"PK\x03\x04sample")
    login(client, "officer1")
    assert 'href="/imports/sample.xlsx"' in client.get("/imports").text
    assert client.get("/imports/sample.xlsx").content == b"PK\x03\x04sample"
    world.user("analyst1", Role.ANALYST)
    other = client.__class__(client.app)
    login(other, "analyst1")
    assert other.get("/imports/template.xlsx", follow_redirects=False).status_code == 403

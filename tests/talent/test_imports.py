"""Staff and posts imports: all or nothing, with row, column and value in Chinese; salaries in the
wrong unit flagged; identity numbers never shown in full; a firm imports only for itself."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
import xlsxwriter

from tests.conftest import SYSTEM
from tests.talent.conftest import KEYS, TODAY, identity
from wulian.chains import service as chains
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import PermissionDenied
from wulian.talent import imports, service
from wulian.talent.models import Consent, Person, Post

STAFF_HEADERS = ["姓名", "身份证号", "学历", "专业", "技能", "年薪（万元）", "产业链", "环节",
                 "同意用途", "同意日期"]  # fmt: skip
POST_HEADERS = ["岗位名称", "学历要求", "经验要求（年）", "年薪下限（元/月）", "年薪上限（元/月）",
                "招聘人数", "产业链", "环节", "技能要求"]  # fmt: skip


def book(headers, rows, numbers=()) -> bytes:
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet("名单")
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if c in numbers and value != "":
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, str(value))
    workbook.close()
    return out.getvalue()


def staff_row(serial, name="王晓明", salary="25", **over):
    row = {"name": name, "id": identity(serial), "edu": "硕士", "major": "材料科学与工程",
           "skills": "正极材料、电化学", "salary": salary, "chain": "锂电新材料",
           "node": "正极材料", "purposes": "企业人才登记、岗位匹配",
           "on": "2026-06-01"} | over  # fmt: skip
    return list(row.values())


@pytest.fixture
def atlas(world, zone):
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    return zone


def run(world, actor, data, *, kind=imports.STAFF, dry_run=False, **kw):
    return world.run(
        lambda s: imports.run_import(
            s, kind=kind, actor=actor, keys=KEYS, today=TODAY, data=data, filename="名单.xlsx",
            dry_run=dry_run, **kw,
        )
    )  # fmt: skip


def count(world, model) -> int:
    return int(world.scalar(sa.select(sa.func.count()).select_from(model)))


def test_a_firm_imports_its_staff_list(world, atlas):
    actor = atlas.actor(world, "firm_a_user")
    data = book(STAFF_HEADERS, [staff_row(1), staff_row(2, name="李娜", salary="12.5")])
    checked = run(world, actor, data, dry_run=True)
    assert checked.ready
    assert checked.created == 2
    assert count(world, Person) == 0  # a check writes nothing
    report = run(world, actor, data)
    assert report.committed
    assert report.preview[0]["identity"] == "3308**********0011"
    people = world.run(lambda s: service.list_people(s, actor=actor, keys=KEYS))
    assert [(p.name, p.salary_label, p.node) for p in people] == [
        ("王晓明", "20–50 万元", "cathode"),
        ("李娜", "10–20 万元", "cathode"),
    ]
    assert count(world, Consent) == 4  # two purposes each, with the day agreed
    assert (
        world.scalar(
            sa.select(AuditEntry.after["rows"]).where(AuditEntry.action == "talent.import_staff")
        )
        == 2
    )


def test_one_bad_row_writes_nothing_and_says_where(world, atlas):
    actor = atlas.actor(world, "firm_a_user")
    good, wrong = identity(1), identity(2)
    wrong = wrong[:-1] + ("1" if wrong[-1] != "1" else "2")
    future = identity(3, born=dt.date(2027, 2, 1))
    rows = [staff_row(1), staff_row(2, id=wrong), staff_row(3, id=future),
            staff_row(4, edu="博士后"), staff_row(5, on="")]  # fmt: skip
    report = run(world, actor, book(STAFF_HEADERS, rows))
    assert not report.committed
    assert count(world, Person) == 0
    where = {(p.row, p.column): p for p in report.problems}
    assert set(where) == {(3, "身份证号"), (4, "身份证号"), (5, "学历"), (6, "同意日期")}
    assert "校验位错误" in where[3, "身份证号"].reason
    assert where[3, "身份证号"].value == "3308**********" + wrong[-4:]
    assert wrong not in str(report.problems)
    assert good not in str(report.problems)
    assert "在今天之后" in where[4, "身份证号"].reason
    assert "博士后" in where[5, "学历"].reason
    assert "本人同意" in where[6, "同意日期"].reason
    assert where[3, "身份证号"].describe().startswith("第 3 行“身份证号”列")


def test_a_salary_in_the_wrong_unit_is_flagged_until_confirmed(world, atlas):
    actor = atlas.actor(world, "firm_a_user")
    data = book(STAFF_HEADERS, [staff_row(1, salary="250000"), staff_row(2)])
    report = run(world, actor, data)
    assert not report.committed
    assert [(f.row, f.column, f.value) for f in report.flags] == [(2, "年薪（万元）", "250000")]
    assert "疑似按元填写" in report.flags[0].reason
    assert count(world, Person) == 0
    report = run(world, actor, data, confirm_rows=[2])
    assert report.committed
    bands = world.scalar(sa.select(sa.func.count()).where(Person.salary_band == "20_50"))
    assert bands == 2  # 250,000 元 is 25 万元: the same band as the second row


def test_identity_numbers_stored_as_excel_numbers_are_refused(world, atlas):
    actor = atlas.actor(world, "firm_a_user")
    rows = [staff_row(1, id=identity(1)[:17] + "1")]
    rows[0][1] = "330802199005170011"
    report = run(world, actor, book(STAFF_HEADERS, rows, numbers=(1,)))
    assert "文本" in report.problems[0].reason
    assert count(world, Person) == 0


def test_a_firm_cannot_import_another_firms_staff(world, atlas):
    with pytest.raises(PermissionDenied, match="本企业"):
        run(world, atlas.actor(world, "firm_b_user"), book(STAFF_HEADERS, [staff_row(1)]),
            enterprise_id=atlas.firm_a)  # fmt: skip
    with pytest.raises(PermissionDenied, match="人才办"):
        run(world, atlas.actor(world, "other_officer"), book(STAFF_HEADERS, [staff_row(1)]),
            enterprise_id=atlas.firm_a)  # fmt: skip
    assert count(world, Person) == 0
    report = run(world, atlas.actor(world, "talent_officer"), book(STAFF_HEADERS, [staff_row(1)]),
                 enterprise_id=atlas.firm_a)  # fmt: skip
    assert report.committed


def test_a_missing_column_and_a_salary_without_unit(world, atlas):
    report = run(world, atlas.actor(world, "firm_a_user"),
                 book(["姓名", "年薪", "同意日期"], [["王晓明", "25", "2026-06-01"]]))  # fmt: skip
    reasons = [p.reason for p in report.problems]
    assert "缺少“身份证号”列" in reasons
    assert any("须注明单位" in r for r in reasons)


def test_a_firm_imports_its_open_posts(world, atlas):
    actor = atlas.actor(world, "firm_a_user")
    rows = [["电池材料研发工程师", "硕士", "3", "15000", "25000", "2", "锂电新材料", "正极材料",
             "正极材料、电化学"],
            ["设备维护技师", "大专", "", "", "", "5", "", "", "设备维修"]]  # fmt: skip
    report = run(world, actor, book(POST_HEADERS, rows), kind=imports.POSTS)
    assert report.committed, report.problems
    posts = world.run(lambda s: service.list_posts(s, actor=actor))
    assert [(p.title, p.salary, p.openings, p.node) for p in posts] == [
        ("电池材料研发工程师", "18–30 万元/年", 2, "cathode"),
        ("设备维护技师", "面议", 5, None),
    ]
    other = world.run(lambda s: service.list_posts(s, actor=atlas.actor(world, "firm_b_user")))
    assert other == []


def test_post_rows_with_bad_values_write_nothing(world, atlas):
    actor = atlas.actor(world, "firm_a_user")
    rows = [["工艺工程师", "本科", "2", "8", "12", "1", "锂电新材料", "正极材料", ""],
            ["质检员", "本科", "1", "6000", "8000", "零", "", "", ""],
            ["研发主管", "硕士", "5", "30000", "20000", "1", "锂电新材料", "不存在的环节",
             ""]]  # fmt: skip
    report = run(world, actor, book(POST_HEADERS, rows), kind=imports.POSTS)
    assert not report.committed
    assert count(world, Post) == 0
    assert [(f.row, f.value) for f in report.flags] == [(2, "8"), (2, "12")]
    assert "疑似按万元填写" in report.flags[0].reason
    where = {(p.row, p.column) for p in report.problems}
    assert (3, "招聘人数") in where
    assert (4, "年薪下限（元/月）") in where  # the lower bound above the upper


def test_the_templates_read_back_with_their_example_row(world, atlas):
    actor = atlas.actor(world, "firm_a_user")
    for kind in (imports.STAFF, imports.POSTS):
        report = run(world, actor, imports.template_xlsx(kind), kind=kind, dry_run=True)
        assert report.problems == [], kind.key
        assert report.created == 1

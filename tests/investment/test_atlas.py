"""The 招商图谱 as the people who use it see it: a chain's gaps (补链, 强链, 延链), a gap's layers,
ranked targets with their points and reasons, approach plans written only by their team and
turned into leads, the workbook and the Word document; a firm's user never sees any of it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from tests.conftest import SYSTEM, login, page_csrf
from wulian.chains import service as chains
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.core.permissions import Role
from wulian.enterprises import facts
from wulian.enterprises.models import Enterprise
from wulian.enterprises.uscc import synthetic
from wulian.investment import approach, atlas, report
from wulian.investment.models import InvestmentProject
from wulian.reference import service as reference_service
from wulian.reference.models import Industry, Region

TODAY = dt.date(2026, 6, 30)
AS_OF = dt.date(2026, 4, 30)
# name, main products, industry code, region, in zone, revenue 2025 (万元)
FIRMS = [
    ("图谱正极", "磷酸铁锂正极", "3985", "330802", True, 120_000.0),
    ("图谱电芯", "方形电芯、圆柱电池", "3841", "330803", True, 300_000.0),
    ("图谱电芯二", "软包电芯", "3841", "330802", True, 80_000.0),
    ("园外浙隔膜", "湿法隔膜、陶瓷涂覆隔膜", "2921", "330108", False, 60_000.0),
    ("园外苏隔膜", "锂电池隔膜", "2921", "320506", False, 200_000.0),
    ("园外粤隔膜", "涂覆隔膜", "2921", "440305", False, None),
    ("园外塑料", "塑料薄膜", "2921", "440305", False, 90_000.0),
    ("园外整车", "纯电动乘用车", "3612", "340104", False, 500_000.0),
]

INDUSTRIES = {"3985": "电子专用材料制造", "3841": "锂离子电池制造", "2921": "塑料薄膜制造",
              "3612": "新能源车整车制造"}  # fmt: skip
REGIONS = {"330802": "柯城区", "330803": "衢江区", "330108": "滨江区", "320506": "吴中区",
           "440305": "南山区", "340104": "蜀山区"}  # fmt: skip


@pytest.fixture
def mapped(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    ids = {
        name: world.enterprise(f"{name}有限公司", code=synthetic(900 + i), in_zone=in_zone)
        for i, (name, _, _, _, in_zone, _) in enumerate(FIRMS)
    }

    def write(session):
        for code, name in INDUSTRIES.items():
            if session.get(Industry, code) is None:
                session.add(Industry(code=code, name=name, parent_code=None, level=4))
        for code, name in REGIONS.items():
            if session.get(Region, code) is None:
                session.add(Region(code=code, name=name, level=3, parent_code=None))
        session.flush()
        for name, products, code, region, _, revenue in FIRMS:
            firm = session.get(Enterprise, ids[name])
            firm.main_products, firm.industry_code, firm.region_code = products, code, region
            if revenue is not None:
                facts.record(
                    session, actor=SYSTEM, enterprise_id=ids[name], metric_key="revenue",
                    period="2025", value=revenue, source="stats", as_of=AS_OF,
                )  # fmt: skip
        session.flush()
        chains.place(session, actor=SYSTEM, threshold=0.01)

    world.run(write)
    team_a = world.department("investment", "投资促进局（招商）")
    team_b = world.department("invest2", "驻沪招商组")
    world.user("officer_a", Role.OFFICER, department_id=team_a)
    world.user("officer_b", Role.OFFICER, department_id=team_b)
    world.user("analyst", Role.ANALYST)
    world.user("firm_user", Role.ENTERPRISE, enterprise_id=ids["图谱正极"])
    return ids, team_a, team_b


def actor(world, username):
    from wulian.core.auth import service as auth_service

    return auth_service.actor_for_user(world.get_user(username))


def test_the_chain_map_lists_fill_strengthen_and_extend_gaps(world, mapped):
    found = world.run(lambda s: atlas.chain_map(s, actor=actor(world, "analyst"), chain="lithium"))
    kinds = {g.key: g.kind for g in found.gaps}
    assert kinds["separator"] == "补链"  # no zone firm makes separators
    assert "cathode" not in kinds or kinds["cathode"] == "强链"
    assert kinds["ev"] == "延链"  # the zone has no car maker, its cells could serve one
    ev = found.gap("ev")
    assert "园区尚无本领域企业" in ev.reasons[0]
    assert [t.name for t in found.technologies][:2] == ["锂云母提锂", "盐湖吸附法提锂"]


def test_targets_are_ranked_with_points_per_criterion_and_reasons(world, mapped):
    _ids, *_ = mapped
    rows = world.run(
        lambda s: atlas.rank_targets(s, actor=actor(world, "analyst"), chain="lithium",
                                     node="separator", top_k=10)
    )  # fmt: skip
    names = [t.name for t in rows]
    # zone firms are never targets; the car maker does not fit a separator need
    assert "图谱正极有限公司" not in names
    assert "园外整车有限公司" not in names
    first = rows[0]
    assert sum(first.points.values()) == pytest.approx(first.score)
    assert set(first.points) == set(atlas.CRITERIA)
    by_name = {t.name: t for t in rows}
    zhejiang = by_name["园外浙隔膜有限公司"]
    assert zhejiang.points["region"] == 10
    assert any("同省" in r for r in zhejiang.reasons)
    assert by_name["园外苏隔膜有限公司"].points["region"] == 6
    unknown = by_name["园外粤隔膜有限公司"]
    assert unknown.points["size"] == 0
    assert "营收未知，规模不计分" in unknown.reasons
    assert zhejiang.points["products"] > 0
    assert any(r.startswith("产品契合：") and "隔膜" in r for r in zhejiang.reasons)
    # a firm making plastic film only shares the industry code: below the separator makers
    assert names.index("园外塑料有限公司") > names.index("园外浙隔膜有限公司")


def test_a_firm_sharing_no_word_with_the_need_is_found_through_the_gbt_notes(world, mapped):
    # "多孔PP基材" shares no character with 隔膜 or its products; the class notes of 2921 list it
    # next to 锂电池隔膜, so the targets engine relates the two.
    firm = world.enterprise("园外基材有限公司", code=synthetic(990), in_zone=False)

    def write(session, notes):
        session.get(Industry, "2921").notes = notes
        session.get(Enterprise, firm).main_products = "多孔PP基材"

    def ranked():
        return world.run(
            lambda s: atlas.rank_targets(s, actor=actor(world, "analyst"), chain="lithium",
                                         node="separator", top_k=50)
        )  # fmt: skip

    world.run(lambda s: write(s, ""))
    assert "园外基材有限公司" not in [t.name for t in ranked()]
    world.run(lambda s: write(s, "包括：锂电池隔膜、多孔PP基材、农用薄膜"))
    found = {t.name: t for t in ranked()}["园外基材有限公司"]
    assert found.points["products"] > 0
    assert found.points["industry"] == 0  # found by its product, not by an industry code
    assert any(r.startswith("产品契合：") and "多孔PP基材" in r for r in found.reasons)


def test_an_officer_records_a_plan_for_their_team_only_and_turns_it_into_a_lead(world, mapped):
    ids, team_a, team_b = mapped
    officer_a, officer_b = actor(world, "officer_a"), actor(world, "officer_b")
    data = approach.PlanInput(route="business", via_enterprise_id=ids["图谱电芯"],
                              steps="请电芯企业引荐", next_step="拜访", next_on=TODAY)  # fmt: skip

    def plan(who, firm, data):
        return world.run(
            lambda s: approach.create_plan(
                s, actor=who, chain="lithium", node="separator", enterprise_id=ids[firm],
                data=data,
            ).id
        )  # fmt: skip

    plan_id = plan(officer_a, "园外浙隔膜", data)
    with pytest.raises(PermissionDenied, match="只有该小组"):
        world.run(lambda s: approach.update_plan(s, actor=officer_b, plan_id=plan_id,
                                                 revision=1, data=data))  # fmt: skip
    with pytest.raises(PermissionDenied):  # nor record one for another team
        plan(officer_a, "园外苏隔膜", approach.PlanInput(route="event", team_id=team_b))
    with pytest.raises(InvalidInput, match="牵线的园区企业"):
        plan(officer_a, "园外苏隔膜", approach.PlanInput(route="business"))
    with pytest.raises(InvalidInput, match="已在园区内"):
        plan(officer_a, "图谱正极", approach.PlanInput(route="event"))
    assert world.run(lambda s: len(approach.plans(s, actor=officer_b, chain="lithium"))) == 1

    def lead(who, amount="8"):
        return world.run(
            lambda s: approach.to_lead(s, actor=who, today=TODAY, plan_id=plan_id,
                                       name="隔膜项目", amount_yi=amount).id
        )  # fmt: skip

    with pytest.raises(PermissionDenied, match="只有该小组"):
        lead(officer_b)
    with pytest.raises(InvalidInput, match="疑似按万元填写"):  # the pipeline's own checks
        lead(officer_a, amount="80000")
    project_id = lead(officer_a)
    with pytest.raises(Conflict, match="已转为线索"):
        lead(officer_a)

    def check(session):
        project = session.get(InvestmentProject, project_id)
        assert project.stage == "lead"
        assert project.source == "business"
        assert project.chain == "lithium"
        assert project.node == "separator"
        assert project.team_id == team_a
        assert project.enterprise_id == ids["园外浙隔膜"]
        plan = approach.plan_of_project(session, actor=officer_a, project_id=project_id)
        assert plan.id == plan_id
        assert plan.status == "lead"

    world.run(check)


def test_a_firm_user_never_sees_the_map(world, mapped):
    firm = actor(world, "firm_user")
    with pytest.raises(PermissionDenied):
        world.run(lambda s: atlas.chain_map(s, actor=firm, chain="lithium"))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: atlas.rank_targets(s, actor=firm, chain="lithium", node="separator"))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: approach.plans(s, actor=firm, chain="lithium"))


def test_the_workbook_and_the_document_carry_every_layer(world, mapped):
    analyst = actor(world, "analyst")
    found = world.run(lambda s: report.report(s, actor=analyst, chain="lithium"))
    book = load_workbook(io.BytesIO(report.report_xlsx(found, today=TODAY)))
    assert {"招商方向", "行业路径", "技术路线图", "应用领域", "现状匹配", "目标企业",
            "攻关路径"} <= set(book.sheetnames)  # fmt: skip
    targets = list(book["目标企业"].iter_rows(values_only=True))
    assert targets[0][:4] == ("缺口", "名次", "企业", "总分")
    assert any(row[0] == "隔膜" and row[2] == "园外浙隔膜有限公司" for row in targets[1:])
    document = Document(io.BytesIO(report.report_docx(found, zone="示例高新区", today=TODAY)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "锂电新材料产业链招商图谱" in text
    assert "隔膜（补链）" in text
    assert "现状匹配：园区目前没有本环节企业" in text
    assert len(document.inline_shapes) >= 1  # the gaps' chart, drawn by Word


def test_pages_show_the_layers_and_refuse_a_firm_user(world, mapped, make_client):
    client = make_client()
    login(client, "officer_a")
    page = client.get("/investment/atlas/lithium")
    assert page.status_code == 200
    assert "招商方向" in page.text
    assert "应用领域图" in page.text
    node = client.get("/investment/atlas/lithium/separator")
    assert node.status_code == 200
    for layer in ("行业路径", "现状匹配", "目标企业", "攻关路径", "园外浙隔膜有限公司"):
        assert layer in node.text
    token = page_csrf(client, "/investment/atlas/lithium/separator")
    ids, *_ = mapped
    refused = client.post(
        "/investment/atlas/lithium/separator/plans",
        data={"csrf_token": token, "enterprise_id": str(ids["园外浙隔膜"]), "route": "fund"},
    )
    assert refused.status_code == 422
    assert "基金招商请填写基金名称" in refused.text

    def refusals(session):
        query = sa.select(AuditEntry).where(AuditEntry.action == "investment.refused")
        return [e.after["attempt"] for e in session.scalars(query)]

    assert world.run(refusals) == ["登记攻关计划"]
    assert world.run(lambda s: approach.plans(s, actor=SYSTEM, chain="lithium")) == []
    assert client.get("/investment/atlas/lithium/export.xlsx").status_code == 200
    assert client.get("/investment/atlas/lithium/report.docx").status_code == 200
    firm = make_client()
    login(firm, "firm_user")
    assert firm.get("/investment/atlas/lithium").status_code == 403


def test_the_api_gives_the_ranking_with_points_and_reasons(world, mapped, make_client):
    client = make_client()
    login(client, "analyst")
    rows = client.get("/api/v1/investment/atlas/lithium/separator/targets?top_k=3").json()
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert rows[0]["score"] == pytest.approx(sum(rows[0]["points"].values()))
    assert rows[0]["reasons"]
    missing = client.get("/api/v1/investment/atlas/lithium/nowhere/targets")
    assert missing.status_code == 404
    firm = make_client()
    login(firm, "firm_user")
    assert firm.get("/api/v1/investment/atlas/lithium/separator/targets").status_code == 403


def test_sharing_only_a_common_word_does_not_make_a_target(world, mapped):
    """For the 5G通信 延链 direction (keywords 通信设备、基站 …), makers of 锂电设备 or 医疗设备
    share only 设备, a word many external firms' products end with: they are not targets, while
    makers of 通信模组 and 5G基站射频器件 are, each with the words that matched."""
    products = {
        "园外锂电装备": "锂电设备", "园外医疗器械": "医疗设备", "园外清洗": "清洗设备",
        "园外模组": "通信模组", "园外射频": "5G基站射频器件",
    }  # fmt: skip
    # other firms' products, so that the registry is not mostly 设备 (as a real one is not)
    others = "有机硅单体 六氟磷酸锂 聚四氟乙烯 电子特气 氢氟酸 萤石精粉 硅橡胶"
    others += " 含氟涂料 质子交换膜 光伏背板 晶圆 显示面板 汽车密封件 监护仪"
    products |= {f"园外其他{i}": text for i, text in enumerate(others.split())}
    ids = {name: world.enterprise(f"{name}有限公司", in_zone=False) for name in products}

    def describe(session):
        for name, text in products.items():
            session.get(Enterprise, ids[name]).main_products = text

    world.run(describe)
    rows = world.run(
        lambda s: atlas.rank_targets(s, actor=actor(world, "analyst"), chain="fluorosilicon",
                                     node="telecom", top_k=50)
    )  # fmt: skip
    found = {t.id: t for t in rows}
    assert ids["园外模组"] in found
    assert ids["园外射频"] in found
    assert any("共有“通信”" in r for r in found[ids["园外模组"]].reasons)
    assert any("基站" in r for r in found[ids["园外射频"]].reasons)
    equipment = [ids[n] for n in ("园外锂电装备", "园外医疗器械", "园外清洗")]
    assert not set(equipment) & set(found)

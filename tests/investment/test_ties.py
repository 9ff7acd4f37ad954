"""Supply ties (链上往来) as investment staff use them: entered on a page or imported from a file
(all or nothing, problems named by row, column and value), duplicates and amounts off by 10⁴
refused, audited; a target tied to zone firms around the gap earns its points with the firm and
product named, and the plan form suggests 以商招商 through that firm; enterprise users never see
ties; a registry merge carries them over."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from tests.conftest import SYSTEM, login, page_csrf
from tests.investment.test_atlas import FIRMS, actor, mapped
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.core.permissions import Role
from wulian.enterprises import service as enterprise_service
from wulian.enterprises.models import Enterprise
from wulian.investment import approach, atlas, ties
from wulian.investment.models import ApproachPlan, SupplyTie

__all__ = ["mapped"]
TODAY = dt.date(2026, 6, 30)


def _tie(**fields: object) -> ties.TieInput:
    values: dict[str, object] = {
        "zone_firm": "图谱电芯有限公司", "partner": "园外塑料有限公司", "direction": "采购自",
        "product": "隔膜基膜", "amount_wan": "1200", "source": "企业走访", "year": 2025,
    } | fields  # fmt: skip
    return ties.TieInput(**values)  # type: ignore[arg-type]


def _create(world, username: str, **fields: object) -> int:
    return world.run(
        lambda s: ties.create(s, actor=actor(world, username), today=TODAY, data=_tie(**fields)).id
    )


def _count(world) -> int:
    return world.run(lambda s: s.scalar(sa.select(sa.func.count()).select_from(SupplyTie)))


def test_a_tie_is_checked_and_a_duplicate_or_a_suspect_amount_refused(world, mapped):
    _create(world, "officer_a")
    with pytest.raises(Conflict, match="已有这条往来：图谱电芯有限公司 采购自 园外塑料有限公司"):
        _create(world, "officer_b", direction="采购自")
    with pytest.raises(InvalidInput, match="企业名录里没有“无此企业”"):
        _create(world, "officer_a", zone_firm="无此企业")
    with pytest.raises(InvalidInput, match="“园外浙隔膜有限公司”不是园区企业"):
        _create(world, "officer_a", zone_firm="园外浙隔膜有限公司")
    with pytest.raises(InvalidInput, match="“图谱正极有限公司”是园区企业"):
        _create(world, "officer_a", partner="图谱正极有限公司")
    with pytest.raises(InvalidInput, match="“图谱正极有限责任公司”即园区企业“图谱正极有限公司”"):
        _create(world, "officer_a", partner="图谱正极有限责任公司")  # the same firm, folded
    with pytest.raises(InvalidInput, match="没有统一社会信用代码为 91330800MA2ABCDE1X 的企业"):
        _create(world, "officer_a", partner="91330800MA2ABCDE1X")
    with pytest.raises(InvalidInput, match="913308007045678912”校验位不正确") as caught:
        _create(world, "officer_a", partner="913308007045678912")  # all digits: not a number
    assert caught.value.extra["field"] == "partner"
    with pytest.raises(InvalidInput, match="企业名录里没有编号为 99999999999 的企业"):
        _create(world, "officer_a", partner="99999999999")
    with pytest.raises(InvalidInput, match="方向应为“采购自”"):
        _create(world, "officer_a", direction="买", product="另一种")
    with pytest.raises(InvalidInput, match="疑似按元填写（按元即 1200 万元）"):
        _create(world, "officer_a", amount_wan="12000000", product="涂覆隔膜")
    with pytest.raises(InvalidInput, match=r"疑似按亿元填写（按亿元即 420 万元）"):
        _create(world, "officer_a", amount_wan="0.042", product="涂覆隔膜")
    for huge in ("1000000000000", "1000000000000万元"):  # too large whatever the unit, even checked
        with pytest.raises(InvalidInput, match="年往来金额过大"):
            _create(world, "officer_a", amount_wan=huge, product="涂覆隔膜", confirm_amount=True)
    for typed, words in (
        ("1e30", "年往来金额“1e30”请写成普通数字"),
        ("3亿", "年往来金额“3亿”的单位不对：本栏按万元填写，3亿即 30000 万元，请填“30000”"),
        ("八百", "年往来金额“八百”不是数字（单位：万元）"),
    ):
        with pytest.raises(InvalidInput, match=re.escape(words)):
            _create(world, "officer_a", amount_wan=typed, product="涂覆隔膜", confirm_amount=True)
    for year in ("²⁰²⁵", "25", "20250"):
        with pytest.raises(InvalidInput, match="年度应为四位数字"):
            ties.year_of(year)
    assert [ties.year_of(y) for y in ("2025", "2025年", "2025.0", " ")] == [2025, 2025, 2025, None]
    assert _count(world) == 1
    # checked and confirmed, the large amount stands; a name not in the registry is kept as such
    _create(world, "officer_a", amount_wan="12000000", product="涂覆隔膜", confirm_amount=True)
    _create(world, "officer_a", partner="某外地化工有限公司", direction="供货给", amount_wan="")
    found = world.run(lambda s: ties.get_all(s, actor=actor(world, "analyst")))
    assert {(t.partner_name, t.partner_id is None, t.amount_wan) for t in found} == {
        ("园外塑料有限公司", False, 1200), ("园外塑料有限公司", False, 12_000_000),
        ("某外地化工有限公司", True, None),
    }  # fmt: skip


def test_who_may_read_and_write_ties(world, mapped):
    with pytest.raises(PermissionDenied):
        _create(world, "analyst")
    talent = world.department("talent-office", "人才工作办公室")
    world.user("talent_officer", Role.OFFICER, department_id=talent)
    with pytest.raises(PermissionDenied, match="由招商部门的工作人员登记和删除"):
        _create(world, "talent_officer")  # an officer, but not of a 招商 team
    with pytest.raises(PermissionDenied):
        _create(world, "firm_user")
    tie = _create(world, "officer_a")
    with pytest.raises(PermissionDenied):
        world.run(lambda s: ties.get_all(s, actor=actor(world, "firm_user")))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: ties.delete(s, actor=actor(world, "analyst"), tie_id=tie))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: ties.delete(s, actor=actor(world, "talent_officer"), tie_id=tie))
    assert world.run(lambda s: ties.get_all(s, actor=actor(world, "talent_officer")))
    world.run(lambda s: ties.delete(s, actor=actor(world, "officer_b"), tie_id=tie))
    assert _count(world) == 0

    def audited(session):
        query = sa.select(AuditEntry.action).where(
            AuditEntry.object_type == "investment_supply_ties"
        )
        return sorted(session.scalars(query))

    assert world.run(audited) == ["create", "delete"]


def test_a_tied_target_earns_its_points_and_the_plan_suggests_the_tied_firm(world, mapped):
    ids, *_ = mapped
    before = world.run(
        lambda s: atlas.rank_targets(s, actor=actor(world, "analyst"), chain="lithium",
                                     node="separator", top_k=10)
    )  # fmt: skip
    assert all(t.points["ties"] == 0 and not t.ties for t in before)
    _create(world, "officer_a")  # 图谱电芯 (cells, downstream of separators) buys from it
    after = world.run(
        lambda s: atlas.rank_targets(s, actor=actor(world, "analyst"), chain="lithium",
                                     node="separator", top_k=10)
    )  # fmt: skip
    plastic = next(t for t in after if t.name == "园外塑料有限公司")
    old = next(t for t in before if t.name == "园外塑料有限公司")
    assert plastic.points["ties"] == 10
    assert plastic.score == pytest.approx(old.score + 10)
    assert (
        "链上往来：向园区企业图谱电芯有限公司供货：隔膜基膜（每年约1,200 万元）" in plastic.reasons
    )
    others = [t for t in after if t.name != "园外塑料有限公司"]
    assert all(t.points["ties"] == 0 for t in others)
    suggested = approach.suggestion(plastic)
    assert suggested is not None
    assert suggested["route"] == "business"
    assert suggested["via_enterprise_id"] == str(ids["图谱电芯"])
    assert approach.suggestion(others[0]) is None


def test_a_tie_to_a_zone_firm_away_from_the_gap_earns_nothing(world, mapped):
    _create(world, "officer_a", zone_firm="图谱正极有限公司")  # cathodes: not next to separators
    rows = world.run(
        lambda s: atlas.rank_targets(s, actor=actor(world, "analyst"), chain="lithium",
                                     node="separator", top_k=10)
    )  # fmt: skip
    assert all(t.points["ties"] == 0 for t in rows)


def test_the_plan_form_is_prefilled_and_the_officer_may_change_it(world, mapped, make_client):
    ids, *_ = mapped
    _create(world, "officer_a")
    client = make_client()
    login(client, "officer_a")
    page = client.get(f"/investment/atlas/lithium/separator?target={ids['园外塑料']}")
    assert page.status_code == 200
    assert 'id="plan-suggested"' in page.text
    assert "建议以商招商：园外塑料有限公司向园区企业图谱电芯有限公司供货：隔膜基膜" in page.text
    assert f'<option value="{ids["图谱电芯"]}" selected>' in page.text
    token = page_csrf(client, "/investment/atlas/lithium/separator")
    done = client.post(
        "/investment/atlas/lithium/separator/plans",
        data={"csrf_token": token, "enterprise_id": str(ids["园外塑料"]), "route": "event",
              "status": "planned"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    plans = world.run(lambda s: approach.plans(s, actor=SYSTEM, chain="lithium"))
    assert [(p.route, p.via_enterprise_id) for p in plans] == [("event", None)]
    other = client.get(f"/investment/atlas/lithium/separator?target={ids['园外浙隔膜']}")
    assert 'id="plan-suggested"' not in other.text


def _xlsx(rows: list[list[object]], headers: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["链上往来（2026年走访）"])
    sheet.append(headers or ties.TEMPLATE_HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(world, data: bytes, *, dry_run: bool, confirm: tuple[int, ...] = ()):
    return world.run(
        lambda s: ties.import_ties(
            s, actor=actor(world, "officer_a"), today=TODAY, data=data, filename="往来.xlsx",
            dry_run=dry_run, confirm_rows=confirm,
        )
    )  # fmt: skip


def test_an_import_is_all_or_nothing_with_row_column_and_value(world, mapped):
    _create(world, "officer_a", product="已登记产品")
    bad = _xlsx([
        ["图谱电芯有限公司", "采购自", "园外塑料有限公司", "隔膜基膜", 1200, "走访", 2025],
        ["不存在的企业", "采购自", "园外塑料有限公司", "隔膜基膜", 1200, "走访", 2025],
        ["图谱电芯有限公司", "卖给", "园外塑料有限公司", "PE", None, "", 2025],
        ["图谱电芯有限公司", "采购自", "园外塑料有限公司", "隔膜基膜", 900, "", 2025],
        ["图谱电芯有限公司", "采购自", "园外塑料有限公司", "已登记产品", 1200, "走访", 2025],
        ["图谱电芯有限公司", "供货给", "园外塑料有限公司", "铝箔", "一千", "", 2025],
    ])  # fmt: skip
    report = _import(world, bad, dry_run=False)
    assert not report.committed
    said = {(p.row, p.column, p.value, p.reason.split("（")[0]) for p in report.problems}
    assert (4, "园区企业", "不存在的企业", "企业名录里没有“不存在的企业”") in said
    assert any(p.row == 5 and p.column == "方向" and p.value == "卖给" for p in report.problems)
    assert (6, "产品", "隔膜基膜", "与第 3 行重复") in said
    assert (7, "产品", "已登记产品", "已有这条往来") in said
    assert any(p.row == 8 and p.value == "一千" for p in report.problems)
    assert _count(world) == 1
    missing = _import(world, _xlsx([["a", "b"]], headers=["园区企业", "年往来金额"]), dry_run=True)
    reasons = [p.reason for p in missing.problems]
    assert "金额列的表头须注明单位“（万元）”，如“年往来金额（万元）”" in reasons
    assert "缺少“往来企业”列" in reasons


def test_an_import_flags_amounts_off_by_ten_thousand_and_writes_once_confirmed(world, mapped):
    good = _xlsx([
        ["图谱电芯有限公司", "采购自", "园外塑料有限公司", "隔膜基膜", 1200, "走访", 2025],
        ["图谱电芯二有限公司", "采购自", "园外苏隔膜有限公司", "湿法隔膜", 35000000, "", None],
        ["图谱电芯有限公司", "供货给", "某外地回收有限公司", "废旧电芯", None, "", "2024年"],
    ])  # fmt: skip
    checked = _import(world, good, dry_run=True)
    assert checked.problems == []
    assert [(f.row, f.value) for f in checked.flags] == [(4, "35000000")]
    assert "疑似按元填写" in checked.flags[0].reason
    assert checked.unknown == ["某外地回收有限公司"]
    refused = _import(world, good, dry_run=False)
    assert not refused.committed
    assert _count(world) == 0
    done = _import(world, good, dry_run=False, confirm=(4,))
    assert done.committed
    assert done.created == 3
    found = world.run(lambda s: ties.get_all(s, actor=SYSTEM))
    assert {(t.product, t.year, t.amount_wan) for t in found} == {
        ("隔膜基膜", 2025, 1200), ("湿法隔膜", 2026, 35_000_000), ("废旧电芯", 2024, None),
    }  # fmt: skip

    def imported(session):
        query = sa.select(AuditEntry).where(AuditEntry.action == "investment.ties_import")
        return [e.after for e in session.scalars(query)]

    assert world.run(imported) == [
        {"filename": "往来.xlsx", "rows": 3, "unknown_partners": ["某外地回收有限公司"]}
    ]


def test_a_merge_carries_the_ties_over(world, mapped):
    keep = world.enterprise("园外塑料有限公司（重复）", in_zone=False)
    _create(world, "officer_a")
    _create(world, "officer_a", partner=str(keep), product="另一种膜")
    ids, *_ = mapped
    duplicate = world.enterprise("园外塑料(衢州)有限公司", in_zone=False)
    _create(world, "officer_a", partner=str(duplicate))  # same as the first once merged
    _create(world, "officer_a", partner=str(duplicate), product="PE膜")
    world.run(
        lambda s: enterprise_service.merge(s, actor=SYSTEM, keep_id=ids["园外塑料"],
                                           drop_id=duplicate)
    )  # fmt: skip
    found = world.run(lambda s: ties.get_all(s, actor=SYSTEM, partner_ids=[ids["园外塑料"]]))
    assert sorted(t.product for t in found) == ["PE膜", "隔膜基膜"]
    assert _count(world) == 3

    def merged(session):
        query = sa.select(AuditEntry).where(AuditEntry.action == "investment.ties_merge")
        return [e.after for e in session.scalars(query)]

    assert world.run(merged) == [{"merged": duplicate, "moved": 1, "dropped": 1}]


def test_the_pages_enter_list_and_delete_ties_and_refuse_a_firm_user(world, mapped, make_client):
    client = make_client()
    login(client, "officer_a")
    token = page_csrf(client, "/investment/ties")
    form = {"csrf_token": token, "zone_firm": "图谱电芯有限公司", "direction": "buys",
            "partner": "园外塑料有限公司", "product": "隔膜基膜", "amount_wan": "1200",
            "year": "2025", "source": "走访"}  # fmt: skip
    done = client.post("/investment/ties", data=form, follow_redirects=False)
    assert done.status_code == 303
    page = client.get("/investment/ties")
    for shown in ("园外塑料有限公司", "隔膜基膜", "1,200"):
        assert shown in page.text
    again = client.post("/investment/ties", data=form)
    assert again.status_code == 409
    assert "已有这条往来" in again.text
    tie = world.run(lambda s: s.scalar(sa.select(SupplyTie.id)))
    assert client.get("/investment/ties/import").status_code == 200
    assert client.get("/investment/ties/import/template.xlsx").status_code == 200
    analyst = make_client()
    login(analyst, "analyst")
    assert analyst.get("/investment/ties").status_code == 200
    assert "登记往来" not in analyst.get("/investment/ties").text
    assert analyst.get("/investment/ties/import").status_code == 403
    firm = make_client()
    login(firm, "firm_user")
    assert firm.get("/investment/ties").status_code == 403
    token = page_csrf(client, "/investment/ties")
    gone = client.post(f"/investment/ties/{tie}/delete", data={"csrf_token": token},
                       follow_redirects=False)  # fmt: skip
    assert gone.status_code == 303
    assert _count(world) == 0


def test_a_saved_plan_keeps_naming_its_introducer_once_the_tie_is_gone(world, mapped):
    """A plan saved with 以商招商 through a firm offered only because of a tie still names that
    firm (and keeps it selectable) after the tie is deleted, not a bare 园区企业."""

    ids, *_ = mapped
    officer = actor(world, "officer_a")

    def check(session):
        node = atlas.node_map(session, actor=officer, chain="lithium", key="separator")
        offered = {fid for fid, _, _ in approach.brokers(session, node, [])}
        away = [ids[f[0]] for f in FIRMS if f[4] and ids[f[0]] not in offered]
        assert away, "the fixture needs a zone firm the node does not offer"
        plan = ApproachPlan(via_enterprise_id=away[0])
        listed = {
            fid: (name, why) for fid, name, why in approach.brokers(session, node, [], [plan])
        }
        name = session.get(Enterprise, away[0]).name
        assert listed[away[0]] == (name, "攻关计划已选的牵线企业")
        assert set(listed) == offered | {away[0]}

    world.run(check)


def test_refused_tie_writes_are_recorded_with_the_tie(world, mapped, make_client):
    """An analyst opening the import, a firm user's template download and a refused delete
    leave an 招商项目操作被拒 entry on 链上往来, the delete with the tie's id; odd years answer
    422, not 500."""
    tie = _create(world, "officer_a")
    analyst = make_client()
    login(analyst, "analyst")
    assert analyst.get("/investment/ties/import").status_code == 403
    firm = make_client()
    login(firm, "firm_user")
    assert firm.get("/investment/ties/import/template.xlsx").status_code == 403
    token = page_csrf(analyst, "/investment/ties")
    gone = analyst.post(f"/investment/ties/{tie}/delete", data={"csrf_token": token})
    assert gone.status_code == 403
    officer = make_client()
    login(officer, "officer_a")
    token = page_csrf(officer, "/investment/ties")
    form = {"csrf_token": token, "zone_firm": "图谱电芯有限公司", "direction": "buys",
            "partner": "园外塑料有限公司", "product": "涂覆隔膜", "year": "²⁰²⁵"}  # fmt: skip
    odd = officer.post("/investment/ties", data=form)
    assert odd.status_code == 422
    assert "年度应为四位数字" in odd.text

    def refusals(session):
        rows = session.execute(
            sa.select(AuditEntry.object_id, AuditEntry.after)
            .where(AuditEntry.action == "investment.refused",
                   AuditEntry.object_type == "investment_supply_ties")
            .order_by(AuditEntry.id)
        ).all()  # fmt: skip
        return [(oid, after["attempt"]) for oid, after in rows]

    assert world.run(refusals) == [
        (None, "打开链上往来导入"),
        (None, "下载链上往来导入模板"),
        (str(tie), "删除链上往来"),
        (None, "登记链上往来"),
    ]
    assert _count(world) == 1


def test_the_api_lists_records_and_deletes_ties_under_the_pages_rules(
    world, mapped, make_client, settings
):
    """/api/v1/investment/ties: investment staff record (a flagged amount needs confirm_amount,
    a duplicate is a 409 with the Chinese message) and delete; analysts and investment:read
    tokens read; a firm's user or token is refused; refusals are recorded."""
    officer = make_client()
    login(officer, "officer_a")
    headers = {"X-CSRF-Token": page_csrf(officer, "/investment/ties")}
    body = {"zone_firm": "图谱电芯有限公司", "partner": "园外塑料有限公司", "direction": "采购自",
            "product": "隔膜基膜", "amount_wan": "12000000", "year": 2025}  # fmt: skip
    flagged = officer.post("/api/v1/investment/ties", headers=headers, json=body)
    assert flagged.status_code == 422
    assert "疑似按元填写" in flagged.json()["detail"]
    created = officer.post(
        "/api/v1/investment/ties", headers=headers, json=body | {"confirm_amount": True}
    )
    assert created.status_code == 201, created.text
    tie = created.json()
    assert (tie["zone_name"], tie["partner_name"], tie["direction_name"], tie["amount_wan"]) == (
        "图谱电芯有限公司", "园外塑料有限公司", "采购自", 12_000_000,
    )  # fmt: skip
    again = officer.post(
        "/api/v1/investment/ties", headers=headers, json=body | {"confirm_amount": True}
    )
    assert again.status_code == 409
    analyst = make_client()
    login(analyst, "analyst")
    assert [t["id"] for t in analyst.get("/api/v1/investment/ties?q=隔膜").json()] == [tie["id"]]
    assert analyst.get("/api/v1/investment/ties?q=无此产品").json() == []
    bearer = world.token("招商统计", ["investment:read"], settings.session_secret)
    reader = make_client()
    auth = {"Authorization": f"Bearer {bearer}"}
    assert len(reader.get("/api/v1/investment/ties", headers=auth).json()) == 1
    assert reader.delete(f"/api/v1/investment/ties/{tie['id']}", headers=auth).status_code == 403
    firm = make_client()
    login(firm, "firm_user")
    assert firm.get("/api/v1/investment/ties").status_code == 403
    gone = officer.delete(f"/api/v1/investment/ties/{tie['id']}", headers=headers)
    assert gone.status_code == 204
    assert _count(world) == 0
    missing = officer.delete(f"/api/v1/investment/ties/{tie['id']}", headers=headers)
    assert missing.status_code == 404
    refused = sa.select(sa.func.count()).where(
        AuditEntry.action == "investment.refused",
        AuditEntry.object_type == "investment_supply_ties",
    )
    assert world.scalar(refused) == 4  # flagged, duplicate, the token's delete, the missing one


def test_a_suggestion_kept_after_the_target_changed_is_caught(world, mapped, make_client):
    """The form prefilled for one target and saved for another with the first one's introducer
    is refused with what to check; saving it once more after the message is the officer's call."""
    ids, *_ = mapped
    _create(world, "officer_a")
    client = make_client()
    login(client, "officer_a")
    token = page_csrf(client, "/investment/atlas/lithium/separator")
    form = {"csrf_token": token, "enterprise_id": str(ids["园外浙隔膜"]), "route": "business",
            "via_enterprise_id": str(ids["图谱电芯"]), "status": "planned",
            "suggested_for": str(ids["园外塑料"]),
            "suggested_via": str(ids["图谱电芯"])}  # fmt: skip
    stale = client.post("/investment/atlas/lithium/separator/plans", data=form)
    assert stale.status_code == 422
    assert "预填的以商招商牵线企业是按原先所选目标企业的链上往来建议的" in stale.text
    assert world.run(lambda s: approach.plans(s, actor=SYSTEM, chain="lithium")) == []
    for key in ("suggested_for", "suggested_via"):
        del form[key]
    kept = client.post(
        "/investment/atlas/lithium/separator/plans", data=form, follow_redirects=False
    )
    assert kept.status_code == 303
    plans = world.run(lambda s: approach.plans(s, actor=SYSTEM, chain="lithium"))
    assert [(p.enterprise_id, p.via_enterprise_id) for p in plans] == [
        (ids["园外浙隔膜"], ids["图谱电芯"])
    ]


def test_every_problem_of_a_tie_is_named_at_once(world, mapped):
    """The form (and the API) name all of a tie's problems, a file every problem of each row
    with its column and value."""
    with pytest.raises(InvalidInput) as caught:
        _create(world, "officer_a", direction="买", amount_wan="-5", year=1990)
    message = caught.value.message
    assert message.startswith("有 3 处问题")
    for part in ("方向应为“采购自”", "年往来金额不能为负数", "年度应在 2000 至 2026 年之间"):
        assert part in message
    data = _xlsx(
        [
            ["图谱电芯有限公司", "买", "园外塑料有限公司", "隔膜基膜", "-5", "企业走访", "2035"],
            ["图谱电芯有限公司", "采购自", "园外塑料有限公司", "隔膜", "abc", "", "²⁰²⁵"],
        ]
    )
    report = _import(world, data, dry_run=True)
    found = sorted((p.row, p.reason.split("（")[0][:8]) for p in report.problems)
    assert len([p for p in report.problems if p.row == report.problems[0].row]) == 3
    assert {p.value for p in report.problems} >= {"买", "-5", "abc", "²⁰²⁵"}
    assert len(found) == 5  # three in the first row, two in the second
    assert _count(world) == 0


def test_the_report_names_the_introducer_of_a_plan(world, mapped, make_client):
    """The 招商图谱's workbook and document say through which zone firm a 以商招商 plan goes."""
    from docx import Document
    from openpyxl import load_workbook

    from wulian.investment import report

    ids, *_ = mapped
    client = make_client()
    login(client, "officer_a")
    token = page_csrf(client, "/investment/atlas/lithium/separator")
    form = {"csrf_token": token, "enterprise_id": str(ids["园外塑料"]), "route": "business",
            "via_enterprise_id": str(ids["图谱电芯"]), "status": "planned"}  # fmt: skip
    done = client.post("/investment/atlas/lithium/separator/plans", data=form)
    assert done.status_code in (200, 303), done.text
    found = world.run(lambda s: report.report(s, actor=actor(world, "analyst"), chain="lithium"))
    said = "以商招商（经图谱电芯有限公司牵线）"
    book = load_workbook(io.BytesIO(report.report_xlsx(found, today=TODAY)))
    assert any(said in (row[4] or "") for row in book["攻关路径"].iter_rows(values_only=True))
    document = Document(io.BytesIO(report.report_docx(found, zone="示例高新区", today=TODAY)))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert said in cells


def test_a_tie_entered_by_name_counts_once_that_firm_is_registered(world, mapped):
    """A tie to a firm not yet in the registry is kept by name; once a firm outside the zone
    with the same name (as the registry folds names: 有限责任公司 and 有限公司 alike) is
    registered, the tie earns it the ties points without being entered again, and entering it
    again with the firm does not count it twice."""

    def rank():
        return world.run(
            lambda s: atlas.rank_targets(s, actor=actor(world, "analyst"), chain="lithium",
                                         node="separator", top_k=20)
        )  # fmt: skip

    _create(world, "officer_a", partner="园外新膜有限责任公司", product="干法隔膜")
    _create(world, "officer_a", partner="园外同名股份有限公司", product="干法隔膜")
    found = world.run(lambda s: ties.get_all(s, actor=actor(world, "analyst")))
    assert all(t.partner_id is None for t in found)  # neither was in the registry
    new = world.enterprise("园外新膜有限公司", in_zone=False)
    twins = [world.enterprise(n, in_zone=False) for n in ("园外同名有限公司", "园外同名公司")]

    def describe(session):
        for fid in (new, *twins):
            firm = session.get(Enterprise, fid)
            firm.main_products, firm.industry_code = "干法隔膜", "2921"

    world.run(describe)
    rows = {t.id: t for t in rank()}
    assert rows[new].points["ties"] == 10
    assert (
        "链上往来：向园区企业图谱电芯有限公司供货：干法隔膜（每年约1,200 万元）"
        in rows[new].reasons
    )
    assert [t.partner_id for t in rows[new].ties] == [new]
    # two registry firms fold to the name the tie was entered with: which one is meant is
    # unknown, so neither earns the points
    assert all(rows[t].points["ties"] == 0 for t in twins)
    assert all(rows[t].points["ties"] == 0 for t in rows if t not in (new,))
    _create(world, "officer_a", partner=str(new), product="干法隔膜")  # entered again
    again = {t.id: t for t in rank()}[new]
    assert len(again.ties) == 1
    assert again.points["ties"] == 10
    assert again.score == rows[new].score
    # reading for the ranking wrote nothing: the name-only tie is as it was
    found = world.run(lambda s: ties.get_all(s, actor=actor(world, "analyst")))
    assert sorted((t.partner_name, t.partner_id) for t in found) == [
        ("园外同名股份有限公司", None), ("园外新膜有限公司", new), ("园外新膜有限责任公司", None),
    ]  # fmt: skip


def test_the_list_links_a_name_only_tie_once_that_firm_is_registered(world, mapped, make_client):
    """The list says a partner entered by name is not in the registry only while that is true:
    once a firm outside the zone with the same folded name is registered, the row links it (as
    the ranking counts it), and the tie itself is unchanged."""
    _create(world, "officer_a", partner="园外后登记材料有限责任公司", product="干法隔膜")
    client = make_client()
    login(client, "analyst")
    row = client.get("/investment/ties").text
    assert '园外后登记材料有限责任公司 <span class="muted small">（未在企业名录）</span>' in row
    firm = world.enterprise("园外后登记材料有限公司", in_zone=False)
    row = client.get("/investment/ties").text
    assert f'<a href="/enterprises/{firm}">园外后登记材料有限责任公司</a>' in row
    assert "（按名称对应名录企业）" in row
    assert "（未在企业名录）" not in row
    found = world.run(lambda s: ties.get_all(s, actor=actor(world, "analyst")))
    assert [t.partner_id for t in found] == [None]

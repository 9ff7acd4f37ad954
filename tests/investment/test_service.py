"""The pipeline's rules as a user meets them: leads checked in full (firm, amount and its unit,
chain and node, team), moves only along the stage table, each team writing only its own projects,
staff only, stale leads, filters, export and two moves at once."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.investment.conftest import TODAY, lead
from wulian.core import audit
from wulian.core.db import gave_up, session_factory, unit_of_work
from wulian.core.errors import Busy, Conflict, InvalidInput, PermissionDenied, WulianError
from wulian.investment import service
from wulian.investment.models import InvestmentProject, StageEvent


def count(world, model=InvestmentProject) -> int:
    return int(world.scalar(sa.select(sa.func.count()).select_from(model)))


def test_a_lead_keeps_its_amount_exactly_in_wan(world, zone):
    officer = zone.actor(world, "officer_a")
    pid = lead(world, officer, amount_yi="972.7", fixed_asset_yi="0.0035")
    project = world.scalar(sa.select(InvestmentProject).where(InvestmentProject.id == pid))
    assert (project.amount_wan, project.fixed_asset_wan) == (9_727_000, 35)
    assert service.yi(project.amount_wan) == "972.7"
    assert service.band_of(project.amount_wan) == "100"
    assert project.team_id == zone.team_a  # the officer's own team by default
    assert (project.stage, project.stage_since) == ("lead", TODAY)
    assert count(world, StageEvent) == 1


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"firm_name": ""}, "请填写项目的企业"),
        ({"amount_yi": ""}, "请填写总投资"),
        ({"amount_yi": "五亿"}, "不是数字"),
        ({"amount_yi": "-3"}, "应大于 0"),
        ({"amount_yi": "50000"}, "疑似按万元填写（按万元即 5 亿元）"),
        ({"amount_yi": "1.00001"}, "最多保留 4 位小数"),
        ({"fixed_asset_yi": "20"}, "大于总投资"),
        ({"source": "guess"}, "没有“guess”这种项目来源"),
        ({"firm_uscc": "91330800MA2B3C4D5X"}, "统一社会信用代码"),
        ({"firm_name": "", "firm": "不存在的公司"}, "企业名录里没有“不存在的公司”"),
        ({"chain": "lithium", "node": "nowhere"}, "没有编号为“nowhere”的环节"),
        ({"chain": "no_chain"}, "没有编号为“no_chain”的产业链"),
        ({"node": "cathode"}, "请同时选择产业链"),
        ({"lead_on": dt.date(2026, 7, 1)}, "晚于今天"),
    ],
)
def test_a_bad_lead_is_refused_with_the_reason_and_nothing_is_written(world, zone, fields, words):
    officer = zone.actor(world, "officer_a")
    with pytest.raises(InvalidInput) as refused:
        lead(world, officer, **fields)
    assert words in refused.value.message
    assert count(world) == 0
    assert count(world, StageEvent) == 0


def test_an_existing_firm_is_named_by_code_and_a_new_code_names_the_registered_firm(world, zone):
    officer = zone.actor(world, "officer_a")
    by_code = lead(world, officer, firm=zone.firm_code, firm_name="")
    by_new_code = lead(world, officer, firm_name="别名公司", firm_uscc=zone.firm_code)
    new = lead(world, officer, firm_name="外地新设公司", reinvestment=False)
    rows = {p.id: p for p in world.run(lambda s: list(s.scalars(sa.select(InvestmentProject))))}
    assert rows[by_code].enterprise_id == zone.firm
    assert rows[by_new_code].enterprise_id == zone.firm
    assert rows[by_new_code].firm_name == "衢州锂测材料有限公司"
    assert rows[new].enterprise_id is None


def test_chain_and_node_are_checked_against_the_atlas(world, zone):
    officer = zone.actor(world, "officer_a")
    pid = lead(world, officer, chain="lithium", node="cathode")
    project = world.scalar(sa.select(InvestmentProject).where(InvestmentProject.id == pid))
    assert (project.chain, project.node) == ("lithium", "cathode")


def test_an_officer_registers_only_for_their_own_team(world, zone):
    officer = zone.actor(world, "officer_a")
    with pytest.raises(PermissionDenied) as refused:
        lead(world, officer, team_id=zone.team_b)
    assert "只能为本小组登记项目" in refused.value.message
    with pytest.raises(InvalidInput, match="不属于"):
        lead(world, officer, officer_id=world.get_user("officer_b").id)
    assert count(world) == 0
    admin = zone.actor(world, "admin")
    lead(world, admin, team_id=zone.team_b, officer_id=world.get_user("officer_b").id)
    assert count(world) == 1


def move(world, actor, pid, to, expected, on=None):
    return world.run(
        lambda s: service.move(
            s, actor=actor, today=TODAY, project_id=pid, to_stage=to, expected_stage=expected,
            on=on,
        ).stage
    )  # fmt: skip


def test_a_project_moves_only_as_the_stage_table_allows(world, zone):
    officer = zone.actor(world, "officer_a")
    pid = lead(world, officer, lead_on=dt.date(2026, 1, 5))
    with pytest.raises(InvalidInput) as jump:
        move(world, officer, pid, "signed", "lead")
    assert "不允许从“线索”直接转到“签约”" in jump.value.message
    assert "可转到：接洽、终止" in jump.value.message
    for to, expected, on in [
        ("contact", "lead", dt.date(2026, 2, 1)),
        ("visit", "contact", dt.date(2026, 3, 1)),
        ("negotiation", "visit", dt.date(2026, 4, 1)),
        ("signed", "negotiation", dt.date(2026, 5, 8)),
        ("land", "signed", dt.date(2026, 5, 20)),
        ("started", "land", dt.date(2026, 6, 18)),
    ]:
        assert move(world, officer, pid, to, expected, on) == to
    project = world.scalar(sa.select(InvestmentProject).where(InvestmentProject.id == pid))
    assert project.signed_on == dt.date(2026, 5, 8)
    assert count(world, StageEvent) == 7


def test_a_move_dated_before_the_stage_began_or_after_today_is_refused(world, zone):
    officer = zone.actor(world, "officer_a")
    pid = lead(world, officer, lead_on=dt.date(2026, 3, 1))
    with pytest.raises(InvalidInput, match="早于项目进入“线索”的日期"):
        move(world, officer, pid, "contact", "lead", dt.date(2026, 2, 1))
    with pytest.raises(InvalidInput, match="晚于今天"):
        move(world, officer, pid, "contact", "lead", TODAY + dt.timedelta(days=1))
    assert count(world, StageEvent) == 1


def test_returning_before_signing_clears_the_signing_date(world, zone):
    officer = zone.actor(world, "officer_a")
    pid = lead(world, officer, stage="signed")
    assert move(world, officer, pid, "negotiation", "signed") == "negotiation"
    project = world.scalar(sa.select(InvestmentProject).where(InvestmentProject.id == pid))
    assert project.signed_on is None


def test_another_teams_officer_reads_but_may_not_move(world, zone):
    pid = lead(world, zone.actor(world, "officer_a"))
    other = zone.actor(world, "officer_b")
    assert world.run(lambda s: service.get_or_raise(s, actor=other, project_id=pid).id) == pid
    with pytest.raises(PermissionDenied) as refused:
        move(world, other, pid, "contact", "lead")
    assert "由投资促进局（招商）负责" in refused.value.message
    teammate = zone.actor(world, "officer_a2")
    assert move(world, teammate, pid, "contact", "lead") == "contact"


def test_analysts_read_only_and_enterprise_users_see_nothing(world, zone):
    pid = lead(world, zone.actor(world, "officer_a"))
    analyst = zone.actor(world, "analyst")
    page = world.run(
        lambda s: service.get_all(s, actor=analyst, today=TODAY, filters=service.Filters())
    )
    assert page.total == 1
    with pytest.raises(PermissionDenied):
        move(world, analyst, pid, "contact", "lead")
    with pytest.raises(PermissionDenied):
        lead(world, analyst)
    firm_user = zone.actor(world, "firm_user")
    for action in (
        lambda s: service.get_all(s, actor=firm_user, today=TODAY, filters=service.Filters()),
        lambda s: service.get_or_raise(s, actor=firm_user, project_id=pid),
        lambda s: service.export_xlsx(s, actor=firm_user, today=TODAY, filters=service.Filters()),
    ):
        with pytest.raises(PermissionDenied):
            world.run(action)


def test_a_move_over_a_stage_the_person_did_not_see_is_refused(world, zone):
    officer = zone.actor(world, "officer_a")
    pid = lead(world, officer)
    move(world, officer, pid, "contact", "lead")
    with pytest.raises(Conflict) as late:
        move(world, zone.actor(world, "officer_a2"), pid, "contact", "lead")
    assert "已转到“接洽”" in late.value.message
    assert count(world, StageEvent) == 2


def test_two_moves_at_once_one_wins_and_the_other_is_told(world, zone, engine):
    officer = zone.actor(world, "officer_a")
    pid = lead(world, officer)
    factory = session_factory(engine)
    first_moved = threading.Event()
    outcome: dict[str, object] = {}

    def second() -> None:
        first_moved.wait(10)
        try:
            with unit_of_work(factory) as session:
                audit.track(session, officer)
                service.move(
                    session, actor=officer, today=TODAY, project_id=pid, to_stage="dropped",
                    expected_stage="lead",
                )  # fmt: skip
            outcome["second"] = "moved"
        except WulianError as error:
            outcome["second"] = error
        except Exception as error:  # a database refusal: what the person is told
            outcome["second"] = gave_up(error) or error

    thread = threading.Thread(target=second)
    thread.start()
    with unit_of_work(factory) as session:
        audit.track(session, officer)
        service.move(
            session, actor=officer, today=TODAY, project_id=pid, to_stage="contact",
            expected_stage="lead",
        )  # fmt: skip
        first_moved.set()
        thread.join(0.5)  # the second waits for this transaction (or is refused at once)
    thread.join(30)
    assert not thread.is_alive(), "the second move hung"
    refusal = outcome["second"]
    assert isinstance(refusal, (Conflict, Busy)), refusal
    assert any(w in refusal.message for w in ("已转到“接洽”", "刚被其他人更新过", "请稍后重试"))
    project = world.scalar(sa.select(InvestmentProject).where(InvestmentProject.id == pid))
    assert project.stage == "contact"
    assert count(world, StageEvent) == 2


def test_stale_projects_are_flagged_by_the_stage_table(world, zone):
    officer = zone.actor(world, "officer_a")
    old = lead(world, officer, name="老线索", lead_on=dt.date(2026, 4, 1))
    lead(world, officer, name="新线索", lead_on=dt.date(2026, 6, 20))
    stale = world.run(
        lambda s: [p.id for p in service.get_all(
            s, actor=officer, today=TODAY, filters=service.Filters(stale=True)).items]
    )  # fmt: skip
    assert stale == [old]
    days = world.run(
        lambda s: service.stale_days(
            service.stage_or_raise(s, "lead"), s.get(InvestmentProject, old), TODAY
        )
    )
    assert days == (TODAY - dt.date(2026, 4, 1)).days - 30


def test_the_list_filters_sorts_by_pinyin_and_exports_what_is_filtered(world, zone):
    officer = zone.actor(world, "officer_a")
    admin = zone.actor(world, "admin")
    lead(world, officer, name="中巨芯项目", amount_yi="155", chain="chips_sensors")
    lead(world, officer, name="安达锂电项目", amount_yi="30", chain="lithium", source="fund")
    lead(world, admin, name="北辰纸业二期", amount_yi="2", team_id=zone.team_b, reinvestment=True)

    def names(**filters) -> list[str]:
        return world.run(
            lambda s: [p.name for p in service.get_all(
                s, actor=officer, today=TODAY, filters=service.Filters(**filters)).items]
        )  # fmt: skip

    assert names() == ["安达锂电项目", "北辰纸业二期", "中巨芯项目"]
    assert names(band="100") == ["中巨芯项目"]
    assert names(band="10") == ["安达锂电项目"]
    assert names(source="fund") == ["安达锂电项目"]
    assert names(team=zone.team_b) == ["北辰纸业二期"]
    assert names(chain="lithium") == ["安达锂电项目"]
    assert names(q="zhong ju") == ["中巨芯项目"]
    assert names(q="锂电") == ["安达锂电项目"]
    assert names(sort="-amount")[0] == "中巨芯项目"
    with pytest.raises(InvalidInput, match="没有“huge”这个投资规模档"):
        names(band="huge")
    content = world.run(
        lambda s: service.export_xlsx(
            s, actor=officer, today=TODAY, filters=service.Filters(team=zone.team_a)
        )
    )
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "项目名称"
    assert rows[0][4] == "总投资（万元）"
    assert [r[0] for r in rows[1:]] == ["安达锂电项目", "中巨芯项目"]
    assert rows[2][4] == 1_550_000


def test_only_an_administrator_edits_the_stage_table(world, zone):
    officer = zone.actor(world, "officer_a")
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.update_stage(
                s, actor=officer, key="lead", name="线索", next_keys=["visit"], stale_days=10
            )
        )
    admin = zone.actor(world, "admin")
    with pytest.raises(InvalidInput, match="没有“moon”这个阶段"):
        world.run(
            lambda s: service.update_stage(
                s, actor=admin, key="lead", name="线索", next_keys=["moon"], stale_days=10
            )
        )
    world.run(
        lambda s: service.update_stage(
            s, actor=admin, key="lead", name="线索", next_keys=["contact", "visit", "dropped"],
            stale_days=10,
        )
    )  # fmt: skip
    pid = lead(world, officer)
    assert move(world, officer, pid, "visit", "lead") == "visit"


def test_every_write_is_audited(world, zone):
    from wulian.core.audit.models import AuditEntry

    officer = zone.actor(world, "officer_a")
    pid = lead(world, officer)
    move(world, officer, pid, "contact", "lead")
    entries = world.run(
        lambda s: [(e.object_type, e.action) for e in s.scalars(sa.select(AuditEntry).where(
            AuditEntry.object_type.like("investment%")))]
    )  # fmt: skip
    assert entries.count(("investment_projects", "create")) == 1
    assert entries.count(("investment_projects", "update")) == 1
    assert entries.count(("investment_stage_events", "create")) == 2

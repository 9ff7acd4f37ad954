"""Innovation points over the facts store, on SQLite and PostgreSQL: runs computed by hand,
snapshots, the notice → objection → publish flow, spec versions, lists, pool, portraits, exports,
consent and the partner-bank API, each with its refusals and permissions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
import python_calamine
import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.innovation.conftest import AS_OF, MINI, actor_of, expected_points
from wulian.core.errors import Conflict, InvalidFile, InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Permission
from wulian.core.runs import RunStatus
from wulian.enterprises import facts
from wulian.innovation import service
from wulian.innovation.models import InnovationResult

DAY = dt.date(2025, 6, 2)


def run_of(world, zone, period="2024", actor=SYSTEM, credit=True):
    def create(session):
        credit_spec = service.latest_version(session, code="credit") if credit else None
        return service.create_run(
            session,
            actor=actor,
            spec_id=zone["spec"],
            period=period,
            credit_spec_id=credit_spec.id if credit_spec else None,
        ).id

    return world.run(create)


def results(world, run_id):
    def read(session):
        rows = session.scalars(
            sa.select(InnovationResult).where(InnovationResult.run_id == run_id)
        ).all()
        return {r.enterprise_id: r for r in rows}

    return world.run(read)


def test_a_run_computes_points_from_the_facts_as_by_hand(world, zone):
    run_id = run_of(world, zone)
    got = results(world, run_id)
    ids = zone["ids"]
    for i in range(10):
        assert got[ids[i]].points == pytest.approx(expected_points(i))
        assert got[ids[i]].cohort == "小"
        assert got[ids[i]].rank == 10 - i
    assert got[ids[9]].band == "领跑榜"
    assert got[ids[8]].band == "竞跑榜"
    assert got[ids[7]].band is None
    assert got[ids[9]].percentile == 100.0
    assert got[ids[0]].percentile == 10.0
    # alone in its stage: every min-max score is the middle of the range
    assert got[ids[10]].points == 50.0
    assert got[ids[10]].rank == 1
    # no revenue: no stage, so points but no rank, band or credit line
    unstaged = got[ids[11]]
    assert unstaged.cohort == "未分阶段"
    assert (unstaged.rank, unstaged.band, unstaged.credit_line) == (None, None, None)
    assert unstaged.detail["raw"]["rd_intensity"] is None  # unknown, never 0
    # credit: floor 50万 for every ranked firm; the band line raised by the rank share uplift
    assert got[ids[0]].credit_line == 50.0
    assert got[ids[9]].credit_line == pytest.approx(300 * 1.10)  # rank 1 of 10: the top 10%

    run = world.run(lambda s: service.get_run_or_raise(s, actor=SYSTEM, run_id=run_id))
    assert (run.status, run.firms, run.scored) == (RunStatus.DRAFT, 12, 12)
    assert run.missing_values == 2  # the unstaged firm's intensity and revenue


def test_the_snapshot_hash_follows_the_data(world, zone):
    first, again = run_of(world, zone), run_of(world, zone)
    hashes = world.run(
        lambda s: [
            service.get_run_or_raise(s, actor=SYSTEM, run_id=i).snapshot_hash
            for i in (first, again)
        ]
    )
    assert hashes[0] == hashes[1]
    world.run(
        lambda s: facts.record(
            s,
            actor=SYSTEM,
            enterprise_id=zone["ids"][3],
            metric_key="invention_patent_applications",
            period="2024",
            value=7.0,
            source="stats",
            as_of=AS_OF,
        )
    )
    changed = run_of(world, zone)
    third = world.run(
        lambda s: service.get_run_or_raise(s, actor=SYSTEM, run_id=changed).snapshot_hash
    )
    assert third != hashes[0]
    # the first run keeps its own answer
    assert results(world, first)[zone["ids"][3]].points == pytest.approx(expected_points(3))


def test_bad_runs_are_refused(world, zone):
    with pytest.raises(InvalidInput, match="YYYY"):
        run_of(world, zone, period="2024-03")
    with pytest.raises(InvalidInput, match="没有任何企业"):
        run_of(world, zone, period="2019")
    with pytest.raises(PermissionDenied):
        run_of(world, zone, actor=actor_of(world, "officer1"))


def test_notice_objections_and_publishing(world, zone):
    run_id = run_of(world, zone)
    analyst = actor_of(world, "analyst1")
    firm0 = actor_of(world, "firm0")
    with pytest.raises(NotFound):  # drafts are not shown to enterprises
        world.run(lambda s: service.get_run_or_raise(s, actor=firm0, run_id=run_id))
    world.run(lambda s: service.start_notice(s, actor=analyst, run_id=run_id, today=DAY))
    with pytest.raises(Conflict, match="只有草稿"):
        world.run(lambda s: service.start_notice(s, actor=analyst, run_id=run_id, today=DAY))
    ids = zone["ids"]
    with pytest.raises(PermissionDenied):  # another firm's result
        world.run(
            lambda s: service.raise_objection(
                s,
                actor=firm0,
                run_id=run_id,
                enterprise_id=ids[9],
                text="排名有误，请核实",
                today=DAY,
            )
        )
    with pytest.raises(Conflict, match="公示期内"):
        world.run(
            lambda s: service.raise_objection(
                s,
                actor=firm0,
                run_id=run_id,
                enterprise_id=ids[0],
                text="研发费用应为 12 万元",
                today=DAY + dt.timedelta(days=7),
            )
        )
    objection = world.run(
        lambda s: (
            service.raise_objection(
                s,
                actor=firm0,
                run_id=run_id,
                enterprise_id=ids[0],
                text="研发费用应为 12 万元",
                today=DAY,
            ).id
        )
    )
    with pytest.raises(Conflict, match="公示期到"):
        world.run(lambda s: service.publish(s, actor=analyst, run_id=run_id, today=DAY))
    after = DAY + dt.timedelta(days=7)
    with pytest.raises(Conflict, match="1 条异议"):
        world.run(lambda s: service.publish(s, actor=analyst, run_id=run_id, today=after))
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.answer_objection(
                s, actor=firm0, objection_id=objection, outcome="rejected", answer="x"
            )
        )
    world.run(
        lambda s: service.answer_objection(
            s,
            actor=analyst,
            objection_id=objection,
            outcome="rejected",
            answer="经核实，税务数据为 1 万元",
        )
    )
    world.run(lambda s: service.publish(s, actor=analyst, run_id=run_id, today=after))
    run = world.run(lambda s: service.get_run_or_raise(s, actor=firm0, run_id=run_id))
    assert run.status == RunStatus.PUBLISHED
    assert run.published_by
    # a second run of the same spec and year cannot go on notice while this one stands
    other = run_of(world, zone)
    with pytest.raises(Conflict, match="请先撤回"):
        world.run(lambda s: service.start_notice(s, actor=analyst, run_id=other, today=after))
    world.run(lambda s: service.withdraw(s, actor=analyst, run_id=run_id, reason="数据更正"))
    world.run(lambda s: service.start_notice(s, actor=analyst, run_id=other, today=after))
    # an enterprise sees the public lists only: firms on a list
    page = world.run(lambda s: service.listing(s, actor=firm0, run_id=other, cohort="小"))
    assert [item.result.band for item in page.items] == ["领跑榜", "竞跑榜"]


def test_spec_versions_diffs_and_refusals(world, zone):
    analyst = actor_of(world, "analyst1")
    changed = MINI.replace("parent: tech, weight: 2,", "parent: tech, weight: 3,")
    new = world.run(
        lambda s: service.save_spec(
            s, actor=analyst, text=changed, based_on_id=zone["spec"], note="提高研发强度权重"
        )
    )
    assert (new.code, new.version) == ("mini", 2)
    lines = world.run(
        lambda s: service.diff(
            service.previous_version(
                s, service.get_spec_or_raise(s, actor=analyst, spec_id=new.id)
            ),
            service.get_spec_or_raise(s, actor=analyst, spec_id=new.id),
        )
    )
    added = [line for kind, line in lines if kind == "add"]
    assert added == [f"+{line}" for line in changed.splitlines() if "weight: 3, unit: 比例" in line]
    with pytest.raises(InvalidInput, match="相同"):
        world.run(lambda s: service.save_spec(s, actor=analyst, text=changed, based_on_id=new.id))
    with pytest.raises(InvalidInput, match="不能改 id"):
        world.run(
            lambda s: service.save_spec(
                s, actor=analyst, text=changed.replace("id: mini", "id: other"), based_on_id=new.id
            )
        )
    with pytest.raises(Conflict, match="已存在"):
        world.run(
            lambda s: service.save_spec(
                s, actor=analyst, text=changed, based_on_id=new.id, copy=True
            )
        )
    unknown = changed.replace("key: invention_patent_applications", "key: patents_granted")
    with pytest.raises(InvalidFile) as caught:
        world.run(lambda s: service.save_spec(s, actor=analyst, text=unknown, based_on_id=new.id))
    problem = caught.value.problems[0]
    assert problem.row == next(
        i for i, t in enumerate(unknown.splitlines(), 1) if "patents_granted" in t
    )
    assert "指标目录中没有" in problem.reason
    with pytest.raises(InvalidFile, match="应为数字"):
        world.run(
            lambda s: service.save_spec(
                s,
                actor=analyst,
                text=changed.replace("weight: 3,", "weight: 高,"),
                based_on_id=new.id,
            )
        )
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.save_spec(
                s, actor=actor_of(world, "officer1"), text=MINI, based_on_id=new.id
            )
        )
    versions = world.run(
        lambda s: [(v.code, v.version) for v in service.get_specs(s, actor=analyst)]
    )
    assert {("mini", 1), ("mini", 2), ("national", 1)} <= set(versions)


def test_pool_portrait_and_export(world, zone):
    ids = zone["ids"]
    last = run_of(world, zone, period="2023")
    run_id = run_of(world, zone)
    pool = world.run(
        lambda s: [
            (e.enterprise.id, round(e.gap, 2))
            for e in service.cultivation_pool(s, actor=SYSTEM, run_id=run_id, margin=20)
        ]
    )
    threshold = expected_points(8)
    assert pool == [
        (ids[i], round(threshold - expected_points(i), 2))
        for i in (7, 6)
        if threshold - expected_points(i) <= 20
    ]
    firm0 = actor_of(world, "firm0")
    assert (
        world.run(lambda s: service.portrait(s, actor=firm0, enterprise_id=ids[0])) is None
    )  # drafts

    def read(session):
        p = service.portrait(session, actor=SYSTEM, enterprise_id=ids[0])
        return (
            p.run.id,
            p.previous.run_id,
            [g.key for g in p.gains],
            [g.gain for g in p.gains],
            p.weaknesses,
        )

    shown, previous, keys, gains, weaknesses = world.run(read)
    assert (shown, previous) == (run_id, last)
    # moving intensity from 0 to the stage's upper quartile (75) adds 2/3 × 3/4 × 75 points
    assert keys[0] == "rd_intensity"
    assert gains[0] == pytest.approx(0.5 * 75.0, abs=0.01)
    assert {w["key"] for w in weaknesses} == {"rd_intensity", "invention_patent_applications"}
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.portrait(s, actor=firm0, enterprise_id=ids[9]))

    content = world.run(lambda s: service.export_xlsx(s, actor=SYSTEM, run_id=run_id))
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert book.sheet_names == ["领跑榜", "竞跑榜"]
    sheet = book.get_sheet_by_name("领跑榜").to_python()
    assert "2024 年度企业创新积分领跑榜" in sheet[0][0]
    assert sheet[2][:5] == ["序号", "发展阶段", "企业名称", "统一社会信用代码", "创新积分"]
    assert [row[2] for row in sheet[3:]] == ["测试创新09有限公司"]  # 10% of 10; of 1, none


def test_banks_read_only_consenting_firms_of_published_runs(world, zone):
    ids = zone["ids"]
    run_id = run_of(world, zone)
    bank = SYSTEM.__class__(
        kind="token",
        id=1,
        label="合作银行",
        permissions=frozenset({Permission.CREDIT_READ}),
        scopes=frozenset({"innovation:credit"}),
    )
    run, page = world.run(lambda s: service.bank_scores(s, actor=bank))
    assert run is None  # nothing published yet
    assert page.total == 0
    world.run(lambda s: service.start_notice(s, actor=SYSTEM, run_id=run_id, today=DAY))
    world.run(
        lambda s: service.publish(s, actor=SYSTEM, run_id=run_id, today=DAY + dt.timedelta(days=8))
    )
    firm9 = actor_of(world, "firm9")
    world.run(lambda s: service.set_consent(s, actor=firm9, enterprise_id=ids[9], granted=True))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.set_consent(s, actor=firm9, enterprise_id=ids[0], granted=True))

    def names(session):
        run, page = service.bank_scores(session, actor=bank, period="2024")
        return run.id, [(i.enterprise.id, i.result.credit_line) for i in page.items]

    assert world.run(names) == (run_id, [(ids[9], pytest.approx(330.0))])
    # a token bound to another firm reads that firm only, even when others consent
    bound = dataclasses.replace(bank, enterprise_id=ids[0])
    assert world.run(lambda s: service.bank_scores(s, actor=bound)[1].total) == 0
    bound9 = dataclasses.replace(bank, enterprise_id=ids[9])
    assert world.run(lambda s: service.bank_scores(s, actor=bound9)[1].total) == 1
    world.run(lambda s: service.set_consent(s, actor=firm9, enterprise_id=ids[9], granted=False))
    assert world.run(names) == (run_id, [])
    with pytest.raises(Exception, match=r"innovation:credit|权限"):
        world.run(lambda s: service.bank_scores(s, actor=actor_of(world, "analyst1")))

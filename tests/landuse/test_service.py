"""亩均效益 runs through the service: statuses from the registry and facts, publishing, the
report card with history and next class, the low-efficiency list, the zone view, the published
workbook, and what each role may do. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.conftest import SYSTEM
from tests.landuse.conftest import actor_of
from wulian.core.errors import NotFound, PermissionDenied
from wulian.landuse import service


def run_year(world, zone, year, *, publish=False):
    def act(session):
        run = service.create_run(session, actor=SYSTEM, spec_id=zone["spec"], period=year)
        if publish:
            service.publish(session, actor=SYSTEM, run_id=run.id)
        return run.id

    return world.run(act)


def results(world, run_id):
    from sqlalchemy import select

    from wulian.landuse.models import LanduseResult

    def read(session):
        rows = session.execute(
            select(LanduseResult.enterprise_id, LanduseResult.status, LanduseResult.grade,
                   LanduseResult.reason).where(LanduseResult.run_id == run_id)
        ).all()  # fmt: skip
        return {eid: (status, grade, reason) for eid, status, grade, reason in rows}

    return world.run(read)


def test_a_run_reads_the_registry_and_facts_and_sorts_every_firm(world, zone):
    run_id = run_year(world, zone, 2024)
    got = {zone["names"][eid]: value for eid, value in results(world, run_id).items()}
    assert got["亩均电力有限公司"][:2] == ("T", "T")
    assert "公用事业" in got["亩均电力有限公司"][2]
    assert got["亩均在建有限公司"][:2] == ("T", "T")
    assert got["亩均小厂有限公司"][0] == "rated"
    assert got["亩均作坊有限公司"][0] == "out"
    assert got["亩均租地有限公司"][:2] == ("rented", None)
    assert got["亩均无地有限公司"][0] == "incomplete"
    assert "用地面积为 0" in got["亩均无地有限公司"][2]
    assert got["亩均软件有限公司"][0] == "out"
    grades = [got[f"亩均测试{i:02d}有限公司"][1] for i in range(8)]
    # eight rated 规上 firms, each with more tax than the one before: rank k of 8 is within
    # the top k/8, so A takes 1 (12.5% ≤ 20%), B 3 (to 50% ≤ 60%), C 3 (to 87.5%), D the last
    assert grades == ["D", "C", "C", "C", "B", "B", "B", "A"]


def test_history_low_list_card_zone_view_and_workbook(world, zone):
    last = run_year(world, zone, 2023, publish=True)
    current = run_year(world, zone, 2024)
    weakest = zone["ids"][0]  # 60 万元 on 10 亩: 6 万元/亩 in 2024, 3 in 2023

    def read(session):
        low = service.low_list(session, actor=SYSTEM, run_id=current)
        card = service.card(session, actor=SYSTEM, run_id=current, enterprise_id=zone["ids"][3])
        view = service.zone_view(session, actor=SYSTEM, run_id=current)
        book = service.export_xlsx(session, actor=SYSTEM, run_id=current)
        earlier = service.low_list(session, actor=SYSTEM, run_id=last)
        return low, card, view, book, earlier

    low, card, view, book, earlier = world.run(read)
    assert weakest not in {f.enterprise.id for f in low}  # 6 万元/亩 is above the 5 line
    stuck = {f.enterprise.id: f for f in earlier}
    assert stuck[weakest].years_low == 1
    assert stuck[weakest].history == {2023: pytest.approx(3.0)}
    assert card.history
    assert card.history[0][0] == 2023
    assert {line.key for line in card.lines} >= {"tax_per_mu", "rd_intensity"}
    assert card.policy
    assert card.next_class is not None
    assert card.next_class["gap"] > 0
    zone_row = view.per_mu[0]
    assert zone_row[0] == "全区"
    assert zone_row[1] is not None
    assert zone_row[1] > 0
    assert dict(view.by_year)[2023]
    sheets = openpyxl.load_workbook(io.BytesIO(book)).sheetnames
    assert sheets == ["规上企业分类", "规下企业分类", "低效企业", "未分类企业"]
    first = openpyxl.load_workbook(io.BytesIO(book))["规上企业分类"]
    assert first.cell(3, 4).value == "类别"
    assert "2024 年度" in first.cell(1, 1).value


def test_what_each_role_may_do(world, zone):
    run_id = run_year(world, zone, 2024)
    officer, firm, analyst = (actor_of(world, u) for u in ("officer1", "firm0", "analyst1"))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.create_run(s, actor=officer, spec_id=zone["spec"], period=2024))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.publish(s, actor=officer, run_id=run_id))
    assert world.run(lambda s: len(service.get_runs(s, actor=officer))) == 1
    # a firm sees nothing of a draft, then its own card once published, never another's
    assert world.run(lambda s: service.get_runs(s, actor=firm)) == []
    with pytest.raises(NotFound):
        world.run(
            lambda s: service.card(s, actor=firm, run_id=run_id, enterprise_id=zone["ids"][0])
        )
    world.run(lambda s: service.publish(s, actor=analyst, run_id=run_id))
    own = world.run(
        lambda s: (
            service.card(s, actor=firm, run_id=run_id, enterprise_id=zone["ids"][0]).result.grade
        )
    )
    assert own == "D"
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.card(s, actor=firm, run_id=run_id, enterprise_id=zone["ids"][1])
        )
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.low_list(s, actor=firm, run_id=run_id))


def test_benchmarks_from_last_years_published_averages(world, zone):
    run_year(world, zone, 2023, publish=True)

    def edit(session):
        from wulian.landuse.models import LanduseSpec

        base = session.get(LanduseSpec, zone["spec"])
        text = base.text.replace("benchmark: 24.097,", "benchmark: {previous_average: 1.1},")
        return service.save_spec(session, actor=SYSTEM, text=text, based_on_id=base.id).id

    spec_id = world.run(edit)
    run_id = world.run(
        lambda s: service.create_run(s, actor=SYSTEM, spec_id=spec_id, period=2024).id
    )

    def read(session):
        from wulian.landuse.models import LanduseRun

        return session.get(LanduseRun, run_id).benchmarks, session.get(LanduseRun, 1).averages

    benchmarks, last = world.run(read)
    assert benchmarks["above"]["tax_per_mu"] == pytest.approx(last["above"]["tax_per_mu"] * 1.1)


def test_a_duplicate_that_has_results_is_not_merged_away(world, zone):
    from wulian.core.errors import Conflict
    from wulian.enterprises import service as enterprise_service
    from wulian.enterprises.models import EnterpriseTag

    duplicate = world.enterprise("亩均测试00有限公司（台账）")
    world.run(lambda s: s.add(EnterpriseTag(enterprise_id=duplicate, tag="guishang")))
    run_year(world, zone, 2024)
    with pytest.raises(Conflict, match="评价结果"):
        world.run(
            lambda s: enterprise_service.merge(
                s, actor=SYSTEM, keep_id=zone["ids"][0], drop_id=duplicate
            )
        )


def make_a_class_and_low(world, enterprise_id):
    """2024 facts that put a firm first on everything but 亩均税收, 4 万元/亩 (40 on 10 亩)."""
    from tests.landuse.conftest import AS_OF
    from wulian.enterprises import facts

    values = {"tax_paid": 40.0, "industrial_value_added": 35_000.0, "energy_use": 100.0,
              "emissions": 0.1, "staff_average": 50.0, "rd_expense": 2_000.0,
              "revenue": 20_000.0}  # fmt: skip

    def write(session):
        for key, value in values.items():
            facts.record(
                session, actor=SYSTEM, enterprise_id=enterprise_id, metric_key=key,
                period="2024", value=value, source="stats", as_of=AS_OF,
            )  # fmt: skip

    world.run(write)


def test_a_listed_a_class_firm_is_shown_as_listed_and_not_paid_by_the_a_class_policies(world, zone):
    from wulian.policy import service as policy_service

    listed, clean = zone["ids"][0], zone["ids"][7]
    make_a_class_and_low(world, listed)

    def wider_a(session):  # A takes the top 30%: two of the eight rated 规上 firms
        from wulian.landuse.models import LanduseSpec

        base = session.get(LanduseSpec, zone["spec"])
        text = base.text.replace("{label: A, top: 0.20}", "{label: A, top: 0.30}")
        spec = service.save_spec(session, actor=SYSTEM, text=text, based_on_id=base.id)
        run = service.create_run(session, actor=SYSTEM, spec_id=spec.id, period=2024)
        return service.publish(session, actor=SYSTEM, run_id=run.id).id

    run_id = world.run(wider_a)
    world.run(lambda s: policy_service.install_shipped(s, actor=SYSTEM))
    got = results(world, run_id)
    assert got[listed][:2] == ("rated", "A")
    assert got[clean][:2] == ("rated", "A")

    def read(session):
        low = service.low_list(session, actor=SYSTEM, run_id=run_id)
        book = service.export_xlsx(session, actor=SYSTEM, run_id=run_id)
        standing = service.standing_up_to(session, actor=SYSTEM, year=2025)
        return low, book, standing

    low, book, standing = world.run(read)
    assert [(f.enterprise.id, f.result.grade) for f in low] == [(listed, "A")]
    assert standing[listed] == {"grade": "A", "low": True}
    assert standing[clean] == {"grade": "A", "low": False}
    sheet = openpyxl.load_workbook(io.BytesIO(book))["规上企业分类"]
    headers = [c.value for c in sheet[3]]
    assert headers[3:5] == ["类别", "列入低效企业名单"]  # the list sits next to the class
    marks = {r[1]: (r[3], r[4]) for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert marks[zone["names"][listed]] == ("A", "是")
    assert marks[zone["names"][clean]] == ("A", "")

    def paid(enterprise_id):
        calc = world.run(
            lambda s: policy_service.calculator(
                s, actor=SYSTEM, enterprise_id=enterprise_id, period=2024
            )
        )
        everything = [*calc.eligible, *calc.near, *calc.unknown, *calc.ineligible]
        return {e.policy: e for e in everything if e.policy.startswith("landuse_")}

    for code in ("landuse_tax", "landuse_priority"):
        assert paid(clean)[code].status == "eligible"
        refused = paid(listed)[code]
        assert refused.status == "ineligible"
        assert [c.key for c in refused.conditions if c.holds is False] == ["not_low"]


def test_the_score_histogram_has_few_bins_whatever_the_scores(world, zone):
    from tests.landuse.test_evaluate import UNCAPPED

    make_a_class_and_low(world, zone["ids"][0])  # 亩均增加值 3,500 万元/亩: 26× the benchmark

    def uncapped(session):
        from wulian.landuse.models import LanduseSpec

        base = session.get(LanduseSpec, zone["spec"])
        return service.save_spec(session, actor=SYSTEM, text=UNCAPPED, based_on_id=base.id).id

    spec_id = world.run(uncapped)
    for spec in (zone["spec"], spec_id):
        run_id = world.run(
            lambda s, spec=spec: service.create_run(s, actor=SYSTEM, spec_id=spec, period=2024).id
        )
        view = world.run(lambda s, run_id=run_id: service.zone_view(s, actor=SYSTEM, run_id=run_id))
        rated = sum(1 for status, *_ in results(world, run_id).values() if status == "rated")
        assert 1 < len(view.histogram) <= 30
        assert sum(n for _, n in view.histogram) == rated
    # uncapped, the far firm sits in an open last bin instead of stretching the scale
    assert view.histogram[-1][0].startswith("≥")
    assert view.histogram[-1][1] == 1

"""Knowledge-value credit (知识价值信用贷) as its users meet it: a worked example graded and
given its credit line, unknown indicators not counted as zero, runs by the finance office only,
published before a firm or a bank sees anything, and a bank token refused (and the attempt
audited) for a firm that did not consent."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.capital.conftest import TODAY
from tests.conftest import SYSTEM, login, post_form
from wulian.capital import credit, knowledge
from wulian.capital.models import KnowledgeCreditResult, KnowledgeCreditRun
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidFile, InvalidInput, PermissionDenied
from wulian.enterprises import facts
from wulian.enterprises.models import EnterpriseTag
from wulian.reference import service as reference_service

A_FACTS = {
    "2025": {"revenue": 5000.0, "rd_expense": 400.0, "ip_class1_count": 5.0, "tech_staff": 60.0,
             "staff_total": 300.0, "postgraduate_staff": 30.0},
    "2024": {"revenue": 4000.0},
}  # fmt: skip
B_FACTS = {"2025": {"revenue": 1000.0, "rd_expense": 20.0}}
# The worked example (firm A): points per indicator on the shipped goalposts and the weights
# 20/15/20/15/10/10/10 → (800 + 1200 + 1000 + 1000 + 1000 + 875 + 333.3) / 100 = 62.1 → C.
A_POINTS = {"研发费用": 40.0, "研发费用占营业收入比例": 80.0, "有效发明专利等一类知识产权": 50.0,
            "研发（科技）人员占比": 66.7, "高新技术企业资格": 100.0, "营业收入增长率": 87.5,
            "研究生以上人员占比": 33.3}  # fmt: skip


@pytest.fixture
def credit_data(world, zone):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))

    def write(session):
        for firm, by_period in ((zone.firm, A_FACTS), (zone.firm_b, B_FACTS)):
            for period, values in by_period.items():
                for key, value in values.items():
                    facts.record(
                        session, actor=SYSTEM, enterprise_id=firm, metric_key=key,
                        period=period, value=value, source="stats", as_of=dt.date(2026, 3, 1),
                    )  # fmt: skip
        session.add(EnterpriseTag(enterprise_id=zone.firm, tag="gaoxin"))

    world.run(write)
    return zone


def run_and_publish(world, zone) -> int:
    fin = zone.actor(world, "fin1")
    run_id = int(
        world.run(lambda s: knowledge.create_run(s, actor=fin, period="2025", today=TODAY).id)
    )
    world.run(lambda s: knowledge.publish(s, actor=fin, run_id=run_id, today=TODAY))
    return run_id


def test_the_worked_example_is_graded_c_with_a_line_of_500_wan(world, credit_data):
    zone = credit_data
    fin = zone.actor(world, "fin1")
    run_id = run_and_publish(world, zone)
    rows = {g.enterprise_id: g for g in world.run(
        lambda s: knowledge.results(s, actor=fin, run_id=run_id))}  # fmt: skip
    a = rows[zone.firm]
    assert (a.score, a.grade, a.line_wan, a.known) == (62.1, "C", 500.0, 7)
    points = {i["name"]: i["points"] for i in a.explanation["indicators"]}
    assert points == A_POINTS
    # firm B: revenue and R&D only (high-tech status is known: it holds no title) → 3 of 7
    # indicators known, fewer than the 4 needed: no grade rather than a grade from zeros.
    b = rows[zone.firm_b]
    assert (b.score, b.grade, b.line_wan, b.known) == (None, None, None, 3)
    assert b.grade_label == "资料不足"
    assert "研发费用" not in b.missing
    assert "营业收入增长率" in b.missing


def test_an_unknown_indicator_is_not_a_zero():
    spec = credit.shipped()
    full = {"enterprise_id": [1, 2], "rd_expense": [1000.0, 1000.0], "rd_intensity": [0.1, 0.1],
            "ip_class1_count": [10.0, 10.0], "tech_staff_share": [0.3, 0.3],
            "high_tech": [1.0, 1.0], "revenue_growth": [0.3, 0.3],
            "postgraduate_share": [0.3, None]}  # fmt: skip
    rows, _ = credit.score(spec, pl.DataFrame(full))
    # the unknown share of postgraduates leaves firm 2 at full marks; a zero would cost 10 points
    assert rows["score"].to_list() == [100.0, 100.0]
    assert rows["grade"].to_list() == ["A", "A"]
    assert rows["credit_line"].to_list() == [1000.0, 1000.0]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 2000), min_size=1, max_size=30))
def test_more_rd_never_lowers_the_grade(values):
    spec = credit.shipped()
    n = len(values)
    base = {"enterprise_id": list(range(n)), "rd_intensity": [0.05] * n,
            "ip_class1_count": [2.0] * n, "tech_staff_share": [0.1] * n, "high_tech": [0.0] * n,
            "revenue_growth": [0.1] * n, "postgraduate_share": [0.1] * n}  # fmt: skip
    low, _ = credit.score(spec, pl.DataFrame(base | {"rd_expense": values}))
    high, _ = credit.score(spec, pl.DataFrame(base | {"rd_expense": [v + 300 for v in values]}))
    assert all(h >= lo for h, lo in zip(high["score"], low["score"], strict=True))
    lines = low["credit_line"].to_list()
    assert all(x is not None and x in spec.lines.values() for x in lines)


def test_a_spec_without_a_line_for_a_grade_is_refused_at_its_line():
    text = credit.shipped_text().replace("E: 100}", "}").replace(", }", "}")
    with pytest.raises(InvalidFile, match="等级 E 没有对应的授信额度"):
        credit.load(text)


def test_only_the_finance_office_runs_and_publishes(world, credit_data):
    zone = credit_data
    for who in ("inv1", "analyst"):
        actor = zone.actor(world, who)
        with pytest.raises(PermissionDenied):
            world.run(lambda s, a=actor: knowledge.create_run(s, actor=a, period="2025",
                                                              today=TODAY))  # fmt: skip
    firm = zone.actor(world, "firm_user")
    with pytest.raises(PermissionDenied):
        world.run(lambda s: knowledge.run_list(s, actor=firm))
    assert world.scalar(sa.select(sa.func.count()).select_from(KnowledgeCreditRun)) == 0
    fin = zone.actor(world, "fin1")
    run_id = int(
        world.run(lambda s: knowledge.create_run(s, actor=fin, period="2025", today=TODAY).id)
    )
    # a draft is not shown to the firm
    assert world.run(lambda s: knowledge.firm_grade(s, actor=firm, enterprise_id=zone.firm)) == (
        None, None,
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        world.run(lambda s: knowledge.publish(s, actor=zone.actor(world, "inv1"), run_id=run_id,
                                              today=TODAY))  # fmt: skip
    world.run(lambda s: knowledge.publish(s, actor=fin, run_id=run_id, today=TODAY))
    _, graded = world.run(lambda s: knowledge.firm_grade(s, actor=firm, enterprise_id=zone.firm))
    assert graded.grade == "C"
    with pytest.raises(PermissionDenied, match="只能查看本企业"):
        world.run(lambda s: knowledge.firm_grade(s, actor=firm, enterprise_id=zone.firm_b))
    assert world.scalar(sa.select(sa.func.count()).select_from(KnowledgeCreditResult)) == 2


def test_a_bank_reads_a_consenting_firm_and_is_refused_for_another(client, world, credit_data):
    zone = credit_data
    run_and_publish(world, zone)
    firm = zone.actor(world, "firm_user")
    world.run(lambda s: knowledge.set_consent(s, actor=firm, enterprise_id=zone.firm,
                                              granted=True))  # fmt: skip
    with pytest.raises(PermissionDenied):  # a firm decides for itself only
        world.run(lambda s: knowledge.set_consent(s, actor=firm, enterprise_id=zone.firm_b,
                                                  granted=True))  # fmt: skip
    secret = client.app.state.settings.session_secret
    bank = {"Authorization": f"Bearer {world.token('合作银行', ['innovation:credit'], secret)}"}
    a_code = world.run(lambda s: knowledge.read.get_or_raise(s, zone.firm).uscc)
    b_code = world.run(lambda s: knowledge.read.get_or_raise(s, zone.firm_b).uscc)
    ok = client.get(f"/api/v1/capital/credit/grades/{a_code}", headers=bank)
    assert ok.status_code == 200
    body = ok.json()
    assert (body["grade"], body["credit_line_wan"], body["score"]) == ("C", 500.0, 62.1)
    assert {i["name"]: i["points"] for i in body["indicators"]} == A_POINTS
    listed = client.get("/api/v1/capital/credit/grades", headers=bank).json()
    assert [g["uscc"] for g in listed] == [a_code]
    refused = client.get(f"/api/v1/capital/credit/grades/{b_code}", headers=bank)
    assert refused.status_code == 403
    assert "未授权合作银行" in refused.text
    entries = world.run(lambda s: list(s.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "capital.credit_refused"))))  # fmt: skip
    assert len(entries) == 1
    assert entries[0].after["uscc"] == b_code
    # a token bound to firm B reads nothing of firm A
    bound = world.token("银行（单户）", ["innovation:credit"], secret, enterprise_id=zone.firm_b)
    other = client.get(f"/api/v1/capital/credit/grades/{a_code}",
                       headers={"Authorization": f"Bearer {bound}"})  # fmt: skip
    assert other.status_code == 403
    # a token without the bank scope is refused
    plain = world.token("名录", ["enterprises:read"], secret)
    assert client.get("/api/v1/capital/credit/grades",
                      headers={"Authorization": f"Bearer {plain}"}).status_code == 403  # fmt: skip


def test_the_credit_pages(client, world, credit_data, make_client):
    zone = credit_data
    login(client, "fin1")
    made = post_form(client, "/capital/credit/runs", {"period": "2025"}, page="/capital/credit")
    assert made.status_code == 303
    page = client.get(made.headers["location"]).text
    assert "衢州锂测材料有限公司" in page
    assert "500 万元" in page
    assert "资料不足" in page
    bad = post_form(client, "/capital/credit/runs", {"period": "25"}, page="/capital/credit")
    assert bad.status_code == 422
    assert "评价期间应为年度" in bad.text
    run_id = world.scalar(sa.select(sa.func.max(KnowledgeCreditRun.id)))
    published = post_form(client, f"/capital/credit/runs/{run_id}/publish", {},
                          page="/capital/credit")  # fmt: skip
    assert published.status_code == 303
    firm = make_client()
    login(firm, "firm_user")
    own = firm.get(f"/capital/credit/firms/{zone.firm}").text
    assert "C 级" in own
    assert "授信参考额度 500 万元" in own
    assert "未授权" in own
    consent = post_form(firm, f"/capital/credit/firms/{zone.firm}/consent", {"granted": "1"},
                        page=f"/capital/credit/firms/{zone.firm}")  # fmt: skip
    assert consent.status_code == 303
    assert "已授权合作银行" in firm.get(f"/capital/credit/firms/{zone.firm}").text
    assert firm.get(f"/capital/credit/firms/{zone.firm_b}").status_code == 403
    assert firm.get("/capital/credit").status_code == 403


def test_a_run_may_use_chongqings_base_plus_bonus_spec(world, credit_data):
    zone = credit_data
    fin = zone.actor(world, "fin1")
    run_id = world.run(lambda s: knowledge.create_run(
        s, actor=fin, period="2025", today=TODAY, spec_code="knowledge_credit_cq").id)  # fmt: skip
    run = world.run(lambda s: s.get(KnowledgeCreditRun, run_id))
    assert run.spec_code == "knowledge_credit_cq"
    assert "重庆" in run.spec_text
    rows = {g.enterprise_id: g for g in world.run(
        lambda s: knowledge.results(s, actor=fin, run_id=run_id))}  # fmt: skip
    # firm A: base (50×100 + 25×80 + 25×100) ÷ 100 = 95; bonus: tech staff 20% → 5, postgraduates
    # 10% → 5, growth 25% → 5, 高企 → 10: 120 → A → 300 万元
    a = rows[zone.firm]
    assert (a.score, a.grade, a.line_wan) == (120.0, "A", 300.0)
    # firm B: only R&D 20 万元 (4 points) and intensity 2% (33.3) known among the base: their
    # weights share the base (18.7); no bonus shown, none added → E → 40 万元
    b = rows[zone.firm_b]
    assert (b.score, b.grade, b.line_wan) == (18.7, "E", 40.0)
    with pytest.raises(InvalidInput, match="没有代码为“shanghai”的评价方案"):
        world.run(lambda s: knowledge.create_run(s, actor=fin, period="2025", today=TODAY,
                                                 spec_code="shanghai"))  # fmt: skip


def test_a_spec_is_edited_as_a_new_version_that_the_next_run_uses(world, credit_data):
    from wulian.capital.models import CreditSpecVersion
    from wulian.core.errors import InvalidFile

    zone = credit_data
    fin = zone.actor(world, "fin1")
    world.run(lambda s: knowledge.SPECS.install(s, actor=SYSTEM))
    base = world.scalar(
        sa.select(CreditSpecVersion).where(CreditSpecVersion.code == "knowledge_credit")
    )
    text = base.text.replace("lines: {A: 1000, B: 800, C: 500,", "lines: {A: 1000, B: 800, C: 600,")
    assert text != base.text

    def save(actor, body):
        return world.run(
            lambda s: (
                knowledge.SPECS.save(
                    s, actor=actor, text=body, based_on_id=base.id, note="C 级额度调整"
                ).version
            )
        )

    with pytest.raises(PermissionDenied, match="只有金融办"):
        save(zone.actor(world, "inv1"), text)
    with pytest.raises(InvalidFile, match="等级 C 没有对应的授信额度"):
        save(fin, base.text.replace("C: 500, ", ""))
    assert save(fin, text) == 2
    run_id = world.run(lambda s: knowledge.create_run(s, actor=fin, period="2025",
                                                      today=TODAY).id)  # fmt: skip
    run = world.run(lambda s: s.get(KnowledgeCreditRun, run_id))
    assert (run.spec_code, run.spec_version) == ("knowledge_credit", "2")
    rows = {g.enterprise_id: g for g in world.run(
        lambda s: knowledge.results(s, actor=fin, run_id=run_id))}  # fmt: skip
    assert (rows[zone.firm].grade, rows[zone.firm].line_wan) == ("C", 600.0)  # the new line

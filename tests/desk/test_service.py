"""The request desk's service on SQLite and PostgreSQL: routing and overrides, the life cycle
against the state table, who may act, deadlines through pauses and transfers, duplicates and
merging, ratings and follow-ups that reopen review, the reopening window, the sweep's warnings
and escalations, attachments and their checksums, and bad input that changes nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.conftest import SYSTEM
from tests.desk.conftest import act, actor_of, china, read, submit
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import Conflict, InvalidFile, InvalidInput, PermissionDenied
from wulian.core.permissions import Role
from wulian.desk import config as desk_config
from wulian.desk import service, stats
from wulian.desk.models import DeskEvent, DeskRequest, DeskSurvey
from wulian.web.app import create_app

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def count(world, model):
    return world.scalar(sa.select(sa.func.count()).select_from(model))


def test_routing_suggests_a_department_and_records_an_override(world, desk):
    land, _ = submit(world)
    request = read(world, land)
    assert request.state == "submitted"
    assert request.department_id == desk["departments"]["business-env"]  # the dispatcher
    assert request.routed_department_id == desk["departments"]["planning"]
    common, _ = submit(world, title="园区锂电企业普遍反映危废处置难", category="other", common=True)
    assert read(world, common).routed_department_id == desk["departments"]["chain-office"]
    guessed, _ = submit(
        world, title="申请变压器增容", description="新产线投产需要用电增容 2000 千伏安", category=""
    )
    assert read(world, guessed).category == "power"
    assert read(world, guessed).suggested_category == "power"

    act(world, "centre1", land, "accept", china(2026, 9, 28, 10, 20))
    act(world, "centre1", land, "assign", china(2026, 9, 28, 10, 30), department="economy")
    event = world.scalar(sa.select(DeskEvent.data).where(DeskEvent.action == "assign"))
    assert event["routing_override"] == {
        "suggested": desk["departments"]["planning"],
        "chosen": desk["departments"]["economy"],
    }


def test_who_may_act(world, desk):
    rid, _ = submit(world)
    with pytest.raises(PermissionDenied, match="本部门"):
        act(world, "land1", rid, "accept", china(2026, 9, 28, 10, 5))  # not yet theirs
    act(world, "centre1", rid, "accept", china(2026, 9, 28, 10, 10))
    act(world, "centre1", rid, "assign", china(2026, 9, 28, 10, 20), department="planning")
    with pytest.raises(PermissionDenied):
        act(world, "power1", rid, "handle", china(2026, 9, 28, 11, 0))  # another department
    with pytest.raises(PermissionDenied, match="督办部门"):
        act(world, "land1", rid, "escalate", china(2026, 9, 28, 11, 0), reason="催办")
    with pytest.raises(PermissionDenied):
        act(world, "firm2", rid, "comment", china(2026, 9, 28, 11, 0), note="别人的诉求")
    with pytest.raises(PermissionDenied):
        act(world, "analyst1", rid, "handle", china(2026, 9, 28, 11, 0))
    act(world, "land1", rid, "handle", china(2026, 9, 28, 11, 0))
    assert read(world, rid).assignee_id == world.get_user("land1").id
    act(world, "leader1", rid, "escalate", china(2026, 9, 28, 11, 5), reason="领导关注")
    assert read(world, rid).escalated_at is not None
    firm2 = actor_of(world, "firm2")
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.get_or_raise(s, actor=firm2, request_id=rid))
    power = actor_of(world, "power1")
    seen = world.run(lambda s: service.queue(s, actor=power).total)
    assert seen == 0


def test_transitions_follow_the_table_and_bad_input_changes_nothing(world, desk):
    rid, _ = submit(world)
    events = count(world, DeskEvent)
    with pytest.raises(Conflict, match="不能执行“办结”"):
        act(world, "centre1", rid, "close", china(2026, 9, 28, 10, 5))
    with pytest.raises(InvalidInput, match="理由不能为空"):
        act(world, "centre1", rid, "send_back", china(2026, 9, 28, 10, 5))
    with pytest.raises(InvalidInput, match="没有名为“fly”的动作"):
        act(world, "centre1", rid, "fly", china(2026, 9, 28, 10, 5))
    act(world, "centre1", rid, "accept", china(2026, 9, 28, 10, 10))
    with pytest.raises(InvalidInput, match="请选择承办部门"):
        act(world, "centre1", rid, "assign", china(2026, 9, 28, 10, 20))
    with pytest.raises(InvalidInput, match="部门不存在"):
        act(world, "centre1", rid, "assign", china(2026, 9, 28, 10, 20), department="moon")
    assert read(world, rid).state == "accepted"
    assert count(world, DeskEvent) == events + 1
    with pytest.raises(InvalidInput, match="标题不能为空"):
        submit(world, title="  ")
    with pytest.raises(InvalidInput, match="不存在"):
        submit(world, category="weather")
    with pytest.raises(InvalidInput, match="融资金额"):
        submit(world, category="financing")
    with pytest.raises(InvalidInput, match="应为数字"):
        submit(world, category="financing", attributes={"amount_wan": "很多"})
    assert count(world, DeskRequest) == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-500", "“融资金额（万元）”不能小于 0.01"),
        ("0", "“融资金额（万元）”不能小于 0.01"),
        ("1e12", "“融资金额（万元）”不能大于 1000000"),
        ("nan", "“融资金额（万元）”应为数字"),
        ("inf", "“融资金额（万元）”应为数字"),
    ],
)
def test_a_number_attribute_outside_its_declared_range_is_refused(world, desk, amount, message):
    with pytest.raises(InvalidInput, match=message):
        submit(world, category="financing", attributes={"amount_wan": amount})
    assert count(world, DeskRequest) == 0
    rid, _ = submit(world, category="financing", attributes={"amount_wan": "1,500"})
    assert read(world, rid).attributes["amount_wan"] == 1500.0


def test_every_number_attribute_declares_its_range_and_a_range_is_checked():
    shipped = desk_config.load(service.shipped_text())
    numbers = [a for c in shipped.categories for a in c.attributes if a.datatype == "number"]
    assert numbers
    assert all(a.min is not None and a.max is not None for a in numbers)
    with pytest.raises(ValidationError, match="只有数字属性"):
        desk_config.Attribute(code="x", name="x", datatype="string", min=0)
    with pytest.raises(ValidationError, match="大于 max"):
        desk_config.Attribute(code="x", name="x", datatype="number", min=5, max=1)


def test_a_pause_and_a_transfer_keep_the_deadline(world, desk):
    rid, _ = submit(world, category="other", when=china(2026, 11, 2, 9, 0))  # 5 working days
    assert read(world, rid).clocks["closure"]["due_at"] == "2026-11-09T17:30:00+08:00"
    act(world, "centre1", rid, "accept", china(2026, 11, 2, 9, 30))
    act(world, "centre1", rid, "assign", china(2026, 11, 2, 10, 0), department="planning")
    act(world, "land1", rid, "handle", china(2026, 11, 3, 9, 0))
    act(
        world,
        "land1",
        rid,
        "transfer",
        china(2026, 11, 3, 9, 30),
        reason="属经信局职责",
        department="economy",
    )
    assert read(world, rid).clocks["closure"]["due_at"] == "2026-11-09T17:30:00+08:00"
    act(world, "centre1", rid, "suspend", china(2026, 11, 4, 9, 0), reason="请补充用电图纸")
    waiting = read(world, rid)
    assert waiting.state == "waiting"
    assert waiting.due_at is None
    assert waiting.clocks["closure"]["status"] == "paused"
    act(world, "firm1", rid, "supply", china(2026, 11, 6, 9, 0), note="图纸已上传")
    back = read(world, rid)
    assert back.state == "assigned"  # the state before the pause
    assert back.clocks["closure"]["due_at"] == "2026-11-11T17:30:00+08:00"  # two days later


def test_duplicates_are_flagged_and_merged(world, desk):
    first, first_no = submit(world)
    again, _ = submit(
        world, description="二期项目 30 亩用地指标已报批三个月，请协调规划分局尽快出具预审意见。"
    )
    assert read(world, again).duplicate_of_id == first
    unrelated, _ = submit(
        world,
        title="融资需求",
        category="financing",
        description="申请流动资金贷款",
        attributes={"amount_wan": 300},
    )
    assert read(world, unrelated).duplicate_of_id is None
    act(world, "centre1", again, "merge", china(2026, 9, 28, 11, 0), into=first_no)
    merged = read(world, again)
    assert merged.state == "merged"
    assert merged.merged_into_id == first
    other, _ = submit(world, username="firm2")
    with pytest.raises(InvalidInput, match="同一企业"):
        act(world, "centre1", other, "merge", china(2026, 9, 28, 11, 0), into=first_no)


def _closed(world, when=china(2026, 11, 2, 9, 0)):
    rid, _ = submit(world, category="other", when=when)
    for user, action, minutes, fields in (
        ("centre1", "accept", 10, {}),
        ("centre1", "assign", 20, {"department": "planning"}),
        ("land1", "handle", 30, {}),
        ("land1", "reply", 40, {"note": "已协调解决"}),
        ("land1", "close", 50, {}),
    ):
        act(world, user, rid, action, when.replace(minute=minutes), **fields)
    return rid


def test_a_low_rating_reopens_review(world, desk):
    rid = _closed(world)
    survey = world.scalar(sa.select(DeskSurvey.due_at).where(DeskSurvey.request_id == rid))
    assert survey == china(2026, 11, 5, 17, 30)  # three working days after closing
    with pytest.raises(PermissionDenied):
        act(world, "firm2", rid, "rate", china(2026, 11, 3, 9, 0), rating=1)
    with pytest.raises(InvalidInput, match="1 到 5"):
        act(world, "firm1", rid, "rate", china(2026, 11, 3, 9, 0), rating=9)
    act(world, "firm1", rid, "rate", china(2026, 11, 3, 9, 0), rating=2, note="只答复未解决")
    request = read(world, rid)
    assert request.rating == 2
    assert request.state == "reviewing"
    act(world, "land1", rid, "reopen", china(2026, 11, 3, 10, 0), reason="复核后继续办理")
    assert read(world, rid).state == "handling"
    assert read(world, rid).clocks["closure"]["status"] == "running"


def test_an_unsatisfied_follow_up_reopens_review(world, desk):
    rid = _closed(world)
    land = actor_of(world, "land1")
    due = world.run(lambda s: service.surveys_due(s, actor=land, now=china(2026, 11, 6, 9, 0)))
    assert [r.id for _, r in due] == [rid]
    world.run(
        lambda s: service.answer_survey(
            s, actor=land, request_id=rid, solved=False, satisfaction=3, channel="phone"
        )
    )
    assert read(world, rid).state == "reviewing"
    with pytest.raises(Conflict, match="没有待填写"):
        world.run(
            lambda s: service.answer_survey(
                s, actor=land, request_id=rid, solved=True, satisfaction=5
            )
        )


def test_a_firm_may_reopen_only_within_the_window(world, desk):
    rid = _closed(world)
    act(world, "firm1", rid, "reopen", china(2026, 11, 6, 9, 0), reason="问题反复")
    assert read(world, rid).reopened == 1
    late = _closed(world, when=china(2026, 11, 2, 10, 0))
    with pytest.raises(Conflict, match="5 个工作日"):
        act(world, "firm1", late, "reopen", china(2026, 11, 12, 9, 0), reason="还没解决")


def test_the_sweep_warns_then_escalates_once(world, desk):
    rid, _ = submit(world, category="other", when=china(2026, 11, 2, 9, 0))
    act(world, "centre1", rid, "accept", china(2026, 11, 2, 9, 30))
    sweep = lambda now: world.run(lambda s: service.sweep(s, actor=SYSTEM, now=now))  # noqa: E731
    assert sweep(china(2026, 11, 2, 10, 0)) == service.SweepResult(0, 0)
    assert sweep(china(2026, 11, 5, 14, 0)).warned == 1  # progress due 5 November 17:30
    assert sweep(china(2026, 11, 5, 15, 0)) == service.SweepResult(0, 0)
    assert sweep(china(2026, 11, 6, 9, 0)).escalated == 1
    assert sweep(china(2026, 11, 6, 10, 0)) == service.SweepResult(0, 0)
    request = read(world, rid)
    assert request.escalated_at == china(2026, 11, 6, 9, 0)
    reason = world.scalar(sa.select(DeskEvent.reason).where(DeskEvent.action == "escalate"))
    assert "进展反馈期限已超期" in reason
    analyst = actor_of(world, "analyst1")
    figures = world.run(lambda s: stats.overview(s, actor=analyst, now=china(2026, 11, 6, 10, 0)))
    assert figures.overdue == 1
    assert figures.escalated == 1
    assert [r.id for r in figures.overdue_list] == [rid]


def test_attachments_are_checked_and_stored_outside_the_database(world, desk, tmp_path):
    firm = actor_of(world, "firm1")

    def send(*uploads):
        return world.run(
            lambda s: (
                service.submit(
                    s,
                    actor=firm,
                    title="融资",
                    description="流动资金贷款",
                    category="other",
                    uploads=list(uploads),
                    data_dir=tmp_path,
                    now=china(2026, 11, 2, 9, 0),
                ).id
            )
        )

    with pytest.raises(InvalidInput, match="类型不允许"):
        send(service.Upload("病毒.exe", b"MZ\x90\x00"))
    with pytest.raises(InvalidInput, match="超过 10 MB"):
        send(service.Upload("大.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)))
    with pytest.raises(InvalidInput, match="校验值"):
        send(service.Upload("报表.pdf", PDF, sha256="0" * 64))
    assert count(world, DeskRequest) == 0
    rid = send(service.Upload("报表.pdf", PDF))
    (row,) = world.run(lambda s: service.attachments(s, request=s.get(DeskRequest, rid)))
    path = tmp_path / row.path
    assert path.read_bytes() == PDF
    _, content = world.run(
        lambda s: service.attachment_file(s, actor=firm, attachment_id=row.id, data_dir=tmp_path)
    )
    assert content == PDF
    path.write_bytes(PDF + b"tampered")
    with pytest.raises(Conflict, match="校验失败"):
        world.run(
            lambda s: service.attachment_file(
                s, actor=firm, attachment_id=row.id, data_dir=tmp_path
            )
        )


def test_every_write_is_audited(world, desk):
    rid, _ = submit(world)
    act(world, "centre1", rid, "accept", china(2026, 9, 28, 10, 10))
    entries = world.run(
        lambda s: s.execute(
            sa.select(AuditEntry.actor_label, AuditEntry.object_type, AuditEntry.action).where(
                AuditEntry.object_type.in_(["desk_requests", "desk_events"])
            )
        ).all()
    )
    assert ("firm1", "desk_requests", "create") in entries
    assert ("centre1", "desk_events", "create") in entries
    assert ("centre1", "desk_requests", "update") in entries


def test_a_server_trains_the_category_model_before_the_first_request(world, settings, engine):
    assert world.run(service.warm_up) is False  # nothing to train before the desk is configured
    world.run(lambda s: service.install_shipped(s, actor=SYSTEM))
    service.SUGGESTER.models.clear()
    app = create_app(settings.model_copy(update={"warm_up": True}), engine=engine)
    with TestClient(app) as client:  # the server's start-up
        assert service.SUGGESTER.models, "the model is trained before any request"
        assert client.get("/healthz").status_code == 200


def _configure(world, change):
    """A new configuration version made from the shipped one by change(text)."""
    base = world.run(lambda s: service.current(s)[0])
    text = change(service.shipped_text())
    admin = world.user("config_admin", Role.ADMIN)
    actor = actor_of(world, "config_admin")
    world.run(
        lambda s: service.save_config(
            s, actor=actor, text=text, based_on_id=base, copy=False, note="效果"
        )
    )
    return admin


def test_an_action_does_what_its_effects_declare(world, desk):
    """A follow-up survey is scheduled by the action that declares schedule_survey, whatever
    its name: here the reply, and no longer the closing."""

    def move(text):
        text = text.replace(
            "to: closed, by: [officer], effects: [schedule_survey]}",
            "to: closed, by: [officer], effects: []}",
        )
        return text.replace(
            "to: replied, by: [officer], note: true}",
            "to: replied, by: [officer], note: true, effects: [schedule_survey]}",
        )

    _configure(world, move)
    when = china(2026, 11, 2, 9, 0)
    rid, _ = submit(world, category="other", when=when)
    for user, action, minutes, fields in (
        ("centre1", "accept", 10, {}),
        ("centre1", "assign", 20, {"department": "planning"}),
        ("land1", "handle", 30, {}),
        ("land1", "reply", 40, {"note": "已协调解决"}),
    ):
        act(world, user, rid, action, when.replace(minute=minutes), **fields)
    surveys = sa.select(sa.func.count()).where(DeskSurvey.request_id == rid)
    assert world.scalar(surveys) == 1  # scheduled by the reply
    act(world, "land1", rid, "close", when.replace(minute=50))
    assert world.scalar(surveys) == 1  # the closing schedules none now


def test_effects_are_checked_when_the_configuration_is_saved(world, desk):
    text = service.shipped_text()
    unknown = text.replace("effects: [take_request]", "effects: [take_requests]")
    with pytest.raises(InvalidFile, match=r"第 41 行.*take_requests.*应为以下之一"):
        desk_config.load(unknown)
    silent = text.replace("effects: [mark_escalated]", "effects: []")
    with pytest.raises(InvalidFile, match="须有效果 mark_escalated"):
        desk_config.load(silent)
    # a file written before actions declared effects keeps the platform's defaults
    legacy = desk_config.load(re.sub(r", effects: \[[a-z_, ]*\]", "", text))
    assert legacy.action_map["close"].effects == ("schedule_survey",)
    assert legacy.action_map["rate"].effects == ("rate", "review_low_rating")

"""Notifications: who receives what, only the user reads their own, and email or SMS leaves only
for a committed change, once, as the user chose."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from tests.conftest import World
from wulian.core.auth import service as auth_service
from wulian.core.auth.models import User
from wulian.core.db import session_factory, unit_of_work
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied
from wulian.core.notify import service as notify
from wulian.core.notify.models import FAILED, PENDING, SENT, Notification
from wulian.core.notify.outbox import MAX_ATTEMPTS, deliver
from wulian.core.notify.senders import LoggingSms, SendFailed, sms_sender
from wulian.core.permissions import Actor, Role
from wulian.core.settings import Settings


class Outbox:
    """A sender that keeps what it was given (or refuses everything)."""

    def __init__(self, refuse: bool = False) -> None:
        self.sent: list[tuple[str, ...]] = []
        self.refuse = refuse

    def send(self, *message: str) -> None:
        if self.refuse:
            raise SendFailed("服务器拒收")
        self.sent.append(message)


@pytest.fixture
def people(world: World) -> dict[str, int]:
    science = world.department("science", "科技局")
    economy = world.department("economy", "经信局")
    firm = world.enterprise("甲科技有限公司")
    other_firm = world.enterprise("乙材料有限公司")
    ids = {
        "zhang": world.user("zhang", Role.OFFICER, department_id=science),
        "liu": world.user("liu", Role.OFFICER, department_id=science),
        "wang": world.user("wang", Role.OFFICER, department_id=economy),
        "firm": world.user("firm", Role.ENTERPRISE, enterprise_id=firm),
        "other": world.user("other", Role.ENTERPRISE, enterprise_id=other_firm),
        "science": science,
        "firm_id": firm,
        "other_firm_id": other_firm,
    }

    def contacts(session: sa.orm.Session) -> None:
        for name in ("zhang", "liu", "wang", "firm"):
            user = session.get(User, ids[name])
            assert user is not None
            user.email = f"{name}@zone.example.cn"
            user.phone = "13800001234"

    world.run(contacts)
    return ids


def actor(world: World, username: str) -> Actor:
    return auth_service.actor_for_user(world.get_user(username))


def rows(world: World) -> list[Notification]:
    with session_factory(world.engine)() as session:
        return list(session.scalars(sa.select(Notification).order_by(Notification.id)))


def test_a_department_notice_reaches_its_officers_but_not_who_acted(world, people):
    world.run(
        lambda s: notify.notify_department(
            s, department_id=people["science"], skip=people["liu"], kind="desk.assigned",
            title="诉求已交办：用地指标", link="/desk/requests/1",
        )
    )  # fmt: skip
    got = rows(world)
    assert [n.user_id for n in got] == [people["zhang"]]
    assert got[0].title == "诉求已交办：用地指标"
    assert got[0].email_state == PENDING  # zhang gave an address; email is on by default


def test_a_firm_notice_reaches_the_firms_users_with_their_own_link(world, people):
    world.run(
        lambda s: notify.notify_enterprises(
            s, enterprise_ids=[people["firm_id"]], kind="run.published",
            title="2025 年度创新积分结果已发布", link="/innovation/portrait/{enterprise_id}",
        )
    )  # fmt: skip
    got = rows(world)
    assert [(n.user_id, n.link) for n in got] == [
        (people["firm"], f"/innovation/portrait/{people['firm_id']}")
    ]


def test_a_user_sees_and_marks_only_their_own(world, people):
    world.run(
        lambda s: notify.notify(
            s, user_ids=[people["zhang"], people["wang"]], kind="facts.review", title="数据待审核"
        )
    )
    mine, theirs = (n.id for n in rows(world))
    zhang, wang = actor(world, "zhang"), actor(world, "wang")

    def check(session: sa.orm.Session) -> None:
        assert [n.id for n in notify.get_all(session, actor=zhang).items] == [mine]
        with pytest.raises(NotFound):
            notify.mark_read(session, actor=zhang, notification_id=theirs)
        with pytest.raises(NotFound):
            notify.get_or_raise(session, actor=zhang, notification_id=theirs)
        assert notify.mark_all_read(session, actor=zhang) == 1
        assert notify.count_unread(session, actor=zhang) == 0
        assert notify.count_unread(session, actor=wang) == 1

    world.run(check)
    assert [n.read_at is None for n in rows(world)] == [False, True]


def test_an_api_token_has_no_notifications(world, people):
    token_actor = Actor(kind="token", id=people["zhang"], label="令牌", permissions=frozenset())
    with pytest.raises(PermissionDenied):
        world.run(lambda s: notify.get_all(s, actor=token_actor))


def test_a_rolled_back_change_notifies_and_sends_nothing(world, people):
    sessions = session_factory(world.engine)

    def fail() -> None:
        with unit_of_work(sessions) as session:
            notify.notify(session, user_ids=[people["zhang"]], kind="desk.overdue", title="超期")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        fail()
    email, sms = Outbox(), Outbox()
    assert deliver(sessions, email=email, sms=sms).sent == 0
    assert rows(world) == []
    assert email.sent == []
    assert sms.sent == []


def test_a_committed_notice_is_emailed_and_texted_once(world, people):
    world.run(
        lambda s: notify.notify(
            s, user_ids=[people["zhang"]], kind="desk.overdue", title="诉求已超期并督办：用地",
            body="处置期限已超期", link="/desk/requests/7",
        )
    )  # fmt: skip
    sessions = session_factory(world.engine)
    email, sms = Outbox(), Outbox()
    first = deliver(sessions, email=email, sms=sms, base_url="https://wulian.zone.example.cn")
    again = deliver(sessions, email=email, sms=sms)
    assert (first.sent, again.sent) == (2, 0)
    [(to, subject, body)] = email.sent
    assert (to, subject) == ("zhang@zone.example.cn", "诉求已超期并督办：用地")
    assert "https://wulian.zone.example.cn/desk/requests/7" in body
    assert sms.sent == [("13800001234", "诉求已超期并督办：用地")]  # overdue goes by SMS too
    [n] = rows(world)
    assert (n.email_state, n.sms_state) == (SENT, SENT)


def test_what_a_user_turned_off_is_not_emailed(world, people):
    zhang = actor(world, "zhang")
    world.run(
        lambda s: notify.update_preferences(
            s, actor=zhang, email_address="zhang@zone.example.cn", phone="",
            email_kinds=["desk.overdue"], sms_kinds=[],
        )
    )  # fmt: skip
    world.run(
        lambda s: [
            notify.notify(s, user_ids=[people["zhang"]], kind=k, title=k)
            for k in ("desk.assigned", "desk.overdue")
        ]
    )
    email = Outbox()
    deliver(session_factory(world.engine), email=email, sms=Outbox())
    assert [m[1] for m in email.sent] == ["desk.overdue"]
    assert [n.sms_state for n in rows(world)] == [None, None]  # no number any more


def test_preferences_refuse_a_bad_address(world, people):
    zhang = actor(world, "zhang")
    with pytest.raises(InvalidInput, match="电子邮箱格式不正确"):
        world.run(
            lambda s: notify.update_preferences(
                s, actor=zhang, email_address="不是邮箱", phone="", email_kinds=[], sms_kinds=[]
            )
        )
    with pytest.raises(InvalidInput, match="手机号码"):
        world.run(
            lambda s: notify.update_preferences(
                s, actor=zhang, email_address="", phone="12345", email_kinds=[], sms_kinds=[]
            )
        )


def test_a_refused_message_is_tried_again_then_given_up(world, people):
    world.run(
        lambda s: notify.notify(s, user_ids=[people["zhang"]], kind="facts.review", title="待审核")
    )
    sessions = session_factory(world.engine)
    for _ in range(MAX_ATTEMPTS - 1):
        assert deliver(sessions, email=Outbox(refuse=True), sms=None).failed == 1
        assert rows(world)[0].email_state == PENDING
    deliver(sessions, email=Outbox(refuse=True), sms=None)
    assert rows(world)[0].email_state == FAILED
    assert deliver(sessions, email=Outbox(), sms=None).sent == 0


def test_the_logging_sms_sender_writes_a_masked_number(caplog, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url="sqlite://")
    sender = sms_sender(settings)
    assert isinstance(sender, LoggingSms)
    with caplog.at_level(logging.INFO, logger="wulian.core.notify.senders"):
        sender.send("13800001234", "诉求已超期并督办")
    assert "138****1234 诉求已超期并督办" in caplog.text
    assert "13800001234" not in caplog.text


def test_a_zone_plugs_in_its_own_sms_provider(tmp_path):
    settings = Settings(
        data_dir=tmp_path, database_url="sqlite://", sms_sender="tests.core.test_notify:Provider"
    )
    assert isinstance(sms_sender(settings), Provider)


class Provider:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, phone: str, text: str) -> None:
        raise SendFailed("not in tests")

"""People's data, lawfully: identity numbers validated, encrypted and masked; reads checked per
role and department and audited; consent recorded; records past retention removed."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.talent.conftest import KEYS, TODAY, identity, person
from wulian.core import audit
from wulian.core.audit.models import AuditEntry
from wulian.core.db import session_factory
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from wulian.desk.sweeper import Sweeper
from wulian.talent import occupations, service
from wulian.talent.crypto import KeyMismatch, KeyMissing, Keys, mask
from wulian.talent.models import Consent, Person


def _count(world, model=Person) -> int:
    return int(world.scalar(sa.select(sa.func.count()).select_from(model)))


def test_the_database_holds_no_plain_identity_number(world, zone, engine):
    number = identity(7)
    pid = person(world, zone.actor(world, "firm_a_user"), identity_number=number)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM talent_people")).mappings().one()
        audit_rows = conn.execute(sa.select(AuditEntry.before, AuditEntry.after)).all()
    stored = " ".join(str(v) for v in row.values())
    assert number not in stored
    assert number[:14] not in stored
    assert number[-8:] not in stored
    assert len(bytes(row["id_cipher"])) > 18
    assert number not in str(audit_rows)
    assert "王晓明" not in str(audit_rows)
    # the same number entered twice encrypts differently (fresh nonce), indexes the same
    assert KEYS.encrypt(number) != KEYS.encrypt(number)
    assert row["id_index"] == KEYS.index(number)
    view = world.run(
        lambda s: service.get_person(s, actor=zone.actor(world, "talent_officer"), keys=KEYS,
                                     person_id=pid)
    )  # fmt: skip
    assert view.identity_masked == "3308**********0070" == mask(number)
    assert view.birth_date == dt.date(1990, 5, 17)  # derived from the number
    assert view.education_label == "硕士研究生"
    assert view.salary_label == "20–50 万元"
    assert view.consents[0][1] == "企业人才登记（在职人员统计）"


def test_every_read_of_a_record_is_audited_with_who_read_it(world, zone):
    pid = person(world, zone.actor(world, "firm_a_user"))
    officer = zone.actor(world, "talent_officer")

    def read(s):
        audit.track(s, officer)  # as a signed-in request does
        service.get_person(s, actor=officer, keys=KEYS, person_id=pid)
        service.list_people(s, actor=officer, keys=KEYS)

    world.run(read)
    reads = world.scalar(
        sa.select(sa.func.count()).where(
            AuditEntry.action == "talent.person_read", AuditEntry.object_id == str(pid),
            AuditEntry.actor_id == officer.id,
        )
    )  # fmt: skip
    assert reads == 1
    listed = world.scalar(
        sa.select(AuditEntry.after).where(AuditEntry.action == "talent.people_read")
    )
    assert listed["ids"] == [pid]


@pytest.mark.parametrize(
    ("username", "allowed", "message"),
    [
        ("talent_officer", True, None),
        ("admin", True, None),
        ("firm_a_user", True, None),
        ("other_officer", False, service.OFFICE_ONLY),
        ("analyst", False, service.OFFICE_ONLY),
        ("firm_b_user", False, service.PERSON_NOT_FOUND),  # as if there were no such person
    ],
)
def test_who_may_read_a_person(world, zone, username, allowed, message):
    pid = person(world, zone.actor(world, "firm_a_user"))
    actor = zone.actor(world, username)

    def get(s):
        return service.get_person(s, actor=actor, keys=KEYS, person_id=pid)

    if allowed:
        assert world.run(get).name == "王晓明"
    else:
        expected = NotFound if username == "firm_b_user" else PermissionDenied
        with pytest.raises(expected) as error:
            world.run(get)
        assert error.value.message == message
        assert (
            world.scalar(
                sa.select(sa.func.count()).where(AuditEntry.action == "talent.person_read")
            )
            == 0
        )


def test_a_firm_lists_only_its_own_staff_and_cannot_ask_for_another_firms(world, zone):
    person(world, zone.actor(world, "firm_a_user"), identity_number=identity(1))
    person(world, zone.actor(world, "firm_b_user"), identity_number=identity(2), name="李娜")
    firm_b = zone.actor(world, "firm_b_user")
    own = world.run(lambda s: service.list_people(s, actor=firm_b, keys=KEYS))
    assert [p.name for p in own] == ["李娜"]
    with pytest.raises(PermissionDenied, match="本企业"):
        world.run(
            lambda s: service.list_people(s, actor=firm_b, keys=KEYS, enterprise_id=zone.firm_a)
        )
    office = world.run(
        lambda s: service.list_people(s, actor=zone.actor(world, "talent_officer"), keys=KEYS)
    )
    assert sorted(p.name for p in office) == ["李娜", "王晓明"]


def test_a_firm_cannot_enter_people_for_another_firm_nor_an_officer_elsewhere(world, zone):
    with pytest.raises(PermissionDenied, match="本企业"):
        person(world, zone.actor(world, "firm_b_user"), enterprise_id=zone.firm_a)
    with pytest.raises(PermissionDenied, match="人才办"):
        person(world, zone.actor(world, "other_officer"), enterprise_id=zone.firm_a)
    with pytest.raises(PermissionDenied):
        person(world, zone.actor(world, "analyst"), enterprise_id=zone.firm_a)
    assert _count(world) == 0
    person(world, zone.actor(world, "talent_officer"), enterprise_id=zone.firm_a)
    assert _count(world) == 1


def test_a_wrong_check_digit_is_refused_with_the_right_one_and_nothing_written(world, zone):
    good = identity(3)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    with pytest.raises(InvalidInput) as error:
        person(world, zone.actor(world, "firm_a_user"), identity_number=bad)
    assert "校验位错误" in error.value.message
    assert f"应为 {good[-1]}" in error.value.message
    assert bad not in error.value.message  # even the error shows the number masked
    assert _count(world) == 0
    assert _count(world, Consent) == 0


def test_a_birth_date_in_the_future_is_refused(world, zone):
    future = identity(4, born=dt.date(2027, 1, 5))
    with pytest.raises(InvalidInput, match="在今天之后"):
        person(world, zone.actor(world, "firm_a_user"), identity_number=future)
    with pytest.raises(InvalidInput, match="在今天之后"):
        person(world, zone.actor(world, "firm_a_user"), birth_date=dt.date(2026, 7, 1))
    with pytest.raises(InvalidInput, match="不一致"):
        person(world, zone.actor(world, "firm_a_user"), birth_date=dt.date(1990, 5, 18))
    assert _count(world) == 0


def test_consent_is_required_and_recorded_with_purpose_and_date(world, zone):
    with pytest.raises(InvalidInput, match="本人同意"):
        person(world, zone.actor(world, "firm_a_user"), consents={})
    pid = person(
        world, zone.actor(world, "firm_a_user"),
        consents={"employment": dt.date(2026, 6, 1), "matching": dt.date(2026, 6, 2)},
    )  # fmt: skip
    world.run(
        lambda s: service.withdraw_consent(
            s, actor=zone.actor(world, "firm_a_user"), person_id=pid, purpose="matching",
            today=TODAY,
        )
    )  # fmt: skip
    with session_factory(world.engine)() as s:
        standing = list(s.scalars(service.consented(s, "matching")))
        assert standing == []
        assert list(s.scalars(service.consented(s, "employment"))) == [pid]


def test_the_same_person_once_per_firm(world, zone):
    person(world, zone.actor(world, "firm_a_user"))
    with pytest.raises(Conflict, match=r"3308\*+0011"):
        person(world, zone.actor(world, "firm_a_user"), name="王小明")
    person(world, zone.actor(world, "firm_b_user"))  # another employer's record of them
    found = world.run(
        lambda s: service.find_by_identity(
            s, actor=zone.actor(world, "firm_b_user"), keys=KEYS, number=identity(1), today=TODAY
        )
    )
    assert [p.enterprise_id for p in found] == [zone.firm_b]


def test_occupation_codes_are_checked_against_the_classification(world, zone, shared_data):
    table = occupations.load(shared_data / "occupations" / "csco2022.csv")
    actor = zone.actor(world, "firm_a_user")

    def enter(code, serial):
        data = service.NewPerson(
            name="赵工", identity_number=identity(serial), occupation_code=code,
            consents={"employment": TODAY},
        )  # fmt: skip
        return world.run(
            lambda s: (
                service.create_person(
                    s, actor=actor, keys=KEYS, today=TODAY, data=data, table=table
                ).occupation_code
            )
        )

    assert enter("6-07-01-03", 10) == "6-07-01-03"
    assert enter("", 11) is None  # unknown, not guessed
    with pytest.raises(InvalidInput, match="没有职业代码"):
        enter("6-07-01-99", 12)
    with pytest.raises(InvalidInput, match="格式不对"):
        enter("造纸工", 13)


def test_without_a_key_nothing_is_entered_and_the_message_says_why(world, zone):
    with pytest.raises(KeyMissing, match="WULIAN_TALENT_KEY"):
        Keys.from_master("")
    with pytest.raises(KeyMissing, match="64 位十六进制"):
        Keys.from_master("not-hex")
    pid = person(world, zone.actor(world, "firm_a_user"))
    other = Keys.from_master("ff" * 32)
    with pytest.raises(KeyMismatch):
        world.run(lambda s: service.get_person(s, actor=SYSTEM, keys=other, person_id=pid))


def test_the_retention_sweep_removes_records_past_their_date(world, zone):
    firm = zone.actor(world, "firm_a_user")
    keep = person(world, firm, identity_number=identity(21), retain_until=dt.date(2028, 1, 1))
    person(world, firm, identity_number=identity(22), retain_until=dt.date(2027, 3, 1))

    def sweep(day):
        return world.run(lambda s: service.sweep_retention(s, actor=SYSTEM, today=day)).removed

    assert sweep(dt.date(2027, 3, 1)) == 0  # the last day of retention: still kept
    assert sweep(dt.date(2027, 3, 2)) == 1
    assert world.scalar(sa.select(Person.id)) == keep
    assert _count(world, Consent) == 1
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.sweep_retention(
                s, actor=zone.actor(world, "talent_officer"), today=dt.date(2030, 1, 1)
            )
        )
    assert (
        world.scalar(
            sa.select(AuditEntry.after).where(AuditEntry.action == "talent.retention_sweep")
        )["removed"]
        == 1
    )


def test_the_periodic_sweep_removes_expired_records(world, zone, database_url, engine):
    pid = person(world, zone.actor(world, "firm_a_user"))
    with engine.begin() as conn:  # a record kept past its date (entered long ago)
        conn.execute(sa.update(Person).values(retain_until=dt.date(2001, 1, 1)))
    sweeper = Sweeper(database_url, 60)
    try:
        sweeper.run_once()
    finally:
        sweeper.stop()
    assert world.scalar(sa.select(Person.id).where(Person.id == pid)) is None


def test_a_missing_person_and_another_firms_person_look_different_only_to_staff(world, zone):
    with pytest.raises(NotFound):
        world.run(
            lambda s: service.get_person(
                s, actor=zone.actor(world, "talent_officer"), keys=KEYS, person_id=999
            )
        )

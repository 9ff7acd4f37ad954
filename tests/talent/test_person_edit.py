"""A person's record is edited on its page: the talent office any record, a firm its own staff;
every field checked with a Chinese message naming it, nothing changed while any is wrong; the
change audited with the fields' names only (no personal values)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import login, post_form
from tests.talent.conftest import KEYS, identity, person
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidInput, NotFound
from wulian.reference.models import Region
from wulian.talent import service
from wulian.talent.crypto import mask
from wulian.talent.models import Person

GOOD = {
    "education": "doctor", "major": "电化学", "occupation_code": "", "skills": "正极材料、电化学",
    "salary_band": "20_50", "chain": "", "node": "", "experience_years": "8",
    "region_code": "330802", "title_level": "deputy_senior", "position_level": "core",
    "honour_level": "provincial", "achievements": "12",
}  # fmt: skip


def _row(world, pid: int) -> Person:
    return world.scalar(sa.select(Person).where(Person.id == pid))


def test_the_office_edits_a_record_and_the_change_is_audited(world, zone, make_client):
    pid = person(world, zone.actor(world, "firm_a_user"))
    client = make_client()
    login(client, "talent_officer")
    page = client.get(f"/talent/people/{pid}/edit")
    assert page.status_code == 200
    assert mask(identity(1)) in page.text  # masked
    assert identity(1) not in page.text
    done = post_form(client, f"/talent/people/{pid}/edit", GOOD, f"/talent/people/{pid}/edit")
    assert done.status_code == 303
    row = _row(world, pid)
    assert (row.education, row.experience_years, row.title_level, row.honour_level) == (
        "doctor", 8, "deputy_senior", "provincial"
    )  # fmt: skip
    assert (row.region_code, row.achievements, row.major) == ("330802", 12, "电化学")
    entry = world.scalar(sa.select(AuditEntry).where(AuditEntry.action == "talent.person_update"))
    assert entry.object_id == str(pid)
    assert "experience_years" in entry.after["fields"]
    assert "王晓明" not in str(entry.after)
    assert "330802" not in str(entry.after)  # names of fields, not values
    shown = client.get(done.headers["location"]).text
    assert "副高级" in shown
    assert "8 年" in shown
    assert "已保存，修改了" in shown


def test_a_region_code_the_region_table_does_not_hold_is_refused(world, zone, make_client):
    """With the region table loaded, a made-up six-digit code is refused by name."""
    pid = person(world, zone.actor(world, "firm_a_user"))
    assert world.scalar(sa.select(Region.name).where(Region.code == "330802"))  # loaded
    client = make_client()
    login(client, "talent_officer")
    bad = post_form(client, f"/talent/people/{pid}/edit", GOOD | {"region_code": "999999"},
                    f"/talent/people/{pid}/edit")  # fmt: skip
    assert bad.status_code == 422
    assert "没有行政区划代码“999999”" in bad.text
    assert _row(world, pid).region_code is None
    good = post_form(client, f"/talent/people/{pid}/edit", GOOD, f"/talent/people/{pid}/edit")
    assert good.status_code == 303
    assert _row(world, pid).region_code == "330802"


def test_every_bad_field_is_named_and_nothing_changes(world, zone, make_client):
    pid = person(world, zone.actor(world, "firm_a_user"))
    client = make_client()
    login(client, "firm_a_user")  # a firm edits its own staff
    bad = GOOD | {"experience_years": "八年", "region_code": "3308", "title_level": "教授级",
                  "achievements": "-1", "salary_band": "很高",
                  "occupation_code": "2-2-29"}  # fmt: skip
    answer = post_form(client, f"/talent/people/{pid}/edit", bad, f"/talent/people/{pid}/edit")
    assert answer.status_code == 422
    text = answer.text
    assert "工作年限应为 0–60 的整数，不能是“八年”" in text
    assert "所在地应为 6 位行政区划代码（如 330802），不能是“3308”" in text
    assert "职称“教授级”不在可选范围内" in text
    assert "创新成果应为 0–10000 的整数" in text
    assert "年薪档次“很高”不在可选范围内" in text
    assert "职业代码“2-2-29”格式不对" in text
    assert 'id="error-region_code"' in text
    row = _row(world, pid)
    assert (row.experience_years, row.region_code, row.education) == (None, None, "master")
    assert world.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "talent.person_update")
    ) == 0  # fmt: skip


@pytest.mark.parametrize("username", ["firm_b_user", "other_officer", "analyst"])
def test_others_cannot_edit(world, zone, make_client, username):
    pid = person(world, zone.actor(world, "firm_a_user"))
    client = make_client()
    login(client, username)
    # another firm's user gets the answer of a person that does not exist (ids cannot be probed)
    status = 404 if username == "firm_b_user" else 403
    assert client.get(f"/talent/people/{pid}/edit").status_code == status
    refused = post_form(client, f"/talent/people/{pid}/edit", GOOD, "/talent")
    assert refused.status_code == status
    assert _row(world, pid).experience_years is None
    assert world.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "talent.refused")
    ) == 2  # fmt: skip
    if username == "firm_b_user":
        assert client.get(f"/talent/people/{pid + 1000}/edit").status_code == 404


def test_anonymous_cannot_edit(world, zone, make_client):
    pid = person(world, zone.actor(world, "firm_a_user"))
    client = make_client()
    assert client.get(f"/talent/people/{pid}/edit").status_code in (303, 401)


def test_the_service_keeps_what_is_not_sent_and_clears_what_is_blank(world, zone):
    firm = zone.actor(world, "firm_a_user")
    pid = person(world, firm, experience_years=5, region_code="330802")
    changed = world.run(
        lambda s: service.update_person(
            s, actor=firm, person_id=pid, values={"experience_years": "", "major": "化学"}
        )
    )
    assert changed == {"experience_years": "工作年限（年）", "major": "专业"}
    row = _row(world, pid)
    assert (row.experience_years, row.region_code, row.major) == (None, "330802", "化学")
    other = zone.actor(world, "firm_b_user")
    with pytest.raises(NotFound):  # another firm's person: as if there were none
        world.run(lambda s: service.update_person(s, actor=other, person_id=pid, values={}))
    with pytest.raises(InvalidInput) as caught:
        world.run(
            lambda s: service.update_person(s, actor=firm, person_id=pid, values={"node": "正极"})
        )
    assert "填写了环节，请同时填写产业链" in caught.value.message
    assert KEYS  # the identity is not touched by an edit

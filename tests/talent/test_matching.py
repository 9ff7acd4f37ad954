"""推荐人选: the match engine on the people and posts of the database, with the permissions and
the audit of the talent domain (PIPL: the firm sees masked candidates, the office the person)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.talent.conftest import identity, person
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidInput, PermissionDenied
from wulian.engines.match import inputs
from wulian.enterprises.models import Enterprise
from wulian.talent import matching, service

AGREED = {"employment": dt.date(2026, 6, 1), "matching": dt.date(2026, 6, 1)}
SKILLS = ["正极材料", "电化学", "涂布工艺"]
CODE = "2-02-09-01"


def _post(world, actor, **fields) -> int:
    values = {
        "title": "正极材料工艺工程师", "openings": 2, "occupation_code": CODE,
        "skills": SKILLS, "education": "本科", "experience_years": 3,
        "salary_min_yuan": 180_000, "salary_max_yuan": 300_000,
    } | fields  # fmt: skip
    data = service.NewPost(**values)
    return world.run(lambda s: service.create_post(s, actor=actor, data=data).id)


@pytest.fixture
def pool(world, zone):
    """Five people with known skills, and firm A's post that the first of them fits best."""
    firm_a, office = zone.actor(world, "firm_a_user"), zone.actor(world, "talent_officer")
    ids = {
        "best": person(world, firm_a, name="王晓明", identity_number=identity(1),
                       skills=SKILLS, occupation_code=CODE, consents=AGREED),
        "partial": person(world, office, name="李娜", identity_number=identity(2),
                          skills=["电化学"], occupation_code=CODE, consents=AGREED),
        "unknown": person(world, office, name="赵强", identity_number=identity(3),
                          skills=[], occupation_code="", consents=AGREED),
        "none": person(world, office, name="钱芳", identity_number=identity(4),
                       skills=["会计", "出纳"], occupation_code="", consents=AGREED),
        # fits perfectly but never agreed to matching: never a candidate
        "no_consent": person(world, office, name="孙伟", identity_number=identity(5),
                             skills=SKILLS, occupation_code=CODE),
    }  # fmt: skip
    post = _post(world, firm_a)
    return ids, post


def _candidates(world, actor, post):
    return world.run(lambda s: matching.candidates_for_post(s, actor=actor, post_id=post))


def test_the_right_person_comes_first_with_reasons_and_unknown_is_not_zero(world, zone, pool):
    ids, post = pool
    shown = _candidates(world, zone.actor(world, "talent_officer"), post)
    order = [c.person_id for c in shown]
    assert order[0] == ids["best"]
    assert ids["no_consent"] not in order
    assert set(order) == {ids["best"], ids["partial"], ids["unknown"], ids["none"]}
    best = shown[0]
    assert best.name == "王晓明"
    assert best.firm_name == "衢州锂测材料有限公司"
    skills = {c.label: c.score for c in best.criteria}
    assert skills["技能"] == 1.0
    assert skills["职业"] == 1.0
    assert any("具备全部 3 项要求" in r for r in best.reasons)
    assert any(r.startswith("职业") for r in best.reasons)
    assert any(r.startswith("学历") for r in best.reasons)
    # a person keeps only a salary band: the reason says so, with the middle it was scored at
    assert (
        "薪资：年薪档次 20–50 万元（约 29,167 元/月），高于岗位上限 17%（15,000–25,000 元/月）"
        in (best.reasons)
    )
    partial = next(c for c in shown if c.person_id == ids["partial"])
    assert any("缺 2 项" in r and "正极材料" in r for r in partial.reasons)
    # no skills recorded is unknown (scored in the middle), not zero: above the one who lacks all
    unknown = next(c for c in shown if c.person_id == ids["unknown"])
    lacking = next(c for c in shown if c.person_id == ids["none"])
    assert {c.label: c.score for c in unknown.criteria}["技能"] is None
    assert {c.label: c.shown for c in unknown.criteria}["技能"] == "未知"
    assert any("人才未填技能" in r for r in unknown.reasons)
    assert {c.label: c.score for c in lacking.criteria}["技能"] == 0.0
    assert unknown.rank < lacking.rank
    # experience is not recorded for people: unknown, never zero
    assert all({c.label: c.score for c in x.criteria}["经验"] is None for x in shown)


def test_every_view_is_audited_with_the_people_shown(world, zone, pool):
    _ids, post = pool
    shown = _candidates(world, zone.actor(world, "talent_officer"), post)
    entry = world.scalar(sa.select(AuditEntry.after).where(AuditEntry.action == matching.READ_LIST))
    assert entry["ids"] == [c.person_id for c in shown]
    assert entry["purpose"] == "matching"
    assert entry["post_id"] == post
    assert entry["view"] == "full"
    _candidates(world, zone.actor(world, "firm_a_user"), post)
    views = world.scalar(sa.select(sa.func.count()).where(AuditEntry.action == matching.READ_LIST))
    assert views == 2


def test_the_owning_firm_sees_masked_candidates_with_reasons(world, zone, pool):
    ids, post = pool
    shown = _candidates(world, zone.actor(world, "firm_a_user"), post)
    assert next(c.name for c in shown) == "王**"
    assert all(c.person_id is None and c.firm_name == "" for c in shown)
    assert "王晓明" not in str(shown)
    assert "李娜" not in str(shown)
    assert any("具备全部 3 项要求" in r for r in shown[0].reasons)
    entry = world.scalar(sa.select(AuditEntry.after).where(AuditEntry.action == matching.READ_LIST))
    assert entry["view"] == "masked"
    assert entry["ids"][0] == ids["best"]


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("firm_b_user", matching.OTHER_FIRM),
        ("analyst", matching.STAFF_NOT_OFFICE),
        ("other_officer", matching.STAFF_NOT_OFFICE),
    ],
)
def test_others_are_refused_and_the_attempt_is_audited(world, zone, pool, username, message):
    _, post = pool
    actor = zone.actor(world, username)
    with pytest.raises(PermissionDenied) as error:
        _candidates(world, actor, post)
    assert error.value.message == message
    assert error.value.status == 403
    attempt = world.scalar(sa.select(AuditEntry).where(AuditEntry.action == "talent.refused"))
    assert attempt.actor_id == actor.id
    assert attempt.object_id == str(post)
    assert attempt.after["attempt"] == "查看岗位推荐人选"
    assert (
        world.scalar(sa.select(sa.func.count()).where(AuditEntry.action == matching.READ_LIST)) == 0
    )


def test_posts_for_a_person_for_the_office_only(world, zone, pool):
    ids, post = pool
    other = _post(world, zone.actor(world, "firm_b_user"), title="财务主管",
                  skills=["会计", "税务"], occupation_code="", education="大专")  # fmt: skip
    office = zone.actor(world, "talent_officer")
    fits = world.run(lambda s: matching.posts_for_person(s, actor=office, person_id=ids["best"]))
    assert [f.post_id for f in fits] == [post, other]
    assert fits[0].firm_name == "衢州锂测材料有限公司"
    assert any("具备全部 3 项要求" in r for r in fits[0].reasons)
    used = world.scalar(sa.select(AuditEntry).where(AuditEntry.action == matching.READ_ONE))
    assert used.object_id == str(ids["best"])
    assert used.after["purpose"] == "matching"
    assert used.after["posts"] == [post, other]
    accountant = world.run(
        lambda s: matching.posts_for_person(s, actor=office, person_id=ids["none"])
    )
    assert accountant[0].post_id == other
    with pytest.raises(InvalidInput, match="没有同意"):
        world.run(lambda s: matching.posts_for_person(s, actor=office, person_id=ids["no_consent"]))
    for username in ("firm_a_user", "analyst"):
        with pytest.raises(PermissionDenied):
            world.run(
                lambda s, u=username: matching.posts_for_person(
                    s, actor=zone.actor(world, u), person_id=ids["best"]
                )
            )
    refused = world.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "talent.refused"))
    assert refused == 2


def test_the_engine_gets_the_minimum_fields_never_names_nor_identity_numbers(world, zone, pool):
    from wulian.talent.models import Person, Post

    def frames(s):
        people = list(s.scalars(sa.select(Person)))
        posts = list(s.scalars(sa.select(Post)))
        return matching.people_frame(people, {}), matching.posts_frame(posts, {})

    people, posts = world.run(frames)
    assert tuple(people.columns) == inputs.PEOPLE_COLUMNS
    assert tuple(posts.columns) == inputs.POST_COLUMNS
    text = str(people.rows())
    for name, serial in (("王晓明", 1), ("李娜", 2)):
        assert name not in text
        assert identity(serial) not in text
    assert set(people["experience_years"].to_list()) == {""}  # unknown, not 0
    # the band 20–50万元 a year reaches the engine as its middle per month
    assert people["expected_salary"][0] == str(round(350_000 / 12))
    assert posts["salary_min"][0] == "15000"
    assert posts["education"][0] == "本科"


def test_an_empty_pool_gives_no_candidates_and_names_are_masked(world, zone):
    post = _post(world, zone.actor(world, "firm_a_user"))
    assert _candidates(world, zone.actor(world, "talent_officer"), post) == []


def test_a_closed_post_proposes_no_one(world, zone, pool):
    from wulian.core.errors import NotFound
    from wulian.talent.models import Post

    _, post = pool

    def close(s):
        s.get(Post, post).is_open = False

    world.run(close)
    with pytest.raises(NotFound, match="已关闭"):
        _candidates(world, zone.actor(world, "talent_officer"), post)
    assert matching.mask_name("欧阳娜娜") == "欧***"
    assert matching.mask_name("李") == "李*"


def test_the_post_page_by_role(make_client, world, zone, pool):
    from tests.conftest import login

    ids, post = pool
    firm_a = make_client()
    login(firm_a, "firm_a_user")
    hub = firm_a.get("/talent")
    assert f'href="/talent/posts/{post}"' in hub.text
    page = firm_a.get(f"/talent/posts/{post}")
    assert page.status_code == 200
    assert "推荐人选" in page.text
    assert "王**" in page.text
    assert "王晓明" not in page.text
    assert "李娜" not in page.text
    assert "技能：具备全部 3 项要求" in page.text
    assert "技能 100%" in page.text

    firm_b = make_client()
    login(firm_b, "firm_b_user")
    refused = firm_b.get(f"/talent/posts/{post}")
    assert refused.status_code == 403
    assert matching.OTHER_FIRM in refused.text
    attempt = world.scalar(sa.select(AuditEntry.after).where(AuditEntry.action == "talent.refused"))
    assert attempt["attempt"] == "查看岗位推荐人选"

    office = make_client()
    login(office, "talent_officer")
    page = office.get(f"/talent/posts/{post}")
    assert "王晓明" in page.text
    assert f'href="/talent/people?person={ids["best"]}"' in page.text
    person = office.get(f"/talent/people?person={ids['best']}")
    assert "适合的岗位" in person.text
    assert f'href="/talent/posts/{post}"' in person.text
    assert "没有同意" in office.get(f"/talent/people?person={ids['no_consent']}").text


def test_a_salary_below_the_post_is_not_called_within_it_and_places_are_named(world, zone):
    """A person whose band is under the post's offer fits on salary (the firm can pay it) and
    the reason says so truthfully; the place is the region's name, not its code."""
    firm_a, office = zone.actor(world, "firm_a_user"), zone.actor(world, "talent_officer")
    low = person(world, firm_a, name="周低薪", identity_number=identity(11), skills=SKILLS,
                 salary_yuan=50_000, region_code="330802", consents=AGREED)  # fmt: skip
    post = _post(world, firm_a, salary_min_yuan=100_000, salary_max_yuan=200_000)

    def place_firm(s):
        s.get(Enterprise, zone.firm_a).region_code = "330802"  # 衢州市柯城区

    world.run(place_firm)
    shown = _candidates(world, office, post)
    found = next(c for c in shown if c.person_id == low)
    assert {c.label: c.score for c in found.criteria}["薪资"] == 1.0
    salary = next(r for r in found.reasons if r.startswith("薪资"))
    assert salary == (
        "薪资：年薪档次 10 万元以下（约 4,167 元/月），"
        "不高于岗位薪资（8,333–16,667 元/月，低于下限）"
    )
    assert "之内" not in salary
    place = next(r for r in found.reasons if r.startswith("地点"))
    assert "柯城区" in place
    assert "330802" not in place
    fits = world.run(lambda s: matching.posts_for_person(s, actor=office, person_id=low))
    place = next(r for r in fits[0].reasons if r.startswith("地点"))
    assert "柯城区" in place
    assert "330802" not in place

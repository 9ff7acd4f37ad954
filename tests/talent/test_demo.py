"""The demo's talent data: posts on all six chains, people (with a key) whose numbers are
encrypted, firms authorised on the rules, recognitions waiting; built once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.talent.conftest import KEYS, TODAY
from wulian.chains import service as chains
from wulian.demo import talent as demo_talent
from wulian.enterprises import facts
from wulian.reference import service as reference_service
from wulian.talent import matching, service
from wulian.talent.models import Person, Post, Recognition


def _demo_zone(world, zone, count: int = 16) -> None:
    """The atlas, the metrics and zone firms with the data the authorisation rules read."""
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    firms = [world.enterprise(f"衢州示例{i}号材料有限公司") for i in range(count)]

    def write(session):
        for firm in [zone.firm_a, zone.firm_b, *firms]:
            for key, value, period in (("rd_expense", 500.0, "2025"), ("revenue", 10000.0, "2025"),
                                       ("staff_total", 60.0, "2025"), ("tech_staff", 12.0, "2025"),
                                       ("revenue", 9000.0, "2024")):  # fmt: skip
                facts.record(session, actor=SYSTEM, enterprise_id=firm, metric_key=key,
                             period=period, value=value, source="stats",
                             as_of=dt.date(2026, 4, 30))  # fmt: skip

    world.run(write)


def test_the_demo_has_talent_data_for_the_six_chains(world, zone):
    _demo_zone(world, zone)
    result = world.run(
        lambda s: demo_talent.build(s, actor=SYSTEM, today=TODAY, year=2025, keys=KEYS)
    )
    assert result.posts == 18 * 3 + len(demo_talent.UNCODED_POSTS)
    assert result.people >= 18 * 3 + len(demo_talent.UNCODED_PEOPLE)
    assert result.authorised == 18
    assert result.recognitions >= 1
    chains_with_posts = world.scalar(sa.select(sa.func.count(sa.distinct(Post.chain))))
    assert chains_with_posts == 6
    assert world.scalar(sa.select(sa.func.count()).select_from(Recognition)) >= 1
    cells = world.run(lambda s: service.talent_map(s, actor=SYSTEM))
    per_chain = {}
    for c in cells:
        per_chain.setdefault(c.chain, set()).add(c.index)
    assert len(per_chain) == 6
    assert all(max(i for i in indexes if i) >= 4 for indexes in per_chain.values())
    assert world.scalar(sa.select(Person.id_cipher)) != b""
    # matching proposes candidates from the demo pool, with reasons
    office = zone.actor(world, "talent_officer")
    post = world.scalar(sa.select(Post.id).order_by(Post.id))
    shown = world.run(lambda s: matching.candidates_for_post(s, actor=office, post_id=post))
    assert len(shown) == matching.TOP
    assert shown[0].criteria[0].score == 1.0
    assert any(r.startswith("技能：具备全部") for r in shown[0].reasons)
    again = world.run(
        lambda s: demo_talent.build(s, actor=SYSTEM, today=TODAY, year=2025, keys=KEYS)
    )
    assert again.posts == 0
    # the people who agreed to 人才认定 have 七维 points and a class in a published evaluation,
    # and the authorisations' evaluation is stored
    from wulian.talent import evaluations
    from wulian.talent.models import AuthorisationRun, EvaluationResult

    assert result.evaluated >= 18
    published = world.run(lambda s: evaluations.latest_published(s).id)
    assert (
        world.scalar(
            sa.select(sa.func.count()).where(
                EvaluationResult.run_id == published, EvaluationResult.score.is_not(None)
            )
        )
        >= 1
    )
    assert world.scalar(sa.select(sa.func.count()).where(EvaluationResult.grade.is_not(None))) >= 1
    assert world.scalar(sa.select(sa.func.count()).select_from(AuthorisationRun)) == 1


def test_the_demo_has_a_talent_programme_with_reviews_and_an_award(world, zone):
    from wulian.talent.programme_models import (
        AwardInstalment,
        ProgrammeApplication,
        ProgrammeReview,
    )

    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    firms = [world.enterprise(f"衢州示例{i}号装备有限公司") for i in range(6)]

    def write(session):
        for firm in [zone.firm_a, zone.firm_b, *firms]:
            for key, value, period in (("rd_expense", 500.0, "2025"), ("revenue", 10000.0, "2025"),
                                       ("staff_total", 60.0, "2025"), ("tech_staff", 12.0, "2025"),
                                       ("revenue", 9000.0, "2024")):  # fmt: skip
                facts.record(session, actor=SYSTEM, enterprise_id=firm, metric_key=key,
                             period=period, value=value, source="stats",
                             as_of=dt.date(2026, 4, 30))  # fmt: skip

    world.run(write)
    result = world.run(
        lambda s: demo_talent.build(s, actor=SYSTEM, today=TODAY, year=2025, keys=KEYS)
    )
    assert result.applications >= 2
    assert world.scalar(sa.select(sa.func.count()).select_from(ProgrammeReview)) == (
        2 * result.applications
    )
    states = world.scalar(sa.select(sa.func.count()).where(ProgrammeApplication.state == "awarded"))
    assert states == 1
    years = world.run(
        lambda s: [(i.year, i.met_on is not None) for i in s.scalars(
            sa.select(AwardInstalment).order_by(AwardInstalment.seq))]
    )  # fmt: skip
    assert years == [(2026, True), (2027, False), (2028, False)]
    due = world.run(
        lambda s: service.benefit_inputs(s, actor=SYSTEM, source="award_due", year=2026)
    )
    assert sum(due.values()) == 40.0


def test_the_demo_has_posts_and_people_waiting_for_a_suggested_occupation(world, zone, tmp_path):
    """A few demo posts and people have no occupation code: the demo build leaves them 待建议
    (nothing is classified while it is built); once the model is built (in the background on a
    server) the clear ones are taken and the others wait on the review page."""
    from tests.talent.test_occupation_suggestions import SMALL
    from wulian.talent import occupations

    _demo_zone(world, zone, count=3)
    world.run(lambda s: demo_talent.build(s, actor=SYSTEM, today=TODAY, year=2025, keys=KEYS))
    pending = world.run(
        lambda s: [
            (p.title, p.occupation_code, p.suggested_code)
            for p in s.scalars(sa.select(Post).where(Post.suggestion_state == "pending"))
        ]
    )
    assert sorted(pending) == sorted((t, None, None) for t, _ in demo_talent.UNCODED_POSTS)
    waiting = world.scalar(sa.select(sa.func.count()).where(Person.suggestion_state == "pending"))
    assert waiting == len(demo_talent.UNCODED_PEOPLE)
    assert world.scalar(sa.select(sa.func.count()).where(Post.suggestion_state == "review")) == 0

    table = tmp_path / "small.csv"
    table.write_text(SMALL, encoding="utf-8")
    model = occupations.ModelStore(tmp_path / "models").build(occupations.source_of(table, None))
    world.run(lambda s: service.fill_suggestions(s, model=model))
    world.run(lambda s: service.fill_people_suggestions(s, model=model))
    office = zone.actor(world, "talent_officer")
    posts = world.run(lambda s: service.occupation_queue(s, actor=office, table=None))
    people = world.run(lambda s: service.people_occupation_queue(s, actor=office, table=None))
    assert "行政前台" in [p.title for p in posts]
    assert people  # the review page has people to review
    assert (
        world.scalar(sa.select(sa.func.count()).where(Person.suggestion_state == "suggested")) >= 1
    )

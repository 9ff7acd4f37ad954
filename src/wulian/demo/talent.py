"""The demo's talent data for the six chains: firms' open posts on chain nodes with occupation
codes, their staff (made-up people with well-formed identity numbers, encrypted with the key in
the settings; no key, no people), the yearly authorisation of firms on the rules (kept as a
stored evaluation), a few recognitions waiting for the talent office, and with a key a published
talent evaluation (七维 points and A–E class of the people who agreed to 人才认定). Some
occupations get far more openings than people, so the talent map has scarce and balanced cells on
every chain."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from stdnum.cn import ric

from wulian.chains import service as chains_service
from wulian.core.errors import InvalidInput, WulianError
from wulian.core.permissions import Actor, Permission
from wulian.core.settings import get_settings
from wulian.demo import talent_programmes as demo_programmes
from wulian.enterprises import read
from wulian.talent import authorisation_runs, evaluations, service
from wulian.talent.crypto import Keys
from wulian.talent.models import EvaluationResult, Post

SEED = 20261
FIRMS_PER_CHAIN = 3
# occupations (职业分类大典 2022) wanted on each chain: (code, post title)
OCCUPATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "lithium": (("2-02-06-01", "电池材料研发工程师"), ("2-02-09-01", "电子材料工程师"),
                ("2-02-29-03", "质量工程师")),
    "fluorosilicon": (("2-02-06-02", "化工工艺设计工程师"), ("2-02-19-03", "无机材料工程师"),
                      ("2-02-29-03", "质量工程师")),
    "electronic_chemicals": (("2-02-06-01", "电子化学品研发工程师"),
                             ("2-02-09-01", "电子材料工程师"), ("2-02-07-02", "设备工程师")),
    "chips_sensors": (("2-02-38-09", "集成电路设计工程师"), ("2-02-09-02", "传感器工程师"),
                      ("2-02-07-02", "设备工程师")),
    "biomedicine": (("2-02-32-01", "制药工艺工程师"), ("2-02-32-02", "生物工程研究员"),
                    ("2-02-29-03", "质量工程师")),
    "special_paper": (("2-02-36-01", "制浆造纸工程师"), ("6-07-01-03", "造纸工"),
                      ("2-02-07-01", "机械设计工程师")),
}  # fmt: skip
# posts and people entered without an occupation code, as firms often do: the occupation model
# suggests one after it is built in the background (never while the demo is built or in a
# request); the clear ones are taken, the others wait on the review page (/talent/occupations)
UNCODED_POSTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("锂电池正极材料工艺工程师", ("正极材料", "烧结工艺")),
    ("PLC电气自动化工程师", ("PLC", "电气调试")),
    ("数据分析师（生产数据方向）", ("数据分析", "SQL")),
    ("设备维护技术员", ("设备维护", "钳工")),
    ("行政前台", ("接待", "办公软件")),
)
# skills and major of staff recorded without an occupation code
UNCODED_PEOPLE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("正极材料", "电化学测试"), "材料科学与工程"),
    (("PLC编程", "电气设计"), "电气工程及其自动化"),
    (("Java开发", "数据库"), "计算机科学与技术"),
    (("来料检验", "质量体系"), "应用化学"),
    (("行政接待",), ""),
    (("机械设计", "CAD制图"), "机械设计制造及其自动化"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许邓冯韩曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文斌宇浩凯鹏晨"
MAJORS = ("材料科学与工程", "化学工程与工艺", "应用化学", "机械设计制造及其自动化",
          "微电子科学与工程", "生物工程", "制药工程", "轻化工程", "电气工程及其自动化")  # fmt: skip
EDUCATIONS = ("doctor", "master", "master", "bachelor", "bachelor", "bachelor", "college")
REGIONS = ("330802", "330822", "330824", "330881", "330102", "330106")


@dataclass(frozen=True)
class TalentDemo:
    posts: int
    people: int
    authorised: int
    recognitions: int
    evaluated: int = 0  # people with 七维 points and an A–E class (a published evaluation)
    applications: int = 0  # to the demo talent programme


def _identity(rng: random.Random, serial: int) -> tuple[str, dt.date]:
    """A well-formed made-up number (a region code valid in the year of birth)."""
    while True:
        born = dt.date(rng.randint(1972, 2001), rng.randint(1, 12), rng.randint(1, 28))
        body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{serial % 1000:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if ric.is_valid(number):
            return number, born


def keys() -> Keys | None:
    """The keys from the settings, or None when no key is configured (the demo then has posts,
    authorisations and the map's demand, but no people)."""
    secret = get_settings().talent_key.get_secret_value()
    return Keys.from_master(secret) if secret.strip() else None


def build(
    session: Session, *, actor: Actor, today: dt.date, year: int, keys: Keys | None
) -> TalentDemo:
    """Create the talent demo (once: nothing when posts exist)."""
    if session.scalar(sa.select(sa.func.count()).select_from(Post)):
        return TalentDemo(0, 0, 0, 0)
    rng = random.Random(SEED)  # noqa: S311  (made-up demo data, not secrets)
    agrees = random.Random(SEED + 1)  # noqa: S311  (who agreed to matching)
    benefits = random.Random(SEED + 2)  # noqa: S311  (who agreed to talent benefits)
    profile = random.Random(SEED + 3)  # noqa: S311  (the evaluations' fields)
    atlas = [c for c in chains_service.chains(session, actor=actor) if c.spec.id in OCCUPATIONS]
    local = list(session.scalars(read.ids_where(in_zone=True).limit(FIRMS_PER_CHAIN * 6)))
    if not atlas or not local:
        return TalentDemo(0, 0, 0, 0)
    posts = people = serial = 0
    staff: dict[int, list[int]] = {}
    placed: dict[int, tuple[str, str]] = {}  # firm → its chain and node
    for index, firm in enumerate(local):
        chain = atlas[index % len(atlas)]
        wanted = OCCUPATIONS[chain.spec.id]
        nodes = [n for n in chain.spec.nodes if n.segment == "中游"] or list(chain.spec.nodes)
        node = nodes[index // len(atlas) % len(nodes)]
        placed[firm] = (chain.spec.id, node.key)
        for rank, (code, title) in enumerate(wanted):
            low = rng.choice((8, 10, 12, 15, 20, 25)) * 10_000
            data = service.NewPost(
                title=title, openings=rng.randint(4, 12) if rank == 0 else rng.randint(1, 3),
                enterprise_id=firm, occupation_code=code, education=rng.choice(
                    ("硕士", "本科", "本科", "大专")) if rank else "硕士",
                experience_years=rng.choice((None, 1, 3, 5)), salary_min_yuan=low,
                salary_max_yuan=low + rng.choice((5, 8, 10, 15)) * 10_000,
                chain=chain.spec.id, node=node.key, skills=[title],
            )  # fmt: skip
            service.create_post(session, actor=actor, data=data)
            posts += 1
        if keys is None:
            continue
        for _ in range(rng.randint(3, 6)):
            serial += 1
            number, _born = _identity(rng, serial)
            code = wanted[min(2, int(rng.random() * 3.5))][0]  # few for the first (scarce)
            consents = {"employment": today - dt.timedelta(days=rng.randint(30, 400)),
                        "talent_map": today - dt.timedelta(days=rng.randint(1, 30))}  # fmt: skip
            if rng.random() < 0.6:
                consents["recognition"] = today - dt.timedelta(days=rng.randint(1, 30))
            if agrees.random() < 0.7:
                consents["matching"] = today - dt.timedelta(days=agrees.randint(1, 60))
            if "recognition" in consents and benefits.random() < 0.6:
                consents["benefits"] = consents["recognition"]
            data_p = service.NewPerson(
                name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))),
                identity_number=number, enterprise_id=firm, education=rng.choice(EDUCATIONS),
                major=rng.choice(MAJORS), occupation_code=code,
                skills=[title for _, title in wanted[:2]],
                salary_yuan=rng.choice((9, 12, 18, 25, 35, 60)) * 10_000, chain=chain.spec.id,
                node=node.key, consents=consents, **_profile(profile),
            )  # fmt: skip
            person = service.create_person(
                session, actor=actor, keys=keys, today=today, data=data_p
            )
            staff.setdefault(firm, []).append(person.id)
            people += 1
    extra_posts, extra_people = _uncoded(session, actor=actor, today=today, firms=placed,
                                         keys=keys, serial=serial)  # fmt: skip
    posts += extra_posts
    people += extra_people
    authorisation_runs.evaluate(session, actor=actor, year=year, today=today)
    granted = service.authorise_firms(session, actor=actor, year=year, today=today)
    recognitions = 0
    for item in [g for g in granted if g.enterprise_id in staff][:4]:
        firm_actor = Actor(
            kind="system", id=None, label=f"{actor.label}（企业）",
            permissions=frozenset({Permission.TALENT_READ, Permission.TALENT_WRITE}),
            enterprise_id=item.enterprise_id,
        )  # fmt: skip
        for person_id in staff.get(item.enterprise_id, [])[: min(2, item.quota)]:
            try:
                service.submit_recognition(
                    session, actor=firm_actor, person_id=person_id, grade="E",
                    evidence="高级工程师职称；近三年主持企业重点研发项目，获授权发明专利 2 件",
                    today=today,
                )  # fmt: skip
            except WulianError:  # no consent to recognition: not submitted
                continue
            recognitions += 1
    evaluated = 0
    if people:
        try:
            run = evaluations.create_run(session, actor=actor, today=today, note="示例园区")
        except InvalidInput:  # nobody agreed to 人才认定
            run = None
        if run is not None:
            evaluations.publish(session, actor=actor, run_id=run.id, today=today)
            evaluated = int(
                session.scalar(
                    sa.select(sa.func.count()).where(EvaluationResult.run_id == run.id)
                ) or 0
            )  # fmt: skip
    applications = (
        demo_programmes.build(session, actor=actor, today=today, staff=staff)
        if keys is not None
        else 0
    )
    return TalentDemo(posts, people, len(granted), recognitions, evaluated, applications)


def _uncoded(
    session: Session, *, actor: Actor, today: dt.date, firms: dict[int, tuple[str, str]],
    keys: Keys | None, serial: int,
) -> tuple[int, int]:  # fmt: skip
    """A few posts and (with a key) people without an occupation code, on the first firms: they
    wait as 待建议 until the occupation model is built in the background. Drawn from a random
    generator of their own, so the rest of the demo is as before."""
    rng = random.Random(SEED + 4)  # noqa: S311  (made-up demo data, not secrets)
    order = list(firms)
    posts = people = 0
    for index, (title, skills) in enumerate(UNCODED_POSTS):
        firm = order[index % len(order)]
        low = rng.choice((6, 8, 10, 15)) * 10_000
        data = service.NewPost(
            title=title, openings=rng.randint(1, 3), enterprise_id=firm, skills=list(skills),
            education=rng.choice(("本科", "大专", "")), salary_min_yuan=low,
            salary_max_yuan=low + rng.choice((4, 6, 10)) * 10_000, chain=firms[firm][0],
            node=firms[firm][1],
        )  # fmt: skip
        service.create_post(session, actor=actor, data=data)
        posts += 1
    if keys is None:
        return posts, 0
    for index, (skills, major) in enumerate(UNCODED_PEOPLE):
        serial += 1
        number, _born = _identity(rng, serial)
        given = today - dt.timedelta(days=rng.randint(30, 300))
        firm = order[index % len(order)]
        data_p = service.NewPerson(
            name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))),
            identity_number=number, enterprise_id=firm, education=rng.choice(EDUCATIONS),
            major=major, skills=list(skills), chain=firms[firm][0], node=firms[firm][1],
            consents={"employment": given, "talent_map": given},
        )  # fmt: skip
        service.create_person(session, actor=actor, keys=keys, today=today, data=data_p)
        people += 1
    return posts, people


def _profile(rng: random.Random) -> dict[str, Any]:
    """Made-up fields for the evaluations: years of work, title, position, honours (a few
    leaders), achievements; some left unknown, as in real staff lists."""
    honour = rng.choices(
        ("none", "city", "provincial", "national", "top", ""), (70, 10, 6, 3, 1, 10)
    )[0]
    return {
        "experience_years": rng.choice((1, 2, 4, 6, 8, 12, 18, None)),
        "title_level": rng.choice(("none", "junior", "intermediate", "intermediate",
                                   "deputy_senior", "full_senior", "")),
        "position_level": rng.choice(("staff", "staff", "core", "core", "middle", "senior",
                                      "executive", "")),
        "honour_level": honour,
        "achievements": rng.choice((0, 0, 1, 2, 3, 5, 8, 12, None)),
    }  # fmt: skip

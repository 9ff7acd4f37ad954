"""People's data, lawfully (PIPL): the service API of the talent domain's people records.

Who may read a person's record: the talent office's staff (department code `talent`) and
administrators, and a firm's own users for the firm's staff only. Everyone else is refused with a
clear message and the attempt is audited; every read of a record (one person, or a list) is
audited with the ids read. Identity numbers are validated (GB 11643 check digit), encrypted with
the key from the settings (`crypto.Keys`), found through their blind index and shown masked.
Records past their retention date are deleted by `sweep_retention`, run by the periodic sweep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from wulian.chains import service as chains_service
from wulian.core import audit, xlsx
from wulian.core.auth import service as auth_service
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, WulianError
from wulian.core.permissions import Actor, Permission
from wulian.enterprises import read
from wulian.reference import service as reference
from wulian.talent import authorise, evaluation, occupations, scarcity
from wulian.talent.crypto import Keys, mask, shown_identity
from wulian.talent.models import (
    Authorisation,
    AuthorisationResult,
    AuthorisationRun,
    Consent,
    EvaluationResult,
    Person,
    Post,
    Recognition,
)

OFFICE_CODE = "talent"  # the department code of the talent office (人才办)
OFFICE_ONLY = "人员个人信息只对人才办工作人员开放"
OWN_FIRM_ONLY = "只能查看和登记本企业的人员"

# Education, highest first (the key is stored; the rank orders "at least").
EDUCATION: dict[str, str] = {
    "doctor": "博士研究生",
    "master": "硕士研究生",
    "bachelor": "大学本科",
    "college": "大学专科",
    "secondary": "中专/高中",
    "other": "其他",
}
EDUCATION_RANK = {key: len(EDUCATION) - i for i, key in enumerate(EDUCATION)}
EDUCATION_WORDS = {name: key for key, name in EDUCATION.items()} | {
    "博士": "doctor", "硕士": "master", "本科": "bachelor", "学士": "bachelor",
    "大专": "college", "专科": "college", "高职": "college", "中专": "secondary",
    "高中": "secondary", "技校": "secondary",
}  # fmt: skip

# Salary bands (annual, 万元): key → (label, lower bound in yuan, upper bound or None).
SALARY_BANDS: dict[str, tuple[str, int, int | None]] = {
    "lt10": ("10 万元以下", 0, 100_000),
    "10_20": ("10–20 万元", 100_000, 200_000),
    "20_50": ("20–50 万元", 200_000, 500_000),
    "50_100": ("50–100 万元", 500_000, 1_000_000),
    "ge100": ("100 万元及以上", 1_000_000, None),
}

# What a person may agree their data is used for.
PURPOSES: dict[str, str] = {
    "employment": "企业人才登记（在职人员统计）",
    "talent_map": "产业人才地图（仅汇总统计）",
    "recognition": "人才认定（企业自主评价）",
    "matching": "人才岗位匹配",
    "benefits": "人才政策兑现",
}
RETENTION_YEARS = 3  # kept this long after entry unless a retention date is given
MAX_RETENTION_YEARS = 30


def band_of(yuan: int) -> str:
    """The salary band key of an annual salary in yuan."""
    for key, (_, low, high) in SALARY_BANDS.items():
        if yuan >= low and (high is None or yuan < high):
            return key
    return "lt10"


def education_key(text: str) -> str | None:
    """An education as stored: a key or its Chinese name; None for nothing; InvalidInput else."""
    t = text.strip()
    if not t:
        return None
    if t in EDUCATION:
        return t
    key = EDUCATION_WORDS.get(t) or EDUCATION_WORDS.get(t.replace("学历", "").replace("研究生", ""))
    if key is None:
        raise InvalidInput(
            f"学历“{t}”不在可选范围内：{'、'.join(EDUCATION.values())}", field="education", value=t
        )
    return key


# ---------------------------------------------------------------- identity numbers


def check_identity(text: str, *, today: dt.date) -> tuple[str, dt.date]:
    """A 居民身份证号 (GB 11643) normalised, with the birth date it holds; a clear error if the
    length, the digits, the check digit, the region or the birth date is wrong."""
    number = text.strip().replace(" ", "").upper()
    # echoed masked only when it has the length of a whole number; a fragment not at all
    shown = shown_identity(number)
    said = f"身份证号“{shown}”" if shown else "身份证号"
    try:
        number = ric.validate(number)
    except stdnum_errors.InvalidLength:
        raise InvalidInput(
            f"{said}应为 18 位（填了 {len(number)} 位）", field="identity_number", value=shown
        ) from None
    except stdnum_errors.InvalidChecksum:
        raise InvalidInput(
            f"{said}校验位错误（按 GB 11643 计算应为 {ric.calc_check_digit(number)}），请核对号码",
            field="identity_number",
            value=shown,
        ) from None
    except stdnum_errors.InvalidComponent:
        raise InvalidInput(
            f"{said}中的出生日期或地区码无效", field="identity_number", value=shown
        ) from None
    except stdnum_errors.ValidationError:
        raise InvalidInput(
            f"{said}格式不对：前 17 位应为数字，末位为数字或 X",
            field="identity_number",
            value=shown,
        ) from None
    born = ric.get_birth_date(number)
    if born > today:
        raise InvalidInput(
            f"身份证号“{mask(number)}”中的出生日期 {born.isoformat()} 在今天之后",
            field="identity_number",
            value=mask(number),
        )
    return number, born


# ---------------------------------------------------------------- access


def office_id(session: Session) -> int | None:
    """The talent office's department id, if the zone has one."""
    office = auth_service.get_department_by_code(session, code=OFFICE_CODE)
    return office.id if office is not None else None


def in_office(session: Session, actor: Actor) -> bool:
    """Whether actor works for the talent office (or answers for all: administrators, system)."""
    if actor.enterprise_id is not None:
        return False
    if actor.answers_for_all:
        return True
    return actor.department_id is not None and actor.department_id == office_id(session)


def require_people(session: Session, actor: Actor, enterprise_id: int | None) -> None:
    """Raise unless actor may read the people of enterprise_id (None: the whole pool)."""
    actor.require(Permission.TALENT_READ)
    if actor.enterprise_id is not None:
        if enterprise_id != actor.enterprise_id:
            raise PermissionDenied(OWN_FIRM_ONLY)
        return
    if not in_office(session, actor):
        raise PermissionDenied(OFFICE_ONLY)


def require_people_write(session: Session, actor: Actor, enterprise_id: int | None) -> None:
    """Raise unless actor may enter or change people of enterprise_id."""
    actor.require(Permission.TALENT_WRITE)
    require_people(session, actor, enterprise_id)


class OtherFirmsPerson(NotFound):
    """A firm's user asked for another firm's person: answered exactly as a person that does not
    exist (so ids cannot be probed), and recorded by the caller as a refused attempt."""


PERSON_NOT_FOUND = "没有这条人员记录"


def person_for(session: Session, actor: Actor, person_id: int) -> Person:
    """The person of person_id as actor may ask for it: a firm's user gets the same not-found
    answer for another firm's person as for an id that does not exist (OtherFirmsPerson, which
    the caller records once); the staff's access is checked by require_people as before."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(PERSON_NOT_FOUND)
    if actor.enterprise_id is not None and person.enterprise_id != actor.enterprise_id:
        raise OtherFirmsPerson(PERSON_NOT_FOUND)
    return person


def refused(
    session: Session,
    *,
    actor: Actor,
    attempt: str,
    error: WulianError,
    object_id: int | None = None,
) -> None:
    """Roll back what failed and record the attempt (who tried what), on its own."""
    session.rollback()
    audit.track(session, actor)
    audit.record(
        session, action="talent.refused", object_type="talent_people", object_id=object_id,
        after={"attempt": attempt, "code": error.code, "message": error.message},
    )  # fmt: skip
    session.commit()


# ---------------------------------------------------------------- people


@dataclass(frozen=True)
class NewPerson:
    """What a staff list row or the form says about a person."""

    name: str
    identity_number: str
    enterprise_id: int | None = None
    birth_date: dt.date | None = None  # checked against the identity number when given
    education: str = ""
    major: str = ""
    occupation_code: str = ""
    skills: Sequence[str] = ()
    salary_yuan: int | None = None  # annual; only its band is kept
    chain: str = ""
    node: str = ""
    consents: Mapping[str, dt.date] = field(default_factory=dict)  # purpose → day agreed
    retain_until: dt.date | None = None
    # for the talent evaluations and matching (all optional; empty: unknown)
    experience_years: int | None = None
    region_code: str = ""
    title_level: str = ""
    position_level: str = ""
    honour_level: str = ""
    achievements: int | None = None


@dataclass(frozen=True)
class PersonView:
    """A person as shown: the identity number masked, codes with their Chinese names."""

    id: int
    enterprise_id: int | None
    firm_name: str
    name: str
    identity_masked: str
    birth_date: dt.date
    education: str | None
    education_label: str
    major: str
    occupation_code: str | None
    skills: list[str]
    salary_band: str | None
    salary_label: str
    chain: str | None
    node: str | None
    retain_until: dt.date
    consents: list[tuple[str, str, dt.date, dt.date | None]]  # key, label, given, withdrawn
    experience_years: int | None = None
    region_code: str | None = None
    title_label: str = "未知"
    position_label: str = "未知"
    honour_label: str = "未知"
    achievements: int | None = None
    occupation_state: str = ""  # occupations.STATES: "" entered, suggested (taken), reviewed …


def _skills(values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for part in str(value).replace("，", ",").replace("、", ",").replace("；", ",").split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part[:40])
    if len(out) > 30:
        raise InvalidInput("技能最多填写 30 项", field="skills")
    return out


def _check_firm(session: Session, actor: Actor, enterprise_id: int | None) -> int | None:
    if actor.enterprise_id is not None:
        enterprise_id = enterprise_id or actor.enterprise_id
    if enterprise_id is not None and not read.exists(session, enterprise_id):
        raise InvalidInput(
            "企业名录中没有这家企业", field="enterprise_id", value=str(enterprise_id)
        )
    return enterprise_id


def create_person(
    session: Session,
    *,
    actor: Actor,
    keys: Keys,
    today: dt.date,
    data: NewPerson,
    table: Mapping[str, str] | None = None,
) -> Person:
    """Enter a person, checked in full before anything is written."""
    enterprise_id = _check_firm(session, actor, data.enterprise_id)
    require_people_write(session, actor, enterprise_id)
    name = data.name.strip()
    if not name or len(name) > 50:
        raise InvalidInput("姓名不能为空，且不超过 50 个字", field="name")
    number, born = check_identity(data.identity_number, today=today)
    if data.birth_date is not None:
        if data.birth_date > today:
            raise InvalidInput(
                f"出生日期 {data.birth_date.isoformat()} 在今天之后", field="birth_date",
                value=data.birth_date.isoformat(),
            )  # fmt: skip
        if data.birth_date != born:
            raise InvalidInput(
                f"出生日期 {data.birth_date.isoformat()} 与身份证号中的 {born.isoformat()} 不一致",
                field="birth_date", value=data.birth_date.isoformat(),
            )  # fmt: skip
    education = education_key(data.education)
    code = occupations.check(data.occupation_code, table)
    if data.salary_yuan is not None and data.salary_yuan <= 0:
        raise InvalidInput("年薪应大于 0", field="salary", value=str(data.salary_yuan))
    if not data.consents:
        raise InvalidInput(
            "请记录本人同意的用途（至少一项）及同意日期：没有本人同意不能登记个人信息",
            field="consents",
        )
    for purpose, given in data.consents.items():
        if purpose not in PURPOSES:
            raise InvalidInput(f"没有“{purpose}”这种用途", field="consents", value=purpose)
        if given > today:
            raise InvalidInput(
                f"同意日期 {given.isoformat()} 在今天之后",
                field="consents",
                value=given.isoformat(),
            )
    retain = data.retain_until or today.replace(year=today.year + RETENTION_YEARS)
    if retain < today or retain.year > today.year + MAX_RETENTION_YEARS:
        raise InvalidInput(
            f"保存期限应在今天到 {MAX_RETENTION_YEARS} 年之内", field="retain_until",
            value=retain.isoformat(),
        )  # fmt: skip
    extra = evaluation_fields(data)
    index = keys.index(number)
    duplicate = sa.select(Person.id).where(
        Person.id_index == index, Person.enterprise_id.is_(None)
        if enterprise_id is None else Person.enterprise_id == enterprise_id,
    )  # fmt: skip
    if session.scalar(duplicate) is not None:
        raise Conflict(
            f"身份证号为 {mask(number)} 的人员已登记", field="identity_number", value=mask(number)
        )
    person = Person(
        enterprise_id=enterprise_id, name=name, id_cipher=keys.encrypt(number), id_index=index,
        birth_date=born, education=education, major=data.major.strip()[:100],
        occupation_code=code, skills=_skills(data.skills),
        salary_band=None if data.salary_yuan is None else band_of(data.salary_yuan),
        chain=data.chain.strip() or None, node=data.node.strip() or None,
        retain_until=retain, created_by=actor.label, **extra,
    )  # fmt: skip
    # without an occupation the classify engine suggests one from the skills and major (see
    # fill_people_suggestions, after the model is built in the background): 待建议 until then
    person.suggestion_state = "" if code else "pending"
    session.add(person)
    session.flush()
    for purpose, given in data.consents.items():
        session.add(
            Consent(person_id=person.id, purpose=purpose, given_on=given, created_by=actor.label)
        )
    session.flush()
    return person


MAX_EXPERIENCE_YEARS = 60
MAX_ACHIEVEMENTS = 10_000


def level_key(text: str, levels: Mapping[str, str], what: str, field_name: str) -> str | None:
    """A coded level as stored: its key, its Chinese name or the name's first words; None for
    nothing; InvalidInput naming the choices otherwise."""
    t = text.strip()
    if not t:
        return None
    if t in levels:
        return t
    for key, name in levels.items():
        if t == name or name.startswith(t) or t == name.split("（")[0]:
            return key
    choices = "、".join(name.split("（")[0] for name in levels.values())
    raise InvalidInput(f"{what}“{t}”不在可选范围内：{choices}", field=field_name, value=t)


def evaluation_fields(data: NewPerson) -> dict[str, Any]:
    """The optional fields the talent evaluations and matching read, checked."""
    years, count = data.experience_years, data.achievements
    if years is not None and not 0 <= years <= MAX_EXPERIENCE_YEARS:
        raise InvalidInput(
            f"工作年限应为 0–{MAX_EXPERIENCE_YEARS} 年", field="experience_years", value=str(years)
        )
    if count is not None and not 0 <= count <= MAX_ACHIEVEMENTS:
        raise InvalidInput(
            f"创新成果应为 0–{MAX_ACHIEVEMENTS} 项", field="achievements", value=str(count)
        )
    region = data.region_code.strip()
    if region and not (len(region) == 6 and region.isascii() and region.isdigit()):
        raise InvalidInput(
            "所在地应为 6 位行政区划代码（如 330802）", field="region_code", value=region
        )
    return {
        "experience_years": years, "achievements": count, "region_code": region or None,
        "title_level": level_key(
            data.title_level, evaluation.TITLE_LEVELS, "职称", "title_level"),
        "position_level": level_key(
            data.position_level, evaluation.POSITION_LEVELS, "职务层级", "position_level"),
        "honour_level": level_key(
            data.honour_level, evaluation.HONOUR_LEVELS, "荣誉与人才计划", "honour_level"),
    }  # fmt: skip


# ---------------------------------------------------------------- editing a person's record

# The fields a record's page edits (the PIPL minimum less the identity: name, identity number
# and birth date are fixed by the identity number and are entered again as a new record), with
# their Chinese labels for the page and the messages.
EDITABLE: dict[str, str] = {
    "education": "学历", "major": "专业", "occupation_code": "职业代码", "skills": "技能",
    "salary_band": "年薪档次", "chain": "产业链", "node": "环节",
    "experience_years": "工作年限（年）", "region_code": "所在地", "title_level": "职称",
    "position_level": "职务层级", "honour_level": "荣誉与人才计划",
    "achievements": "创新成果（项）",
}  # fmt: skip


def editable_values(
    session: Session, *, actor: Actor, person_id: int
) -> tuple[int | None, dict[str, str]]:
    """The firm of a person and the editable fields as the form shows them (before the caller
    checks the write access: it needs the firm for that). A firm's user asking for another
    firm's person gets not found (OtherFirmsPerson)."""
    actor.require(Permission.TALENT_WRITE)
    person = person_for(session, actor, person_id)
    values = {}
    for name in EDITABLE:
        value = getattr(person, name)
        values[name] = (
            "、".join(value) if isinstance(value, list) else "" if value is None else str(value)
        )
    return person.enterprise_id, values


def _whole(text: str, label: str, name: str, high: int) -> int | None:
    shown = text.strip()
    t = shown.removesuffix("年").removesuffix("项").strip()
    if not t:
        return None
    if not (t.isascii() and t.isdigit()) or int(t) > high:
        raise InvalidInput(f"{label}应为 0–{high} 的整数，不能是“{shown}”", field=name, value=shown)
    return int(t)


def update_person(
    session: Session, *, actor: Actor, person_id: int, values: Mapping[str, str],
    table: Mapping[str, str] | None = None,
) -> dict[str, str]:  # fmt: skip
    """Change the editable fields of a person's record (the talent office; a firm its own
    staff). Every field is checked first and every problem named (field → Chinese message, in
    the InvalidInput's `errors`); nothing changes while any is wrong. Audited with the names of
    the fields changed (not their values). Returns the fields changed, field → label."""
    actor.require(Permission.TALENT_WRITE)
    person = person_for(session, actor, person_id)
    require_people_write(session, actor, person.enterprise_id)
    errors: dict[str, str] = {}
    new: dict[str, Any] = {}

    def attempt(name: str, check: Any) -> None:
        if name not in values:
            return
        try:
            new[name] = check(str(values[name]))
        except InvalidInput as error:
            errors[name] = error.message

    attempt("education", education_key)

    def major(t: str) -> str:
        if len(t.strip()) > 100:
            raise InvalidInput("专业不超过 100 个字", field="major")
        return t.strip()

    attempt("major", major)
    attempt("occupation_code", lambda t: occupations.check(t, table))
    attempt("skills", lambda t: _skills([t]))

    def band(t: str) -> str | None:
        t = t.strip()
        if not t:
            return None
        for key, (label, _, _) in SALARY_BANDS.items():
            if t == key or "".join(t.split()) == label.replace(" ", ""):  # 10–20万元 too
                return key
        choices = "、".join(label for label, _, _ in SALARY_BANDS.values())
        raise InvalidInput(f"年薪档次“{t}”不在可选范围内：{choices}", field="salary_band", value=t)

    attempt("salary_band", band)
    attempt(
        "experience_years",
        lambda t: _whole(t, "工作年限", "experience_years", MAX_EXPERIENCE_YEARS),
    )
    attempt("achievements", lambda t: _whole(t, "创新成果", "achievements", MAX_ACHIEVEMENTS))
    for name, label, levels in (
        ("title_level", "职称", evaluation.TITLE_LEVELS),
        ("position_level", "职务层级", evaluation.POSITION_LEVELS),
        ("honour_level", "荣誉与人才计划", evaluation.HONOUR_LEVELS),
    ):
        attempt(name, lambda t, lv=levels, lb=label, n=name: level_key(t, lv, lb, n))

    def region(t: str) -> str | None:
        t = t.strip()
        if t and not (len(t) == 6 and t.isascii() and t.isdigit()):
            raise InvalidInput(
                f"所在地应为 6 位行政区划代码（如 330802），不能是“{t}”", field="region_code",
                value=t,
            )  # fmt: skip
        if t and reference.region_known(session, t) is False:
            raise InvalidInput(
                f"没有行政区划代码“{t}”（请填写县级行政区划代码，如 330802）",
                field="region_code", value=t,
            )  # fmt: skip
        return t or None

    attempt("region_code", region)
    if "chain" in values or "node" in values:
        try:
            new["chain"], new["node"] = check_chain(
                session, actor, str(values.get("chain", person.chain or "")),
                str(values.get("node", "")),
            )  # fmt: skip
        except InvalidInput as error:
            errors[str(error.extra.get("field") or "chain")] = error.message
    if errors:
        first = next(iter(errors))
        raise InvalidInput(
            "；".join(f"{EDITABLE.get(k, k)}：{v}" for k, v in errors.items()), field=first,
            errors=errors,
        )  # fmt: skip
    changed = {
        name: EDITABLE[name] for name, value in new.items()
        if name in EDITABLE and getattr(person, name) != value
    }  # fmt: skip
    if not changed:
        return {}
    for name in changed:
        setattr(person, name, new[name])
    if "occupation_code" in changed:
        person.suggestion_state = _state_after_edit(person)
    person.updated_at = utcnow()
    session.flush()
    audit.record(
        session, action="talent.person_update", object_type="talent_people", object_id=person.id,
        after={"fields": sorted(changed), "enterprise_id": person.enterprise_id},
    )  # fmt: skip
    return changed


def _state_after_edit(person: Person) -> str:
    """Where a person's occupation suggestion stands after an edit changed the occupation: a
    code typed in is the person's (no suggestion); a blank one waits for a suggestion, unless a
    suggestion or the office's review was there before (then the office looks again: 待复核,
    the earlier suggestion kept for it)."""
    if person.occupation_code:
        return ""
    if person.suggestion_state in ("suggested", "review", "reviewed"):
        return "review"
    return "pending"


def _view(
    person: Person, keys: Keys, firms: Mapping[int, str], consents: list[Consent]
) -> PersonView:
    band = person.salary_band
    firm = firms.get(person.enterprise_id, "") if person.enterprise_id else "人才库（无单位）"
    return PersonView(
        id=person.id, enterprise_id=person.enterprise_id, firm_name=firm,
        name=person.name, identity_masked=mask(keys.decrypt(person.id_cipher)),
        birth_date=person.birth_date, education=person.education,
        education_label=EDUCATION.get(person.education or "", "未知"), major=person.major,
        occupation_code=person.occupation_code, skills=list(person.skills or []),
        salary_band=band, salary_label=SALARY_BANDS[band][0] if band in SALARY_BANDS else "未知",
        chain=person.chain, node=person.node, retain_until=person.retain_until,
        consents=[(c.purpose, PURPOSES.get(c.purpose, c.purpose), c.given_on, c.withdrawn_on)
                  for c in consents],
        experience_years=person.experience_years, region_code=person.region_code,
        title_label=evaluation.TITLE_LEVELS.get(person.title_level or "", "未知"),
        position_label=evaluation.POSITION_LEVELS.get(person.position_level or "", "未知"),
        honour_label=evaluation.HONOUR_LEVELS.get(person.honour_level or "", "未知"),
        achievements=person.achievements, occupation_state=person.suggestion_state,
    )  # fmt: skip


def _consents(session: Session, ids: Sequence[int]) -> dict[int, list[Consent]]:
    out: dict[int, list[Consent]] = {i: [] for i in ids}
    if ids:
        query = sa.select(Consent).where(Consent.person_id.in_(ids)).order_by(Consent.id)
        for consent in session.scalars(query):
            out[consent.person_id].append(consent)
    return out


def person_view(session: Session, *, keys: Keys, person: Person) -> PersonView:
    """A person as shown (masked), for a caller that checked the access and audits the read."""
    firms = read.names(session, [person.enterprise_id]) if person.enterprise_id else {}
    return _view(person, keys, firms, _consents(session, [person.id])[person.id])


def get_person(session: Session, *, actor: Actor, keys: Keys, person_id: int) -> PersonView:
    """One person's record, masked; the read is audited."""
    actor.require(Permission.TALENT_READ)
    # a firm's user learns nothing about other firms' people: the same answer as not found
    person = person_for(session, actor, person_id)
    require_people(session, actor, person.enterprise_id)
    firms = read.names(session, [person.enterprise_id]) if person.enterprise_id else {}
    view = _view(person, keys, firms, _consents(session, [person.id])[person.id])
    audit.record(
        session, action="talent.person_read", object_type="talent_people", object_id=person.id,
        after={"enterprise_id": person.enterprise_id},
    )  # fmt: skip
    return view


def list_people(
    session: Session, *, actor: Actor, keys: Keys, enterprise_id: int | None = None,
    limit: int = 200,
) -> list[PersonView]:  # fmt: skip
    """People of one firm (a firm's user: always its own), or of the whole pool for the talent
    office; the read is audited with the ids shown."""
    if actor.enterprise_id is not None:
        enterprise_id = enterprise_id or actor.enterprise_id
    if enterprise_id is not None or actor.enterprise_id is not None:
        require_people(session, actor, enterprise_id)
    else:
        require_people(session, actor, None)
    query = sa.select(Person).order_by(Person.enterprise_id, Person.id).limit(limit)
    if enterprise_id is not None:
        query = query.where(Person.enterprise_id == enterprise_id)
    people = list(session.scalars(query))
    firms = read.names(session, {p.enterprise_id for p in people if p.enterprise_id})
    consents = _consents(session, [p.id for p in people])
    views = [_view(p, keys, firms, consents[p.id]) for p in people]
    if views:
        audit.record(
            session, action="talent.people_read", object_type="talent_people",
            after={"enterprise_id": enterprise_id, "ids": [v.id for v in views]},
        )  # fmt: skip
    return views


def find_by_identity(
    session: Session, *, actor: Actor, keys: Keys, number: str, today: dt.date
) -> list[PersonView]:
    """The records with this identity number that actor may read (by the blind index)."""
    normalised, _ = check_identity(number, today=today)
    query = sa.select(Person.id).where(Person.id_index == keys.index(normalised))
    if actor.enterprise_id is not None:
        query = query.where(Person.enterprise_id == actor.enterprise_id)
    else:
        require_people(session, actor, None)
    return [
        get_person(session, actor=actor, keys=keys, person_id=i) for i in session.scalars(query)
    ]


def withdraw_consent(
    session: Session, *, actor: Actor, person_id: int, purpose: str, today: dt.date
) -> None:
    """Record that the person withdrew their consent to one purpose."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("没有这条人员记录")
    require_people_write(session, actor, person.enterprise_id)
    consent = session.scalar(
        sa.select(Consent).where(Consent.person_id == person_id, Consent.purpose == purpose)
    )
    if consent is None or consent.withdrawn_on is not None:
        raise InvalidInput("此人没有这项有效的同意", field="purpose", value=purpose)
    consent.withdrawn_on = today
    person.updated_at = utcnow()
    session.flush()


def consented(session: Session, purpose: str) -> sa.Select[Any]:
    """Ids of people with a standing consent to purpose (for queries that use their data)."""
    return sa.select(Consent.person_id).where(
        Consent.purpose == purpose, Consent.withdrawn_on.is_(None)
    )


def count_people(session: Session, *, enterprise_id: int | None = None) -> int:
    """How many people are recorded (no personal data: counts for pages and the map)."""
    query = sa.select(sa.func.count()).select_from(Person)
    if enterprise_id is not None:
        query = query.where(Person.enterprise_id == enterprise_id)
    return int(session.scalar(query) or 0)


# ---------------------------------------------------------------- retention


@dataclass(frozen=True)
class SweepResult:
    removed: int
    kept: int = 0  # past retention but with award instalments still to confirm or pay


def sweep_retention(session: Session, *, actor: Actor, today: dt.date) -> SweepResult:
    """Delete the people whose retention date has passed (with their consents and
    recognitions); each deletion is audited without the personal fields."""
    actor.require(Permission.TALENT_ADMIN)
    from wulian.talent.programme_models import (  # the programmes' tables, read here only
        AwardInstalment,
        ProgrammeApplication,
        ProgrammeReview,
    )

    expired = list(session.scalars(sa.select(Person).where(Person.retain_until < today)))
    # an award still running (an instalment of this year or later) keeps the person's record
    # until it is paid: the grant is the lawful basis that outlasts the retention date
    running = set(
        session.scalars(
            sa.select(ProgrammeApplication.person_id)
            .join(AwardInstalment, AwardInstalment.application_id == ProgrammeApplication.id)
            .where(
                ProgrammeApplication.person_id.in_([p.id for p in expired]),
                AwardInstalment.year >= today.year,
            )
        )
    )
    expired = [p for p in expired if p.id not in running]
    if not expired:
        return SweepResult(0, len(running))
    ids = [p.id for p in expired]
    applications = list(
        session.scalars(
            sa.select(ProgrammeApplication).where(ProgrammeApplication.person_id.in_(ids))
        )
    )
    applied = [a.id for a in applications]
    for model in (ProgrammeReview, AwardInstalment):  # deleted one by one: each audited
        for row in session.scalars(sa.select(model).where(model.application_id.in_(applied))):
            session.delete(row)
    session.flush()
    for application in applications:
        session.delete(application)
    for recognition in session.scalars(
        sa.select(Recognition).where(Recognition.person_id.in_(ids))
    ):
        session.delete(recognition)
    for consent in session.scalars(sa.select(Consent).where(Consent.person_id.in_(ids))):
        session.delete(consent)
    session.execute(sa.delete(EvaluationResult).where(EvaluationResult.person_id.in_(ids)))
    session.flush()
    for person in expired:
        session.delete(person)
    session.flush()
    audit.record(
        session, action="talent.retention_sweep", object_type="talent_people",
        after={"removed": len(ids), "ids": ids, "kept": sorted(running),
               "today": today.isoformat()},
    )  # fmt: skip
    return SweepResult(len(ids), len(running))


# ---------------------------------------------------------------- posts (demand)

POST_STAFF_OR_OWN = "只能查看和登记本企业的岗位"


@dataclass(frozen=True)
class NewPost:
    """What a posts list row or the form says about an open post; salaries in yuan per year."""

    title: str
    openings: int
    enterprise_id: int | None = None
    occupation_code: str = ""
    skills: Sequence[str] = ()
    education: str = ""
    experience_years: int | None = None
    salary_min_yuan: int | None = None
    salary_max_yuan: int | None = None
    chain: str = ""
    node: str = ""


def require_posts_write(actor: Actor, enterprise_id: int, session: Session) -> None:
    """A firm's user for its own firm; the talent office for any firm."""
    actor.require(Permission.TALENT_WRITE)
    if actor.enterprise_id is not None:
        if actor.enterprise_id != enterprise_id:
            raise PermissionDenied(POST_STAFF_OR_OWN)
        return
    if not in_office(session, actor):
        raise PermissionDenied("岗位需求由企业或人才办工作人员登记")


def check_chain(
    session: Session, actor: Actor, chain: str, node: str
) -> tuple[str | None, str | None]:
    """A chain and node as stored (codes), from their codes or names; a clear error otherwise."""
    chain, node = chain.strip(), node.strip()
    if not chain:
        if node:
            raise InvalidInput("填写了环节，请同时填写产业链", field="chain")
        return None, None
    for found in chains_service.chains(session, actor=actor):
        if chain in (found.spec.id, found.spec.name):
            if not node:
                return found.spec.id, None
            for item in found.spec.nodes:
                if node in (item.key, item.name):
                    return found.spec.id, item.key
            raise InvalidInput(
                f"产业链“{found.spec.name}”没有“{node}”这个环节", field="node", value=node
            )
    raise InvalidInput(f"没有“{chain}”这条产业链", field="chain", value=chain)


def create_post(
    session: Session,
    *,
    actor: Actor,
    data: NewPost,
    table: Mapping[str, str] | None = None,
) -> Post:
    """Enter an open post, checked in full before it is written."""
    enterprise_id = data.enterprise_id or actor.enterprise_id
    if enterprise_id is None or not read.exists(session, enterprise_id):
        raise InvalidInput("请选择发布岗位的企业", field="enterprise_id")
    require_posts_write(actor, enterprise_id, session)
    title = data.title.strip()
    if not title or len(title) > 100:
        raise InvalidInput("岗位名称不能为空，且不超过 100 个字", field="title")
    if not 1 <= data.openings <= 10_000:
        raise InvalidInput(
            "招聘人数应为 1–10000 的整数", field="openings", value=str(data.openings)
        )
    if data.experience_years is not None and not 0 <= data.experience_years <= 50:
        raise InvalidInput(
            "经验要求应为 0–50 年", field="experience_years", value=str(data.experience_years)
        )
    low, high = data.salary_min_yuan, data.salary_max_yuan
    for value, name in ((low, "salary_min"), (high, "salary_max")):
        if value is not None and value <= 0:
            raise InvalidInput("年薪应大于 0", field=name, value=str(value))
    if low is not None and high is not None and low > high:
        raise InvalidInput(f"年薪下限 {wan(low)} 万元高于上限 {wan(high)} 万元", field="salary_min")
    chain, node = check_chain(session, actor, data.chain, data.node)
    post = Post(
        enterprise_id=enterprise_id, title=title,
        occupation_code=occupations.check(data.occupation_code, table),
        skills=_skills(data.skills), education=education_key(data.education),
        experience_years=data.experience_years, salary_min_yuan=low, salary_max_yuan=high,
        openings=data.openings, chain=chain, node=node, created_by=actor.label,
    )  # fmt: skip
    # without a code the classify engine suggests one (see fill_suggestions): 待建议 until then
    post.suggestion_state = "" if post.occupation_code else "pending"
    session.add(post)
    session.flush()
    return post


# ---------------------------------------------------------------- suggested occupations

OCCUPATION_REVIEW_ONLY = "岗位职业代码的复核由人才办工作人员办理"
PEOPLE_REVIEW_ONLY = "人员职业代码的复核由人才办工作人员办理"


def fill_suggestions(session: Session, *, model: Any, limit: int = 5000) -> tuple[int, int]:
    """Suggest an occupation for the posts waiting for one (待建议): a confident suggestion
    becomes the post's occupation code; a low-confidence one waits for the talent office's
    review (待复核). Returns (suggested, to review); audited as one event."""
    posts = session.execute(
        sa.select(Post.id, Post.title, Post.occupation_code)
        .where(Post.suggestion_state == "pending")
        .order_by(Post.id)
        .limit(limit)
    ).all()
    if not posts:
        return 0, 0
    found = occupations.suggest(model, [p.title for p in posts])
    return _write_suggestions(
        session, Post, [(p.id, not p.occupation_code) for p in posts], found,
        action="talent.occupation_suggest", object_type="talent_posts",
    )  # fmt: skip


def _write_suggestions(
    session: Session, table: type[Post] | type[Person], rows: Sequence[tuple[int, bool]],
    found: Sequence[Any], *, action: str, object_type: str,
) -> tuple[int, int]:  # fmt: skip
    """Write each row's suggestion (rows: id, whether a confident suggestion may become its
    occupation code): confident ones as the occupation (已建议), the others to review (待复核).
    Only while the row still waits and has no occupation: a second filler, the office having
    reviewed it or the firm having entered a code meanwhile, is never overwritten (re-checked
    when the UPDATE runs). Returns (suggested, to review); audited as one event, ids only."""
    taken: list[int] = []
    review: list[int] = []
    for (row_id, may_fill), suggestion in zip(rows, found, strict=True):
        values: dict[str, Any] = {
            "suggested_code": suggestion.code, "suggestion_score": suggestion.score,
            "suggestion_terms": suggestion.terms, "suggestion_state": "review",
        }  # fmt: skip
        if may_fill and suggestion.code is not None and not suggestion.review:
            values |= {"occupation_code": suggestion.code, "suggestion_state": "suggested"}
        guard = [table.id == row_id, table.suggestion_state == "pending"]
        if table is Person:
            guard.append(Person.occupation_code.is_(None))
        written = session.execute(
            sa.update(table).where(*guard).values(**values)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        if getattr(written, "rowcount", 0) != 1:
            continue
        (taken if values["suggestion_state"] == "suggested" else review).append(row_id)
    if not taken and not review:
        return 0, 0
    audit.record(
        session, action=action, object_type=object_type,
        after={"suggested": taken, "review": review},
    )  # fmt: skip
    return len(taken), len(review)


def person_text(skills: Sequence[str] | None, major: str | None) -> str:
    """What the occupation model reads of a person: the skills, the major as the direction
    (正极材料、电化学（材料科学与工程）); no name, no identity number."""
    said = "、".join(str(s) for s in (skills or []) if str(s).strip())
    major = (major or "").strip()
    if said and major:
        return f"{said}（{major}）"
    return said or major


def fill_people_suggestions(session: Session, *, model: Any, limit: int = 5000) -> tuple[int, int]:
    """Suggest an occupation for the people waiting for one (待建议), from their skills and
    major: a confident suggestion becomes the person's occupation code; a low-confidence one
    waits for the talent office's review (待复核). A person the office reviewed, or whose
    occupation was entered meanwhile, is never overwritten. Returns (suggested, to review);
    audited as one event with the ids only."""
    people = session.execute(
        sa.select(Person.id, Person.skills, Person.major)
        .where(Person.suggestion_state == "pending", Person.occupation_code.is_(None))
        .order_by(Person.id)
        .limit(limit)
    ).all()
    if not people:
        return 0, 0
    found = occupations.suggest(model, [person_text(p.skills, p.major) for p in people])
    return _write_suggestions(
        session, Person, [(p.id, True) for p in people], found,
        action="talent.person_occupation_suggest", object_type="talent_people",
    )  # fmt: skip


@dataclass(frozen=True)
class ReviewItem:
    id: int
    enterprise_id: int
    firm_name: str
    title: str
    state: str
    state_label: str
    suggested_code: str | None
    suggested_name: str
    score: float | None
    terms: str
    occupation_code: str | None


def occupation_queue(
    session: Session, *, actor: Actor, table: Mapping[str, str] | None,
    states: Sequence[str] = ("review",), limit: int = 500,
) -> list[ReviewItem]:  # fmt: skip
    """The posts whose suggested occupation the talent office reviews (or that wait for one)."""
    actor.require(Permission.TALENT_READ)
    if not in_office(session, actor):
        raise PermissionDenied(OCCUPATION_REVIEW_ONLY)
    posts = list(
        session.scalars(
            sa.select(Post).where(Post.suggestion_state.in_(list(states)), Post.is_open)
            .order_by(Post.id).limit(limit)
        )
    )  # fmt: skip
    firms = read.names(session, {p.enterprise_id for p in posts})
    names = table or {}
    return [
        ReviewItem(
            p.id, p.enterprise_id, firms.get(p.enterprise_id, ""), p.title, p.suggestion_state,
            occupations.STATES.get(p.suggestion_state, p.suggestion_state), p.suggested_code,
            names.get(p.suggested_code or "", ""), p.suggestion_score, p.suggestion_terms,
            p.occupation_code,
        )
        for p in posts
    ]  # fmt: skip


@dataclass(frozen=True)
class PersonReviewItem:
    """A person whose suggested occupation the office reviews: no identity number, no birth
    date; what the suggestion was made from (skills and major)."""

    id: int
    enterprise_id: int | None
    firm_name: str
    name: str
    text: str
    state: str
    state_label: str
    suggested_code: str | None
    suggested_name: str
    score: float | None
    terms: str


def people_occupation_queue(
    session: Session, *, actor: Actor, table: Mapping[str, str] | None,
    states: Sequence[str] = ("review",), limit: int = 500,
) -> list[PersonReviewItem]:  # fmt: skip
    """The people whose suggested occupation the talent office reviews: read as the people
    records are (the talent office only, for the whole pool) and audited with the ids shown."""
    actor.require(Permission.TALENT_READ)
    if not in_office(session, actor):
        raise PermissionDenied(PEOPLE_REVIEW_ONLY)
    require_people(session, actor, None)
    people = list(
        session.scalars(
            sa.select(Person).where(Person.suggestion_state.in_(list(states)))
            .order_by(Person.id).limit(limit)
        )
    )  # fmt: skip
    firms = read.names(session, {p.enterprise_id for p in people if p.enterprise_id})
    names = table or {}
    items = [
        PersonReviewItem(
            p.id, p.enterprise_id,
            firms.get(p.enterprise_id, "") if p.enterprise_id else "人才库（无单位）", p.name,
            person_text(p.skills, p.major), p.suggestion_state,
            occupations.STATES.get(p.suggestion_state, p.suggestion_state), p.suggested_code,
            names.get(p.suggested_code or "", ""), p.suggestion_score, p.suggestion_terms,
        )
        for p in people
    ]  # fmt: skip
    if items:
        audit.record(
            session, action="talent.people_read", object_type="talent_people",
            after={"purpose": "occupation_review", "ids": [i.id for i in items]},
        )  # fmt: skip
    return items


def count_people_suggestions(session: Session) -> dict[str, int]:
    """How many people are in each suggestion state (counts only)."""
    rows = session.execute(
        sa.select(Person.suggestion_state, sa.func.count()).group_by(Person.suggestion_state)
    ).all()
    return {str(state): int(n) for state, n in rows}


def review_person_occupation(
    session: Session, *, actor: Actor, person_id: int, code: str,
    table: Mapping[str, str] | None,
) -> Person:  # fmt: skip
    """The talent office sets a person's occupation: the suggestion accepted, or another code
    of the loaded classification; audited (whether the suggestion was accepted, not the codes:
    a person's occupation is personal data)."""
    actor.require(Permission.TALENT_WRITE)
    if not in_office(session, actor):
        raise PermissionDenied(PEOPLE_REVIEW_ONLY)
    if table is None:
        raise InvalidInput(
            "尚未载入职业分类大典（2022），不能复核职业代码：请系统管理员先导入职业分类表",
            field="code",
        )
    person = person_for(session, actor, person_id)
    require_people_write(session, actor, person.enterprise_id)
    if not code.strip():
        raise InvalidInput("请选择职业代码", field="code")
    checked = occupations.check(code, table, field="code")
    session.refresh(person, with_for_update=True)  # one review at a time
    if not _reviewable(person.suggestion_state, person.occupation_code, checked):
        return person
    before = person.suggestion_state
    person.occupation_code = checked
    person.suggestion_state = "reviewed"
    person.updated_at = utcnow()
    session.flush()
    audit.record(
        session, action="talent.person_occupation_review", object_type="talent_people",
        object_id=person.id,
        before={"state": before},
        after={"state": "reviewed", "accepted": checked == person.suggested_code},
    )  # fmt: skip
    return person


def count_suggestions(session: Session) -> dict[str, int]:
    """How many posts are in each suggestion state (counts only)."""
    rows = session.execute(
        sa.select(Post.suggestion_state, sa.func.count())
        .where(Post.is_open)
        .group_by(Post.suggestion_state)
    ).all()
    return {str(state): int(n) for state, n in rows}


def _reviewable(state: str, current: str | None, code: str | None) -> bool:
    """Whether the office's review of an occupation (state, current code) to code is to be
    written: a code the firm entered itself is not the office's to replace (Conflict); the same
    review sent again (a double click) is already done (False: nothing written, no audit)."""
    if state == "":
        raise Conflict("职业代码由企业自己填写，不在复核范围；如需更正，请企业修改", field="code")
    return not (state == "reviewed" and current == code)


def review_occupation(
    session: Session, *, actor: Actor, post_id: int, code: str,
    table: Mapping[str, str] | None,
) -> Post:  # fmt: skip
    """The talent office sets a post's occupation: the suggestion accepted, or another code of
    the loaded classification; audited with the suggestion it replaced."""
    actor.require(Permission.TALENT_WRITE)
    if not in_office(session, actor):
        raise PermissionDenied(OCCUPATION_REVIEW_ONLY)
    if table is None:
        raise InvalidInput(
            "尚未载入职业分类大典（2022），不能复核职业代码：请系统管理员先导入职业分类表",
            field="code",
        )
    post = session.get(Post, post_id, with_for_update=True)  # one review at a time
    if post is None:
        raise NotFound("没有这个岗位")
    if not code.strip():
        raise InvalidInput("请选择职业代码", field="code")
    checked = occupations.check(code, table, field="code")
    if not _reviewable(post.suggestion_state, post.occupation_code, checked):
        return post
    before = {"occupation_code": post.occupation_code, "state": post.suggestion_state}
    post.occupation_code = checked
    post.suggestion_state = "reviewed"
    session.flush()
    audit.record(
        session, action="talent.occupation_review", object_type="talent_posts",
        object_id=post.id,
        before=before,
        after={"occupation_code": checked, "suggested_code": post.suggested_code,
               "accepted": checked == post.suggested_code},
    )  # fmt: skip
    return post


def reviewed_post(session: Session, *, actor: Actor, post_id: int) -> tuple[str, str] | None:
    """A post the office has just reviewed, for the message after it: (title, code); None when
    it is not a reviewed post (a stale or made-up link shows no message)."""
    actor.require(Permission.TALENT_READ)
    if not in_office(session, actor):
        raise PermissionDenied(OCCUPATION_REVIEW_ONLY)
    post = session.get(Post, post_id)
    if post is None or post.suggestion_state != "reviewed" or not post.occupation_code:
        return None
    return post.title, post.occupation_code


def reviewed_person(session: Session, *, actor: Actor, person_id: int) -> tuple[str, str] | None:
    """A person the office has just reviewed, for the message after it: (name, code); read as
    people records are (the office only) and audited."""
    actor.require(Permission.TALENT_READ)
    if not in_office(session, actor):
        raise PermissionDenied(PEOPLE_REVIEW_ONLY)
    require_people(session, actor, None)
    person = session.get(Person, person_id)
    if person is None or person.suggestion_state != "reviewed" or not person.occupation_code:
        return None
    audit.record(
        session, action="talent.people_read", object_type="talent_people", object_id=person.id,
        after={"purpose": "occupation_review", "ids": [person.id]},
    )  # fmt: skip
    return person.name, person.occupation_code


def review_subject(session: Session, kind: str, oid: int) -> str:
    """Which post or person a refused review was about, as the review page names them (post:
    its number and title; person: number and name, a people read, audited). Called only after
    the office's own checks passed (a refused permission names nothing)."""
    if kind == "post":
        post = session.get(Post, oid)
        return f"岗位 {oid}“{post.title}”" if post is not None else f"岗位 {oid}"
    person = session.get(Person, oid)
    if person is None:
        return f"人员 {oid}"
    audit.record(
        session, action="talent.people_read", object_type="talent_people", object_id=person.id,
        after={"purpose": "occupation_review", "ids": [person.id]},
    )  # fmt: skip
    return f"人员 {oid}（{person.name}）"


def wan(yuan: int | None) -> str:
    """Yuan shown in 万元 (one decimal at most): 250000 → 25, 125000 → 12.5."""
    if yuan is None:
        return ""
    text = f"{yuan / 10_000:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class PostView:
    id: int
    enterprise_id: int
    firm_name: str
    title: str
    occupation_code: str | None
    skills: list[str]
    education_label: str
    experience_years: int | None
    salary: str  # "15–25 万元/年", or "面议"
    openings: int
    chain: str | None
    node: str | None
    occupation_state: str = ""  # occupations.STATES: "" entered by the firm, suggested …


def list_posts(
    session: Session, *, actor: Actor, enterprise_id: int | None = None, limit: int = 500
) -> list[PostView]:
    """Open posts: a firm's user sees its own; zone staff with talent.read see every firm's."""
    actor.require(Permission.TALENT_READ)
    if actor.enterprise_id is not None:
        if enterprise_id not in (None, actor.enterprise_id):
            raise PermissionDenied(POST_STAFF_OR_OWN)
        enterprise_id = actor.enterprise_id
    query = sa.select(Post).where(Post.is_open).order_by(Post.enterprise_id, Post.id).limit(limit)
    if enterprise_id is not None:
        query = query.where(Post.enterprise_id == enterprise_id)
    posts = list(session.scalars(query))
    firms = read.names(session, {p.enterprise_id for p in posts})
    views = []
    for p in posts:
        if p.salary_min_yuan is None and p.salary_max_yuan is None:
            salary = "面议"
        else:
            parts = [wan(p.salary_min_yuan) or "…", wan(p.salary_max_yuan) or "…"]
            salary = f"{parts[0]}–{parts[1]} 万元/年"
        views.append(
            PostView(
                p.id, p.enterprise_id, firms.get(p.enterprise_id, ""), p.title,
                p.occupation_code, list(p.skills or []),
                EDUCATION.get(p.education or "", "不限"), p.experience_years, salary,
                p.openings, p.chain, p.node, p.suggestion_state,
            )
        )  # fmt: skip
    return views


# ---------------------------------------------------------------- 企业人才自主评价

GRADES: dict[str, str] = {
    "A": "A类 顶尖人才",
    "B": "B类 国家级领军人才",
    "C": "C类 省级领军人才",
    "D": "D类 市级领军人才",
    "E": "E类 高级人才",
}
FIRM_GRADES = ("D", "E")  # what a firm may recognise itself; A–C go through the catalogue
STATES = {"submitted": "待认账", "approved": "已认账", "returned": "已退回"}
OFFICE_APPROVES = "只有人才办工作人员可以认账或退回企业的人才认定"
AUTHORISATION_DAYS = 365


def _require_office_write(session: Session, actor: Actor, why: str) -> None:
    actor.require(Permission.TALENT_WRITE)
    if not in_office(session, actor):
        raise PermissionDenied(why)


def eligibility(
    session: Session, *, actor: Actor, year: int, enterprise_ids: list[int] | None = None
) -> list[authorise.Eligibility]:
    """Which firms meet the rules of authorisation on year's data, each with its reasons."""
    actor.require_staff("人才自主评价资格的评价结果只对园区工作人员开放", Permission.TALENT_READ)
    return authorise.evaluate(session, actor=actor, year=year, enterprise_ids=enterprise_ids)


def current_authorisation(
    session: Session, *, enterprise_id: int, today: dt.date
) -> Authorisation | None:
    """The firm's authorisation in force on today, if any."""
    query = (
        sa.select(Authorisation)
        .where(
            Authorisation.enterprise_id == enterprise_id, ~Authorisation.revoked,
            Authorisation.granted_on <= today, Authorisation.expires_on >= today,
        )
        .order_by(Authorisation.expires_on.desc())
    )  # fmt: skip
    return session.scalars(query).first()


def latest_authorisation(session: Session, *, enterprise_id: int) -> Authorisation | None:
    """The firm's newest authorisation, in force or not."""
    query = (
        sa.select(Authorisation)
        .where(Authorisation.enterprise_id == enterprise_id, ~Authorisation.revoked)
        .order_by(Authorisation.expires_on.desc())
    )
    return session.scalars(query).first()


def _stored_eligible(session: Session, year: int) -> list[authorise.Eligibility] | None:
    """The eligible firms of the newest stored evaluation of year (None: none stored), so that
    authorising uses the results the office saw instead of evaluating every firm again."""
    run_id = session.scalar(
        sa.select(AuthorisationRun.id)
        .where(AuthorisationRun.period == str(year))
        .order_by(AuthorisationRun.id.desc())
        .limit(1)
    )
    if run_id is None:
        return None
    rows = session.scalars(
        sa.select(AuthorisationResult).where(
            AuthorisationResult.run_id == run_id, AuthorisationResult.status == "eligible"
        )
    )
    return [
        authorise.Eligibility(
            enterprise_id=r.enterprise_id, firm_name=r.firm_name, status=r.status,
            status_name="符合", quota=r.quota, lines=list(r.lines),
        )
        for r in rows
    ]  # fmt: skip


def authorise_firms(
    session: Session, *, actor: Actor, year: int, today: dt.date,
    enterprise_ids: list[int] | None = None,
) -> list[Authorisation]:  # fmt: skip
    """Authorise every eligible firm that has no authorisation in force (the yearly
    re-evaluation): a quota from its staff and one year's validity, with the reasons kept."""
    _require_office_write(session, actor, "只有人才办工作人员可以授予人才自主评价资格")
    granted = []
    stored = _stored_eligible(session, year) if enterprise_ids is None else None
    found = (
        stored
        if stored is not None
        else authorise.evaluate(session, actor=actor, year=year, enterprise_ids=enterprise_ids)
    )
    for result in found:
        if result.status != "eligible" or result.quota is None:
            continue
        if current_authorisation(session, enterprise_id=result.enterprise_id, today=today):
            continue
        item = Authorisation(
            enterprise_id=result.enterprise_id, year=year, quota=result.quota, granted_on=today,
            expires_on=today + dt.timedelta(days=AUTHORISATION_DAYS - 1),
            reasons=[{"line": line} for line in result.lines], created_by=actor.label,
        )  # fmt: skip
        session.add(item)
        granted.append(item)
    session.flush()
    if granted:
        audit.record(
            session, action="talent.authorise", object_type="talent_authorisations",
            after={"year": year, "firms": [g.enterprise_id for g in granted]},
        )  # fmt: skip
    return granted


def used_quota(session: Session, authorisation_id: int) -> int:
    """Recognitions counted against an authorisation's quota (submitted or approved)."""
    query = sa.select(sa.func.count()).where(
        Recognition.authorisation_id == authorisation_id,
        Recognition.state.in_(("submitted", "approved")),
    )
    return int(session.scalar(query) or 0)


def submit_recognition(
    session: Session, *, actor: Actor, person_id: int, grade: str, evidence: str,
    today: dt.date,
) -> Recognition:  # fmt: skip
    """A firm recognises one of its people (企业认定), within its quota and before its
    authorisation expires; the talent office then reviews it."""
    actor.require(Permission.TALENT_WRITE)
    if actor.enterprise_id is None:
        raise PermissionDenied("人才自主评价由获得授权的企业提交")
    person = session.get(Person, person_id)
    if person is None or person.enterprise_id != actor.enterprise_id:
        raise NotFound("本企业没有这条人员记录")
    if grade not in FIRM_GRADES:
        raise InvalidInput(
            "企业自主评价只能认定 D 类、E 类人才；A–C 类须按人才目录申报", field="grade",
            value=grade,
        )  # fmt: skip
    text = evidence.strip()
    if len(text) < 10 or len(text) > 4000:
        raise InvalidInput(
            "请填写认定依据和佐证材料说明（10–4000 字），如职称、获奖、专利、业绩", field="evidence"
        )
    granted = current_authorisation(session, enterprise_id=actor.enterprise_id, today=today)
    if granted is None:
        last = latest_authorisation(session, enterprise_id=actor.enterprise_id)
        if last is not None and last.expires_on < today:
            raise PermissionDenied(
                f"本企业的人才自主评价授权已于 {last.expires_on.isoformat()} 到期，"
                "不能再提交认定；请等待人才办按最新年度数据重新评价",
                field="authorisation",
            )
        raise PermissionDenied("本企业尚未获得人才自主评价授权", field="authorisation")
    used = used_quota(session, granted.id)
    if used >= granted.quota:
        raise PermissionDenied(
            f"本企业本年度自主评价名额 {granted.quota} 名已用完（已提交或已认账 {used} 名），"
            "不能再提交",
            field="quota",
        )
    standing = session.scalar(
        sa.select(Consent.id).where(
            Consent.person_id == person.id, Consent.purpose == "recognition",
            Consent.withdrawn_on.is_(None),
        )
    )  # fmt: skip
    if standing is None:
        raise InvalidInput(
            f"{person.name}未同意将个人信息用于人才认定，请先取得本人同意并登记", field="consent"
        )
    open_one = session.scalar(
        sa.select(Recognition.id).where(
            Recognition.person_id == person.id, Recognition.state.in_(("submitted", "approved"))
        )
    )
    if open_one is not None:
        raise Conflict(f"{person.name}已有待认账或已认账的认定", field="person_id")
    recognition = Recognition(
        authorisation_id=granted.id, enterprise_id=actor.enterprise_id, person_id=person.id,
        grade=grade, evidence=text, state="submitted", submitted_on=today,
        created_by=actor.label,
    )  # fmt: skip
    session.add(recognition)
    session.flush()
    return recognition


def decide_recognition(
    session: Session, *, actor: Actor, recognition_id: int, approve: bool, note: str,
    today: dt.date,
) -> Recognition:  # fmt: skip
    """The talent office confirms (认账) or returns a firm's recognition."""
    _require_office_write(session, actor, OFFICE_APPROVES)
    recognition = session.get(Recognition, recognition_id)
    if recognition is None:
        raise NotFound("没有这条人才认定")
    if recognition.state != "submitted":
        raise Conflict(f"这条认定{STATES[recognition.state]}，不能再处理", field="state")
    note = note.strip()
    if not approve and not note:
        raise InvalidInput("退回时请写明理由", field="note")
    recognition.state = "approved" if approve else "returned"
    recognition.decided_on = today
    recognition.decided_by = actor.label
    recognition.decision_note = note[:500]
    session.flush()
    return recognition


def recognition_refused(
    session: Session, *, actor: Actor, attempt: str, error: WulianError,
    object_id: int | None = None,
) -> None:  # fmt: skip
    """Roll back a refused recognition step and record the attempt, on its own."""
    session.rollback()
    audit.track(session, actor)
    audit.record(
        session, action="talent.recognition_refused", object_type="talent_recognitions",
        object_id=object_id,
        after={"attempt": attempt, "code": error.code, "message": error.message},
    )  # fmt: skip
    session.commit()


@dataclass(frozen=True)
class RecognitionView:
    id: int
    enterprise_id: int
    firm_name: str
    person_id: int
    person_name: str
    grade: str
    grade_label: str
    evidence: str
    state: str
    state_label: str
    submitted_on: dt.date
    decided_on: dt.date | None
    decided_by: str
    decision_note: str


def list_recognitions(
    session: Session, *, actor: Actor, state: str | None = None, person_id: int | None = None
) -> list[RecognitionView]:
    """Recognitions: a firm's own, or every firm's for the talent office."""
    actor.require(Permission.TALENT_READ)
    query = sa.select(Recognition, Person.name).join(Person, Person.id == Recognition.person_id)
    if actor.enterprise_id is not None:
        query = query.where(Recognition.enterprise_id == actor.enterprise_id)
    elif not in_office(session, actor):
        raise PermissionDenied(OFFICE_ONLY)
    if state:
        query = query.where(Recognition.state == state)
    if person_id is not None:
        query = query.where(Recognition.person_id == person_id)
    rows = list(session.execute(query.order_by(Recognition.id.desc())))
    firms = read.names(session, {r.enterprise_id for r, _ in rows})
    return [
        RecognitionView(
            r.id,
            r.enterprise_id,
            firms.get(r.enterprise_id, ""),
            r.person_id,
            name,
            r.grade,
            GRADES.get(r.grade, r.grade),
            r.evidence,
            r.state,
            STATES.get(r.state, r.state),
            r.submitted_on,
            r.decided_on,
            r.decided_by,
            r.decision_note,
        )
        for r, name in rows
    ]


def authorisations(
    session: Session, *, actor: Actor, today: dt.date, limit: int = 1000
) -> list[dict[str, Any]]:
    """Authorised firms with quota, used and expiry, newest first (a firm's user: its own)."""
    actor.require(Permission.TALENT_READ)
    query = sa.select(Authorisation).where(~Authorisation.revoked)
    if actor.enterprise_id is not None:
        query = query.where(Authorisation.enterprise_id == actor.enterprise_id)
    query = query.order_by(Authorisation.expires_on.desc(), Authorisation.id).limit(limit)
    items = list(session.scalars(query))
    firms = read.names(session, {a.enterprise_id for a in items})
    used = dict(
        session.execute(
            sa.select(Recognition.authorisation_id, sa.func.count())
            .where(
                Recognition.authorisation_id.in_([a.id for a in items]),
                Recognition.state.in_(("submitted", "approved")),
            )
            .group_by(Recognition.authorisation_id)
        ).all()
    )
    return [
        {"id": a.id, "enterprise_id": a.enterprise_id, "firm_name": firms.get(a.enterprise_id, ""),
         "year": a.year, "quota": a.quota, "used": int(used.get(a.id, 0)),
         "granted_on": a.granted_on, "expires_on": a.expires_on,
         "in_force": a.granted_on <= today <= a.expires_on,
         "reasons": [str(r.get("line", "")) for r in a.reasons]}
        for a in items
    ]  # fmt: skip


# ---------------------------------------------------------------- the industry talent map

SCARCITY_RANK = {"other": 0, "secondary": 1, "college": 2, "bachelor": 3, "master": 4, "doctor": 4}
STATISTICS_PURPOSES = ("employment", "talent_map")  # consents that allow counting a person


@dataclass(frozen=True)
class MapCell:
    """Demand and supply of one occupation at one chain node, with its scarcity."""

    chain: str | None
    chain_name: str
    node: str | None
    node_name: str
    occupation_code: str | None
    occupation_name: str
    demand: int  # openings of open posts
    posts: int
    supply: int  # people counted (with a consent to statistics)
    education: str  # the most common minimum education required, or 未说明
    experience_years: float | None  # mean minimum, weighted by openings
    salary_median_yuan: int | None  # median of the posts' offers (midpoints), per year
    index: int | None
    level: str
    scores: dict[str, int]

    @property
    def ratio(self) -> str:
        return f"{self.supply / self.demand:.2f}" if self.demand else "—"

    @property
    def salary(self) -> str:
        return f"{wan(self.salary_median_yuan)} 万元/年" if self.salary_median_yuan else "未说明"


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _midpoint(post: Post) -> float | None:
    known = [v for v in (post.salary_min_yuan, post.salary_max_yuan) if v is not None]
    return sum(known) / len(known) if known else None


def talent_map(
    session: Session, *, actor: Actor, chain: str | None = None,
    table: Mapping[str, str] | None = None,
) -> list[MapCell]:  # fmt: skip
    """Demand (open posts) against supply (people who consented to statistics) per chain node
    and occupation, with the scarcity index (see `scarcity`); counts only, no personal data."""
    actor.require_staff("产业人才地图只对园区工作人员开放", Permission.TALENT_READ)
    atlas = {c.spec.id: c for c in chains_service.chains(session, actor=actor)}
    posts = list(session.scalars(sa.select(Post).where(Post.is_open)))
    counted = sa.select(Consent.person_id).where(
        Consent.purpose.in_(STATISTICS_PURPOSES), Consent.withdrawn_on.is_(None)
    )
    supply_rows = session.execute(
        sa.select(Person.chain, Person.node, Person.occupation_code, sa.func.count())
        .where(Person.id.in_(counted))
        .group_by(Person.chain, Person.node, Person.occupation_code)
    ).all()
    supply = {(c, n, o): int(k) for c, n, o, k in supply_rows}
    zone_median = _median([m for p in posts if (m := _midpoint(p)) is not None])
    groups: dict[tuple[str | None, str | None, str | None], list[Post]] = {}
    for post in posts:
        groups.setdefault((post.chain, post.node, post.occupation_code), []).append(post)
    for key in supply:
        groups.setdefault(key, [])
    cells = []
    for (chain_key, node_key, code), items in groups.items():
        if chain is not None and chain_key != chain:
            continue
        demand = sum(p.openings for p in items)
        stated = [p for p in items if p.education is not None]
        education_rank = (
            sum(SCARCITY_RANK.get(p.education or "", 0) * p.openings for p in stated)
            / sum(p.openings for p in stated)
            if stated else None
        )  # fmt: skip
        with_years = [p for p in items if p.experience_years is not None]
        years = (
            sum((p.experience_years or 0) * p.openings for p in with_years)
            / sum(p.openings for p in with_years)
            if with_years else None
        )  # fmt: skip
        offer = _median([m for p in items if (m := _midpoint(p)) is not None])
        relative = offer / zone_median if offer is not None and zone_median else None
        rating = scarcity.rate(
            supply=supply.get((chain_key, node_key, code), 0), demand=demand,
            education_rank=education_rank, experience_years=years, salary_relative=relative,
        )  # fmt: skip
        common = max(
            {p.education for p in stated},
            key=lambda e: sum(p.openings for p in stated if p.education == e),
            default=None,
        )
        found = atlas.get(chain_key or "")
        node_name = ""
        if found is not None and node_key:
            node_name = next((n.name for n in found.spec.nodes if n.key == node_key), node_key)
        cells.append(
            MapCell(
                chain=chain_key, chain_name=found.spec.name if found else "未归链",
                node=node_key, node_name=node_name or ("—" if found else ""),
                occupation_code=code,
                occupation_name=(table or {}).get(code or "", "") if code else "职业未归类",
                demand=demand, posts=len(items),
                supply=supply.get((chain_key, node_key, code), 0),
                education=EDUCATION.get(common or "", "未说明"), experience_years=years,
                salary_median_yuan=None if offer is None else int(offer), index=rating.index,
                level=rating.level, scores=rating.scores,
            )
        )  # fmt: skip
    return sorted(cells, key=lambda c: (-(c.index or 0), -c.demand, c.chain_name, c.node_name))


@dataclass(frozen=True)
class TrendRow:
    """Demand and supply of one occupation at one chain node, year by year."""

    chain_name: str
    node_name: str
    occupation_code: str | None
    occupation_name: str
    years: dict[int, tuple[int, int]]  # year → (demand: openings posted that year, supply)

    def change(self, years: Sequence[int]) -> tuple[int, int] | None:
        """Demand and supply of the last year less the year before (None: one year only)."""
        if len(years) < 2:
            return None
        last, before = self.years.get(years[-1], (0, 0)), self.years.get(years[-2], (0, 0))
        return last[0] - before[0], last[1] - before[1]


def talent_trends(
    session: Session, *, actor: Actor, chain: str | None = None,
    table: Mapping[str, str] | None = None, last: int = 5,
) -> tuple[list[int], list[TrendRow]]:  # fmt: skip
    """The map across the years the data has dates for (at most the last `last`): demand is the
    openings of the posts entered in the year (open or since closed), supply the people on record
    at its end who consented to statistics. Counts only."""
    actor.require_staff("产业人才地图只对园区工作人员开放", Permission.TALENT_READ)
    post_year = sa.extract("year", Post.created_at)
    person_year = sa.extract("year", Person.created_at)
    demand_rows = session.execute(
        sa.select(
            Post.chain, Post.node, Post.occupation_code, post_year, sa.func.sum(Post.openings)
        ).group_by(Post.chain, Post.node, Post.occupation_code, post_year)
    ).all()  # fmt: skip
    counted = sa.select(Consent.person_id).where(
        Consent.purpose.in_(STATISTICS_PURPOSES), Consent.withdrawn_on.is_(None)
    )
    supply_rows = session.execute(
        sa.select(Person.chain, Person.node, Person.occupation_code, person_year, sa.func.count())
        .where(Person.id.in_(counted))
        .group_by(Person.chain, Person.node, Person.occupation_code, person_year)
    ).all()  # fmt: skip
    years = sorted({int(r[3]) for r in demand_rows} | {int(r[3]) for r in supply_rows})[-last:]
    if not years:
        return [], []
    demand: dict[tuple[str | None, str | None, str | None], dict[int, int]] = {}
    for c, n, o, y, k in demand_rows:
        demand.setdefault((c, n, o), {})[int(y)] = int(k or 0)
    entered: dict[tuple[str | None, str | None, str | None], dict[int, int]] = {}
    for c, n, o, y, k in supply_rows:
        entered.setdefault((c, n, o), {})[int(y)] = int(k)
    atlas = {c.spec.id: c for c in chains_service.chains(session, actor=actor)}
    rows = []
    for key in sorted(set(demand) | set(entered), key=lambda k: tuple(v or "" for v in k)):
        chain_key, node_key, code = key
        if chain is not None and chain_key != chain:
            continue
        found = atlas.get(chain_key or "")
        node_name = ""
        if found is not None and node_key:
            node_name = next((n.name for n in found.spec.nodes if n.key == node_key), node_key)
        people = entered.get(key, {})
        per_year = {
            year: (demand.get(key, {}).get(year, 0),
                   sum(k for y, k in people.items() if y <= year))
            for year in years
        }  # fmt: skip
        if not any(d or p for d, p in per_year.values()):
            continue
        rows.append(
            TrendRow(
                found.spec.name if found else "未归链", node_name or ("—" if found else ""), code,
                (table or {}).get(code or "", "") if code else "职业未归类", per_year,
            )
        )  # fmt: skip
    return years, rows


CATALOGUE_HEADERS = [
    "产业链", "环节", "职业代码", "职业名称", "需求人数", "供给人数", "供需比", "学历要求",
    "经验要求（年）", "薪酬中位数（万元/年）", "紧缺指数", "紧缺程度",
]  # fmt: skip


def shortage_catalogue_xlsx(
    session: Session, *, actor: Actor, min_index: int = 3,
    table: Mapping[str, str] | None = None,
) -> bytes:  # fmt: skip
    """The 紧缺人才目录: occupations rated min_index and above, most scarce first."""
    cells = [
        c for c in talent_map(session, actor=actor, table=table)
        if c.index is not None and c.index >= min_index
    ]  # fmt: skip
    rows = [
        [c.chain_name, c.node_name, c.occupation_code or "", c.occupation_name, c.demand, c.supply,
         c.ratio, c.education,
         "" if c.experience_years is None else round(c.experience_years, 1),
         wan(c.salary_median_yuan), c.index, c.level]
        for c in cells
    ]  # fmt: skip
    book = xlsx.ListWorkbook()
    book.table(
        "紧缺人才目录", headers=CATALOGUE_HEADERS, rows=rows,
        widths=[14, 18, 12, 26, 10, 10, 8, 12, 12, 16, 10, 10], frozen_columns=2,
    )  # fmt: skip
    return book.close()


# ---------------------------------------------------------------- benefits (policy inputs)

# What the policy run may ask of the talent office's records: counts and sums per firm only,
# never a person's fields (PIPL: the minimum the rules need).
BENEFIT_SOURCES: dict[str, str] = {
    "recognised": "经认账或人才项目入选、且同意“人才政策兑现”的人数",
    "award_due": "人才项目当年到期、里程碑已确认的资助（万元）",
}


def benefit_people(
    session: Session, *, day: dt.date, enterprise_ids: Sequence[int] | None = None
) -> dict[int, set[int]]:
    """Firm → ids of its people who count for talent benefits on day: a recognition confirmed
    (认账) or a programme award decided by then, and a standing consent to 人才政策兑现."""
    from wulian.talent.programme_models import ProgrammeApplication

    consented = sa.select(Consent.person_id).where(
        Consent.purpose == "benefits", Consent.given_on <= day, Consent.withdrawn_on.is_(None)
    )
    recognised = sa.select(Recognition.person_id).where(
        Recognition.state == "approved", Recognition.decided_on <= day
    )
    awarded = sa.select(ProgrammeApplication.person_id).where(
        ProgrammeApplication.state == "awarded", ProgrammeApplication.decided_on <= day
    )
    query = sa.select(Person.enterprise_id, Person.id).where(
        Person.enterprise_id.is_not(None),
        Person.id.in_(consented),
        Person.id.in_(recognised) | Person.id.in_(awarded),
    )
    if enterprise_ids is not None:
        query = query.where(Person.enterprise_id.in_(list(enterprise_ids)))
    out: dict[int, set[int]] = {}
    for firm, person in session.execute(query):
        if firm is not None:  # the query asks for firms' people only
            out.setdefault(int(firm), set()).add(int(person))
    return out


def benefit_inputs(
    session: Session, *, actor: Actor, source: str, year: int,
    enterprise_ids: Sequence[int] | None = None,
) -> dict[int, float]:  # fmt: skip
    """Per firm, the value of a talent source of a policy input for year (see BENEFIT_SOURCES):
    counts and sums only; firms with none are left out (the policy reads them as 0 people)."""
    from wulian.talent.programme_models import AwardInstalment, ProgrammeApplication

    if actor.enterprise_id is not None and (
        enterprise_ids is None or set(enterprise_ids) - {actor.enterprise_id}
    ):  # a firm's policy calculator: its own counts only
        raise PermissionDenied("企业只能计算本企业的人才政策")
    if source not in BENEFIT_SOURCES:
        raise InvalidInput(f"人才数据中没有“{source}”", field="source", value=source)
    day = dt.date(year, 12, 31)
    if source == "recognised":
        people = benefit_people(session, day=day, enterprise_ids=enterprise_ids)
        return {firm: float(len(ids)) for firm, ids in people.items()}
    query = (
        sa.select(ProgrammeApplication.enterprise_id, sa.func.sum(AwardInstalment.amount_yuan))
        .join(ProgrammeApplication, ProgrammeApplication.id == AwardInstalment.application_id)
        .where(
            ProgrammeApplication.state == "awarded",
            ProgrammeApplication.enterprise_id.is_not(None),
            AwardInstalment.year == year,
            AwardInstalment.met_on.is_not(None),
            AwardInstalment.met_on <= day,
        )
        .group_by(ProgrammeApplication.enterprise_id)
    )
    if enterprise_ids is not None:
        query = query.where(ProgrammeApplication.enterprise_id.in_(list(enterprise_ids)))
    return {
        int(firm): float(total) / 10_000
        for firm, total in session.execute(query)
        if firm is not None
    }


def check_staff_member(session: Session, *, enterprise_id: int, person_id: int) -> None:
    """InvalidInput unless person_id is one of the firm's registered people (a request linked to
    a person, for example); the message says nothing about other firms' people."""
    person = session.get(Person, person_id)
    if person is None or person.enterprise_id != enterprise_id:
        raise InvalidInput(
            f"人员编号 {person_id} 不是本企业登记的人员", field="attribute[talent_person]",
            value=str(person_id),
        )  # fmt: skip

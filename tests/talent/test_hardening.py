"""Findings of the talent domain's security review, each held by a test: identity cells never
echoed by an import; suggestions run after the import in a unit of work of their own, an
unreadable model file or a missing occupation file never fails a request, two fillers never
overwrite a reviewed post; the programme candidates cut in the database and only the consented
listed; digits such as '²' refused cleanly; another firm's person answered as not found; refused
attempts recorded; a person's edit audited by field names only."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM, csrf_from, login, page_csrf, post_form
from tests.talent.conftest import KEYS, TODAY, identity, person
from tests.talent.test_imports import POST_HEADERS, STAFF_HEADERS, book, staff_row
from tests.talent.test_occupation_suggestions import SMALL, _posts, _state
from tests.talent.test_programmes import ALL, setup  # noqa: F401 - the fixture
from wulian.chains import service as chains
from wulian.core.audit.models import AuditEntry
from wulian.core.audit.service import MASK
from wulian.talent import imports, occupations, programmes, schemas, service, views
from wulian.talent.crypto import mask
from wulian.talent.models import Person, Post


def _all(world, statement) -> list:
    return world.run(
        lambda s: [
            s.expunge(r) or r if hasattr(r, "_sa_instance_state") else r
            for r in s.scalars(statement)
        ]
    )


def _count(world, action: str) -> int:
    return int(world.scalar(sa.select(sa.func.count()).where(AuditEntry.action == action)))


@pytest.fixture
def atlas(world, zone):
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    return zone


def _import(world, actor, data, kind=imports.STAFF):
    return world.run(
        lambda s: imports.run_import(
            s, kind=kind, actor=actor, keys=KEYS, today=TODAY, data=data, filename="名单.xlsx",
            dry_run=True,
        )
    )  # fmt: skip


# ---------------------------------------------------------------- 1. identity cells (PIPL)


def test_an_identity_number_excel_kept_as_a_number_is_not_echoed(world, atlas):
    actor = atlas.actor(world, "firm_a_user")
    rows = [staff_row(1, id="330102199001011311")]
    report = _import(world, actor, book(STAFF_HEADERS, rows, numbers=(1,)))
    (problem,) = report.problems
    assert "文本" in problem.reason
    assert problem.value is None  # 3.301021990010113E+17 holds 16 of the 18 digits
    assert "3301021990" not in str(report.problems)
    assert "E+17" not in str(report.problems)


@pytest.mark.parametrize("fragment", ["33080219", "3308021990051", "33080219900517001"])
def test_a_fragment_of_an_identity_number_is_not_echoed(world, atlas, fragment):
    actor = atlas.actor(world, "firm_a_user")
    report = _import(world, actor, book(STAFF_HEADERS, [staff_row(1, id=fragment)]))
    (problem,) = report.problems
    assert problem.value is None
    assert "应为 18 位" in problem.reason
    assert fragment not in str(report.problems)
    assert fragment not in problem.reason


def test_the_api_problem_masks_any_identity_cell():
    whole = identity(7)
    shown = schemas.ProblemOut(row=2, column="身份证号码", value=whole, reason="x")
    assert shown.value == mask(whole)
    again = schemas.ProblemOut(row=2, column="身份证号", value=mask(whole), reason="x")
    assert again.value == mask(whole)
    cut = schemas.ProblemOut(row=2, column="身份证号", value="3.301021990010113E+17", reason="x")
    assert cut.value is None
    other = schemas.ProblemOut(row=2, column="学历", value="博士后", reason="x")
    assert other.value == "博士后"


def test_the_api_422_does_not_echo_an_excel_number(world, atlas, make_client):
    client = make_client()
    login(client, "firm_a_user")
    rows = [staff_row(1, id="330102199001011311")]
    answer = client.post(
        "/api/v1/talent/import/staff", files={"file": ("名单.xlsx", book(STAFF_HEADERS, rows,
                                                                          numbers=(1,)))},
        data={"csrf_token": page_csrf(client, "/talent")},
    )  # fmt: skip
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["value"] is None
    assert "3.30102" not in answer.text


# ---------------------------------------------------------------- 2. suggestions after the import


@pytest.fixture
def small_settings(settings, tmp_path):
    table = tmp_path / "small.csv"
    table.write_text(SMALL, encoding="utf-8")
    return settings.model_copy(update={"occupations_file": table})


@pytest.fixture
def small_app(small_settings, engine):
    from wulian.web.app import create_app

    return create_app(small_settings, engine=engine)


def _client(app, username):
    from fastapi.testclient import TestClient

    client = TestClient(app, follow_redirects=False)
    client.__enter__()
    login(client, username)
    return client


def _import_posts(client, titles):
    data = book(POST_HEADERS, [[t, "本科", "3", "", "", "2", "", "", ""] for t in titles])
    page = client.get("/talent/import/posts")
    checked = client.post(
        "/talent/import/posts", files={"file": ("岗位.xlsx", data)},
        data={"csrf_token": csrf_from(page.text)},
    )  # fmt: skip
    assert checked.status_code == 200, checked.text
    token = re.search(r"/talent/import/posts/([^/\"]+)/commit", checked.text).group(1)
    return post_form(client, f"/talent/import/posts/{token}/commit", {}, "/talent/import/posts")


def _model_file(app, settings) -> Path:
    store = views.occupation_store(app)
    return store.path(occupations.source_of(settings.occupations_file, None).key)


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 cut short", b"\x93NUMPY"])
def test_an_unreadable_model_file_neither_fails_the_import_nor_the_page(
    world, atlas, small_app, small_settings, damage
):
    path = _model_file(small_app, small_settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(damage)
    firm = _client(small_app, "firm_a_user")
    done = _import_posts(firm, ["电池材料研发工程师"])
    assert done.status_code == 200
    assert "已导入 1 行" in done.text
    assert world.scalar(sa.select(Post.suggestion_state)) == "pending"  # waits for the model
    assert not path.exists()
    assert path.with_name(path.name + ".bad").exists()  # moved aside, to be built again
    office = _client(small_app, "talent_officer")
    page = office.get("/talent/occupations")
    assert page.status_code == 200
    assert 'data-state="absent"' in page.text


def test_suggestions_run_after_the_import_as_the_system_for_every_firm(
    world, atlas, small_app, small_settings, tmp_path_factory
):
    store = occupations.ModelStore(tmp_path_factory.mktemp("models"))
    source = occupations.source_of(small_settings.occupations_file, None)
    store.build(source)
    target = _model_file(small_app, small_settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(store.path(source.key), target)
    (other,) = _posts(world, atlas.actor(world, "firm_b_user"), "高分子材料研发工程师")
    firm = _client(small_app, "firm_a_user")
    done = _import_posts(firm, ["电池材料研发工程师"])
    assert "已导入 1 行" in done.text
    mine = world.scalar(sa.select(Post.id).where(Post.enterprise_id == atlas.firm_a))
    assert _state(world, mine)[0] in ("suggested", "review")
    assert _state(world, other)[0] in ("suggested", "review")  # another firm's post
    entry = world.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "talent.occupation_suggest")
    )
    assert (entry.actor_kind, entry.actor_label) == ("system", views.OCCUPATION_LABEL)
    # the import itself is the firm user's, written before the suggestion
    written = world.scalar(sa.select(AuditEntry).where(AuditEntry.action == "talent.import_posts"))
    assert written.actor_label == "firm_a_user"
    assert written.id < entry.id


def test_a_failing_suggestion_leaves_the_import_written(world, atlas, small_app, monkeypatch):
    def broken(*args, **kwargs):
        raise EOFError("cut short")

    monkeypatch.setattr(occupations.ModelStore, "get", broken)
    firm = _client(small_app, "firm_a_user")
    done = _import_posts(firm, ["电池材料研发工程师"])
    assert done.status_code == 200
    assert world.scalar(sa.select(Post.suggestion_state)) == "pending"


def test_a_missing_occupation_file_is_a_clear_state(world, atlas, settings, engine, tmp_path):
    from wulian.web.app import create_app

    gone = settings.model_copy(update={"occupations_file": tmp_path / "gone.csv"})
    app = create_app(gone, engine=engine)
    office = _client(app, "talent_officer")
    page = office.get("/talent/occupations")
    assert page.status_code == 200
    assert "设置中配置的职业分类文件不存在（gone.csv）" in page.text
    assert 'data-state="none"' in page.text
    firm = _client(app, "firm_a_user")
    done = _import_posts(firm, ["电池材料研发工程师"])
    assert "已导入 1 行" in done.text


# ---------------------------------------------------------------- 4. builds and fillers


def test_a_build_holds_an_os_lock_that_a_dead_process_does_not_keep(tmp_path, monkeypatch):
    table = tmp_path / "small.csv"
    table.write_text(SMALL, encoding="utf-8")
    source = occupations.source_of(table, None)
    store = occupations.ModelStore(tmp_path / "models")
    assert store.state(source) == "absent"
    held = store._take(source.key)  # another process building
    assert held is not None
    assert store.state(source) == "building"
    assert occupations.ModelStore(tmp_path / "models").start(source) is None  # not a second
    os.close(held)  # the process ended: its lock is gone at once, no stale hour
    assert store.state(source) == "absent"
    lock = store._lock_path(source.key)
    with lock.open("rb") as handle:  # the lock file stays: it is never a marker to remove
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_a_late_filler_never_overwrites_a_reviewed_post(world, zone, monkeypatch, tmp_path):
    table = tmp_path / "small.csv"
    table.write_text(SMALL, encoding="utf-8")
    store = occupations.ModelStore(tmp_path / "models")
    model = store.build(occupations.source_of(table, None))
    first, second = _posts(world, zone.actor(world, "firm_a_user"), "行政前台", "软件工程师")
    office = zone.actor(world, "talent_officer")
    real = occupations.suggest

    def slow(model, titles):  # the office reviews while the filler computes
        world.run(
            lambda s: s.execute(
                sa.update(Post).where(Post.id == first)
                .values(suggestion_state="reviewed", occupation_code="2-02-29-04")
            )
        )  # fmt: skip
        return real(model, titles)

    monkeypatch.setattr(occupations, "suggest", slow)
    done = world.run(lambda s: service.fill_suggestions(s, model=model))
    assert _state(world, first)[:2] == ("reviewed", "2-02-29-04")
    assert _state(world, second)[0] in ("suggested", "review")
    assert sum(done) == 1
    entry = world.scalar(
        sa.select(AuditEntry.after).where(AuditEntry.action == "talent.occupation_suggest")
    )
    assert first not in entry["suggested"] + entry["review"]
    assert office  # the review itself is the office's (see test_occupation_suggestions)


# ---------------------------------------------------------------- 3. and 5. candidates


def test_candidates_list_only_the_consented_and_count_the_others(world, zone, setup):  # noqa: F811
    firm = zone.actor(world, "firm_a_user")
    person(
        world, firm, identity_number=identity(61), name="李未同",
        consents={"employment": dt.date(2026, 6, 1)},
    )  # fmt: skip
    listed, matched, unconsented = world.run(
        lambda s: programmes.candidates(s, actor=firm, keys=KEYS, round_id=setup["round"])
    )
    assert {c.name for c in listed} == {"李海涛", "赵子琪"}
    assert (matched, unconsented) == (2, 1)
    read = world.scalar(
        sa.select(AuditEntry.after).where(AuditEntry.action == "talent.people_read")
    )
    assert sorted(read["ids"]) == sorted([setup["a1"], setup["a2"]])  # not the unconsented
    found = world.run(
        lambda s: programmes.candidates(s, actor=firm, keys=KEYS, round_id=setup["round"],
                                        search="李")
    )  # fmt: skip
    assert ([c.name for c in found[0]], found[1], found[2]) == (["李海涛"], 1, 1)


def test_candidates_are_cut_in_the_database(world, zone, setup):  # noqa: F811
    office = zone.actor(world, "talent_officer")
    consents = dict.fromkeys(ALL, dt.date(2026, 6, 1))

    def many(s):
        for i in range(programmes.MAX_CANDIDATES + 5):
            service.create_person(
                s, actor=office, keys=KEYS, today=TODAY,
                data=service.NewPerson(
                    name=f"钱{i:03d}", identity_number=identity(100 + i), consents=consents,
                    enterprise_id=zone.firm_a,
                ),
            )  # fmt: skip

    world.run(many)
    statements: list[str] = []

    def seen(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(world.engine, "before_cursor_execute", seen)
    try:
        listed, matched, _ = world.run(
            lambda s: programmes.candidates(s, actor=office, keys=KEYS, round_id=setup["round"])
        )
    finally:
        sa.event.remove(world.engine, "before_cursor_execute", seen)
    assert len(listed) == programmes.MAX_CANDIDATES
    assert matched == programmes.MAX_CANDIDATES + 5 + 3
    people = [q.upper() for q in statements if "FROM TALENT_PEOPLE" in q.upper()]
    assert people
    assert all("LIMIT" in q or "COUNT(" in q for q in people)  # no read of every person
    assert not any("TALENT_CONSENTS" in q and " IN (" in q for q in people)


@pytest.mark.parametrize("search", ["²", "¹²", "99999999999999999999", "#３"])
def test_odd_digits_in_the_search_find_nobody_without_an_error(world, zone, setup, search):  # noqa: F811
    firm = zone.actor(world, "firm_a_user")
    listed, matched, _ = world.run(
        lambda s: programmes.candidates(s, actor=firm, keys=KEYS, round_id=setup["round"],
                                        search=search)
    )  # fmt: skip
    assert (listed, matched) == ([], 0)


def test_odd_digits_as_confirmed_rows_are_left_out(world, atlas, make_client):
    client = make_client()
    login(client, "firm_a_user")
    data = book(STAFF_HEADERS, [staff_row(1)])
    csrf = {"csrf_token": page_csrf(client, "/talent")}
    answer = client.post(
        "/api/v1/talent/import/staff", files={"file": ("名单.xlsx", data)},
        data={"confirm": "²,2,99999999999999999999"} | csrf,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert views.row_numbers(["²", " 3 ", "x", str(2**31), "12"]) == {3, 12}
    page = client.get("/talent/import/staff")
    checked = client.post(
        "/talent/import/staff", data={"csrf_token": csrf_from(page.text)},
        files={"file": ("名单.xlsx", book(STAFF_HEADERS, [staff_row(2)]))},
    )  # fmt: skip
    token = checked.text.split('action="/talent/import/staff/')[1].split('"')[0]
    done = client.post(
        f"/talent/import/staff/{token}",
        data={"csrf_token": csrf_from(checked.text), "confirm": ["²", "2"]},
    )  # fmt: skip
    assert done.status_code == 200
    assert "已导入 1 行" in done.text


# ---------------------------------------------------------------- 6. another firm's person


def test_another_firms_person_is_answered_as_not_found_and_recorded_once(world, zone, make_client):
    theirs = person(world, zone.actor(world, "firm_a_user"))
    client = make_client()
    login(client, "firm_b_user")
    for path in (f"/api/v1/talent/people/{theirs}", f"/talent/people/{theirs}/edit",
                 f"/talent/people?person={theirs}"):  # fmt: skip
        assert client.get(path).status_code == 404
        assert client.get(path.replace(str(theirs), str(theirs + 999))).status_code == 404
    attempts = list(
        _all(world, sa.select(AuditEntry.after).where(AuditEntry.action == "talent.refused"))
    )
    assert len(attempts) == 3  # once per probe of an existing person, none for the unknown id
    assert {a["code"] for a in attempts} == {"not_found"}
    staff = make_client()
    login(staff, "other_officer")  # staff outside the office: refused as before
    assert staff.get(f"/api/v1/talent/people/{theirs}").status_code == 403


# ---------------------------------------------------------------- 7. refusals recorded


def test_refused_imports_and_model_builds_are_recorded(world, zone, make_client, settings):
    token = world.token("只读", ["enterprises:read"], settings.session_secret,
                        enterprise_id=zone.firm_a)  # fmt: skip
    client = make_client()
    refused = client.post(
        "/api/v1/talent/import/staff", headers={"Authorization": f"Bearer {token}"},
        files={"file": ("名单.xlsx", book(STAFF_HEADERS, [staff_row(1)]))},
    )  # fmt: skip
    assert refused.status_code == 403
    assert _count(world, "talent.refused") == 1
    analyst = make_client()
    login(analyst, "analyst")
    built = post_form(analyst, "/talent/occupations/model", {}, "/talent")
    assert built.status_code == 403
    attempts = list(
        _all(world, sa.select(AuditEntry.after).where(AuditEntry.action == "talent.refused"))
    )
    assert {a["attempt"] for a in attempts} == {"导入企业人员名单（接口）", "建立职业分类模型"}
    assert world.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


# ---------------------------------------------------------------- 8. edits audited by name


def test_an_edit_is_audited_by_the_names_of_the_fields_only(world, zone, make_client):
    pid = person(world, zone.actor(world, "firm_a_user"))
    client = make_client()
    login(client, "talent_officer")
    sent = {
        "education": "doctor",
        "salary_band": "50_100",
        "major": "电化学储能",
        "experience_years": "8",
        "region_code": "330802",
        "honour_level": "provincial",
    }
    done = post_form(client, f"/talent/people/{pid}/edit", sent, f"/talent/people/{pid}/edit")
    assert done.status_code == 303
    (entry,) = _all(world,
        sa.select(AuditEntry).where(
            AuditEntry.action == "update", AuditEntry.object_type == "talent_people",
            AuditEntry.object_id == str(pid),
        )
    )  # fmt: skip
    assert set(entry.after) >= {"education", "salary_band", "major", "experience_years"}
    personal = {k: v for k, v in entry.after.items() if k != "updated_at"}
    assert set(personal.values()) == {MASK}
    assert {v for k, v in entry.before.items() if k != "updated_at"} <= {MASK}
    rows = list(_all(world, sa.select(AuditEntry)))
    text = str([(r.before, r.after) for r in rows if r.object_type == "talent_people"])
    for value in ("doctor", "50_100", "电化学储能", "330802", "provincial", "master"):
        assert value not in text

"""Posts entered without an occupation code get one suggested by the occupation model: built once
per table in the background and kept on disk (never in a request); until it is, posts wait as
待建议; low-confidence suggestions wait for the talent office's review (accept or choose another
code of the table), audited; other departments and firms are refused."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM, csrf_from, login, post_form
from tests.talent.conftest import KEYS, TODAY, identity
from tests.talent.test_imports import POST_HEADERS, STAFF_HEADERS, book, staff_row
from wulian.chains import service as chains
from wulian.core.audit.models import AuditEntry
from wulian.talent import occupations, service, views
from wulian.talent.models import Person, Post

SMALL = """level,code,name,parent_code,definition,tasks
1,2-00-00-00,专业技术人员,,从事专业技术工作的人员。,
2,2-02-00-00,工程技术人员,2-00-00-00,从事工程技术工作的人员。,
3,2-02-10-00,信息和通信工程技术人员,2-02-00-00,从事信息和通信工程技术的人员。,
4,2-02-10-03,软件工程技术人员,2-02-10-00,从事计算机软件需求分析、设计、开发、测试和维护的工程技术人员。,1.分析软件需求 2.设计软件架构 3.编写程序代码 4.测试软件
4,2-02-10-09,数据分析处理工程技术人员S,2-02-10-00,从事数据采集、清洗、分析和挖掘的工程技术人员。,1.采集数据 2.清洗和分析数据 3.建立数据模型
3,2-02-29-00,新材料工程技术人员,2-02-00-00,从事新材料研究开发的人员。,
4,2-02-29-03,电池材料工程技术人员,2-02-29-00,从事锂离子电池正极材料、负极材料、电解液等电池材料研发和工艺的工程技术人员。,1.研发电池正极材料 2.改进负极材料工艺 3.测试电池材料性能
4,2-02-29-04,高分子材料工程技术人员,2-02-29-00,从事塑料、橡胶、纤维等高分子材料研发的工程技术人员。,1.研发高分子材料 2.设计聚合工艺
"""  # noqa: E501


@pytest.fixture(scope="session")
def small_table(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("occupations") / "small.csv"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def built(small_table, tmp_path_factory) -> Path:
    """The small table's model file, trained once for the session."""
    store = occupations.ModelStore(tmp_path_factory.mktemp("models"))
    source = occupations.source_of(small_table, None)
    store.build(source)
    return store.path(source.key)


@pytest.fixture
def settings(settings, small_table):
    return settings.model_copy(update={"occupations_file": small_table})


def _posts(world, actor, *titles: str, code: str = "") -> list[int]:
    def create(s) -> list[int]:
        return [
            service.create_post(
                s, actor=actor, data=service.NewPost(title=t, openings=2, occupation_code=code)
            ).id
            for t in titles
        ]

    return world.run(create)


def _state(world, post_id: int) -> tuple[str, str | None, str | None, float | None]:
    post = world.scalar(sa.select(Post).where(Post.id == post_id))
    return post.suggestion_state, post.occupation_code, post.suggested_code, post.suggestion_score


def test_a_post_without_a_code_waits_for_the_model_then_is_suggested(
    world, zone, app, settings, small_table, built, make_client
):
    firm = zone.actor(world, "firm_a_user")
    given, java, front = _posts(world, firm, "电池工程师", "高级Java开发工程师", "行政前台")
    world.run(lambda s: s.get(Post, given).__setattr__("suggestion_state", ""))
    assert _state(world, java)[0] == "pending"  # 待建议: no model yet, nothing trained here
    client = make_client()
    login(client, "talent_officer")
    page = client.get("/talent/occupations")
    assert page.status_code == 200
    assert 'data-state="absent"' in page.text
    assert "待建议 2 个" in page.text
    # the office builds the model: in a thread of its own, the posts filled when it is done
    source = occupations.source_of(small_table, None)
    thread = views.build_in_background(app, source)
    assert thread is not None
    thread.join(timeout=300)
    state, code, suggested, score = _state(world, java)
    assert (state, code, suggested) == ("suggested", "2-02-10-03", "2-02-10-03")
    assert score is not None
    assert score >= occupations.engine.THRESHOLD
    state, code, suggested, _ = _state(world, front)
    assert (state, code) == ("review", None)  # no shared word: the office decides
    assert (Path(settings.data_dir) / "models" / built.name).exists()  # kept on disk
    entry = world.scalar(
        sa.select(AuditEntry.after).where(AuditEntry.action == "talent.occupation_suggest")
    )
    assert entry == {"suggested": [java], "review": [front]}
    page = client.get("/talent/occupations")
    assert 'data-state="ready"' in page.text
    assert "行政前台" in page.text
    # taken without review: not in the review queue, listed apart for the office to correct
    queue = page.text.split('id="occupation-review"')[1].split("</table>")[0]
    assert "高级Java开发工程师" not in queue
    taken = page.text.split('id="taken-posts"')[1].split("</table>")[0]
    assert "高级Java开发工程师" in taken


def test_a_cached_model_fills_posts_in_the_request(world, zone, app, settings, built, make_client):
    (Path(settings.data_dir) / "models").mkdir(parents=True, exist_ok=True)
    shutil.copy(built, Path(settings.data_dir) / "models" / built.name)
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    client = make_client()
    login(client, "firm_a_user")
    data = book(POST_HEADERS, [["正极材料研发工程师", "本科", "3", "", "", "2", "", "", ""]])
    token_page = client.get("/talent/import/posts")
    checked = client.post(
        "/talent/import/posts", files={"file": ("岗位.xlsx", data)},
        data={"csrf_token": csrf_from(token_page.text)},
    )  # fmt: skip
    assert checked.status_code == 200, checked.text
    token = re.search(r"/talent/import/posts/([^/\"]+)/commit", checked.text).group(1)
    done = post_form(client, f"/talent/import/posts/{token}/commit", {}, "/talent/import/posts")
    assert done.status_code == 200
    post_id = world.scalar(sa.select(Post.id))
    assert _state(world, post_id)[:2] == ("suggested", "2-02-29-03")


def test_the_office_reviews_a_low_confidence_suggestion(world, zone, app, settings, built,
                                                        make_client):  # fmt: skip
    (Path(settings.data_dir) / "models").mkdir(parents=True, exist_ok=True)
    shutil.copy(built, Path(settings.data_dir) / "models" / built.name)
    (front,) = _posts(world, zone.actor(world, "firm_a_user"), "行政前台")
    store = views.occupation_store(app)
    model = store.get(occupations.source_of(settings.occupations_file, None))
    assert model is not None
    world.run(lambda s: service.fill_suggestions(s, model=model))
    client = make_client()
    login(client, "talent_officer")
    # a code not in the table: a clear message, nothing changed
    bad = post_form(client, f"/talent/posts/{front}/occupation", {"code": "2-02-99-99"},
                    "/talent/occupations")  # fmt: skip
    assert bad.status_code == 422
    assert "职业分类大典（2022）中没有职业代码“2-02-99-99”" in bad.text
    assert _state(world, front)[0] == "review"
    shape = post_form(client, f"/talent/posts/{front}/occupation", {"code": "前台"},
                      "/talent/occupations")  # fmt: skip
    assert shape.status_code == 422
    assert "格式不对" in shape.text
    chosen = post_form(client, f"/talent/posts/{front}/occupation", {"code": "2-02-29-04"},
                       "/talent/occupations")  # fmt: skip
    assert chosen.status_code == 303
    assert _state(world, front)[:2] == ("reviewed", "2-02-29-04")
    entry = world.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "talent.occupation_review")
    )
    assert entry.object_id == str(front)
    assert entry.after["occupation_code"] == "2-02-29-04"
    assert entry.after["accepted"] is False
    assert entry.before["state"] == "review"
    assert "行政前台" not in client.get("/talent/occupations").text


@pytest.mark.parametrize("username", ["other_officer", "analyst", "firm_a_user"])
def test_others_cannot_review_occupations(world, zone, app, settings, make_client, username):
    (post,) = _posts(world, zone.actor(world, "firm_a_user"), "行政前台")
    world.run(lambda s: s.get(Post, post).__setattr__("suggestion_state", "review"))
    client = make_client()
    login(client, username)
    assert client.get("/talent/occupations").status_code == 403
    refused = post_form(client, f"/talent/posts/{post}/occupation", {"code": "2-02-29-04"},
                        "/talent")  # fmt: skip
    assert refused.status_code == 403
    assert _state(world, post)[:2] == ("review", None)
    attempts = world.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "talent.refused"))
    assert attempts >= 1


def test_anonymous_is_sent_to_sign_in(make_client):
    client = make_client()
    assert client.get("/talent/occupations").status_code in (303, 401)


def test_the_model_key_follows_the_table_and_the_engine_version(small_table, tmp_path, monkeypatch):
    one = occupations.source_of(small_table, None)
    other = tmp_path / "other.csv"
    other.write_text(SMALL.replace("高分子材料", "复合材料"), encoding="utf-8")
    assert occupations.source_of(other, None).key != one.key
    monkeypatch.setattr(occupations, "ENGINE_VERSION", "occupations-next")
    assert occupations.source_of(small_table, None).key != one.key
    assert occupations.source_of(None, None) is None  # no table: no suggestions


def test_a_server_with_warm_up_builds_in_the_background_after_an_import(
    world, zone, app, settings, small_table
):
    app.state.settings = settings.model_copy(update={"warm_up": True})
    (post,) = _posts(world, zone.actor(world, "firm_a_user"), "数据分析师")

    state = views.suggest_posts(app)  # after an import has committed
    assert state == "building"
    store = views.occupation_store(app)
    for thread in list(store.threads.values()):
        thread.join(timeout=300)
    assert _state(world, post)[:2] == ("suggested", "2-02-10-09")
    assert TODAY  # the clock is not read


# ---------------------------------------------------------------- people


def _people(
    world, actor, *rows: tuple[list[str], str], code: str = "", first: int = 60
) -> list[int]:
    def create(s) -> list[int]:
        out = []
        for n, (skills, major) in enumerate(rows, start=first):
            data = service.NewPerson(
                name=f"测试{n}", identity_number=identity(n), skills=skills, major=major,
                occupation_code=code, consents={"employment": TODAY},
            )  # fmt: skip
            out.append(service.create_person(s, actor=actor, keys=KEYS, today=TODAY, data=data).id)
        return out

    return world.run(create)


def _person_state(world, person_id: int) -> tuple[str, str | None, str | None]:
    found = world.scalar(sa.select(Person).where(Person.id == person_id))
    return found.suggestion_state, found.occupation_code, found.suggested_code


def _cached(settings, built) -> None:
    (Path(settings.data_dir) / "models").mkdir(parents=True, exist_ok=True)
    shutil.copy(built, Path(settings.data_dir) / "models" / built.name)


def test_people_without_an_occupation_get_one_suggested_after_the_model_is_built(
    world, zone, app, settings, small_table
):
    firm = zone.actor(world, "firm_a_user")
    java, front = _people(world, firm, (["Java开发", "软件测试"], "计算机科学与技术"),
                          (["接待来访"], ""))  # fmt: skip
    (given,) = _people(world, firm, (["Java开发"], ""), code="2-02-29-04", first=69)
    assert _person_state(world, java) == ("pending", None, None)  # 待建议: nothing trained here
    assert _person_state(world, given)[:2] == ("", "2-02-29-04")
    thread = views.build_in_background(app, occupations.source_of(small_table, None))
    assert thread is not None
    thread.join(timeout=300)
    assert _person_state(world, java) == ("suggested", "2-02-10-03", "2-02-10-03")
    assert _person_state(world, front)[:2] == ("review", None)  # the office decides
    assert _person_state(world, given)[:2] == ("", "2-02-29-04")  # never overwritten
    entry = world.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "talent.person_occupation_suggest",
            AuditEntry.object_type == "talent_people",
        )
    )
    assert entry.after == {"suggested": [java], "review": [front]}  # ids only


def test_a_reviewed_person_is_never_overwritten_by_a_suggestion(world, zone, app, settings,
                                                                built):  # fmt: skip
    _cached(settings, built)
    (person_id,) = _people(world, zone.actor(world, "firm_a_user"), (["Java开发"], ""))
    # the office decided meanwhile (the occupation left blank): the filler leaves it alone
    world.run(lambda s: s.get(Person, person_id).__setattr__("suggestion_state", "reviewed"))
    model = views.occupation_store(app).get(occupations.source_of(settings.occupations_file, None))
    assert world.run(lambda s: service.fill_people_suggestions(s, model=model)) == (0, 0)
    assert _person_state(world, person_id) == ("reviewed", None, None)


def test_an_edit_that_blanks_the_occupation_is_suggested_after_the_save(
    world, zone, app, settings, built, make_client
):
    _cached(settings, built)
    (person_id,) = _people(world, zone.actor(world, "firm_a_user"), (["Java开发"], "软件工程"),
                           code="2-02-29-04")  # fmt: skip
    client = make_client()
    login(client, "firm_a_user")
    saved = post_form(client, f"/talent/people/{person_id}/edit", {"occupation_code": ""},
                      f"/talent/people/{person_id}/edit")  # fmt: skip
    assert saved.status_code == 303
    # filled after the response, as the system actor (the model was read from disk)
    assert _person_state(world, person_id) == ("suggested", "2-02-10-03", "2-02-10-03")
    # a suggestion the firm blanks again goes to the office, not back to the same guess
    again = post_form(client, f"/talent/people/{person_id}/edit", {"occupation_code": ""},
                      f"/talent/people/{person_id}/edit")  # fmt: skip
    assert again.status_code == 303
    assert _person_state(world, person_id) == ("review", None, "2-02-10-03")


def test_an_imported_staff_list_is_suggested_after_the_commit(
    world, zone, app, settings, built, make_client
):
    _cached(settings, built)
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    client = make_client()
    login(client, "firm_a_user")
    row = staff_row(71, skills="Java开发、软件测试", major="计算机科学与技术", chain="", node="")
    token_page = client.get("/talent/import/staff")
    checked = client.post(
        "/talent/import/staff", files={"file": ("名单.xlsx", book(STAFF_HEADERS, [row]))},
        data={"csrf_token": csrf_from(token_page.text)},
    )  # fmt: skip
    assert checked.status_code == 200, checked.text
    token = re.search(r"/talent/import/staff/([^/\"]+)/commit", checked.text).group(1)
    done = post_form(client, f"/talent/import/staff/{token}/commit", {}, "/talent/import/staff")
    assert done.status_code == 200
    person_id = world.scalar(sa.select(Person.id))
    assert _person_state(world, person_id)[:2] == ("suggested", "2-02-10-03")


def test_the_office_reviews_people_apart_from_posts_and_the_read_is_audited(
    world, zone, app, settings, built, make_client
):
    _cached(settings, built)
    firm = zone.actor(world, "firm_a_user")
    (front,) = _people(world, firm, (["接待来访"], "文秘"))
    (post,) = _posts(world, firm, "行政前台")
    model = views.occupation_store(app).get(occupations.source_of(settings.occupations_file, None))
    world.run(lambda s: views.fill_all(s, model))
    assert _person_state(world, front)[0] == "review"
    client = make_client()
    login(client, "talent_officer")
    page = client.get("/talent/occupations")
    assert page.status_code == 200
    posts_table = page.text.split('id="occupation-review"')[1].split("</table>")[0]
    people_table = page.text.split('id="people-occupation-review"')[1].split("</table>")[0]
    assert f'id="review-{post}"' in posts_table
    assert "测试60" not in posts_table
    assert f'id="person-review-{front}"' in people_table
    assert "测试60" in people_table
    assert "接待来访（文秘）" in people_table  # what the suggestion was made from
    assert identity(60) not in page.text
    assert identity(60)[-4:] not in people_table  # no identity number, not even masked
    assert "人员：" in page.text
    read = world.scalar(
        sa.select(AuditEntry.after)
        .where(AuditEntry.action == "talent.people_read")
        .order_by(AuditEntry.id)
        .limit(1)
    )
    assert read == {"purpose": "occupation_review", "ids": [front]}
    bad = post_form(client, f"/talent/people/{front}/occupation", {"code": "2-02-99-99"},
                    "/talent/occupations")  # fmt: skip
    assert bad.status_code == 422
    assert "职业分类大典（2022）中没有职业代码“2-02-99-99”" in bad.text
    assert _person_state(world, front)[:2] == ("review", None)
    chosen = post_form(client, f"/talent/people/{front}/occupation", {"code": "2-02-29-04"},
                       "/talent/occupations")  # fmt: skip
    assert chosen.status_code == 303
    assert _person_state(world, front)[:2] == ("reviewed", "2-02-29-04")
    entry = world.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "talent.person_occupation_review",
            AuditEntry.object_type == "talent_people",
        )
    )
    assert entry.object_id == str(front)
    assert entry.after == {"state": "reviewed", "accepted": False}  # no codes: personal data
    refusals = world.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "talent.refused")
    )
    assert refusals == 1  # the unknown code above was an attempt, recorded
    # the same review sent again (a double click) is already done: nothing more is written
    again = post_form(client, f"/talent/people/{front}/occupation", {"code": "2-02-29-04"},
                      "/talent/occupations")  # fmt: skip
    assert again.status_code == 303

    def reviews(session):
        return session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "talent.person_occupation_review")
        )

    assert world.run(reviews) == 1
    # a code the firm entered itself is not the office's to replace
    (own,) = _people(world, firm, (["接待来访"], "文秘"), code="2-02-10-03", first=61)
    theirs = post_form(client, f"/talent/people/{own}/occupation", {"code": "2-02-29-04"},
                       "/talent/occupations")  # fmt: skip
    assert theirs.status_code == 409
    assert "职业代码由企业自己填写，不在复核范围" in theirs.text
    assert _person_state(world, own)[:2] == ("", "2-02-10-03")
    assert world.run(reviews) == 1
    after = client.get("/talent/occupations").text
    assert f'id="person-review-{front}"' not in after
    assert f'id="review-{post}"' in after  # the post still waits


@pytest.mark.parametrize("username", ["other_officer", "analyst", "firm_a_user"])
def test_others_cannot_review_peoples_occupations(world, zone, app, settings, make_client,
                                                  username):  # fmt: skip
    (person_id,) = _people(world, zone.actor(world, "firm_a_user"), (["接待来访"], ""))
    world.run(lambda s: s.get(Person, person_id).__setattr__("suggestion_state", "review"))
    client = make_client()
    login(client, username)
    assert client.get("/talent/occupations").status_code == 403
    refused = post_form(client, f"/talent/people/{person_id}/occupation",
                        {"code": "2-02-29-04"}, "/talent")  # fmt: skip
    assert refused.status_code == 403
    assert _person_state(world, person_id)[:2] == ("review", None)
    attempt = world.scalar(
        sa.select(AuditEntry.after)
        .where(AuditEntry.action == "talent.refused")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    assert attempt["attempt"] == "复核人员职业代码"


def test_the_model_is_read_from_disk_once_per_process(
    world, zone, settings, engine, built, monkeypatch
):
    """Every app of the process with the same data folder shares one store: the model file is
    read once and then reused (by requests, imports and background fills alike)."""
    from wulian.engines.classify import model as classify_model
    from wulian.web.app import create_app

    _cached(settings, built)
    reads = []
    real = classify_model.load
    monkeypatch.setattr(classify_model, "load", lambda path: reads.append(path) or real(path))
    first, second = create_app(settings, engine=engine), create_app(settings, engine=engine)
    source = occupations.source_of(settings.occupations_file, None)
    one = views.occupation_store(first).get(source)
    two = views.occupation_store(second).get(source)
    assert one is not None
    assert one is two
    assert views.occupation_store(first) is views.occupation_store(second)
    assert len(reads) == 1


def test_a_server_reads_the_model_and_fills_the_waiting_before_the_first_request(
    world, zone, settings, engine, built
):
    """With warm-up, the server's start-up reads the model once and fills the posts and people
    waiting for a suggestion, as the system, before any request is answered."""
    from fastapi.testclient import TestClient

    from wulian.web.app import create_app

    _cached(settings, built)
    firm = zone.actor(world, "firm_a_user")
    (post,) = _posts(world, firm, "高级Java开发工程师")
    (person_id,) = _people(world, firm, (["Java开发", "软件测试"], "计算机科学与技术"))
    app = create_app(settings.model_copy(update={"warm_up": True}), engine=engine)
    with TestClient(app):  # the server's start-up
        assert _state(world, post)[:2] == ("suggested", "2-02-10-03")
        assert _person_state(world, person_id)[:2] == ("suggested", "2-02-10-03")
        entry = world.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "talent.person_occupation_suggest")
        )
        assert (entry.actor_kind, entry.actor_label) == ("system", views.OCCUPATION_LABEL)


def test_the_office_sees_and_corrects_suggestions_taken_automatically(
    world, zone, app, settings, built, make_client
):
    """A suggestion taken without review is listed (with the occupation's name) for the office to
    confirm or correct; the post and person pages name the occupation and say it was taken
    automatically; a refused code stays in its box and the message names the post; full-width
    digits and dashes are read; a review ends with a message naming what was reviewed."""
    _cached(settings, built)
    firm = zone.actor(world, "firm_a_user")
    (java,) = _posts(world, firm, "高级Java开发工程师")
    (coder,) = _people(world, firm, (["Java开发", "软件测试"], "计算机科学与技术"))
    model = views.occupation_store(app).get(occupations.source_of(settings.occupations_file, None))
    world.run(lambda s: views.fill_all(s, model))
    assert _state(world, java)[:2] == ("suggested", "2-02-10-03")
    assert _person_state(world, coder)[:2] == ("suggested", "2-02-10-03")
    client = make_client()
    login(client, "talent_officer")
    page = client.get("/talent/occupations").text
    assert "已自动采纳的建议（可更正）" in page
    taken = page.split('id="taken-posts"')[1].split("</table>")[0]
    assert f'id="taken-{java}"' in taken
    assert "软件工程技术人员" in taken
    assert "2-02-10-03" in taken
    people = page.split('id="taken-people"')[1].split("</table>")[0]
    assert f'id="taken-person-{coder}"' in people
    assert "测试60" in people
    assert identity(60)[-4:] not in people  # no identity number
    read = world.scalar(
        sa.select(AuditEntry.after)
        .where(AuditEntry.action == "talent.people_read")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    assert read == {"purpose": "occupation_review", "ids": [coder]}
    # the post and person pages name the occupation and say it was not reviewed
    post_page = client.get(f"/talent/posts/{java}").text
    facts = post_page.split('id="post-occupation"')[1].split("</dd>")[0]
    assert "2-02-10-03" in facts
    assert "软件工程技术人员" in facts
    assert "自动采纳" in facts
    person_page = client.get(f"/talent/people?person={coder}").text
    facts = person_page.split('id="person-occupation"')[1].split("</dd>")[0]
    assert "软件工程技术人员" in facts
    assert "自动采纳" in facts
    listed = client.get("/talent/people").text  # the list names the occupation too
    assert '<span class="mono">2-02-10-03</span> 软件工程技术人员' in listed
    # a refused code: kept in the box, the message names the post
    bad = post_form(client, f"/talent/posts/{java}/occupation", {"code": "2-02-99-99"},
                    "/talent/occupations")  # fmt: skip
    assert bad.status_code == 422
    assert f"岗位 {java}“高级Java开发工程师”：职业分类大典（2022）中没有职业代码" in bad.text
    assert 'value="2-02-99-99" aria-invalid="true"' in bad.text
    assert _state(world, java)[:2] == ("suggested", "2-02-10-03")
    wrong = post_form(client, f"/talent/people/{coder}/occupation", {"code": "9-99"},
                      "/talent/occupations")  # fmt: skip
    assert wrong.status_code == 422
    assert f"人员 {coder}（测试60）：职业代码“9-99”格式不对" in wrong.text
    # a Chinese input method's full-width digits and dashes are read as the code
    fixed = post_form(client, f"/talent/posts/{java}/occupation", {"code": "２－０２－２９－０４"},
                      "/talent/occupations")  # fmt: skip
    assert fixed.status_code == 303
    assert _state(world, java)[:2] == ("reviewed", "2-02-29-04")
    done = client.get(fixed.headers["location"]).text
    assert (
        f"已复核岗位 {java}“高级Java开发工程师”：职业代码 2-02-29-04 高分子材料工程技术人员" in done
    )
    assert f'id="taken-{java}"' not in done
    confirmed = post_form(client, f"/talent/people/{coder}/occupation", {"code": "2-02-10-03"},
                          "/talent/occupations")  # fmt: skip
    assert confirmed.status_code == 303
    assert _person_state(world, coder)[:2] == ("reviewed", "2-02-10-03")
    done = client.get(confirmed.headers["location"]).text
    assert f"已复核人员 {coder}（测试60）：职业代码 2-02-10-03 软件工程技术人员" in done


def test_odd_digits_in_the_review_notice_are_ignored(world, zone, make_client):
    client = make_client()
    login(client, "talent_officer")
    page = client.get("/talent/occupations?reviewed=%C2%B2&reviewed_person=%C2%B9%C2%B2")
    assert page.status_code == 200  # “²” is a digit to Python, not a number

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
from tests.talent.conftest import TODAY
from tests.talent.test_imports import POST_HEADERS, book
from wulian.chains import service as chains
from wulian.core.audit.models import AuditEntry
from wulian.talent import occupations, service, views
from wulian.talent.models import Post

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
    assert "高级Java开发工程师" not in page.text


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

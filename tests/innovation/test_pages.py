"""Innovation pages over HTTP: an analyst runs, notices and edits specs; an officer reads but may
not run; an enterprise sees only public lists and its own portrait; banks read through the API."""

from __future__ import annotations

import re

from tests.conftest import login, page_csrf, post_form
from tests.innovation.conftest import MINI, actor_of
from wulian.innovation import service


def test_an_analyst_runs_puts_on_notice_and_reads_every_page(client, zone):
    login(client, "analyst1")
    home = client.get("/innovation")
    assert "新建评价" in home.text
    assert "企业创新积分（国家核心指标·默认权重）" in home.text
    made = post_form(
        client,
        "/innovation/runs",
        {"spec_id": zone["spec"], "period": "2024", "credit_spec_id": ""},
        page="/innovation",
    )
    assert made.status_code == 303
    run_url = made.headers["location"]
    page = client.get(run_url + "?cohort=小")
    assert page.status_code == 200
    assert "测试创新09有限公司" in page.text
    assert "领跑榜" in page.text
    run_id = int(run_url.rsplit("/", 1)[1])
    noticed = post_form(client, f"{run_url}/notice", {"days": 7}, page=run_url)
    assert noticed.status_code == 303
    assert "公示中" in client.get(run_url).text
    refused = post_form(client, f"{run_url}/publish", {}, page=run_url)
    assert refused.status_code == 409
    assert "结束后才能发布" in refused.text
    export = client.get(f"{run_url}/export.xlsx")
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in export.headers["content-disposition"]
    assert "培育库" in client.get(f"{run_url}/pool?margin=30").text
    sensitivity = client.get(f"{run_url}/sensitivity?cohort=小&draws=50")
    assert sensitivity.status_code == 200
    assert "<svg" in sensitivity.text
    assert "测试创新09有限公司" in sensitivity.text
    portrait = client.get(f"/innovation/portrait/{zone['ids'][0]}?run={run_id}")
    assert "提升空间最大的指标" in portrait.text
    assert 'class="chart radar"' in portrait.text  # two categories: the radar shows indicators


def test_spec_edit_shows_the_line_of_a_mistake_and_saves_a_version(client, zone):
    login(client, "analyst1")
    url = f"/innovation/specs/{zone['spec']}"
    bad = MINI.replace("weight: 2,", "weight: 两,")
    refused = post_form(client, url, {"text": bad, "note": ""}, page=url)
    assert refused.status_code == 422
    line = next(i for i, t in enumerate(bad.splitlines(), 1) if "weight: 两" in t)
    assert f"第 {line} 行" in refused.text
    assert "weight: 两" in refused.text  # the text typed is kept for correction
    saved = post_form(
        client, url, {"text": MINI.replace("weight: 2,", "weight: 4,"), "note": "调权"}, page=url
    )
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "已保存为第 2 版" in page.text
    assert 'class="diff-add"' in page.text


def test_officers_read_but_do_not_run_and_firms_see_public_lists_only(client, zone, make_client):
    login(client, "officer1")
    assert "新建评价" not in client.get("/innovation").text
    token = page_csrf(client, "/innovation")
    denied = client.post(
        "/innovation/runs",
        data={"spec_id": zone["spec"], "period": "2024", "csrf_token": token},
    )
    assert denied.status_code == 403

    analyst = make_client()
    login(analyst, "analyst1")
    made = post_form(
        analyst, "/innovation/runs", {"spec_id": zone["spec"], "period": "2024"}, "/innovation"
    )
    run_url = made.headers["location"]

    firm = make_client()
    login(firm, "firm0")
    assert firm.get(run_url).status_code == 404  # a draft is not public
    post_form(analyst, f"{run_url}/notice", {"days": 7}, page=run_url)
    public = firm.get(run_url + "?cohort=小")
    assert public.status_code == 200
    assert "测试创新09有限公司" in public.text  # on a list
    assert "测试创新00有限公司" not in public.text  # not on a list: not shown to others
    own = firm.get(f"/innovation/portrait/{zone['ids'][0]}")
    assert "提出异议" in own.text
    assert "授权银行查看" in own.text
    assert firm.get(f"/innovation/portrait/{zone['ids'][9]}").status_code == 403
    objected = post_form(
        firm,
        f"{run_url}/objections",
        {"enterprise_id": zone["ids"][0], "text": "发明专利申请量应为 2 件，已在系统补报"},
        page=f"/innovation/portrait/{zone['ids'][0]}",
    )
    assert objected.status_code == 303
    assert "异议已提交" in firm.get(objected.headers["location"]).text
    assert "发明专利申请量应为 2 件" in analyst.get(run_url).text
    consent = post_form(
        firm,
        f"/innovation/portrait/{zone['ids'][0]}/consent",
        {"granted": "1"},
        page=f"/innovation/portrait/{zone['ids'][0]}",
    )
    assert consent.status_code == 303
    assert re.search(
        r'id="consent-state">已授权', firm.get(f"/innovation/portrait/{zone['ids'][0]}").text
    )


def test_the_bank_api_needs_its_scope(client, world, zone):
    secret = client.app.state.settings.session_secret
    bank = world.token("合作银行", ["innovation:credit"], secret)
    other = world.token("名录", ["enterprises:read"], secret)
    ok = client.get("/api/v1/innovation/scores", headers={"Authorization": f"Bearer {bank}"})
    assert ok.status_code == 200
    assert ok.json()["items"] == []
    refused = client.get("/api/v1/innovation/scores", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403
    assert "innovation:credit" in refused.text
    assert "/api/v1/innovation/scores" in client.get("/api/openapi.json").text


def test_the_runs_api_pages_as_the_page_does(world, zone, make_client):
    analyst = actor_of(world, "analyst1")
    made = [
        world.run(lambda s, p=p: service.create_run(s, actor=analyst, spec_id=zone["spec"],
                                                    period=p).id)
        for p in ("2023", "2024")
    ]  # fmt: skip
    world.run(lambda s: service.start_notice(s, actor=analyst, run_id=made[0], days=7))
    for who, total in (("analyst1", 2), ("officer1", 2), ("firm0", 1)):
        browser = make_client()
        login(browser, who)
        first = browser.get("/api/v1/innovation/runs", params={"per_page": 1})
        assert first.status_code == 200, who
        body = first.json()
        assert (body["total"], body["page"], body["per_page"]) == (total, 1, 1), who
        newest = made[1] if total == 2 else made[0]  # a firm sees the run in public notice only
        assert body["items"][0]["id"] == newest
        assert body["items"][0]["status"] in ("draft", "notice")
        if total == 2:
            second = browser.get("/api/v1/innovation/runs", params={"per_page": 1, "page": 2})
            assert second.json()["items"][0]["id"] == made[0]
    anonymous = make_client()
    assert anonymous.get("/api/v1/innovation/runs").status_code == 401


def test_the_results_api_filters_and_pages_as_the_run_page_does(world, zone, make_client):
    analyst = actor_of(world, "analyst1")
    run_id = world.run(
        lambda s: service.create_run(s, actor=analyst, spec_id=zone["spec"], period="2024").id
    )
    browser = make_client()
    login(browser, "analyst1")
    path = f"/api/v1/innovation/runs/{run_id}/results"
    body = browser.get(path, params={"per_page": 3}).json()
    assert (body["page"], body["per_page"], len(body["items"])) == (1, 3, 3)
    small = browser.get(path, params={"cohort": "小", "per_page": 200}).json()
    assert small["total"] > 0
    assert {i["stage"] for i in small["items"]} == {"小"}
    assert "测试创新09有限公司" in {i["name"] for i in small["items"]}
    top = browser.get(path, params={"cohort": "小", "top": 1}).json()
    assert [i["rank"] for i in top["items"]] == [1]
    for params, message in (({"cohort": "巨"}, "阶段"), ({"band": "冠军榜"}, "榜单")):
        bad = browser.get(path, params=params)
        assert bad.status_code == 422
        assert message in bad.json()["detail"]
    firm = make_client()
    login(firm, "firm0")
    assert firm.get(path).status_code in (403, 404)  # a draft is not shown to firms

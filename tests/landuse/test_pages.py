"""亩均效益 pages over HTTP: an analyst runs, filters, publishes and edits the spec; an officer
reads but may not run; a firm's user lands on its own published report card."""

from __future__ import annotations

from tests.conftest import login, post_form


def test_an_analyst_runs_reads_every_page_and_publishes(client, zone):
    login(client, "analyst1")
    home = client.get("/landuse")
    assert "新建评价" in home.text
    made = post_form(
        client, "/landuse/runs", {"spec_id": zone["spec"], "year": 2024}, page="/landuse"
    )
    assert made.status_code == 303
    run_url = made.headers["location"]
    page = client.get(run_url)
    assert page.status_code == 200
    for words in ("亩均测试07有限公司", "基准值与平均值", "24.0970", "各产业链的分类", "草稿"):
        assert words in page.text
    # each item's limits, and whether they are official or the platform's default
    assert "上限 60 分（权重的 2 倍），下限 0 分；平台默认" in page.text
    only_d = client.get(run_url + "?grade=D")
    assert "亩均测试00有限公司" in only_d.text
    assert "亩均测试07有限公司" not in only_d.text
    incomplete = client.get(run_url + "?status=incomplete")
    assert "用地面积为 0" in incomplete.text
    assert client.get(run_url + "/low").status_code == 200
    card = client.get(f"{run_url}/firms/{zone['ids'][3]}")
    assert "怎样进入" in card.text
    assert "适用政策" in card.text
    export = client.get(f"{run_url}/export.xlsx")
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
    published = post_form(client, f"{run_url}/publish", {}, page=run_url)
    assert published.status_code == 303
    assert "已发布" in client.get(run_url).text
    again = post_form(client, f"{run_url}/publish", {}, page=run_url)
    assert again.status_code == 409


def test_bad_year_and_bad_spec_are_shown_not_saved(client, zone):
    login(client, "analyst1")
    refused = post_form(
        client, "/landuse/runs", {"spec_id": zone["spec"], "year": 2001}, page="/landuse"
    )
    assert refused.status_code == 422
    assert "没有可参评的企业" in refused.text
    url = f"/landuse/specs/{zone['spec']}"
    text = client.get(url).text
    assert "亩均效益综合评价（黄岩口径）" in text
    from wulian.landuse.service import shipped_text

    bad = shipped_text("huangyan").replace("benchmark: 24.097,", "benchmark: 0,")
    shown = post_form(client, url, {"text": bad, "note": ""}, page=url)
    assert shown.status_code == 422
    line = next(i for i, t in enumerate(bad.splitlines(), 1) if "benchmark: 0," in t)
    assert f"第 {line} 行" in shown.text
    assert "基准值应大于 0" in shown.text


def test_an_officer_reads_but_may_not_run_and_a_firm_sees_its_own_card(client, make_client, zone):
    login(client, "analyst1")
    made = post_form(
        client, "/landuse/runs", {"spec_id": zone["spec"], "year": 2024}, page="/landuse"
    )
    run_url = made.headers["location"]
    officer = make_client()
    login(officer, "officer1")
    assert officer.get(run_url).status_code == 200
    assert "新建评价" not in officer.get("/landuse").text
    assert (
        post_form(officer, "/landuse/runs", {"spec_id": zone["spec"], "year": 2024}).status_code
        == 403
    )
    firm = make_client()
    login(firm, "firm0")
    assert firm.get(run_url).status_code == 404  # a draft is not the firm's to see
    assert firm.get(f"/landuse/card/{zone['ids'][0]}").status_code == 404
    post_form(client, f"{run_url}/publish", {}, page=run_url)
    landed = firm.get("/landuse")
    assert landed.status_code == 303
    card = firm.get(landed.headers["location"], follow_redirects=True)
    assert "亩均测试00有限公司" in card.text
    assert "D 类" in card.text
    assert firm.get(f"{run_url}/firms/{zone['ids'][1]}").status_code == 403
    assert firm.get(f"{run_url}/low").status_code == 403


def test_the_grades_api_serves_the_published_run_only(client, zone):
    login(client, "analyst1")
    made = post_form(
        client, "/landuse/runs", {"spec_id": zone["spec"], "year": 2024}, page="/landuse"
    )
    run_url = made.headers["location"]
    empty = client.get("/api/v1/landuse/grades").json()
    assert empty["total"] == 0  # a draft is not served
    post_form(client, f"{run_url}/publish", {}, page=run_url)
    body = client.get("/api/v1/landuse/grades?year=2024&per_page=500").json()
    assert body["year"] == 2024
    by_name = {item["name"]: item for item in body["items"]}
    assert by_name["亩均测试07有限公司"]["grade"] == "A"
    assert "优先" in by_name["亩均测试07有限公司"]["policy"]
    assert by_name["亩均电力有限公司"]["grade"] == "T"
    assert by_name["亩均租地有限公司"]["status"] == "rented"


def test_the_low_efficiency_list_is_shown_next_to_the_class(client, world, zone):
    from tests.landuse.test_service import make_a_class_and_low

    listed = zone["ids"][0]
    make_a_class_and_low(world, listed)
    login(client, "analyst1")
    made = post_form(
        client, "/landuse/runs", {"spec_id": zone["spec"], "year": 2024}, page="/landuse"
    )
    run_url = made.headers["location"]
    page = client.get(run_url + "?grade=A").text
    row = next(r for r in page.split("<tr") if "亩均测试00有限公司" in r)
    cells = row.split("<td")
    assert "grade-A" in cells[2]
    assert "低效" in cells[2]  # in the class cell itself
    assert "其中低效企业 1 家" in page
    card = client.get(f"{run_url}/firms/{listed}").text
    assert "同时列入低效企业名单" in card
    assert "已封顶" in card  # 亩均增加值 far above its benchmark counts as 2×
    low = client.get(run_url + "/low").text
    assert "grade-A" in low


def test_the_results_api_filters_and_pages_as_the_run_page_does(client, make_client, zone):
    login(client, "analyst1")
    made = post_form(
        client, "/landuse/runs", {"spec_id": zone["spec"], "year": 2024}, page="/landuse"
    )
    run_id = made.headers["location"].rsplit("/", 1)[1]
    path = f"/api/v1/landuse/runs/{run_id}/results"
    everyone = client.get(path, params={"per_page": 2})
    assert everyone.status_code == 200
    body = everyone.json()
    assert (body["page"], body["per_page"], len(body["items"])) == (1, 2, 2)
    total = body["total"]
    last = client.get(path, params={"per_page": 2, "page": (total + 1) // 2}).json()
    assert len(last["items"]) == (2 if total % 2 == 0 else 1)
    only_d = client.get(path, params={"grade": "D", "per_page": 200}).json()
    names = {i["name"] for i in only_d["items"]}
    assert "亩均测试00有限公司" in names
    assert "亩均测试07有限公司" not in names
    incomplete = client.get(path, params={"status": "incomplete"}).json()
    assert any("用地面积为 0" in (i["reason"] or "") for i in incomplete["items"])
    for params, message in (({"grade": "E"}, "类别"), ({"group": "x"}, "分组"),
                            ({"status": "nope"}, "状态")):  # fmt: skip
        bad = client.get(path, params=params)
        assert bad.status_code == 422
        assert message in bad.json()["detail"]
    officer = make_client()
    login(officer, "officer1")
    assert officer.get(path).status_code == 200
    firm = make_client()
    login(firm, "firm0")
    assert firm.get(path).status_code == 404  # a draft is not shown to firms
    run_url = made.headers["location"]
    post_form(client, f"{run_url}/publish", {}, page=run_url)
    refused = firm.get(path)
    assert refused.status_code == 403  # published: still the zone's list, not a firm's
    assert "亩均测试07有限公司" not in refused.text


def test_the_run_list_pages_and_its_api_shows_firms_only_public_runs(client, make_client, zone):
    login(client, "analyst1")
    urls = [
        post_form(client, "/landuse/runs", {"spec_id": zone["spec"], "year": 2024},
                  page="/landuse").headers["location"]
        for _ in range(3)
    ]  # fmt: skip
    ids = [int(u.rsplit("/", 1)[1]) for u in urls]
    first = client.get("/landuse?per_page=2")
    assert first.status_code == 200
    assert "第 1 / 2 页，共 3 条" in first.text
    assert f'href="/landuse/runs/{ids[2]}"' in first.text  # the newest first
    assert f'href="/landuse/runs/{ids[0]}"' not in first.text
    second = client.get("/landuse?per_page=2&page=2")
    assert f'href="/landuse/runs/{ids[0]}"' in second.text
    assert 'value="2024"' in second.text  # the new run's year: the newest run's, on any page
    body = client.get("/api/v1/landuse/runs", params={"per_page": 2}).json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 2)
    assert [r["id"] for r in body["items"]] == [ids[2], ids[1]]
    assert body["items"][0]["status"] == "draft"
    assert body["items"][0]["counts"]["rated"] > 0
    assert client.get("/api/v1/landuse/runs", params={"per_page": 500}).status_code == 422
    post_form(client, f"{urls[1]}/publish", {}, page=urls[1])
    firm = make_client()
    login(firm, "firm0")
    seen = firm.get("/api/v1/landuse/runs").json()
    assert [r["id"] for r in seen["items"]] == [ids[1]]  # drafts are not a firm's to see

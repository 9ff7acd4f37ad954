"""Policy pages over HTTP: the library and a policy in readable form; an analyst runs and reads
the payout list, exports it and tries a parameter; an officer approves; a firm sees its own
calculator only."""

from __future__ import annotations

from tests.conftest import login, post_form
from wulian.core.permissions import Role


def test_library_and_detail_for_every_signed_in_user(client, zone):
    login(client, "firm0")
    page = client.get("/policies?category=资质")
    assert page.status_code == 200
    for words in ("科技型中小企业评价", "高新技术企业认定", "专精特新“小巨人”企业认定"):
        assert words in page.text
    assert "企业研发投入增量补助" not in page.text
    detail = client.get("/policies/detail/kexing")
    for words in ("国科发政〔2022〕16号", "职工总数 ≤ 职工总数上限", "第六条（二）", "通过"):
        assert words in detail.text
    assert client.get("/policies/runs").status_code == 403


def test_an_analyst_runs_and_an_officer_approves(client, make_client, world, zone):
    login(client, "analyst1")
    made = post_form(client, "/policies/runs", {"period": 2024}, page="/policies/runs")
    assert made.status_code == 303
    run_url = made.headers["location"]
    summary = client.get(run_url)
    assert "企业研发投入增量补助" in summary.text
    listing = client.get(f"{run_url}/rd_subsidy")
    for words in ("政策甲科技有限公司", "免申即享", "快申快享", "研发费用", "130.00"):
        assert words in listing.text
    assert "批准所选企业兑现" not in listing.text  # analysts do not approve
    unknown = client.get(f"{run_url}/rd_subsidy?status=unknown")
    assert "上年研发费用" in unknown.text
    export = client.get(f"{run_url}/rd_subsidy/export.xlsx")
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
    tried = client.get(f"{run_url}/rd_subsidy/whatif?parameter=rate&value=20%25")
    assert "130.00 → 160.00" in tried.text
    assert "补助比例（0%–100%）" in listing.text  # the range is stated at the form
    for value, shown in (("-20%", "-20%"), ("500%", "500%")):
        refused = client.get(
            f"{run_url}/rd_subsidy/whatif", params={"parameter": "rate", "value": value}
        )
        assert refused.status_code == 422
        assert f"“补助比例”应在 0% 至 100% 之间（给出的是 {shown}）" in refused.text
        assert 'id="whatif"' in refused.text  # back at the form
    bad = post_form(client, "/policies/runs", {"period": 1800}, page="/policies/runs")
    assert bad.status_code == 422

    # an officer of another department sees the list and its owner, without the action
    world.user(
        "officer_economy", Role.OFFICER, department_id=world.department("economy", "经济信息化局")
    )
    other = make_client()
    login(other, "officer_economy")
    seen = other.get(f"{run_url}/rd_subsidy")
    assert "主管部门：科技局" in seen.text
    assert "批准所选企业兑现" not in seen.text
    refused = post_form(
        other, f"{run_url}/rd_subsidy/approve", {"enterprise_id": zone["ids"][0]},
        page=f"{run_url}/rd_subsidy",
    )  # fmt: skip
    assert refused.status_code == 403
    assert "由科技局负责" in refused.text

    officer = make_client()
    login(officer, "officer1")
    page = officer.get(f"{run_url}/rd_subsidy")
    assert "批准所选企业兑现" in page.text
    first = zone["ids"][0]
    done = post_form(
        officer,
        f"{run_url}/rd_subsidy/approve",
        {"enterprise_id": first},
        page=f"{run_url}/rd_subsidy",
    )
    assert done.status_code == 303
    assert "已兑现" in officer.get(f"{run_url}/rd_subsidy").text
    again = post_form(
        officer,
        f"{run_url}/rd_subsidy/approve",
        {"enterprise_id": first},
        page=f"{run_url}/rd_subsidy",
    )
    assert again.status_code == 409
    assert "不能重复兑现" in again.text


def test_a_firm_sees_only_its_own_calculator(client, zone):
    login(client, "firm0")
    own = client.get(f"/policies/calculator/{zone['ids'][0]}?period=2024")
    assert own.status_code == 200
    assert "企业研发投入增量补助" in own.text
    assert "免申即享" in own.text
    other = client.get(f"/policies/calculator/{zone['ids'][1]}?period=2024")
    assert other.status_code == 403
    start = client.get("/policies/calculator")
    assert start.headers["location"] == f"/policies/calculator/{zone['ids'][0]}"


def test_the_calculator_finds_a_firm_by_pinyin_initials_or_part_of_its_name(client, world, zone):
    world.user("analyst_p", Role.ANALYST)
    login(client, "analyst_p")
    one = client.get("/policies/calculator?enterprise=zcyk")  # 政策乙科技
    assert one.headers["location"] == f"/policies/calculator/{zone['ids'][1]}"
    several = client.get("/policies/calculator?enterprise=政策")
    assert several.status_code == 200
    assert "找到 5 家" in several.text
    assert f'href="/policies/calculator/{zone["ids"][4]}"' in several.text
    none = client.get("/policies/calculator?enterprise=不存在的企业")
    assert "没有找到企业" in none.text

"""Chain atlas pages over HTTP: the chain officer places firms, reads the map, a node, the
regions and the queue, confirms and moves firms and updates an N个一 item; the analyst reads
but may not act; a firm's user sees its own chain positions only."""

from __future__ import annotations

import re

from tests.chains.conftest import memberships, place
from tests.conftest import login, post_form
from wulian.core.permissions import Role
from wulian.enterprises.models import Enterprise
from wulian.enterprises.uscc import synthetic


def test_the_chain_officer_works_through_the_atlas(client, world, atlas):
    login(client, "officer1")
    placed = post_form(client, "/atlas/place", {"threshold": "0.9999"}, page="/atlas")
    assert placed.status_code == 303
    home = client.get(placed.headers["location"])
    assert "待人工复核" in home.text
    assert "锂电新材料" in home.text
    dashboard = client.get("/atlas/lithium")
    assert dashboard.status_code == 200
    assert 'id="chart-chain-map"' in dashboard.text
    assert 'data-node="cathode" data-rating="强"' in dashboard.text
    assert 'data-node="separator" data-rating="缺"' in dashboard.text
    assert "锂测园外隔膜有限公司" in dashboard.text  # a candidate for the missing separator
    node = client.get("/atlas/lithium/nodes/cathode")
    assert "锂测正极一有限公司" in node.text
    assert "10.00 亿元" in node.text
    assert client.get("/atlas/lithium/nodes/nowhere").status_code == 404
    assert client.get("/atlas/steel").status_code == 404
    regions = client.get("/atlas/lithium/regions")
    assert 'id="region-chart"' in regions.text

    queue = client.get("/atlas/review")
    waiting = re.findall(r'data-membership="(\d+)"', queue.text)
    assert len(waiting) == 3  # 锂测正极二, 锂测含糊, 锂测无文本: zone firms the model placed
    first, second, _ = waiting
    done = post_form(client, f"/atlas/memberships/{first}/confirm",
                     {"back": "/atlas/review"}, page="/atlas/review")  # fmt: skip
    assert done.status_code == 303
    moved = post_form(client, f"/atlas/memberships/{second}/move",
                      {"node": "lithium.anode", "back": "/atlas/review"},
                      page="/atlas/review")  # fmt: skip
    assert moved.status_code == 303
    statuses = {m[3]: m[2] for m in memberships(world).values()}
    assert statuses[int(first)] == statuses[int(second)] == "confirmed"
    refused = post_form(client, f"/atlas/memberships/{first}/move",
                        {"node": "lithium.nowhere"}, page="/atlas/review")  # fmt: skip
    assert refused.status_code == 404
    away = post_form(client, f"/atlas/memberships/{first}/confirm",
                     {"back": "https://elsewhere.example/"}, page="/atlas/review")  # fmt: skip
    assert away.headers["location"] == "/atlas/review"

    item = re.search(r'action="/atlas/lithium/items/(\d+)"', dashboard.text).group(1)
    saved = post_form(client, f"/atlas/lithium/items/{item}",
                      {"owner": "区长", "status": "推进中", "note": "每月调度"},
                      page="/atlas/lithium")  # fmt: skip
    assert saved.status_code == 303
    assert "每月调度" in client.get("/atlas/lithium").text
    bad = post_form(client, f"/atlas/lithium/items/{item}", {"status": "完成"},
                    page="/atlas/lithium")  # fmt: skip
    assert bad.status_code == 422
    assert "状态只能是" in bad.text

    api = client.get("/api/v1/chains/lithium").json()
    nodes = {n["key"]: n for n in api["nodes"]}
    assert nodes["separator"]["rating"] == "缺"
    assert nodes["separator"]["revenue"] is None
    assert api["gaps"][0]["reasons"]


def test_the_analyst_reads_and_the_firm_sees_only_its_own_positions(client, world, atlas):
    place(world)
    login(client, "analyst1")
    page = client.get("/atlas")
    assert page.status_code == 200
    assert 'action="/atlas/place"' not in page.text
    assert post_form(client, "/atlas/place", {}, page="/atlas").status_code == 403
    some = next(iter(memberships(world).values()))[3]
    refused = post_form(client, f"/atlas/memberships/{some}/confirm", {}, page="/atlas/review")
    assert refused.status_code == 403
    spec = client.get("/atlas/specs")
    assert "锂电新材料" in spec.text
    client.post("/logout", data={"csrf_token": re.search(
        r'name="csrf_token" value="([0-9a-f]{64})"', client.get("/").text).group(1)})  # fmt: skip

    login(client, "firm0")
    own = client.get(f"/enterprises/{atlas['ids'][0]}")
    assert "产业链位置" in own.text
    assert "正极材料" in own.text
    assert client.get("/atlas").status_code == 403
    assert client.get("/atlas/lithium").status_code == 403
    assert client.get(f"/api/v1/enterprises/{atlas['ids'][1]}/chain-positions").status_code == 403
    mine = client.get(f"/api/v1/enterprises/{atlas['ids'][0]}/chain-positions").json()
    assert [p["node"] for p in mine] == ["cathode"]


def test_an_officer_of_another_department_reads_the_chain_office_s_chains(client, world, atlas):
    place(world, threshold=0.99)
    science = world.department("science", "科技局")
    world.user("officer2", Role.OFFICER, department_id=science)
    login(client, "officer2")
    home = client.get("/atlas")
    assert "锂电新材料" in home.text
    assert 'action="/atlas/place"' not in home.text
    queue = client.get("/atlas/review")
    assert queue.status_code == 200
    assert "锂测" in queue.text
    assert "/confirm" not in queue.text
    assert '/move"' not in queue.text  # no form to move a firm (the filter has a node choice)
    dashboard = client.get("/atlas/lithium")
    assert 'action="/atlas/lithium/items/' not in dashboard.text
    some = next(iter(memberships(world).values()))[3]
    refused = post_form(client, f"/atlas/memberships/{some}/confirm", {}, page="/atlas/review")
    assert refused.status_code == 403
    assert "产业链专班（链长办）" in refused.text


def test_pages_name_a_firms_chain_not_its_code(client, world, atlas):
    """产业链 锂电新材料 on the registry's pages, never the code lithium."""
    firm = world.enterprise("锂测链名有限公司", code=synthetic(790))

    def set_chain(session):
        session.get(Enterprise, firm).chain = "lithium"

    world.run(set_chain)
    login(client, "officer1")
    detail = client.get(f"/enterprises/{firm}")
    assert "<dt>所属产业链</dt><dd>锂电新材料</dd>" in detail.text
    listed = client.get("/enterprises?chain=lithium")
    assert "锂测链名有限公司" in listed.text
    assert "<td>锂电新材料</td>" in listed.text
    assert '<option value="lithium" selected>锂电新材料</option>' in listed.text

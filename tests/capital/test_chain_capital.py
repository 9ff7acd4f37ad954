"""Capital on each chain: a chain's page and the cockpit show its fund investment, credit and
loans, listed and reserve firms, by node, to staff with the finance permission only."""

from __future__ import annotations

import re

import pytest

from tests.capital.conftest import commit, fund, invest
from tests.capital.test_listings import add, move
from tests.capital.test_loans import loan
from tests.conftest import login
from wulian.capital import service
from wulian.chains.models import ChainMembership
from wulian.core.errors import PermissionDenied


@pytest.fixture
def on_chain(world, zone):
    """Firm A on the cathode node of the lithium chain (with a loan and listed), firm B on the
    cathode and anode nodes (a reserve firm), a fund investment booked on the anode node."""

    def write(session):
        for firm, node in ((zone.firm, "cathode"), (zone.firm_b, "cathode"),
                           (zone.firm_b, "anode")):  # fmt: skip
            session.add(ChainMembership(enterprise_id=firm, chain="lithium", node=node,
                                        source="officer", status="confirmed"))  # fmt: skip

    world.run(write)
    fin = zone.actor(world, "fin1")
    mother = fund(world, fin, "衢州锂电产业基金", kind="industry")
    commit(world, fin, mother, "市财政局", "government", "10", "10")
    invest(world, fin, fund=str(mother), amount="2", firm="衢州硅测科技有限公司",
           chain="lithium", node="anode")  # fmt: skip
    loan(world, fin, granted="300", disbursed="200")
    case = add(world, fin)
    for stage in ("shareholding", "tutoring", "filing", "review", "registered"):
        move(world, fin, case, stage)
    move(world, fin, case, "listed", board="star")
    add(world, fin, firm="衢州硅测科技有限公司")
    return zone


def test_capital_by_chain_and_node(world, on_chain):
    zone = on_chain
    (lithium,) = world.run(
        lambda s: service.chain_capital(s, actor=zone.actor(world, "fin1"), chain="lithium")
    )
    t = lithium.total
    assert (t.investments, t.invested) == (1, 2 * 10**8)
    assert (t.loan_firms, t.granted, t.outstanding) == (1, 300 * 10**4, 200 * 10**4)
    # firm B sits on two nodes: once for the chain, on each node
    assert (t.listed, t.reserve) == (1, 1)
    nodes = {n.node: n for n in lithium.nodes}
    assert set(nodes) == {"cathode", "anode"}
    assert (nodes["cathode"].listed, nodes["cathode"].reserve, nodes["cathode"].loan_firms) == (
        1, 1, 1,
    )  # fmt: skip
    assert (nodes["anode"].invested, nodes["anode"].reserve, nodes["anode"].loan_firms) == (
        2 * 10**8, 1, 0,
    )  # fmt: skip
    everything = world.run(lambda s: service.chain_capital(s, actor=zone.actor(world, "fin1")))
    assert {c.chain for c in everything if not c.total.empty} == {"lithium"}
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.chain_capital(s, actor=zone.actor(world, "firm_user")))


def test_the_chain_page_and_the_cockpit_show_the_card(client, on_chain):
    login(client, "fin1")
    page = client.get("/atlas/lithium")
    assert page.status_code == 200
    summary = re.search(r'id="chain-capital-summary">(.*?)</p>', page.text, re.S)
    assert summary is not None
    assert "基金投资 2.00 亿元（1 笔）" in summary.group(1)
    assert "1 家企业获授信 300 万元，贷款余额 200 万元" in summary.group(1)
    assert "上市企业 1 家，梯队中尚未上市 1 家（上市后备至注册）" in summary.group(1)
    assert 'data-node="anode"' in page.text
    cockpit = client.get("/cockpit").text
    row = re.search(r'<tr data-chain="lithium">(.*?)</tr>', cockpit, re.S)
    assert row is not None
    assert "2.00 亿元" in row.group(1)
    assert "300 万元" in row.group(1)

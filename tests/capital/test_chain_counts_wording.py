"""The events page's 按产业链 and the cockpit's 资金链 count differently, and each says what it
counts: the events page counts the outcomes registered at events on each firm's one chain; the
cockpit counts every loan of the loan register on each chain a firm is on. A firm quoted on
新三板 on its way to 北交所 counts as quoted on its chain, not as a reserve firm."""

from __future__ import annotations

import datetime as dt
import io

import docx
import sqlalchemy as sa

from tests.capital.test_chain_capital import on_chain as on_chain  # the fixture
from tests.capital.test_events import event, outcome
from tests.capital.test_listings import move
from tests.capital.test_pages import signed_in
from wulian.capital import events, service
from wulian.capital.models import ListingCase
from wulian.web import briefing, cockpit


def test_the_events_page_and_the_cockpit_say_what_they_count(world, on_chain, make_client):
    zone = on_chain
    fin = zone.actor(world, "fin1")
    first = event(world, fin)
    # credit granted at the event, never registered as a loan
    outcome(world, fin, first, firm="衢州硅测科技有限公司", granted_wan="1000")
    summary = world.run(lambda s: events.summary(s, actor=fin))
    assert summary.by_chain["锂电新材料"].granted == 10_000_000
    (lithium,) = world.run(lambda s: service.chain_capital(s, actor=fin, chain="lithium"))
    assert lithium.total.granted == 3_000_000  # the loan register's 300 万元 only
    client = signed_in(make_client, "fin1")
    page = client.get("/capital/events").text
    note = page[page.index('id="events-chains-note"') :]
    note = note[: note.index("</p>")]
    assert "每家企业只计入其所属的一条产业链" in note
    assert "领导驾驶舱的“资金链”统计的是贷款台账中全部登记贷款的授信和贷款余额" in note
    assert "授信与贷款余额取自贷款台账" in client.get("/cockpit").text
    figures = world.run(lambda s: cockpit.build(s, actor=fin))
    document = docx.Document(io.BytesIO(briefing.briefing_docx(
        figures, zone="示范区", day=dt.date(2026, 6, 28))))  # fmt: skip
    text = "\n".join(p.text for p in document.paragraphs)
    assert "授信与贷款余额取自贷款台账（全部登记的贷款），不是银企对接登记的对接成效" in text


def test_a_firm_on_its_way_to_the_bse_counts_as_quoted_on_its_chain(world, on_chain):
    zone = on_chain
    fin = zone.actor(world, "fin1")
    case = world.scalar(sa.select(ListingCase.id).where(ListingCase.enterprise_id == zone.firm_b))
    for stage in ("shareholding", "neeq", "neeq_innovation", "bse_tutoring"):
        move(world, fin, case, stage)
    (lithium,) = world.run(lambda s: service.chain_capital(s, actor=fin, chain="lithium"))
    assert (lithium.total.listed, lithium.total.quoted, lithium.total.reserve) == (1, 1, 0)

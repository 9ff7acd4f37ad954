"""The cockpit lists each chain's modules: every one the platform has links its page (an
administrator opens each), and none of them is marked 建设中. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.conftest import login
from wulian.core.permissions import Role
from wulian.web.views import CHAIN_MODULES


def test_every_module_of_the_cockpit_links_a_page_that_opens(world, make_client):
    world.user("root-admin", Role.ADMIN)
    client = make_client()
    assert login(client, "root-admin").status_code == 303
    links = {href for modules in CHAIN_MODULES.values() for _, href in modules}
    assert None not in links
    for href in sorted(links):
        # a page that exists (some wait for set-up: 409, or lead on: 303)
        status = client.get(href).status_code
        assert status in (200, 303, 409), href
    cockpit = client.get("/cockpit").text
    assert "建设中</span>" not in cockpit
    for chain in ("talent", "capital"):
        for name, href in CHAIN_MODULES[chain]:
            assert f'<a href="{href}">{name}</a>' in cockpit

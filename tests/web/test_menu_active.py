"""The sidebar marks one item: the most specific one the page belongs to."""

from __future__ import annotations

from wulian.core.permissions import Actor
from wulian.web.navigation import active_href, menu_for


def test_the_most_specific_menu_item_is_the_active_one():
    menu = menu_for(Actor.system("root"))
    assert active_href(menu, "/investment/atlas/lithium/foil") == "/investment/atlas"
    assert active_href(menu, "/investment/12") == "/investment"
    assert active_href(menu, "/talent/map") == "/talent/map"
    assert active_href(menu, "/talent") == "/talent"
    assert active_href(menu, "/capital/loans") == "/capital/loans"
    assert active_href(menu, "/") == "/"
    assert active_href(menu, "/nowhere") is None

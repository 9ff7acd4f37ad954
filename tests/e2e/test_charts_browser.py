"""In a real browser, on the demo zone: a leader and an analyst open the cockpit and a chain's page,
see each chart drawn (a canvas with something on it) from the vendored ECharts, toggle a chart to
its table and back, all under the app's content security policy with no console error.

With WULIAN_GUIDE_IMAGES set to a folder (docs/guide/img), the leader's cockpit and chain page
are saved there as the guide's screenshots (cockpit.jpg, chain.jpg)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_browser import sign_in
from wulian.core.permissions import Role

pytestmark = pytest.mark.demo

COCKPIT_CHARTS = ["chains-trend", "chains-revenue", "innovation-points", "landuse", "payouts",
                  "desk"]  # fmt: skip
CHAIN_CHARTS = ["chain-map", "chain-trend", "chain-rates"]
GUIDE = os.environ.get("WULIAN_GUIDE_IMAGES")

# Whether a chart's canvas holds drawn pixels (not all transparent).
DRAWN = """figure => {
  const canvas = figure.querySelector('.chart-area canvas');
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return painted;
}"""


@pytest.fixture
def watched(page: Page) -> Iterator[Page]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    assert problems == []


def _charts_drawn(page: Page, keys: list[str]) -> None:
    for key in keys:
        figure = page.locator(f"#chart-{key}")
        expect(figure).to_have_class("chart-figure chart-drawn")
        expect(figure.locator(".chart-area canvas").first).to_be_visible()
        assert figure.evaluate(DRAWN) > 500, key
        expect(figure.locator(".chart-table")).to_be_hidden()


def _toggle(page: Page, key: str) -> None:
    """To the table and back: the table holds the figures, the chart comes back drawn."""
    figure = page.locator(f"#chart-{key}")
    figure.get_by_role("button", name="表").click()
    expect(figure.locator(".chart-table")).to_be_visible()
    expect(figure.locator(".chart-area")).to_be_hidden()
    expect(figure.get_by_role("button", name="表")).to_have_attribute("aria-pressed", "true")
    assert figure.locator(".chart-table tbody tr").count() >= 1
    figure.get_by_role("button", name="图").click()
    expect(figure.locator(".chart-area")).to_be_visible()
    expect(figure.locator(".chart-table")).to_be_hidden()
    assert figure.evaluate(DRAWN) > 500


def _shot(page: Page, name: str) -> None:
    if GUIDE:
        folder = Path(GUIDE)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name), full_page=True, type="jpeg", quality=80)


@pytest.mark.parametrize("role", ["leader", "analyst"])
def test_the_cockpit_and_a_chain_page_draw_their_charts(watched: Page, live_server, world, role):
    page = watched
    department = world.department("leaders", "管委会领导") if role == "leader" else None
    world.user(role, Role.ANALYST, department_id=department)
    sign_in(page, live_server, role)

    page.goto(f"{live_server}/cockpit")
    expect(page.get_by_role("heading", name="领导驾驶舱")).to_be_visible()
    _charts_drawn(page, COCKPIT_CHARTS)
    table = page.locator("#chart-landuse .chart-table")
    _toggle(page, "landuse")
    assert table.locator("thead th").all_inner_texts() == ["类别", "企业（家）"]
    _toggle(page, "desk")
    expect(page.locator("#chart-desk .chart-table thead")).to_contain_text("按时办结率（%）")
    page.locator("#chart-desk .chart-area").hover()  # a tooltip, drawn without inline styles
    page.wait_for_timeout(300)
    if role == "leader":
        _shot(page, "cockpit.jpg")

    page.goto(f"{live_server}/atlas/lithium")
    expect(page.get_by_role("heading", name="锂电新材料")).to_be_visible()
    _charts_drawn(page, CHAIN_CHARTS)
    page.locator("#chart-chain-trend .chart-area").hover()
    page.wait_for_timeout(300)
    _toggle(page, "chain-map")
    figure = page.locator("#chart-chain-map")
    figure.get_by_role("button", name="表").click()
    expect(figure.locator('a[data-node="separator"]')).to_have_attribute("data-rating", "缺")
    figure.locator('a[data-node="cathode"]').click()
    expect(page.get_by_role("heading", name="正极材料")).to_be_visible()
    page.go_back()
    _charts_drawn(page, CHAIN_CHARTS)
    if role == "leader":
        _shot(page, "chain.jpg")

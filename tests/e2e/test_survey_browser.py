"""In a real browser: the service centre pages through the follow-up surveys, filters them by
firm, exports what the filter shows, and reads the answers filtered by score."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from tests.desk.conftest import desk  # noqa: F401  (fixtures)
from tests.desk.test_survey_list import NAMES, surveys  # noqa: F401
from tests.e2e.test_browser import sign_in


def test_the_survey_list_pages_filters_and_exports(page: Page, live_server, world, surveys):  # noqa: F811
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "centre1")
    page.get_by_role("link", name="待回访", exact=True).first.click()
    expect(page.get_by_role("heading", name="待回访")).to_be_visible()

    # two to a page: page 2 of 3, then back to every survey, filtered by firm
    page.goto(f"{live_server}/desk/surveys?status=all&per_page=2")
    pager = page.get_by_role("navigation", name="分页")
    expect(pager).to_contain_text("第 1 / 3 页，共 6 条")
    first = page.locator("#surveys tbody tr").all_inner_texts()
    pager.get_by_role("link", name="第 2 页").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(pager).to_contain_text("第 2 / 3 页")
    expect(page.locator("#surveys tbody tr")).to_have_count(2)
    assert not set(first) & set(page.locator("#surveys tbody tr").all_inner_texts())

    filters = page.locator("#survey-filters")
    filters.get_by_role("textbox", name="企业").fill("北方")
    filters.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"q=%E5%8C%97%E6%96%B9"))
    expect(page.locator("#surveys tbody tr")).to_have_count(2)
    expect(page.locator("#surveys")).to_contain_text(NAMES[1])
    expect(page.locator("#surveys")).not_to_contain_text(NAMES[0])
    with page.expect_download() as download:
        page.locator("#survey-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(book.active.iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in rows] == [NAMES[1], NAMES[1]]

    # the answers, the low scores only
    page.get_by_role("link", name="回访结果").click()
    expect(page.get_by_role("heading", name="回访结果")).to_be_visible()
    expect(page.locator("#surveys tbody tr")).to_have_count(3)
    filters = page.locator("#survey-filters")
    filters.locator("select[name=satisfaction]").select_option("2")
    filters.get_by_role("button", name="筛选").click()
    expect(page.locator("#surveys tbody tr")).to_have_count(1)
    expect(page.locator("#surveys")).to_contain_text("仍未解决")
    assert console_errors == []

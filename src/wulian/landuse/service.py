"""亩均效益: the service API of the landuse package.

A run evaluates one spec version on one year's facts and registry, keeps its input, benchmarks,
averages and each firm's result; a draft may go on public notice (公示) and is published once
checked, and any run can be withdrawn (the run lifecycle of core/runs.py). Last year's published
averages feed benchmarks written as {previous_average: factor}.

The work is done by the package's modules along their seams: versions, runs, lists, card, zone,
exports; this module names what other modules call.
"""

from __future__ import annotations

from wulian.core.runs import NOTICE_DAYS
from wulian.landuse.card import Card, CardLine, card, firm_standing, metric_name
from wulian.landuse.exports import export_xlsx
from wulian.landuse.lists import (
    Filters,
    LowFirm,
    listing,
    low_list,
    published_counts,
    published_grades,
    standing_up_to,
)
from wulian.landuse.runs import (
    build_input,
    create_run,
    get_run_or_raise,
    get_runs,
    may_run,
    previous_averages,
    publish,
    runs_page,
    start_notice,
    waiting,
    withdraw,
)
from wulian.landuse.versions import (
    BUILDING_TAG,
    GRADE_ORDER,
    LOW_CANDIDATES,
    RENTED_TAG,
    SHIPPED,
    SHIPPED_SPECS,
    SPECS,
    STAFF_ONLY,
    get_spec_or_raise,
    get_specs,
    install_shipped,
    parse,
    save_spec,
    shipped_text,
)
from wulian.landuse.zone import ZoneView, highest_score, zone_view

__all__ = [
    "BUILDING_TAG",
    "GRADE_ORDER",
    "LOW_CANDIDATES",
    "NOTICE_DAYS",
    "RENTED_TAG",
    "SHIPPED",
    "SHIPPED_SPECS",
    "SPECS",
    "STAFF_ONLY",
    "Card",
    "CardLine",
    "Filters",
    "LowFirm",
    "ZoneView",
    "build_input",
    "card",
    "create_run",
    "export_xlsx",
    "firm_standing",
    "get_run_or_raise",
    "get_runs",
    "get_spec_or_raise",
    "get_specs",
    "highest_score",
    "install_shipped",
    "listing",
    "low_list",
    "may_run",
    "metric_name",
    "parse",
    "previous_averages",
    "publish",
    "published_counts",
    "published_grades",
    "runs_page",
    "save_spec",
    "shipped_text",
    "standing_up_to",
    "start_notice",
    "waiting",
    "withdraw",
    "zone_view",
]

"""Innovation points: the service API of the innovation package.

Specs are versioned files (an edit is a new version); a run evaluates one spec version on one
period's facts and keeps its input, results and statistics; a run goes draft → notice → published,
and objections raised during the notice must be answered before it is published.

The work is done by the package's modules along their seams: versions, runs, objections, lists,
portraits, sensitivity, banks; this module names what other modules call.
"""

from __future__ import annotations

from wulian.innovation.banks import bank_scores, consent_of, grant_consents, set_consent
from wulian.innovation.lists import (
    Listed,
    PoolEntry,
    Summary,
    bands,
    cohorts,
    cultivation_pool,
    export_xlsx,
    listing,
    paginate_pairs,
    published_summary,
)
from wulian.innovation.objections import answer_objection, objections, raise_objection, waiting
from wulian.innovation.portraits import Portrait, firm_standing, portrait, portrait_runs
from wulian.innovation.runs import (
    build_input,
    create_run,
    get_run_or_raise,
    get_runs,
    may_run,
    publish,
    require_run_owner,
    runs_page,
    start_notice,
    withdraw,
)
from wulian.innovation.sensitivity import rank_intervals
from wulian.innovation.versions import (
    NOTICE_DAYS,
    SHIPPED,
    SHIPPED_SPECS,
    SPECS,
    STAFF_ONLY,
    VISIBLE_TO_FIRMS,
    credit_model,
    diff,
    get_spec_or_raise,
    get_specs,
    index_model,
    install_shipped,
    latest_version,
    parse,
    previous_version,
    save_spec,
    shipped_text,
)

__all__ = [
    "NOTICE_DAYS",
    "SHIPPED",
    "SHIPPED_SPECS",
    "SPECS",
    "STAFF_ONLY",
    "VISIBLE_TO_FIRMS",
    "Listed",
    "PoolEntry",
    "Portrait",
    "Summary",
    "answer_objection",
    "bands",
    "bank_scores",
    "build_input",
    "cohorts",
    "consent_of",
    "create_run",
    "credit_model",
    "cultivation_pool",
    "diff",
    "export_xlsx",
    "firm_standing",
    "get_run_or_raise",
    "get_runs",
    "get_spec_or_raise",
    "get_specs",
    "grant_consents",
    "index_model",
    "install_shipped",
    "latest_version",
    "listing",
    "may_run",
    "objections",
    "paginate_pairs",
    "parse",
    "portrait",
    "portrait_runs",
    "previous_version",
    "publish",
    "published_summary",
    "raise_objection",
    "rank_intervals",
    "require_run_owner",
    "runs_page",
    "save_spec",
    "set_consent",
    "shipped_text",
    "start_notice",
    "waiting",
    "withdraw",
]

"""Policies (政策库, 免申即享, 梯度培育): the service API of the policy package.

Policy files are versions (an edit is a new version, and must pass its own test cases). A run
evaluates every firm of the zone against the newest version of every policy for a period, from
the facts store, the registry and the published 亩均效益 classes, and keeps the input it used.
An outcome is 免申即享 when every input is present and comes from a trusted source (a government
department, or a self-report an officer verified), otherwise 快申快享 with what the firm must
supply. Approving a payout is audited, and a firm is paid once per policy and period.

The work is done by the package's modules along their seams: library, inputs, runs, payouts,
calculator, whatif, pools; this module names what other modules call.
"""

from __future__ import annotations

from wulian.policy.calculator import Calculation, calculator
from wulian.policy.inputs import build_input
from wulian.policy.library import (
    FIELDS,
    FREE,
    NEAR,
    QUICK,
    SHIPPED_SPECS,
    SPECS,
    STAFF_ONLY,
    LibraryItem,
    Readable,
    check_sources,
    current_policy,
    department_name,
    get_version_or_raise,
    get_versions,
    install_shipped,
    library,
    may_approve,
    newest,
    parse,
    parse_all,
    policy_of,
    readable,
    require_reader,
    save_version,
    shipped_codes,
    shipped_text,
    source_of,
)
from wulian.policy.payouts import (
    MODES,
    PAID,
    SORTS,
    STATUSES,
    PayoutFilters,
    PayoutLine,
    PayoutListing,
    PayoutYear,
    approve,
    approve_matching,
    export_xlsx,
    firm_benefits,
    payout_list,
    payout_years,
    waiting,
)
from wulian.policy.pools import Pool, PoolMember, pools
from wulian.policy.runs import (
    create_run,
    evaluate_all,
    get_run_or_raise,
    get_runs,
    run_inputs,
    run_policy,
    runs_page,
    trust_modes,
)
from wulian.policy.whatif import Change, WhatIf, what_if, with_parameter

__all__ = [
    "FIELDS",
    "FREE",
    "MODES",
    "NEAR",
    "PAID",
    "QUICK",
    "SHIPPED_SPECS",
    "SORTS",
    "SPECS",
    "STAFF_ONLY",
    "STATUSES",
    "Calculation",
    "Change",
    "LibraryItem",
    "PayoutFilters",
    "PayoutLine",
    "PayoutListing",
    "PayoutYear",
    "Pool",
    "PoolMember",
    "Readable",
    "WhatIf",
    "approve",
    "approve_matching",
    "build_input",
    "calculator",
    "check_sources",
    "create_run",
    "current_policy",
    "department_name",
    "evaluate_all",
    "export_xlsx",
    "firm_benefits",
    "get_run_or_raise",
    "get_runs",
    "get_version_or_raise",
    "get_versions",
    "install_shipped",
    "library",
    "may_approve",
    "newest",
    "parse",
    "parse_all",
    "payout_list",
    "payout_years",
    "policy_of",
    "pools",
    "readable",
    "require_reader",
    "run_inputs",
    "run_policy",
    "runs_page",
    "save_version",
    "shipped_codes",
    "shipped_text",
    "source_of",
    "trust_modes",
    "waiting",
    "what_if",
    "with_parameter",
]

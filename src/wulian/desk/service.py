"""The request desk (企呼我应): its service API, the one other modules call. The desk's tables are
read and written only by the modules of this package, each along one seam:

    versions   the configuration's versions        access   who may see and do what; reading
    intake     submitting a request                 actions  taking an action; bulk assignment
    effects    what actions do besides moving state clocks   deadlines replayed from events
    files      attachments                          suggest  the category a text suggests
    surveys    follow-up surveys                    sweep    warnings and escalation (督办)

A request is submitted by its firm (portal or API) or by an officer for a firm (hotline, visit);
it gets its tracking number in the same transaction that stores it. Every later step is an action
of the configuration's table, checked against the request's state and the actor's role, and
written as an event; the request's deadlines are then replayed from its events (see
`deadlines`). The sweep warns of deadlines due soon and escalates (督办) overdue requests.
"""

from __future__ import annotations

from wulian.desk.access import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    QUEUE_SORTS,
    SYSTEM_LABEL,
    Command,
    Filters,
    InvalidTransition,
    Reach,
    Upload,
    actions_for,
    attachments,
    counts_by_state,
    department_names,
    departments,
    events,
    firm_requests,
    get_by_tracking_or_raise,
    get_or_raise,
    latest_notes,
    officers,
    person_requests,
    queue,
    queue_xlsx,
    reach,
    waiting,
)
from wulian.desk.actions import act, bulk_assign
from wulian.desk.clocks import clock_results, recompute_provisional
from wulian.desk.files import attachment_file
from wulian.desk.intake import CHANNELS, submit
from wulian.desk.suggest import SUGGEST_THRESHOLD, SUGGESTER, suggest, warm_up
from wulian.desk.surveys import (
    RESPONSE_SORTS,
    SOLVED,
    SURVEY_CHANNELS,
    SURVEY_SORTS,
    SURVEY_STATUSES,
    ResponseFilters,
    SurveyFilters,
    answer_survey,
    responses_xlsx,
    survey_list,
    survey_of,
    survey_responses,
    surveys_due,
    surveys_xlsx,
)
from wulian.desk.sweep import SweepResult, sweep
from wulian.desk.versions import (
    CODE,
    SHIPPED_SPECS,
    SPECS,
    config_of,
    current,
    get_config_or_raise,
    get_configs,
    install_shipped,
    parse,
    save_config,
    shipped_text,
    staff_only,
)

__all__ = [
    "CHANNELS",
    "CODE",
    "MAX_DESCRIPTION",
    "MAX_TITLE",
    "QUEUE_SORTS",
    "RESPONSE_SORTS",
    "SHIPPED_SPECS",
    "SOLVED",
    "SPECS",
    "SUGGESTER",
    "SUGGEST_THRESHOLD",
    "SURVEY_CHANNELS",
    "SURVEY_SORTS",
    "SURVEY_STATUSES",
    "SYSTEM_LABEL",
    "Command",
    "Filters",
    "InvalidTransition",
    "Reach",
    "ResponseFilters",
    "SurveyFilters",
    "SweepResult",
    "Upload",
    "act",
    "actions_for",
    "answer_survey",
    "attachment_file",
    "attachments",
    "bulk_assign",
    "clock_results",
    "config_of",
    "counts_by_state",
    "current",
    "department_names",
    "departments",
    "events",
    "firm_requests",
    "get_by_tracking_or_raise",
    "get_config_or_raise",
    "get_configs",
    "get_or_raise",
    "install_shipped",
    "latest_notes",
    "officers",
    "parse",
    "person_requests",
    "queue",
    "queue_xlsx",
    "reach",
    "recompute_provisional",
    "responses_xlsx",
    "save_config",
    "shipped_text",
    "staff_only",
    "submit",
    "suggest",
    "survey_list",
    "survey_of",
    "survey_responses",
    "surveys_due",
    "surveys_xlsx",
    "sweep",
    "waiting",
    "warm_up",
]

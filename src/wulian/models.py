"""Every table of the platform, imported so that migrations see one complete metadata."""

from wulian.chains.models import ChainItem, ChainMembership, ChainPlacement, ChainSpecRow
from wulian.core.audit.models import AuditEntry
from wulian.core.auth.models import ApiToken, Department, LoginThrottle, User, UserSession
from wulian.core.workdays.models import HolidayNotice
from wulian.desk.models import (
    DeskAttachment,
    DeskConfigVersion,
    DeskEvent,
    DeskRequest,
    DeskSurvey,
)
from wulian.enterprises.models import Enterprise, Fact, FactSource
from wulian.innovation.models import (
    CreditConsent,
    InnovationResult,
    InnovationRun,
    InnovationSpec,
    Objection,
)
from wulian.landuse.models import LanduseResult, LanduseRun, LanduseSpec
from wulian.policy.models import Payout, PolicyOutcome, PolicyRun, PolicyVersion
from wulian.reference.models import Industry, IndustryTag, Metric

__all__ = [
    "ApiToken",
    "AuditEntry",
    "ChainItem",
    "ChainMembership",
    "ChainPlacement",
    "ChainSpecRow",
    "CreditConsent",
    "Department",
    "DeskAttachment",
    "DeskConfigVersion",
    "DeskEvent",
    "DeskRequest",
    "DeskSurvey",
    "Enterprise",
    "Fact",
    "FactSource",
    "HolidayNotice",
    "Industry",
    "IndustryTag",
    "InnovationResult",
    "InnovationRun",
    "InnovationSpec",
    "LanduseResult",
    "LanduseRun",
    "LanduseSpec",
    "LoginThrottle",
    "Metric",
    "Objection",
    "Payout",
    "PolicyOutcome",
    "PolicyRun",
    "PolicyVersion",
    "User",
    "UserSession",
]

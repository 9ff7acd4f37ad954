"""Every table of the platform, imported so that migrations see one complete metadata."""

from wulian.capital.models import (
    CapitalConfig,
    Commitment,
    Compensation,
    FinancingProduct,
    Fund,
    FundInvestment,
    FundManager,
    KnowledgeCreditConsent,
    KnowledgeCreditResult,
    KnowledgeCreditRun,
    ListingCase,
    Loan,
    PlanNote,
    RiskPool,
)
from wulian.chains.models import ChainItem, ChainMembership, ChainPlacement, ChainSpecRow
from wulian.core.audit.models import AuditEntry, AuditSeal
from wulian.core.auth.models import ApiToken, Department, LoginThrottle, User, UserSession
from wulian.core.forms import FormSubmission
from wulian.core.notify.models import Notification, NotificationPreference
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
from wulian.investment.models import (
    ApproachPlan,
    InvestmentProject,
    InvestmentStage,
    SigningEvent,
    StageEvent,
)
from wulian.landuse.models import LanduseResult, LanduseRun, LanduseSpec
from wulian.policy.models import Payout, PolicyOutcome, PolicyRun, PolicyVersion
from wulian.reference.models import Industry, IndustryTag, Metric
from wulian.talent.colleges import Cohort, College, Major, RetentionTarget
from wulian.talent.events import Event, EventPost
from wulian.talent.models import Authorisation, Consent, Person, Post, Recognition
from wulian.talent.programme_models import (
    AwardInstalment,
    Programme,
    ProgrammeApplication,
    ProgrammeReview,
    ProgrammeRound,
)

__all__ = [
    "ApiToken",
    "ApproachPlan",
    "AuditEntry",
    "AuditSeal",
    "Authorisation",
    "AwardInstalment",
    "CapitalConfig",
    "ChainItem",
    "ChainMembership",
    "ChainPlacement",
    "ChainSpecRow",
    "Cohort",
    "College",
    "Commitment",
    "Compensation",
    "Consent",
    "CreditConsent",
    "Department",
    "DeskAttachment",
    "DeskConfigVersion",
    "DeskEvent",
    "DeskRequest",
    "DeskSurvey",
    "Enterprise",
    "Event",
    "EventPost",
    "Fact",
    "FactSource",
    "FinancingProduct",
    "FormSubmission",
    "Fund",
    "FundInvestment",
    "FundManager",
    "HolidayNotice",
    "Industry",
    "IndustryTag",
    "InnovationResult",
    "InnovationRun",
    "InnovationSpec",
    "InvestmentProject",
    "InvestmentStage",
    "KnowledgeCreditConsent",
    "KnowledgeCreditResult",
    "KnowledgeCreditRun",
    "LanduseResult",
    "LanduseRun",
    "LanduseSpec",
    "ListingCase",
    "Loan",
    "LoginThrottle",
    "Major",
    "Metric",
    "Notification",
    "NotificationPreference",
    "Objection",
    "Payout",
    "Person",
    "PlanNote",
    "PolicyOutcome",
    "PolicyRun",
    "PolicyVersion",
    "Post",
    "Programme",
    "ProgrammeApplication",
    "ProgrammeReview",
    "ProgrammeRound",
    "Recognition",
    "RetentionTarget",
    "RiskPool",
    "SigningEvent",
    "StageEvent",
    "User",
    "UserSession",
]

"""Every table of the platform, imported so that migrations see one complete metadata."""

from wulian.core.audit.models import AuditEntry
from wulian.core.auth.models import ApiToken, Department, LoginThrottle, User, UserSession
from wulian.enterprises.models import Enterprise, Fact, FactSource
from wulian.reference.models import Industry, IndustryTag, Metric

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Department",
    "Enterprise",
    "Fact",
    "FactSource",
    "Industry",
    "IndustryTag",
    "LoginThrottle",
    "Metric",
    "User",
    "UserSession",
]

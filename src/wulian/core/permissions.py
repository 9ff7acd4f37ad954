"""Roles, permissions, API-token scopes and the actor every service function checks.

Permissions are checked in service functions (never only in templates). A service function
receives the `Actor` and calls `actor.require(...)` before it reads or writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from wulian.core.errors import MissingScope, PasswordChangeRequired, PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    OFFICER = "officer"
    ENTERPRISE = "enterprise"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.ANALYST: "分析员",
    Role.OFFICER: "部门工作人员",
    Role.ENTERPRISE: "企业用户",
}


class Permission(StrEnum):
    ZONE_READ = "zone.read"  # zone-wide counts, cockpit, chain overviews
    ENTERPRISES_READ = "enterprises.read"  # registry; bound actors see only their own firm
    ENTERPRISES_WRITE = "enterprises.write"
    ANALYSES_WRITE = "analyses.write"  # evaluation runs, lists, analyses
    USERS_MANAGE = "users.manage"
    DEPARTMENTS_MANAGE = "departments.manage"
    TOKENS_MANAGE = "tokens.manage"
    AUDIT_READ = "audit.read"
    REFERENCE_MANAGE = "reference.manage"  # taxonomies and the metric catalogue
    FACTS_WRITE = "facts.write"  # enterprise users: their own firm, as self-reports only
    FACTS_VERIFY = "facts.verify"
    CREDIT_READ = "credit.read"  # partner banks: innovation points of firms that consent
    PAYOUTS_APPROVE = "payouts.approve"  # approve a policy's payouts (兑现)
    CHAINS_MANAGE = "chains.manage"  # chain specs, placing firms on nodes, the N个一 items
    DESK_SUBMIT = "desk.submit"  # enterprise users: submit and follow their own firm's requests
    DESK_HANDLE = "desk.handle"  # officers: act on requests of their department
    DESK_READ = "desk.read"  # every request and the desk's statistics (leaders, analysts)
    DESK_ADMIN = "desk.admin"  # the desk's configuration: states, actions, routes, deadlines
    CALENDAR_MANAGE = "calendar.manage"  # the State Council's holiday notices (working days)
    INVESTMENT_READ = "investment.read"  # 招商: the project pipeline and its figures (staff only)
    INVESTMENT_WRITE = "investment.write"  # officers: leads and projects of their own team
    INVESTMENT_ADMIN = "investment.admin"  # the pipeline's stage table
    # talent (人才链): people records are read by the talent office and by a firm for its staff
    TALENT_READ = "talent.read"  # the talent map; people records (talent office, own firm)
    TALENT_WRITE = "talent.write"  # staff lists, posts, recognitions; approval (talent office)
    TALENT_ADMIN = "talent.admin"  # authorisations' rules, the retention sweep
    # 资金链: funds, loans and pools (read: staff; write: the finance office's officers only)
    FINANCE_READ = "finance.read"
    FINANCE_WRITE = "finance.write"
    FINANCE_ADMIN = "finance.admin"  # the leverage definition and the pools' thresholds


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ANALYST: frozenset(
        {
            Permission.ZONE_READ,
            Permission.ENTERPRISES_READ,
            Permission.ANALYSES_WRITE,
            Permission.DESK_READ,
            Permission.INVESTMENT_READ,
            Permission.TALENT_READ,
            Permission.FINANCE_READ,
        }
    ),
    Role.OFFICER: frozenset(
        {
            Permission.ZONE_READ,
            Permission.ENTERPRISES_READ,
            Permission.FACTS_WRITE,
            Permission.FACTS_VERIFY,
            Permission.PAYOUTS_APPROVE,
            Permission.CHAINS_MANAGE,
            Permission.DESK_HANDLE,
            Permission.INVESTMENT_READ,
            Permission.INVESTMENT_WRITE,
            Permission.TALENT_READ,
            Permission.TALENT_WRITE,
            Permission.FINANCE_READ,
            Permission.FINANCE_WRITE,
        }
    ),
    Role.ENTERPRISE: frozenset(
        {
            Permission.ENTERPRISES_READ,
            Permission.FACTS_WRITE,
            Permission.DESK_SUBMIT,
            Permission.TALENT_READ,  # its own staff and posts only
            Permission.TALENT_WRITE,
        }
    ),
}


@dataclass(frozen=True)
class Scope:
    key: str
    label: str
    permissions: frozenset[Permission]
    firm_bound: bool = False  # acts in a firm's name: a token with it must be bound to a firm


SCOPES: dict[str, Scope] = {
    scope.key: scope
    for scope in (
        Scope("zone:read", "读取园区汇总数据", frozenset({Permission.ZONE_READ})),
        Scope("enterprises:read", "读取企业名录", frozenset({Permission.ENTERPRISES_READ})),
        Scope(
            "innovation:credit",
            "合作银行：读取已授权企业的创新积分与授信参考额度",
            frozenset({Permission.CREDIT_READ}),
        ),
        Scope(
            "desk:submit",
            "企呼我应：以绑定企业的名义提交、查询和补充诉求",
            frozenset({Permission.DESK_SUBMIT}),
            firm_bound=True,
        ),
        Scope(
            "desk:read",
            "企呼我应：读取全部诉求与统计（如 12345 热线对接）",
            frozenset({Permission.DESK_READ}),
        ),
        Scope(
            "investment:read",
            "招商：读取项目库与招商统计",
            frozenset({Permission.INVESTMENT_READ}),
        ),
        Scope(
            "finance:read",
            "资金链：读取基金矩阵、撬动倍数、贷款与风险池",
            frozenset({Permission.FINANCE_READ}),
        ),
        Scope(
            "talent:staff",
            "人才链：以绑定企业的名义读取本企业人员、导入人员名单和岗位需求",
            frozenset({Permission.TALENT_READ, Permission.TALENT_WRITE}),
            firm_bound=True,
        ),
    )
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, an API token, or the system (CLI and demo builder)."""

    kind: Literal["user", "token", "system"]
    id: int | None
    label: str
    permissions: frozenset[Permission]
    role: Role | None = None
    department_id: int | None = None
    enterprise_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    must_change_password: bool = False

    @classmethod
    def system(cls, label: str = "系统") -> Actor:
        """The actor of CLI commands run by the operator of the server."""
        return cls(kind="system", id=None, label=label, permissions=frozenset(Permission))

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def answers_for_all(self) -> bool:
        """The system or an administrator: not bound to one department's share of the work."""
        return self.kind == "system" or self.role == Role.ADMIN

    def require(self, permission: Permission) -> None:
        """Raise unless this actor holds permission."""
        if self.must_change_password:
            raise PasswordChangeRequired("请先修改初始密码，再进行其他操作")
        if permission in self.permissions:
            return
        if self.kind == "token":
            wanted = [s.key for s in SCOPES.values() if permission in s.permissions]
            raise MissingScope(
                f"API 令牌缺少权限范围：{', '.join(wanted) or permission.value}",
                required_scopes=wanted,
            )
        raise PermissionDenied()

    def require_staff(self, why: str, permission: Permission | None = None) -> None:
        """Raise unless this actor works for the zone (not a firm's user), saying why a firm's user
        is refused; with permission, it must also hold that permission."""
        if permission is not None:
            self.require(permission)
        if self.enterprise_id is not None:
            raise PermissionDenied(why)

    def require_enterprise(self, enterprise_id: int) -> None:
        """Raise unless this actor may read the data of enterprise_id."""
        self.require(Permission.ENTERPRISES_READ)
        if self.enterprise_id is not None and self.enterprise_id != enterprise_id:
            raise PermissionDenied("只能查看本企业的数据")

    def require_department(self, department_id: int | None) -> None:
        """Raise unless this actor may see an item assigned to department_id."""
        if self.role in (Role.OFFICER,) and self.department_id != department_id:
            raise PermissionDenied("只能查看分派给本部门的事项")
        if self.enterprise_id is not None:
            raise PermissionDenied()


def scope_permissions(scopes: list[str] | frozenset[str]) -> frozenset[Permission]:
    """The permissions granted by a set of token scopes."""
    granted: set[Permission] = set()
    for key in scopes:
        granted |= SCOPES[key].permissions
    return frozenset(granted)

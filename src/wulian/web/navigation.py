"""The menu: the five chains, the cockpit and administration, shown by permission."""

from __future__ import annotations

from dataclasses import dataclass

from wulian.core.permissions import Actor, Permission


@dataclass(frozen=True)
class MenuItem:
    label: str
    href: str
    permission: Permission | None = None
    zone_staff_only: bool = False  # hidden from enterprise users and tokens bound to a firm


@dataclass(frozen=True)
class MenuSection:
    title: str
    items: tuple[MenuItem, ...]


CHAINS: dict[str, tuple[str, str]] = {
    "industry": ("产业链", "产业链引领"),
    "innovation": ("创新链", "创新链驱动"),
    "talent": ("人才链", "人才链支撑"),
    "capital": ("资金链", "资金链赋能"),
    "service": ("服务链", "服务链保障"),
}

MENU: tuple[MenuSection, ...] = (
    MenuSection(
        "总览",
        (
            MenuItem("首页", "/"),
            MenuItem("领导驾驶舱", "/cockpit", Permission.ZONE_READ, zone_staff_only=True),
        ),
    ),
    MenuSection(
        "五链融合",
        tuple(
            MenuItem(label, f"/chains/{key}", Permission.ZONE_READ, zone_staff_only=True)
            for key, (label, _) in CHAINS.items()
        ),
    ),
    MenuSection(
        "产业链",
        (
            MenuItem("产业链图谱", "/atlas", Permission.ZONE_READ, zone_staff_only=True),
            MenuItem("归链复核", "/atlas/review", Permission.ZONE_READ, zone_staff_only=True),
            MenuItem("产业链文件", "/atlas/specs", Permission.ZONE_READ, zone_staff_only=True),
        ),
    ),
    MenuSection(
        "招商",
        (
            MenuItem("项目库", "/investment", Permission.INVESTMENT_READ, zone_staff_only=True),
            MenuItem(
                "招商图谱", "/investment/atlas", Permission.INVESTMENT_READ, zone_staff_only=True
            ),
            MenuItem(
                "招商统计",
                "/investment/dashboard",
                Permission.INVESTMENT_READ,
                zone_staff_only=True,
            ),
            MenuItem(
                "集中签约", "/investment/signings", Permission.INVESTMENT_READ, zone_staff_only=True
            ),
            MenuItem(
                "链上往来", "/investment/ties", Permission.INVESTMENT_READ, zone_staff_only=True
            ),
            MenuItem(
                "登记新线索", "/investment/new", Permission.INVESTMENT_WRITE, zone_staff_only=True
            ),
            MenuItem(
                "台账导入", "/investment/import", Permission.INVESTMENT_WRITE, zone_staff_only=True
            ),
        ),
    ),
    MenuSection(
        "人才链",
        (
            MenuItem("人才工作台", "/talent", Permission.TALENT_READ),
            MenuItem("产业人才地图", "/talent/map", Permission.TALENT_READ, zone_staff_only=True),
            MenuItem(
                "自主评价授权",
                "/talent/authorisations",
                Permission.TALENT_READ,
                zone_staff_only=True,
            ),
        ),
    ),
    MenuSection(
        "资金链",
        (
            MenuItem("基金矩阵", "/capital", Permission.FINANCE_READ, zone_staff_only=True),
            MenuItem(
                "贷款与风险池", "/capital/loans", Permission.FINANCE_READ, zone_staff_only=True
            ),
            MenuItem(
                "融资产品", "/capital/products", Permission.FINANCE_READ, zone_staff_only=True
            ),
            MenuItem("融资需求", "/capital/needs", Permission.FINANCE_READ, zone_staff_only=True),
            MenuItem("银企对接", "/capital/events", Permission.FINANCE_READ, zone_staff_only=True),
            MenuItem(
                "上市梯队", "/capital/listings", Permission.FINANCE_READ, zone_staff_only=True
            ),
        ),
    ),
    MenuSection(
        "服务链",
        (
            MenuItem("企呼我应", "/desk", Permission.ZONE_READ, zone_staff_only=True),
            MenuItem("待回访", "/desk/surveys", Permission.ZONE_READ, zone_staff_only=True),
            MenuItem("诉求统计", "/desk/stats", Permission.ZONE_READ, zone_staff_only=True),
            MenuItem("服务台配置", "/desk/config", Permission.DESK_ADMIN),
        ),
    ),
    MenuSection(
        "企业",
        (
            MenuItem("企业名录", "/enterprises", Permission.ENTERPRISES_READ, zone_staff_only=True),
            MenuItem("数据导入", "/imports", Permission.FACTS_WRITE, zone_staff_only=True),
            MenuItem("数据审核", "/reviews", Permission.FACTS_VERIFY, zone_staff_only=True),
            MenuItem(
                "疑似重复", "/enterprises/duplicates", Permission.ZONE_READ, zone_staff_only=True
            ),
        ),
    ),
    MenuSection(
        "评价",
        (
            MenuItem("创新积分", "/innovation", Permission.ZONE_READ, zone_staff_only=True),
            MenuItem("评价方案", "/innovation/specs", Permission.ZONE_READ, zone_staff_only=True),
            MenuItem("亩均效益", "/landuse", Permission.ZONE_READ, zone_staff_only=True),
            MenuItem("亩均评价方案", "/landuse/specs", Permission.ZONE_READ, zone_staff_only=True),
        ),
    ),
    MenuSection(
        "政策",
        (
            MenuItem("政策库", "/policies"),
            MenuItem("政策兑现", "/policies/runs", Permission.ZONE_READ, zone_staff_only=True),
            MenuItem("梯度培育", "/policies/pools", Permission.ZONE_READ, zone_staff_only=True),
            MenuItem(
                "政策计算器", "/policies/calculator", Permission.ZONE_READ, zone_staff_only=True
            ),
        ),
    ),
    MenuSection(
        "系统管理",
        (
            MenuItem("用户管理", "/admin/users", Permission.USERS_MANAGE),
            MenuItem("部门管理", "/admin/departments", Permission.DEPARTMENTS_MANAGE),
            MenuItem("API 令牌", "/admin/tokens", Permission.TOKENS_MANAGE),
            MenuItem("审计日志", "/admin/audit", Permission.AUDIT_READ),
            MenuItem("表头别名", "/admin/aliases", Permission.REFERENCE_MANAGE),
            MenuItem("节假日安排", "/admin/calendar", Permission.CALENDAR_MANAGE),
        ),
    ),
)


def menu_for(actor: Actor | None) -> list[MenuSection]:
    """The sections and items actor may open."""
    if actor is None:
        return []
    sections = []
    for section in MENU:
        items = tuple(
            item
            for item in section.items
            if (item.permission is None or actor.has(item.permission))
            and not (item.zone_staff_only and actor.enterprise_id is not None)
        )
        if items:
            sections.append(MenuSection(section.title, items))
    if actor.enterprise_id is not None:
        mine = MenuItem("我的企业", f"/enterprises/{actor.enterprise_id}")
        points = MenuItem("我的创新积分", f"/innovation/portrait/{actor.enterprise_id}")
        lists = MenuItem("创新积分榜单", "/innovation")
        landuse = MenuItem("我的亩均效益评价", f"/landuse/card/{actor.enterprise_id}")
        policies = MenuItem("我可享受的政策", f"/policies/calculator/{actor.enterprise_id}")
        sections.insert(1, MenuSection("企业", (mine, points, lists, landuse, policies)))
        desk = (MenuItem("我的诉求", "/desk"), MenuItem("提交诉求", "/desk/new"))
        sections.insert(2, MenuSection("企呼我应", desk))
        finance = MenuItem("我的融资", f"/capital/firms/{actor.enterprise_id}")  # 资金链
        sections.insert(3, MenuSection("融资", (finance, MenuItem("融资需求", "/capital/needs"))))
    return sections


def _covers(href: str, path: str) -> bool:
    if href == "/":
        return path == "/"
    return path == href or path.startswith(href + "/")


def active_href(sections: list[MenuSection], path: str) -> str | None:
    """The one menu item the current page belongs to: the most specific item that is the page
    or one of its parents (/investment/atlas/lithium marks 招商图谱, not also 项目库)."""
    found = [item.href for s in sections for item in s.items if _covers(item.href, path)]
    return max(found, key=len) if found else None

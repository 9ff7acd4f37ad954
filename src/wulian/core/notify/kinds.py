"""The kinds of notification: what happened, in Chinese, and whether it is emailed when the user
has said nothing (a preference row overrides)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    email: bool = True  # emailed by default (to users who gave an address)
    sms: bool = False  # sent by SMS by default (to users who gave a mobile number)


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("desk.assigned", "诉求交办给我或本部门"),
        Kind("desk.due_soon", "诉求即将到期"),
        Kind("desk.overdue", "诉求已超期（督办）", sms=True),
        Kind("facts.review", "数据待审核"),
        Kind("run.notice", "评价结果公示"),
        Kind("run.published", "评价结果发布"),
        Kind("payout.approved", "政策兑现已审批"),
    )
}


def kind_or_raise(key: str) -> Kind:
    """The kind of that key; a programming error (not a user's) when unknown."""
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(f"unknown notification kind: {key}") from None

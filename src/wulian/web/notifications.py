"""The notification centre: the user's own notifications (page and API) and the choice of which
reach them by email or SMS (/account/notifications)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from wulian.core.deps import DB, CurrentActor, FormFields, render
from wulian.core.errors import WulianError
from wulian.core.notify import service as notify
from wulian.core.notify.kinds import KINDS
from wulian.core.notify.models import Notification
from wulian.core.pagination import PageOut
from wulian.core.permissions import Actor
from wulian.web.accounts import safe_next

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["通知"])
PageNo = Annotated[int, Query(ge=1, le=100_000)]


class NotificationOut(BaseModel):
    id: int
    kind: str = Field(description="通知类别")
    kind_label: str = Field(description="通知类别（中文）")
    title: str
    body: str
    link: str = Field(description="相关页面的地址")
    created_at: dt.datetime
    read_at: dt.datetime | None

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        kind = KINDS.get(n.kind)
        return cls(
            id=n.id, kind=n.kind, kind_label=kind.label if kind else n.kind, title=n.title,
            body=n.body, link=n.link, created_at=n.created_at, read_at=n.read_at,
        )  # fmt: skip


class UnreadOut(BaseModel):
    unread: int = Field(description="未读通知数")


class MarkedOut(BaseModel):
    marked: int = Field(description="标为已读的条数")


# ---------------------------------------------------------------- pages


@pages.get("/notifications")
def notifications_page(
    request: Request, db: DB, actor: CurrentActor, page: PageNo = 1, unread: int = 0
) -> Response:
    result = notify.get_all(db, actor=actor, page=page, unread_only=bool(unread))
    return render(
        request,
        "notifications/list.html",
        {"actor": actor, "result": result, "unread": bool(unread), "kinds": KINDS},
    )


@pages.post("/notifications/{notification_id}/open")
def open_notification(
    request: Request, db: DB, actor: CurrentActor, notification_id: int
) -> Response:
    """Mark read and go to what it is about."""
    row = notify.mark_read(db, actor=actor, notification_id=notification_id)
    return RedirectResponse(safe_next(row.link) if row.link else "/notifications", 303)


@pages.post("/notifications/{notification_id}/read")
def read_notification(
    request: Request, db: DB, actor: CurrentActor, notification_id: int
) -> Response:
    notify.mark_read(db, actor=actor, notification_id=notification_id)
    return RedirectResponse("/notifications", 303)


@pages.post("/notifications/read-all")
def read_all(request: Request, db: DB, actor: CurrentActor) -> Response:
    notify.mark_all_read(db, actor=actor)
    return RedirectResponse("/notifications", 303)


def _settings_page(
    request: Request, db: DB, actor: Actor, error: WulianError | None = None, saved: bool = False,
    form: dict[str, object] | None = None,
) -> Response:  # fmt: skip
    email, phone = notify.contact(db, actor=actor)
    chosen = notify.preferences(db, actor=actor)
    context = {
        "actor": actor, "kinds": KINDS, "chosen": chosen, "email": email, "phone": phone,
        "error": error, "saved": saved, **(form or {}),
    }  # fmt: skip
    return render(
        request, "account/notifications.html", context, status_code=error.status if error else 200
    )


@pages.get("/account/notifications")
def settings_page(request: Request, db: DB, actor: CurrentActor, saved: int = 0) -> Response:
    return _settings_page(request, db, actor, saved=bool(saved))


@pages.post("/account/notifications")
def save_settings(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    email = str(form.get("email") or "")[:300]
    phone = str(form.get("phone") or "")[:40]
    by_email = [str(v) for v in form.getlist("email_kind")]
    by_sms = [str(v) for v in form.getlist("sms_kind")]
    try:
        notify.update_preferences(
            db, actor=actor, email_address=email, phone=phone, email_kinds=by_email,
            sms_kinds=by_sms,
        )  # fmt: skip
    except WulianError as error:
        db.rollback()
        chosen = {k: (k in by_email, k in by_sms) for k in KINDS}
        return _settings_page(
            request, db, actor, error=error,
            form={"email": email, "phone": phone, "chosen": chosen},
        )  # fmt: skip
    return RedirectResponse("/account/notifications?saved=1", 303)


# ---------------------------------------------------------------- API


@api.get("/notifications", summary="我的通知（新的在前）")
def list_notifications(
    db: DB, actor: CurrentActor, page: PageNo = 1, unread: bool = False
) -> PageOut[NotificationOut]:
    result = notify.get_all(db, actor=actor, page=page, unread_only=unread)
    return PageOut[NotificationOut](
        **PageOut.fields(result), items=[NotificationOut.of(n) for n in result.items]
    )


@api.get("/notifications/unread-count", summary="未读通知数")
def unread_count(db: DB, actor: CurrentActor) -> UnreadOut:
    return UnreadOut(unread=notify.count_unread(db, actor=actor))


@api.post("/notifications/{notification_id}/read", summary="标为已读")
def mark_read(db: DB, actor: CurrentActor, notification_id: int) -> NotificationOut:
    return NotificationOut.of(notify.mark_read(db, actor=actor, notification_id=notification_id))


@api.post("/notifications/read-all", summary="全部标为已读")
def mark_all_read(db: DB, actor: CurrentActor) -> MarkedOut:
    return MarkedOut(marked=notify.mark_all_read(db, actor=actor))

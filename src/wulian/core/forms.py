"""Form values and one-time form keys.

Whole numbers typed into forms (`whole_number`, `row_numbers`, `optional_number`): ASCII digits
only, below 2**31 (str.isdigit() also accepts digits such as '²' that int() refuses, and a
database integer column holds less than any number of digits).

One-time form keys: a form a person can double-click carries a random key, and the second
submission of a key does not act again; it is sent where the first one went.

    done = forms.once(session, key)
    if done is not None:
        return RedirectResponse(done or fallback, 303)
    ...                                    # act
    forms.remember(session, key, location)

The key's row is inserted at once in the request's transaction: a concurrent duplicate waits for
the first transaction (a unique key), then finds its row. Keys are kept for KEEP_DAYS.

Every problem of a form at once (`Problems`): each field is checked on its own, its InvalidInput
kept, and the form refused with all of them (one message, numbered; `problems` lists each field,
value and message for the API's 422). What a view could not read (a date that is not a date) is
passed to the service as `unread` problems and refused with the rest.

    found = forms.Problems()
    firm = found.check(lambda: _firm(session, text))
    amount = found.check(lambda: _amount(text))
    found.raise_all("融资需求")           # nothing is written while any remains

Amounts typed with their unit (`typed_amount`): a plain decimal, the field's own unit after it or
not (“50万” in a 万元 field); another unit is refused with the amount converted
(“5000万即 0.5 亿元”), exponent notation (“1e3”) refused.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from wulian.core.db import Base, utcnow
from wulian.core.errors import InvalidInput, WulianError

KEY = re.compile(r"^[0-9a-f]{32}$")
T = TypeVar("T")


def whole_number(text: str) -> int | None:
    """text as a whole number (ASCII digits only, below 2**31), else None."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number < 2**31 else None


def row_numbers(values: Iterable[str]) -> set[int]:
    """The row numbers among values (others are left out)."""
    return {n for n in (whole_number(v) for v in values) if n is not None}


def optional_number(text: str, field: str, label: str) -> int | None:
    """A form's optional number (an id): None when blank, InvalidInput naming label when not a
    whole number."""
    text = text.strip()
    if not text:
        return None
    number = whole_number(text)
    if number is None:
        raise InvalidInput(f"{label}“{text}”无效", field=field, value=text)
    return number


class Problems:
    """The problems found in a submitted form, field by field (see the module's docstring)."""

    def __init__(self, errors: Iterable[WulianError] = ()) -> None:
        self.errors: list[WulianError] = list(errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def has(self, field: str) -> bool:
        """Whether field already has a problem (one the view could not read, say)."""
        return any(p.extra.get("field") == field for p in self.errors)

    def add(self, error: WulianError) -> None:
        self.errors.append(error)

    def check(self, part: Callable[[], T]) -> T | None:
        """part's value, or None when it raised InvalidInput (kept as a problem)."""
        try:
            return part()
        except InvalidInput as error:
            self.errors.append(error)
            return None

    def error(self, what: str = "") -> WulianError:
        """One InvalidInput naming every problem (the only one as it is)."""
        if len(self.errors) == 1:
            return self.errors[0]
        listed = "；".join(f"{n}. {p.message}" for n, p in enumerate(self.errors, start=1))
        problems: list[dict[str, Any]] = [
            {"field": p.extra.get("field"), "value": p.extra.get("value"), "message": p.message}
            for p in self.errors
        ]
        return InvalidInput(
            f"{what}有 {len(self.errors)} 处问题，未保存：{listed}",
            field=self.errors[0].extra.get("field"),
            fields=[p.extra.get("field") for p in self.errors], problems=problems,
        )  # fmt: skip

    def raise_all(self, what: str = "") -> None:
        """Refuse the form with every problem found, if any."""
        if self.errors:
            raise self.error(what)


KEEP_DAYS = 7


class FormSubmission(Base):
    """A one-time form key that was submitted, and where its submission led."""

    __tablename__ = "form_submissions"
    __audit__ = False  # bookkeeping: the action the form caused is audited itself

    key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    location: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


def new_key() -> str:
    """A fresh key for a form being rendered."""
    return secrets.token_hex(16)


def once(session: Session, key: str) -> str | None:
    """None the first time key is submitted (it is now taken); after that, where the first
    submission led ("" when it led nowhere, for example when it failed). A missing or malformed
    key (an old page, a script) is never taken: the form simply acts."""
    if not KEY.match(key or ""):
        return None
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    taken = session.scalar(
        insert(FormSubmission.__table__)  # type: ignore[arg-type]
        .values(key=key, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(FormSubmission.key)
    )
    if taken is not None:
        if secrets.randbelow(100) == 0:  # now and then, forget keys older than KEEP_DAYS
            cutoff = utcnow() - dt.timedelta(days=KEEP_DAYS)
            session.execute(sa.delete(FormSubmission).where(FormSubmission.created_at < cutoff))
        return None
    location = session.scalar(sa.select(FormSubmission.location).where(FormSubmission.key == key))
    return location or ""


def remember(session: Session, key: str, location: str) -> None:
    """Where the submission of key led, for a second submission of the same key."""
    if KEY.match(key or ""):
        session.execute(
            sa.update(FormSubmission).where(FormSubmission.key == key).values(location=location)
        )


# ---------------------------------------------------------------- amounts with a unit


PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
# a unit typed after the number: the field's own (万/万元 in 万元, 亿/亿元 in 亿元) is taken off,
# any other is refused naming the field's unit
TYPED_UNIT = re.compile(r"(万亿元|万亿|千万元|千万|百万元|百万|千元|万元|亿元|万|亿|元)$")


def typed_amount(raw: str, text: str, unit: str, *, field: str, label: str) -> str:
    """The number of an amount typed in unit: a plain decimal (12.5, 1,200), with the field's
    unit after it or not ("50万" where the unit is 万元); other units and exponent notation
    ("1e3") are refused naming the field's unit."""
    typed = TYPED_UNIT.search(raw)
    if typed is not None:
        number = raw[: typed.start()].strip()
        if typed.group(1) not in (unit, unit[0]):
            raise InvalidInput(
                f"{label}“{text}”的单位不对：本栏按{unit}填写，"
                + _converted(number, typed.group(1), unit),
                field=field, value=text,
            )  # fmt: skip
        raw = number
    if EXPONENT.fullmatch(raw):
        raise InvalidInput(
            f"{label}“{text}”请写成普通数字（如 1000 或 12.5），不要用科学计数法（单位：{unit}）",
            field=field, value=text,
        )  # fmt: skip
    if not PLAIN_NUMBER.fullmatch(raw):
        raise InvalidInput(f"{label}“{text}”不是数字（单位：{unit}）", field=field, value=text)
    return raw


# what each unit a person may type after a number is, in 元
TYPED_YUAN = {
    "万亿元": 10**12, "万亿": 10**12, "千万元": 10**7, "千万": 10**7, "百万元": 10**6,
    "百万": 10**6, "千元": 1_000, "万元": 10_000, "亿元": 10**8, "万": 10_000, "亿": 10**8, "元": 1,
}  # fmt: skip


def _converted(number: str, typed: str, unit: str) -> str:
    """How to write number typed in typed in the field's unit: “5000万” in 亿元 is “0.5”; an
    example only where the number cannot be read."""
    try:
        value = Decimal(number)
    except InvalidOperation:
        value = Decimal("NaN")
    if not PLAIN_NUMBER.fullmatch(number) or not value.is_finite():
        return f"请换算成{unit}（如“12.5”或“12.5{unit}”）"
    converted = (value * TYPED_YUAN[typed] / TYPED_YUAN[unit]).normalize()
    return f"{number}{typed}即 {converted:f} {unit}，请填“{converted:f}”"

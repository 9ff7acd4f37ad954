"""Changing the master key of people's identity numbers (key rotation).

Every stored number is decrypted with the old key and encrypted again with the new one, and its
blind index is recomputed, in one transaction: either every person is re-encrypted or nothing
changes. A row that the old key cannot open but the new key can was already rotated (a repeated
run), and is left as it is; a row that neither key opens stops the rotation before anything is
written, with the person's id (never the number) in the message.

Only the server's operator rotates keys (the command line's system actor): a signed-in user,
even an administrator, never holds both keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.errors import InvalidInput, PermissionDenied
from wulian.core.permissions import Actor
from wulian.talent.crypto import KeyMismatch, Keys
from wulian.talent.models import Person

BATCH = 2_000


@dataclass(frozen=True)
class Rotation:
    """How many people were re-encrypted, and how many already were under the new key."""

    rotated: int
    already: int


def rotate_key(session: Session, *, actor: Actor, old: Keys, new: Keys) -> Rotation:
    """Re-encrypt every person's identity number from the old key to the new one."""
    if actor.kind != "system":
        raise PermissionDenied("更换人才个人信息加密密钥只能由服务器管理员在命令行进行")
    if old.encrypt_key == new.encrypt_key:
        raise InvalidInput("新密钥与原密钥相同：请先生成新的密钥")
    rotated = already = 0
    last_id = 0
    while True:
        people = session.scalars(
            sa.select(Person).where(Person.id > last_id).order_by(Person.id).limit(BATCH)
        ).all()
        if not people:
            break
        for person in people:
            try:
                number = old.decrypt(person.id_cipher)
            except KeyMismatch:
                try:
                    new.decrypt(person.id_cipher)
                except KeyMismatch:
                    raise InvalidInput(
                        f"人员 #{person.id} 的身份证号用原密钥和新密钥都无法解密："
                        "原密钥可能不对，未作任何更改"
                    ) from None
                already += 1
                continue
            person.id_cipher = new.encrypt(number)
            person.id_index = new.index(number)
            rotated += 1
        session.flush()
        last_id = people[-1].id
    audit.record(
        session,
        action="talent.rotate_key",
        object_type="talent_people",
        after={"rotated": rotated, "already": already},
    )
    return Rotation(rotated, already)

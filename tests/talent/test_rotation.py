"""Changing the key of identity numbers: all re-encrypted or none, lookups follow the new key, a
repeated run is harmless, a wrong old key changes nothing, and only the operator may do it."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import SYSTEM
from tests.talent.conftest import KEYS, TEST_KEY, TODAY, identity, person
from wulian.cli import app
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.talent import service
from wulian.talent.crypto import KeyMismatch, Keys
from wulian.talent.models import Person
from wulian.talent.rotation import rotate_key

NEW_KEY = "ffeeddccbbaa99887766554433221100" * 2
NEW = Keys.from_master(NEW_KEY)


def _enter(world, actor, number: str, keys: Keys) -> int:
    data = service.NewPerson(
        name="李华", identity_number=number, education="本科",
        consents={"employment": dt.date(2026, 6, 1)},
    )  # fmt: skip
    return world.run(
        lambda s: service.create_person(s, actor=actor, keys=keys, today=TODAY, data=data).id
    )


def _stored(world) -> dict[int, tuple[bytes, str]]:
    def read(s):
        return {p.id: (bytes(p.id_cipher), p.id_index) for p in s.scalars(sa.select(Person))}

    return world.run(read)


def test_rotation_re_encrypts_every_number_and_lookups_follow_the_new_key(world, zone):
    firm = zone.actor(world, "firm_a_user")
    numbers = [identity(n) for n in (11, 12, 13)]
    ids = [person(world, firm, name=f"员工{n}", identity_number=n) for n in numbers]
    before = _stored(world)

    result = world.run(lambda s: rotate_key(s, actor=SYSTEM, old=KEYS, new=NEW))
    assert (result.rotated, result.already) == (3, 0)

    after = _stored(world)
    officer = zone.actor(world, "talent_officer")
    for pid, number in zip(ids, numbers, strict=True):
        cipher, index = after[pid]
        assert cipher != before[pid][0]
        assert NEW.decrypt(cipher) == number
        with pytest.raises(KeyMismatch):
            KEYS.decrypt(cipher)
        assert index == NEW.index(number) != before[pid][1]
        view = world.run(
            lambda s, pid=pid: service.get_person(s, actor=officer, keys=NEW, person_id=pid)
        )
        assert view.identity_masked.endswith(number[-4:])
    # the same person entered again under the new key is recognised as a duplicate
    with pytest.raises(Conflict, match="已登记"):
        _enter(world, firm, numbers[0], NEW)
    entry = world.scalar(sa.select(AuditEntry).where(AuditEntry.action == "talent.rotate_key"))
    assert entry is not None
    assert entry.after == {"rotated": 3, "already": 0}
    assert not any(n in str(entry.after) for n in numbers)


def test_a_repeated_run_leaves_rotated_rows_and_a_wrong_old_key_changes_nothing(world, zone):
    firm = zone.actor(world, "firm_a_user")
    person(world, firm, identity_number=identity(21))
    world.run(lambda s: rotate_key(s, actor=SYSTEM, old=KEYS, new=NEW))
    rotated = _stored(world)

    again = world.run(lambda s: rotate_key(s, actor=SYSTEM, old=KEYS, new=NEW))
    assert (again.rotated, again.already) == (0, 1)
    assert _stored(world) == rotated

    _enter(world, firm, identity(22), NEW)
    stranger = Keys.from_master("0123456789abcdef" * 4)
    odd = _enter(world, firm, identity(23), stranger)  # entered under a key nobody holds now
    before = _stored(world)
    other = Keys.from_master("fedcba9876543210" * 4)
    with pytest.raises(InvalidInput, match=f"人员 #{odd} 的身份证号用原密钥和新密钥都无法解密"):
        world.run(lambda s: rotate_key(s, actor=SYSTEM, old=NEW, new=other))
    assert _stored(world) == before  # the two rows before it were not re-encrypted either

    with pytest.raises(InvalidInput, match="相同"):
        world.run(lambda s: rotate_key(s, actor=SYSTEM, old=NEW, new=NEW))


@pytest.mark.parametrize("username", ["admin", "talent_officer"])
def test_no_signed_in_user_may_rotate_the_key(world, zone, username):
    person(world, zone.actor(world, "firm_a_user"))
    before = _stored(world)
    actor = zone.actor(world, username)
    with pytest.raises(PermissionDenied, match="命令行"):
        world.run(lambda s: rotate_key(s, actor=actor, old=KEYS, new=NEW))
    assert _stored(world) == before


def test_the_command_reads_the_old_key_from_the_environment(world, zone, settings, monkeypatch):
    person(world, zone.actor(world, "firm_a_user"), identity_number=identity(31))
    monkeypatch.setenv("WULIAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("WULIAN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WULIAN_TALENT_KEY", NEW_KEY)
    monkeypatch.setenv("WULIAN_TALENT_OLD_KEY", TEST_KEY)
    result = CliRunner().invoke(app, ["talent", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "已用新密钥重新加密 1 人的身份证号" in result.output
    ((cipher, _index),) = _stored(world).values()
    assert NEW.decrypt(cipher) == identity(31)

    monkeypatch.setenv("WULIAN_TALENT_OLD_KEY", "not hex")
    bad = CliRunner().invoke(app, ["talent", "rotate-key"])
    assert bad.exit_code == 2
    assert "格式不对" in bad.output

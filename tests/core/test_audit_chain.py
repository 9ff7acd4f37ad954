"""The audit trail is tamper-evident: entries are sealed into a hash chain, and `wulian audit
verify` finds the first link broken by someone who got past the append-only guard (a database
owner who disables the trigger). Both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.test_cli import run  # noqa: F401  (the CLI fixture)
from wulian.core import audit
from wulian.core.audit.models import AuditEntry
from wulian.core.db import session_factory, unit_of_work


def _seal(world) -> int:
    with unit_of_work(session_factory(world.engine)) as session:
        return audit.seal(session)


def _verify(world) -> audit.ChainCheck:
    with session_factory(world.engine)() as session:
        return audit.verify(session)


def _bypass(world, backend: str, statement: sa.Executable) -> None:
    """What an owner of the database can do: write past the append-only trigger."""
    with world.engine.begin() as connection:
        if backend == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.execute(statement)


def _entries(world, count: int) -> list[int]:
    for i in range(count):
        world.department(f"d{i}", f"部门{i}")
    return [int(i) for i in world.run(lambda s: list(s.scalars(sa.select(AuditEntry.id))))]


def test_sealed_entries_verify_and_new_ones_join_the_chain(world):
    ids = _entries(world, 3)
    assert _verify(world).unsealed == len(ids)
    assert _seal(world) == len(ids)
    assert _seal(world) == 0  # sealing twice adds nothing
    world.department("late", "后来的部门")
    assert _seal(world) == 1
    check = _verify(world)
    assert (check.checked, check.broken, check.unsealed) == (len(ids) + 1, None, 0)


@pytest.mark.parametrize("tamper", ["update", "delete"])
def test_a_changed_or_deleted_entry_breaks_the_chain_where_it_is(world, backend, tamper):
    ids = _entries(world, 4)
    _seal(world)
    victim = ids[2]
    statement = (
        sa.update(AuditEntry).where(AuditEntry.id == victim).values(actor_label="别人")
        if tamper == "update"
        else sa.delete(AuditEntry).where(AuditEntry.id == victim)
    )
    _bypass(world, backend, statement)
    check = _verify(world)
    assert check.broken is not None
    seq, entry_id, why = check.broken
    assert (seq, entry_id, check.checked) == (3, victim, 2)
    assert ("改动" if tamper == "update" else "删除") in why


def test_the_command_reports_the_first_broken_link(run, world, backend):  # noqa: F811
    ids = _entries(world, 2)
    assert run("audit", "seal").exit_code == 0
    good = run("audit", "verify")
    assert good.exit_code == 0, good.output
    assert "全部校验通过" in good.output
    _bypass(world, backend, sa.update(AuditEntry).where(AuditEntry.id == ids[1]).values(ip="x"))
    bad = run("audit", "verify")
    assert bad.exit_code == 1
    assert f"审计记录 #{ids[1]}" in bad.output

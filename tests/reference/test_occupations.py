"""The occupation classification (职业分类大典 2022) loaded into the database: the whole table or
nothing, problems by row, column and value, and the talent map naming occupations from it."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import SYSTEM
from wulian.cli import app
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidFile, PermissionDenied
from wulian.reference import service
from wulian.reference.models import Occupation

HEADER = "level,code,name,parent_code,definition\n"
SMALL = HEADER + (
    "1,2-00-00-00,专业技术人员,,\n"
    "2,2-02-00-00,工程技术人员,2-00-00-00,\n"
    "3,2-02-29-00,新材料工程技术人员,2-02-00-00,\n"
    "4,2-02-29-03,电池材料工程技术人员,2-02-29-00,从事电池材料研发的人员。\n"
)


def _count(world) -> int:
    return int(world.scalar(sa.select(sa.func.count()).select_from(Occupation)))


def test_the_shared_table_loads_whole(world, shared_data, tmp_path):
    path = shared_data / "occupations" / "csco2022.csv"
    result = world.run(lambda s: service.import_occupations(s, actor=SYSTEM, path=path))
    table = pl.read_csv(path, infer_schema=False)
    assert result.entries == table.height
    assert result.occupations == table.filter(pl.col("level") == "4").height
    names = world.run(service.occupation_names)
    assert names["1-01-00-01"] == "中国共产党机关负责人"
    assert len(names) == result.occupations
    entry = world.scalar(sa.select(AuditEntry.after).where(AuditEntry.object_type == "occupations"))
    assert entry["entries"] == table.height

    # a second import replaces the first
    small = tmp_path / "small.csv"
    small.write_text(SMALL, encoding="utf-8")
    world.run(lambda s: service.import_occupations(s, actor=SYSTEM, path=small))
    assert world.run(service.occupation_names) == {"2-02-29-03": "电池材料工程技术人员"}


@pytest.mark.parametrize(
    ("line", "column", "value", "why"),
    [
        ("5,2-02-29-04,某职业,2-02-29-00,", "level", "5", "层级应为 1–4"),
        ("4,2-2-29-04,某职业,2-02-29-00,", "code", "2-2-29-04", "代码格式应为 x-xx-xx-xx"),
        ("4,2-02-29-03,重复的职业,2-02-29-00,", "code", "2-02-29-03", "代码重复"),
        ("4,2-02-29-04,,2-02-29-00,", "name", "", "名称不能为空"),
        ("4,2-02-29-04,某职业,2-02-99-00,", "parent_code", "2-02-99-00", "上级代码不在表中"),
        ("2,2-03-00-00,某中类,2-02-29-00,", "parent_code", "2-02-29-00", "层级不应低于本行"),
    ],
)
def test_a_bad_row_is_named_and_nothing_changes(world, tmp_path, line, column, value, why):
    good = tmp_path / "good.csv"
    good.write_text(SMALL, encoding="utf-8")
    world.run(lambda s: service.import_occupations(s, actor=SYSTEM, path=good))
    bad = tmp_path / "bad.csv"
    bad.write_text(SMALL + line + "\n", encoding="utf-8")
    with pytest.raises(InvalidFile) as caught:
        world.run(lambda s: service.import_occupations(s, actor=SYSTEM, path=bad))
    problem = caught.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (6, column, value)
    assert why in problem.reason
    assert _count(world) == 4


def test_only_reference_managers_load_the_table(world, tmp_path):
    from wulian.core.auth import service as auth_service
    from wulian.core.permissions import Role

    world.user("analyst", Role.ANALYST)
    analyst = auth_service.actor_for_user(world.get_user("analyst"))
    path = tmp_path / "t.csv"
    path.write_text(SMALL, encoding="utf-8")
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.import_occupations(s, actor=analyst, path=path))
    assert _count(world) == 0
    assert world.run(service.occupation_names) is None


def test_the_command_loads_the_table(world, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("WULIAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("WULIAN_DATA_DIR", str(settings.data_dir))
    path = tmp_path / "t.csv"
    path.write_text(SMALL, encoding="utf-8")
    done = CliRunner().invoke(app, ["reference", "import", "occupations", str(path)])
    assert done.exit_code == 0, done.output
    assert "职业分类 4 条（职业即细类 1 个）" in done.output
    path.write_text(SMALL + "4,2-02-29-04,,2-02-29-00,\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["reference", "import", "occupations", str(path)])
    assert refused.exit_code != 0
    assert "名称不能为空" in refused.output
    assert _count(world) == 4

"""A production install: `wulian db upgrade` alone brings a blank database to the shipped
reference data and specs, so a real file imports; running it again changes nothing; a newer
shipped file never overwrites a local edit but is offered on the spec's page to be adopted.
Both databases."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import SYSTEM, login, post_form
from wulian import install
from wulian.cli import app
from wulian.core import specversions
from wulian.core.audit.models import AuditEntry
from wulian.core.auth.models import Department
from wulian.core.db import create_engine
from wulian.core.permissions import Role
from wulian.desk import service as desk_service
from wulian.desk import versions as desk_versions
from wulian.desk.models import DeskConfigVersion
from wulian.enterprises.models import Enterprise, Fact
from wulian.enterprises.uscc import synthetic
from wulian.landuse import service as landuse_service
from wulian.landuse import versions as landuse_versions
from wulian.landuse.models import LanduseSpec
from wulian.policy.models import PolicyVersion
from wulian.reference import catalogue
from wulian.reference.models import Metric


def _count(engine, what) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(what)) or 0)


def test_db_upgrade_alone_lets_a_gbk_file_import(blank_database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("WULIAN_DATABASE_URL", blank_database_url)
    monkeypatch.setenv("WULIAN_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "空库 →" in first.output
    assert "已按模板创建 11 个工作部门" in first.output
    assert "政策文件：新载入" in first.output
    assert "尚未导入 GB/T 4754 行业分类" in first.output  # the next step is named

    code = synthetic(77)
    data = f"统一社会信用代码,企业名称,营业收入（万元）\n{code},杭州试装科技有限公司,1234.5\n"
    path = tmp_path / "营业收入.csv"
    path.write_bytes(data.encode("gbk"))
    imported = runner.invoke(
        app, ["import", "facts", str(path), "--period", "2024", "--create-firms"]
    )
    assert imported.exit_code == 0, imported.output
    assert "新登记企业 1 家" in imported.output

    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert "参考数据与内置方案已是最新" in again.output
    engine = create_engine(blank_database_url)
    try:
        assert _count(engine, Department) == len(install.DEPARTMENTS)
        assert _count(engine, Metric) == len(catalogue.shipped())
        assert _count(engine, Enterprise) == 1
        with engine.connect() as connection:
            value = connection.scalar(sa.select(Fact.value))
            installs = connection.scalar(
                sa.select(sa.func.count()).where(AuditEntry.action == "install.shipped")
            )
            policies = connection.scalar(sa.select(sa.func.count()).select_from(PolicyVersion))
        assert value == 1234.5
        assert installs == 1  # the second run changed nothing, so recorded nothing
        assert policies == len(policy_files())
    finally:
        engine.dispose()


def policy_files() -> dict[str, str]:
    from wulian.policy import service as policy_service

    return policy_service.SHIPPED_SPECS.files()


def test_a_newer_shipped_file_updates_untouched_specs_and_is_offered_over_edits(
    client, world, monkeypatch
):
    world.run(lambda s: install.install(s, actor=SYSTEM))
    world.user("admin1", Role.ADMIN)
    landuse_v1 = world.scalar(sa.select(LanduseSpec).where(LanduseSpec.code == "huangyan"))
    edited_text = landuse_v1.text.replace("\nname:", "\n# 本地注释\nname:", 1)
    edited = world.run(
        lambda s: (
            landuse_service.save_spec(
                s, actor=SYSTEM, text=edited_text, based_on_id=landuse_v1.id, note="本地修改"
            ).id
        )
    )
    # the platform ships newer files of both the edited landuse spec and the untouched desk file
    landuse_new = landuse_service.shipped_text("huangyan") + "\n# 平台更新\n"
    desk_new = desk_service.shipped_text() + "\n# 平台更新\n"
    monkeypatch.setattr(landuse_versions, "shipped_text", lambda code: landuse_new)
    monkeypatch.setattr(desk_versions, "shipped_text", lambda: desk_new)

    result = world.run(lambda s: install.install(s, actor=SYSTEM))
    assert result.offered() == [("亩均效益评价方案", "huangyan")]
    desk_done = next(s for s in result.specs if s.label == "服务台配置")
    assert desk_done.updated == ["desk"]
    newest_desk = world.scalar(
        sa.select(DeskConfigVersion).order_by(DeskConfigVersion.version.desc()).limit(1)
    )
    assert (newest_desk.version, newest_desk.text, newest_desk.shipped) == (2, desk_new, True)
    newest = world.run(lambda s: specversions.latest(s, LanduseSpec, "huangyan").id)
    assert newest == edited  # the local edit stays the newest version

    login(client, "admin1")
    page = client.get(f"/landuse/specs/{edited}")
    assert 'id="offer"' in page.text
    assert "# 平台更新" in page.text
    adopted = post_form(
        client, f"/landuse/specs/{edited}/adopt", {}, page=f"/landuse/specs/{edited}"
    )
    assert adopted.status_code == 303
    row = world.run(lambda s: specversions.latest(s, LanduseSpec, "huangyan"))
    assert (row.version, row.text, row.shipped, row.note) == (
        3, landuse_new, True, "采用平台内置的新版本"
    )  # fmt: skip
    assert 'id="offer"' not in client.get(f"/landuse/specs/{row.id}").text
    after = world.run(lambda s: install.install(s, actor=SYSTEM))
    assert after.offered() == []
    assert not after.changed


def test_only_those_who_may_edit_see_and_adopt_an_offer(client, world, monkeypatch):
    world.run(lambda s: install.install(s, actor=SYSTEM))
    base = world.scalar(sa.select(LanduseSpec).where(LanduseSpec.code == "huangyan"))
    edited = world.run(
        lambda s: (
            landuse_service.save_spec(
                s, actor=SYSTEM, text=base.text + "\n# 本地\n", based_on_id=base.id
            ).id
        )
    )
    monkeypatch.setattr(landuse_versions, "shipped_text", lambda code: base.text + "\n# 新\n")
    world.user("officer1", Role.OFFICER, department_id=world.department("economy", "经济信息化局"))
    login(client, "officer1")
    page = client.get(f"/landuse/specs/{edited}")
    assert page.status_code == 200
    assert 'id="offer"' in page.text  # the difference is shown …
    assert "采用内置新版本" not in page.text  # … without the action
    refused = post_form(
        client, f"/landuse/specs/{edited}/adopt", {}, page=f"/landuse/specs/{edited}"
    )
    assert refused.status_code == 403
    newest = world.run(lambda s: specversions.latest(s, LanduseSpec, "huangyan").id)
    assert newest == edited


def test_the_editor_is_offered_only_to_those_whose_department_owns_the_spec(
    client, make_client, world
):
    world.run(lambda s: install.install(s, actor=SYSTEM))
    spec = world.scalar(sa.select(LanduseSpec.id).where(LanduseSpec.code == "huangyan"))
    world.user("owner1", Role.ANALYST, department_id=world.department("economy", "经济信息化局"))
    world.user("other1", Role.ANALYST, department_id=world.department("science", "科技局"))
    login(client, "owner1")
    assert 'id="spec-form"' in client.get(f"/landuse/specs/{spec}").text
    other = make_client()
    login(other, "other1")
    page = other.get(f"/landuse/specs/{spec}")
    assert page.status_code == 200
    assert 'id="spec-form"' not in page.text  # the file is shown, without an editor that fails
    text = world.scalar(sa.select(LanduseSpec.text).where(LanduseSpec.id == spec))
    refused = post_form(
        other, f"/landuse/specs/{spec}", {"text": text + "\n# 改\n"}, page=f"/landuse/specs/{spec}"
    )
    assert refused.status_code == 403
    assert "由经济信息化局负责" in refused.text


def test_the_install_keeps_a_zone_s_own_department_names(world):
    world.department("kjj", "科技局")  # the template's 科技局 under the zone's own code
    result = world.run(lambda s: install.install(s, actor=SYSTEM))
    assert result.departments == len(install.DEPARTMENTS) - 1
    names = world.scalar(sa.select(sa.func.count()).where(Department.name == "科技局"))
    assert names == 1


def test_another_department_may_copy_a_spec_into_its_own(client, world):
    world.run(lambda s: install.install(s, actor=SYSTEM))
    spec = world.scalar(sa.select(LanduseSpec).where(LanduseSpec.code == "huangyan"))
    world.user("science1", Role.ANALYST, department_id=world.department("science", "科技局"))
    login(client, "science1")
    page = client.get(f"/landuse/specs/{spec.id}")
    assert 'id="copy-form"' in page.text
    assert 'id="spec-form"' not in page.text
    text = spec.text.replace("id: huangyan", "id: science_copy", 1).replace(
        "department: economy", "department: science", 1
    )
    copied = post_form(
        client, f"/landuse/specs/{spec.id}", {"text": text, "as_copy": "1"},
        page=f"/landuse/specs/{spec.id}",
    )  # fmt: skip
    assert copied.status_code == 303, copied.text[-500:]
    codes = set(world.run(lambda s: s.scalars(sa.select(LanduseSpec.code)).all()))
    assert codes == {"huangyan", "science_copy"}

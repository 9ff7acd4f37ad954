"""The talent map names occupations from the table loaded with `wulian reference import
occupations` when no occupation file is configured."""

from __future__ import annotations

from tests.conftest import SYSTEM, login
from tests.reference.test_occupations import SMALL
from tests.talent.conftest import identity, person
from wulian.chains import service as chains
from wulian.reference import service as reference
from wulian.talent import service as talent


def test_the_talent_map_names_occupations_from_the_loaded_table(
    make_client, world, zone, app, tmp_path
):
    app.state.settings = app.state.settings.model_copy(update={"occupations_file": None})
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    firm = zone.actor(world, "firm_a_user")
    person(world, firm, identity_number=identity(1), chain="lithium", node="cathode",
           occupation_code="2-02-29-03")  # fmt: skip
    data = talent.NewPost(title="正极材料研发工程师", openings=3, occupation_code="2-02-29-03",
                          chain="lithium", node="cathode")  # fmt: skip
    world.run(lambda s: talent.create_post(s, actor=firm, data=data))
    client = make_client()
    login(client, "analyst")
    assert "电池材料工程技术人员" not in client.get("/talent/map").text
    path = tmp_path / "t.csv"
    path.write_text(SMALL, encoding="utf-8")
    world.run(lambda s: reference.import_occupations(s, actor=SYSTEM, path=path))
    page = client.get("/talent/map")
    assert page.status_code == 200
    assert "电池材料工程技术人员" in page.text

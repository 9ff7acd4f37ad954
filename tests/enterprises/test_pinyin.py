"""Firms are listed by the pinyin of their names, as Chinese readers look for them, and found by
part of a name or a former name, by full pinyin or by pinyin initials, or by credit code.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SYSTEM
from wulian.enterprises import service
from wulian.enterprises.names import name_key, pinyin_key, search_key
from wulian.enterprises.uscc import synthetic


def test_readings_come_from_phrases():
    assert pinyin_key("重庆长安汽车股份有限公司").startswith("chong qing chang an qi che")
    key = search_key("重庆长安汽车股份有限公司", ["长安汽车制造厂"])
    assert "cqcaqcgfyxgs" in key.split("|")
    assert "重庆长安汽车" in key.split("|")
    assert "长安汽车制造厂" in key.split("|")


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=20))
def test_every_name_gets_keys_that_find_it_by_itself(name):
    key = search_key(name)
    assert name_key(name) in key
    assert len(pinyin_key(name)) <= 400


def names(world, **filters):
    page = world.run(lambda s: service.get_all(s, actor=SYSTEM, filters=service.Filters(**filters)))
    return [e.name for e in page.items]


def test_lists_sort_by_pinyin_and_find_by_initials_former_names_and_code(world):
    for i, name in enumerate(["中山精工有限公司", "阿里示例科技有限公司", "北京示例材料有限公司",
                              "重庆长安汽车股份有限公司"]):  # fmt: skip
        world.enterprise(name, code=synthetic(30 + i))
    # 阿 a < 北 b < 重 chong < 中 zhong; by code point 中 (U+4E2D) would come first
    assert names(world) == [
        "阿里示例科技有限公司",
        "北京示例材料有限公司",
        "重庆长安汽车股份有限公司",
        "中山精工有限公司",
    ]
    assert names(world, q="cqca") == ["重庆长安汽车股份有限公司"]
    assert names(world, q="CQCA") == ["重庆长安汽车股份有限公司"]
    assert names(world, q="beijing") == ["北京示例材料有限公司"]
    assert names(world, q="长安汽车") == ["重庆长安汽车股份有限公司"]
    assert names(world, q=synthetic(30)) == ["中山精工有限公司"]
    # two characters: shorter than the trigram index, found all the same
    assert names(world, q="精工") == ["中山精工有限公司"]
    assert names(world, q="示例") == ["阿里示例科技有限公司", "北京示例材料有限公司"]
    assert names(world, q="示例_") == []  # a LIKE wildcard is a character like any other

    def rename(session):
        firm = service.get_by_uscc_or_raise(session, code=synthetic(31))
        firm.former_names = [firm.name]
        firm.name = "蚂蚁示例科技有限公司"

    world.run(rename)
    assert names(world, q="阿里示例") == ["蚂蚁示例科技有限公司"]  # by its former name
    assert names(world, q="mysl") == ["蚂蚁示例科技有限公司"]
    assert names(world)[:2] == ["北京示例材料有限公司", "重庆长安汽车股份有限公司"]


def test_a_renamed_firm_is_matched_by_its_new_name(world):
    """Name matching (a tie entered by name, an import without a credit code) follows a rename:
    the folded name key is derived like the search keys."""
    from wulian.enterprises import read

    world.enterprise("衢州旧名材料有限公司", code=synthetic(40))

    def rename(session):
        firm = service.get_by_uscc_or_raise(session, code=synthetic(40))
        firm.former_names = [firm.name]
        firm.name = "衢州新名材料有限责任公司"

    world.run(rename)
    found = world.run(
        lambda s: read.ids_for_names(s, ["衢州新名材料有限公司", "衢州旧名材料有限公司"])
    )
    assert list(found) == ["衢州新名材料有限公司"]


def test_a_name_that_also_folds_to_a_zone_firm_stands_for_no_outside_firm(world):
    """A name typed without its company form (or with another) that folds to a zone firm and to
    a firm outside the zone stands for neither when an outside firm is asked for: which one is
    meant is unknown."""
    from wulian.enterprises import read

    world.enterprise("宁波甬芯电子有限公司", code=synthetic(41))
    outside = world.enterprise("宁波甬芯电子股份有限公司", code=synthetic(42), in_zone=False)
    world.enterprise("宁波远方电子股份有限公司", code=synthetic(43), in_zone=False)
    typed = ["宁波甬芯电子", "宁波甬芯电子有限责任公司", "宁波远方电子有限公司"]
    found = world.run(lambda s: read.ids_for_names(s, typed, in_zone=False))
    assert outside not in found.values()
    assert list(found) == ["宁波远方电子有限公司"]

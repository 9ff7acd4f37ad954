"""Titles a firm can hold, with the certificate data each carries."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Tag:
    key: str
    label: str
    field: str  # the import field that says yes or no
    details: dict[str, str] = dataclasses.field(
        default_factory=dict
    )  # tag attribute → import field


TAGS: dict[str, Tag] = {
    tag.key: tag
    for tag in (
        Tag("guishang", "规上企业", "tag_guishang"),
        Tag(
            "gaoxin",
            "高新技术企业",
            "tag_gaoxin",
            {"number": "gaoxin_number", "valid_from": "gaoxin_from", "valid_to": "gaoxin_to"},
        ),
        Tag(
            "kexing",
            "科技型中小企业",
            "tag_kexing",
            {"number": "kexing_number", "year": "kexing_year"},
        ),
        Tag("zhuanjing", "专精特新中小企业", "tag_zhuanjing"),
        Tag("xiaojuren", "专精特新“小巨人”", "tag_xiaojuren"),
        Tag("danxiang", "制造业单项冠军", "tag_danxiang"),
        Tag("lianzhu", "链主企业", "tag_lianzhu"),
        Tag("keji_jiang", "近五年国家级科技奖励（前三名）", "tag_keji_jiang"),  # 梯度培育直通
        Tag("biaozhun", "近五年主导制定国际、国家或行业标准", "tag_biaozhun"),  # 梯度培育直通
        Tag("zudi", "租用土地", "tag_zudi"),  # 亩均效益: listed apart
        Tag("zaijian", "重大项目在建", "tag_zaijian"),  # 亩均效益: not rated (T)
        Tag(
            "listed",
            "上市企业",
            "tag_listed",
            {"exchange": "listed_exchange", "number": "listed_code"},
        ),
    )
}

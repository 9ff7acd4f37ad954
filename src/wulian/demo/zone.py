"""The demo zone “示例高新区”: firms, tags and three years of facts (the last three whose figures
are in, relative to today), synthetic but realistic.

Six chains modelled on Quzhou's. Revenue is heavy-tailed (log-normal, a few anchor firms per chain
an order of magnitude larger); R&D intensity and the tech-staff share differ by sector; patents
follow R&D; each firm grows or shrinks at its own rate; about 5% of values are missing. Everything
comes from one seeded generator, so every build is the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import xlsx
from wulian.core.db import utcnow
from wulian.demo.chains import firm_texts
from wulian.enterprises import importreport
from wulian.enterprises.models import Enterprise, EnterpriseTag, Fact, FactSource
from wulian.enterprises.names import name_key, pinyin_key, search_key
from wulian.enterprises.uscc import synthetic
from wulian.reference.models import Metric, Region

SEED = 20261121


def data_years(today: dt.date) -> tuple[str, str, str]:
    """The three years of the demo's facts, relative to today: the newest is the last year
    whose annual figures are in (they are reported by April 30 of the year after)."""
    last = today.year - 1 if today >= dt.date(today.year, 5, 1) else today.year - 2
    return (str(last - 2), str(last - 1), str(last))


IN_ZONE = 2_000
EXTERNAL = 5_000
MISSING_SHARE = 0.05
ZONE_COUNTIES = ("330802", "330803")  # 柯城区, 衢江区 (the zone's two host districts)
# Records copied in from old ledgers, without credit codes, under a variant of a zone firm's name
# (index of the firm, text in its name, written instead as): the likely-duplicates page has work.
LEGACY_DUPLICATES = (
    (6, "有限公司", "有限责任公司"),
    (41, "有限公司", " 有限公司"),
    (132, "示例", "示例 "),
    (511, "有限公司", "有限责任公司"),
)


@dataclass(frozen=True)
class Chain:
    key: str
    name: str
    share: float  # of in-zone firms
    industries: tuple[str, ...]  # GB/T 4754 小类
    words: tuple[str, ...]  # business words in synthetic names
    revenue_mu: float  # log of median revenue, 万元
    rd_intensity: float  # median R&D / revenue
    tech_share: float  # median tech staff / staff
    energy_per_revenue: float  # 吨标准煤 per 万元


CHAINS: tuple[Chain, ...] = (
    Chain(
        "fluorosilicon",
        "氟硅新材料",
        0.22,
        ("2614", "2651", "2659"),
        ("氟材料", "硅材料", "化工新材料", "有机硅"),
        8.6,
        0.032,
        0.14,
        0.30,
    ),
    Chain(
        "lithium",
        "锂电新材料",
        0.16,
        ("3841", "2613", "3985"),
        ("锂电材料", "新能源材料", "电池材料"),
        8.9,
        0.035,
        0.15,
        0.12,
    ),
    Chain(
        "electronic_chemicals",
        "电子化学材料",
        0.14,
        ("2662", "2669", "3985"),
        ("电子化学品", "电子材料", "湿化学品"),
        8.2,
        0.045,
        0.18,
        0.20,
    ),
    Chain(
        "special_paper",
        "特种纸与特色轻工",
        0.20,
        ("2221", "2223", "2231"),
        ("特种纸业", "纸品", "轻工制品"),
        8.0,
        0.018,
        0.08,
        0.35,
    ),
    Chain(
        "chips_sensors",
        "芯片及传感器",
        0.12,
        ("3973", "3972", "3983"),
        ("微电子", "半导体", "传感技术", "芯片科技"),
        7.9,
        0.085,
        0.32,
        0.05,
    ),
    Chain(
        "biomedicine",
        "生物医药与大健康",
        0.16,
        ("2710", "2720", "2761", "3581"),
        ("生物医药", "制药", "医疗器械", "健康科技"),
        8.1,
        0.070,
        0.26,
        0.08,
    ),
)

SYLLABLES = (
    "恒", "泰", "瑞", "华", "鼎", "盛", "嘉", "润", "晟", "博", "信", "诚", "达", "安", "永",
    "和", "祥", "丰", "源", "远", "宏", "兴", "凯", "旭", "明", "正", "聚", "德", "康", "新",
)  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗"

# Which government system reports which metric (the rest come from statistics).
SOURCES = {
    "revenue": "tax",
    "tax_paid": "tax",
    "rd_deduction_tax_relief": "tax",
    "rd_expense": "science",
    "rd_expense_domestic": "science",
    "tech_staff": "science",
    "invention_patent_applications": "science",
    "pct_applications": "science",
    "ip_class1_count": "science",
    "ip_class2_count": "science",
    "tech_contract_value": "science",
    "provincial_platforms": "science",
    "provincial_awards": "science",
    "land_area": "economy",
    "energy_use": "economy",
    "electricity_use": "economy",
    "emissions": "economy",
}


@dataclass(frozen=True)
class ZoneResult:
    in_zone: int
    external: int
    facts: int
    pending_reports: int
    likely_duplicates: int  # codeless ledger records that duplicate a zone firm


def build_zone(session: Session, *, actor_label: str, years: tuple[str, ...]) -> ZoneResult:
    """Write the firms and facts of years (the caller records the build in the audit trail)."""
    rng = np.random.default_rng(SEED)
    now = utcnow()
    firms = _firms(rng)
    counties = [
        code
        for code in session.scalars(sa.select(Region.code).where(Region.level == 3))
        if not code.startswith("3308")
    ]
    external_regions = rng.choice(counties, size=EXTERNAL)
    texts_rng = np.random.default_rng(SEED + 2)  # its own stream: the draws above stay as they were
    rows: list[dict[str, Any]] = []
    for index, firm in enumerate(firms):
        _, products, scope = firm_texts(texts_rng, firm["chain"], in_zone=firm["in_zone"])
        region = (
            ZONE_COUNTIES[index % 2] if firm["in_zone"] else str(external_regions[index - IN_ZONE])
        )
        rows.append(
            {
                "id": index + 1,
                "uscc": synthetic(index + 1, region),
                "name": firm["name"],
                "name_key": name_key(firm["name"]),
                "name_pinyin": pinyin_key(firm["name"]),
                "name_search": search_key(firm["name"]),
                "former_names": [],
                "in_zone": firm["in_zone"],
                "legal_rep": firm["legal_rep"],
                "founded_on": firm["founded_on"],
                "registered_capital": firm["capital"],
                "address": firm["address"],
                "region_code": region,
                "industry_code": firm["industry"],
                "chain": firm["chain"],
                "staff_size": firm["staff"],
                "land_area": firm["land"],
                "main_products": products,
                "business_scope": scope,
                "created_at": now,
                "updated_at": now,
            }
        )
    for index, written, instead in LEGACY_DUPLICATES:
        original = rows[index]
        variant = original["name"].replace(written, instead, 1)
        rows.append(
            {
                "id": len(rows) + 1,
                "uscc": None,
                "name": variant,
                "name_key": name_key(variant),
                "name_pinyin": pinyin_key(variant),
                "name_search": search_key(variant),
                "former_names": [],
                "in_zone": True,
                "legal_rep": original["legal_rep"],
                "founded_on": None,
                "registered_capital": None,
                "address": original["address"],
                "region_code": original["region_code"],
                "industry_code": None,
                "chain": original["chain"],
                "staff_size": None,
                "land_area": None,
                "main_products": None,
                "business_scope": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    session.execute(sa.insert(Enterprise), rows)
    tags = _tags(rng, firms, int(years[-1]))
    if tags:
        session.execute(sa.insert(EnterpriseTag), tags)
    facts, pending = _facts(session, rng, firms, actor_label, now, years)
    return ZoneResult(
        in_zone=IN_ZONE,
        external=EXTERNAL,
        facts=facts,
        pending_reports=pending,
        likely_duplicates=len(LEGACY_DUPLICATES),
    )


def _firms(rng: np.random.Generator) -> list[dict[str, Any]]:
    shares = np.array([c.share for c in CHAINS])
    chain_of = rng.choice(len(CHAINS), size=IN_ZONE + EXTERNAL, p=shares / shares.sum())
    names: set[str] = set()
    anchors: dict[str, int] = {}
    firms: list[dict[str, Any]] = []
    for index, chain_index in enumerate(chain_of):
        chain = CHAINS[int(chain_index)]
        in_zone = index < IN_ZONE
        while True:
            brand = "".join(rng.choice(SYLLABLES, size=2))
            word = str(rng.choice(chain.words))
            place = "示例" if in_zone else "外埠示例"
            name = f"{place}{brand}{word}有限公司"
            if name not in names:
                break
        names.add(name)
        # Anchors: the first three firms of each chain in the zone are an order of magnitude larger.
        anchor = in_zone and anchors.get(chain.name, 0) < 3
        if anchor:
            anchors[chain.name] = anchors.get(chain.name, 0) + 1
        revenue = float(np.exp(rng.normal(chain.revenue_mu, 1.25)))
        if anchor:
            revenue = float(np.exp(rng.normal(chain.revenue_mu + 3.2, 0.4)))
        staff = int(max(8, round(revenue / np.exp(rng.normal(4.0, 0.5)))))
        founded = dt.date(1995, 1, 1) + dt.timedelta(days=int(rng.integers(0, 28 * 365)))
        own_land = rng.random() > 0.12
        firms.append(
            {
                "name": name,
                "in_zone": in_zone,
                "chain": chain.name,
                "chain_index": int(chain_index),
                "anchor": anchor,
                "industry": str(rng.choice(chain.industries)),
                "legal_rep": str(rng.choice(list(SURNAMES))) + "示" + str(rng.choice(SYLLABLES)),
                "founded_on": founded,
                "capital": round(float(np.exp(rng.normal(7.0, 1.1))), 1),
                "address": _address(index, in_zone),
                "staff": staff,
                "land": round(float(np.exp(rng.normal(3.3, 0.9))), 1) if own_land else 0.0,
                "revenue": revenue,
                "growth": float(rng.normal(0.07, 0.16)),
                "rd": float(np.clip(rng.lognormal(np.log(chain.rd_intensity), 0.55), 0.001, 0.4)),
                "tech": float(np.clip(rng.lognormal(np.log(chain.tech_share), 0.45), 0.01, 0.9)),
            }
        )
    return firms


def _address(index: int, in_zone: bool) -> str:
    if not in_zone:
        return f"外埠示例路{index + 1}号"
    district = "柯城区" if index % 2 == 0 else "衢江区"
    return f"浙江省衢州市{district}示例大道{index + 1}号"


def _tags(rng: np.random.Generator, firms: list[dict[str, Any]], last: int) -> list[dict[str, Any]]:
    """The firms' tags; certificates dated in the years up to last (the newest data year)."""
    tags: list[dict[str, Any]] = []
    for index, firm in enumerate(firms):
        enterprise_id = index + 1
        if not firm["in_zone"]:
            continue
        if firm["revenue"] >= 2000:
            tags.append({"enterprise_id": enterprise_id, "tag": "guishang"})
        # 亩均效益 cases, by number so that the random draws below stay as they were
        if enterprise_id % 29 == 0:
            tags.append({"enterprise_id": enterprise_id, "tag": "zudi"})
        elif enterprise_id % 113 == 0:
            tags.append({"enterprise_id": enterprise_id, "tag": "zaijian"})
        if firm["rd"] >= 0.03 and rng.random() < 0.55:
            year = int(rng.choice([last - 3, last - 2, last - 1]))
            start = dt.date(year, 12, int(rng.integers(1, 28)))
            tags.append(
                {
                    "enterprise_id": enterprise_id,
                    "tag": "gaoxin",
                    "number": f"GR{start.year}330{int(rng.integers(0, 99999)):05d}",
                    "valid_from": start,
                    "valid_to": start.replace(year=start.year + 3) - dt.timedelta(days=1),
                }
            )
        if firm["staff"] <= 500 and firm["revenue"] <= 20000 and rng.random() < 0.35:
            year = int(rng.choice([last - 1, last]))
            tags.append(
                {
                    "enterprise_id": enterprise_id,
                    "tag": "kexing",
                    "number": f"{year}3308{int(rng.integers(0, 99999)):05d}",
                    "year": year,
                }
            )
        if firm["rd"] >= 0.04 and 5000 <= firm["revenue"] <= 100000 and rng.random() < 0.25:
            tags.append({"enterprise_id": enterprise_id, "tag": "zhuanjing"})
            if rng.random() < 0.2:
                tags.append({"enterprise_id": enterprise_id, "tag": "xiaojuren"})
        # 梯度培育 direct routes, by number so that the random draws stay as they were
        if firm["rd"] >= 0.05 and enterprise_id % 7 == 0:
            tags.append({"enterprise_id": enterprise_id, "tag": "keji_jiang"})
        if firm["rd"] >= 0.04 and enterprise_id % 11 == 3:
            tags.append({"enterprise_id": enterprise_id, "tag": "biaozhun"})
        if firm["anchor"]:
            tags.append({"enterprise_id": enterprise_id, "tag": "lianzhu"})
            if rng.random() < 0.5:
                tags.append(
                    {
                        "enterprise_id": enterprise_id,
                        "tag": "listed",
                        "exchange": str(rng.choice(["SSE", "SZSE"])),
                        "number": f"{int(rng.integers(600000, 605999))}",
                    }
                )
            if rng.random() < 0.3:
                tags.append({"enterprise_id": enterprise_id, "tag": "danxiang"})
    return tags


def _facts(
    session: Session,
    rng: np.random.Generator,
    firms: list[dict[str, Any]],
    actor_label: str,
    now: dt.datetime,
    years: tuple[str, ...],
) -> tuple[int, int]:
    metric_ids = dict(session.execute(sa.select(Metric.key, Metric.id)).all())
    source_ids = dict(session.execute(sa.select(FactSource.code, FactSource.id)).all())
    rows: list[dict[str, Any]] = []
    pending = 0
    for index, firm in enumerate(firms):
        enterprise_id = index + 1
        chain = CHAINS[firm["chain_index"]]
        held = years if firm["in_zone"] else years[-1:]
        for offset, year in enumerate(held):
            scale = (1 + firm["growth"]) ** (offset - len(held) + 1)
            noise = float(rng.normal(1.0, 0.05))
            values = _year_values(rng, firm, chain, firm["revenue"] * scale * noise)
            if not firm["in_zone"]:
                keep = ("revenue", "staff_total", "invention_patent_applications", "rd_expense")
                values = {k: v for k, v in values.items() if k in keep}
            as_of = dt.date(int(year) + 1, 4, 30)
            for key, value in values.items():
                if rng.random() < MISSING_SHARE:
                    continue  # unknown, and stays unknown
                source = SOURCES.get(key, "stats")
                rows.append(
                    {
                        "enterprise_id": enterprise_id,
                        "metric_id": metric_ids[key],
                        "period": year,
                        "value": value,
                        "source_id": source_ids[source],
                        "as_of": as_of,
                        "status": "verified"
                        if source != "stats" or rng.random() < 0.5
                        else "reported",
                        "is_current": True,
                        "note": "",
                        "entered_by": actor_label,
                        "created_at": now,
                    }
                )
            if firm["in_zone"] and year == years[-1] and rng.random() < 0.015:
                pending += 1  # a self-report waiting for an officer
                rows.append(
                    {
                        "enterprise_id": enterprise_id,
                        "metric_id": metric_ids["tech_contract_value"],
                        "period": year,
                        "value": round(float(rng.lognormal(5, 1)), 1),
                        "source_id": source_ids["self"],
                        "as_of": dt.date(int(year) + 1, 3, 15),
                        "status": "reported",
                        "is_current": True,
                        "note": "企业自报：技术合同登记证明已上传",
                        "entered_by": "企业自报",
                        "created_at": now,
                    }
                )
    for start in range(0, len(rows), 20_000):
        session.execute(sa.insert(Fact), rows[start : start + 20_000])
    return len(rows), pending


def _year_values(
    rng: np.random.Generator, firm: dict[str, Any], chain: Chain, revenue: float
) -> dict[str, float]:
    revenue = round(revenue, 1)
    staff = max(5, round(firm["staff"] * (revenue / firm["revenue"]) ** 0.5))
    rd = round(revenue * firm["rd"] * float(rng.lognormal(0, 0.15)), 1)
    tech = min(staff, max(1, round(staff * firm["tech"])))
    postgraduate = min(tech, int(rng.binomial(tech, min(0.9, 0.1 + firm["rd"] * 2))))
    patents = int(rng.poisson(rd / 180.0))
    assets = round(revenue * float(rng.lognormal(0.1, 0.3)), 1)
    debt_ratio = float(np.clip(rng.normal(0.48, 0.15), 0.05, 0.95))
    profit = round(revenue * float(rng.normal(0.06, 0.05)), 1)
    value_added = round(revenue * float(np.clip(rng.normal(0.24, 0.06), 0.05, 0.6)), 1)
    energy = round(revenue * chain.energy_per_revenue * float(rng.lognormal(0, 0.3)), 1)
    return {
        "revenue": revenue,
        "main_business_revenue": round(revenue * float(rng.uniform(0.85, 1.0)), 1),
        "hightech_product_revenue": round(revenue * float(np.clip(firm["rd"] * 9, 0, 0.95)), 1),
        "total_assets": assets,
        "net_assets": round(assets * (1 - debt_ratio), 1),
        "debt_ratio": round(debt_ratio, 4),
        "net_profit": profit,
        "total_cost": round(revenue - profit, 1),
        "staff_total": float(staff),
        "staff_average": float(max(1, int(staff * rng.uniform(0.92, 1.0)))),
        "tech_staff": float(tech),
        "postgraduate_staff": float(postgraduate),
        "new_graduates_hired": float(rng.binomial(staff, 0.02)),
        "rd_expense": rd,
        "rd_expense_domestic": round(rd * float(rng.uniform(0.9, 1.0)), 1),
        "rd_deduction_tax_relief": round(rd * 0.25, 1),
        "invention_patent_applications": float(patents),
        "pct_applications": float(rng.binomial(patents, 0.08)),
        "ip_class1_count": float(int(rng.poisson(patents * 1.5))),
        "ip_class2_count": float(int(rng.poisson(3 + rd / 100))),
        "tech_contract_value": round(float(rng.lognormal(4, 1.2)) if rng.random() < 0.3 else 0, 1),
        "provincial_platforms": float(rng.binomial(2, min(0.6, firm["rd"] * 5))),
        "provincial_awards": float(rng.binomial(1, min(0.3, firm["rd"] * 2))),
        "tax_paid": round(revenue * float(np.clip(rng.normal(0.045, 0.02), 0.002, 0.15)), 1),
        "industrial_value_added": value_added,
        "land_area": firm["land"],
        "energy_use": energy,
        "electricity_use": round(energy * float(rng.uniform(0.6, 1.2)), 1),
        "emissions": round(energy * float(rng.lognormal(-7.5, 0.5)), 4),
    }


SAMPLE_NAME = importreport.SAMPLE_NAME  # the import page offers it for download


def sample_import(session: Session, year: str) -> bytes:
    """A tax-system export of year for the import page, with a handful of deliberate errors.

    Rows 4–33 restate the firms' stored figures of year within a few per cent (in 千元 and 元, as
    the tax system exports them), except two that an officer must confirm: row 8 gives the
    revenue in 万元 under the 千元 header (a tenth of the stored value, a sharp change) and
    row 12 puts another firm's name beside a credit code. Then: a credit code with a wrong check
    digit, a firm not registered in the zone, “待核实” where a number belongs, a negative tax
    figure, one firm twice with two different revenues, R&D above revenue, and a column the
    platform does not know (利润率).
    """
    import io

    firms = session.execute(
        sa.select(Enterprise.id, Enterprise.uscc, Enterprise.name)
        .where(Enterprise.in_zone == sa.true())
        .order_by(Enterprise.id)
        .limit(40)
    ).all()
    stored = {
        (enterprise_id, key): value
        for enterprise_id, key, value in session.execute(
            sa.select(Fact.enterprise_id, Metric.key, Fact.value)
            .join(Metric, Metric.id == Fact.metric_id)
            .where(
                Fact.enterprise_id.in_([f[0] for f in firms]),
                Fact.period == year,
                Fact.is_current == sa.true(),
                Metric.key.in_(["revenue", "tax_paid", "rd_expense"]),
            )
            .order_by(Fact.id)
        )
    }
    rng = np.random.default_rng(SEED + 1)
    header = [
        "序号",
        "纳税人识别号",
        "纳税人名称",
        "营业收入（千元）",
        "实缴税金（元）",
        "研发费用（万元）",
        "利润率",
    ]

    def near(value: float | None, fallback: float) -> float:
        base = fallback if value is None else value
        return base * float(rng.uniform(0.97, 1.03))

    rows: list[list[Any]] = []
    for index, (enterprise_id, code, name) in enumerate(firms[:30]):
        revenue = near(stored.get((enterprise_id, "revenue")), float(rng.lognormal(7.5, 1.0)))
        tax = near(stored.get((enterprise_id, "tax_paid")), revenue * 0.045)
        rd = min(near(stored.get((enterprise_id, "rd_expense")), revenue * 0.04), revenue * 0.9)
        shown = revenue if index == 4 else revenue * 10  # row 8: 万元 under a 千元 header
        rows.append([code, name, round(shown, 0), round(tax * 10_000, 0), round(rd, 1), ""])
    rows[8][1] = firms[9][2]  # row 12: another firm's name beside this code
    code30 = str(firms[30][1])
    bad_code = code30[:-1] + ("0" if code30[-1] != "0" else "1")
    rows += [
        [bad_code, firms[30][2], 52000, 2_100_000, 180, ""],
        [synthetic(99_999, "330881"), "示例外来未登记有限公司", 8000, 320_000, 20, ""],
        [firms[31][1], firms[31][2], "待核实", 150_000, 12, ""],
        [firms[32][1], firms[32][2], 36000, -5000, 90, ""],
        [firms[33][1], firms[33][2], 41000, 1_500_000, 100, ""],
        [firms[33][1], firms[33][2], 44000, 1_500_000, 100, ""],
        [firms[34][1], firms[34][2], 1000, 40_000, 350, "12%"],
    ]
    buffer = io.BytesIO()
    workbook = xlsx.workbook(buffer)
    sheet = workbook.add_worksheet(f"{year}年度")
    bold = workbook.add_format({"bold": True})
    sheet.write(0, 0, f"示例高新区 {year} 年度重点企业纳税情况（税务系统导出）", bold)
    sheet.write_row(2, 0, header, bold)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(2 + number, 0, [number, *row])
    sheet.set_column(1, 2, 28)
    workbook.close()
    return buffer.getvalue()

"""Registry import: one row per firm, creating new firms and updating known ones.

A firm is matched by its credit code, else by its folded name. A non-empty cell overwrites the
stored value; an empty cell leaves it alone (unknown is not an instruction to erase). A new name
moves the old one to the former names. Tag columns take 是/否 (√/×, 1/0, Y/N); 否 removes a tag.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from wulian.core import audit
from wulian.core.errors import InvalidInput, RowProblem
from wulian.core.permissions import Actor, Permission
from wulian.core.tabular import read_table
from wulian.enterprises import importreport, regions
from wulian.enterprises import uscc as uscc_check
from wulian.enterprises.importreport import Column, ImportReport, field_label
from wulian.enterprises.models import PROFILE_FIELDS, Enterprise, EnterpriseTag
from wulian.enterprises.names import clean_name, name_key
from wulian.enterprises.tags import TAGS
from wulian.reference import units
from wulian.reference.aliases import Resolver
from wulian.reference.models import Industry, Region

REGISTRY_FIELDS = (
    "uscc",
    "name",
    "former_names",
    *PROFILE_FIELDS,
    "in_zone",
    "tag_guishang",
    "tag_gaoxin",
    "gaoxin_number",
    "gaoxin_from",
    "gaoxin_to",
    "tag_kexing",
    "kexing_number",
    "kexing_year",
    "tag_zhuanjing",
    "tag_xiaojuren",
    "tag_danxiang",
    "tag_lianzhu",
    "tag_listed",
    "listed_exchange",
    "listed_code",
)
YES = {"是", "√", "✓", "1", "y", "yes", "true", "有"}
NO = {"否", "×", "✗", "0", "n", "no", "false", "无"}
EXCHANGES = {"SSE": "上交所", "SZSE": "深交所", "BSE": "北交所", "HKEX": "港交所", "NEEQ": "新三板"}
_EXCHANGE_NAMES = {
    "上交所": "SSE",
    "上海证券交易所": "SSE",
    "深交所": "SZSE",
    "深圳证券交易所": "SZSE",
    "北交所": "BSE",
    "北京证券交易所": "BSE",
    "港交所": "HKEX",
    "香港联交所": "HKEX",
    "新三板": "NEEQ",
    "全国股转系统": "NEEQ",
}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_date(text: str) -> dt.date:
    """A date as people write it (2024-03-05, 2024/3/5, 2024年3月5日) or an Excel serial."""
    match = _DATE.match(text.strip())
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    elif re.fullmatch(r"\d{5}(\.0+)?", text.strip()):  # Excel's day count from 1899-12-30
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(text)))
    raise ValueError("日期应为 YYYY-MM-DD（如 2018-05-20）")


def parse_flag(text: str) -> bool:
    folded = text.strip().lower()
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise ValueError("应填“是”或“否”")


BULK = 1000  # firms created by one import, after which the tables are analysed


def import_enterprises(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    filename: str,
    in_zone: bool = True,
    partial: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Check a registry file and, unless told otherwise or it has problems, apply it."""
    actor.require(Permission.ENTERPRISES_WRITE)
    resolver = Resolver(session, fields=REGISTRY_FIELDS, metrics=False)
    table = read_table(data, filename, is_header=resolver.is_header)
    report = importreport.start_report(
        table, filename, "enterprises", partial=partial, dry_run=dry_run
    )
    columns: dict[str, tuple[str, str | None]] = {}  # field → (header, unit)
    for header in table.headers:
        resolved = resolver.resolve(header)
        name = resolved.field
        if name is None:
            if table.frame[header].str.strip_chars().str.len_chars().sum() in (0, None):
                continue
            report.add([importreport.unknown_header(resolver, table, header)])
            continue
        if name != "ignore":
            columns.setdefault(name, (header, resolved.unit))
        report.columns.append(Column(header, field_label(name), resolved.unit))
    if "name" not in columns:
        report.add(
            [RowProblem(table.header_row, None, None, "缺少“企业名称”列", importreport.MISSING)]
        )
        report.rows_rejected = table.frame.height
        return report

    industries = dict(session.execute(sa.select(Industry.code, Industry.level)).all())
    known_regions = set(session.scalars(sa.select(Region.code)))
    registry = session.scalars(sa.select(Enterprise).options(selectinload(Enterprise.tags))).all()
    by_code = {e.uscc: e for e in registry if e.uscc}
    by_name: dict[str, Enterprise | None] = {}
    for enterprise in registry:
        by_name[enterprise.name_key] = None if enterprise.name_key in by_name else enterprise
    addresses = table.frame[columns["address"][0]].to_list() if "address" in columns else []
    located = regions.locate(addresses) if addresses else []

    parsed: list[tuple[int, dict[str, Any]]] = []
    seen_codes: dict[str, int] = {}
    reader = _RowReader(columns, known_regions, industries)
    for index, raw in enumerate(table.frame.iter_rows(named=True)):
        row_number = int(table.rows[index])
        values, problems = reader.read(raw, row_number)
        code = values.get("uscc")
        if code and code in seen_codes:
            problems.append(
                RowProblem(
                    row_number,
                    columns["uscc"][0],
                    code,
                    f"与第 {seen_codes[code]} 行的统一社会信用代码重复",
                    importreport.CONFLICT,
                )
            )
        elif code:
            seen_codes[code] = row_number
        found = located[index] if index < len(located) else None
        if "region_code" not in values and found in known_regions:
            values["region_code"] = found
        if problems:
            report.add(problems)
            continue
        parsed.append((row_number, values))

    report.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    names = table.frame[columns["name"][0]].to_list()
    rows = table.rows.to_list()
    listed = {p.row for p in report.problems}
    report.row_names = {r: n for r, n in zip(rows, names, strict=True) if r in listed}
    if dry_run or (report.problem_count and not partial):
        return report
    for _, values in parsed:
        code = values.get("uscc")
        match = by_code.get(code) if code else by_name.get(name_key(values["name"]))
        if match is None:
            match = Enterprise(
                name=values["name"],
                name_key=name_key(values["name"]),
                uscc=code,
                former_names=[],
                in_zone=in_zone,
            )
            session.add(match)
            apply_profile(match, values)
            report.created += 1
            if code:
                by_code[code] = match
            else:
                by_name[match.name_key] = match
        elif apply_profile(match, values):
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    if report.created >= BULK:  # the planner's statistics now, not at the next autovacuum
        session.execute(sa.text("ANALYZE enterprises"))
    report.committed = True
    audit.record(
        session,
        action="import.enterprises",
        object_type="enterprises",
        after={
            "file": filename,
            "sha256": hashlib.sha256(data).hexdigest(),
            "mode": report.mode,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "problems": report.problem_count,
        },
    )
    return report


class _RowReader:
    """Parses one registry row into profile values and the problems found."""

    def __init__(
        self,
        columns: dict[str, tuple[str, str | None]],
        known_regions: set[str],
        industries: dict[str, int],
    ) -> None:
        self.columns = columns
        self.parsers: list[tuple[str, Callable[[str], Any], str]] = [
            ("uscc", uscc_check.normalise, importreport.BAD_CODE),
            ("legal_rep", lambda t: t[:100], importreport.BAD_VALUE),
            ("former_names", _names, importreport.BAD_VALUE),
            ("founded_on", parse_date, importreport.BAD_VALUE),
            ("registered_capital", _amount(columns.get("registered_capital"), "万元"), ""),
            ("land_area", _amount(columns.get("land_area"), "亩"), ""),
            ("staff_size", _count, ""),
            ("address", lambda t: t[:300], ""),
            ("main_products", lambda t: t[:500], ""),
            ("business_scope", lambda t: t[:4000], ""),
            ("chain", lambda t: t[:32], ""),
            ("in_zone", parse_flag, ""),
            ("region_code", lambda t: _region(t, known_regions), ""),
            ("industry_code", lambda t: _industry(t, industries), ""),
            *[(tag.field, parse_flag, "") for tag in TAGS.values()],
            ("gaoxin_number", lambda t: t[:64], ""),
            ("gaoxin_from", parse_date, ""),
            ("gaoxin_to", parse_date, ""),
            ("kexing_number", lambda t: t[:64], ""),
            ("kexing_year", _year, ""),
            ("listed_exchange", _exchange, ""),
            ("listed_code", lambda t: t[:16], ""),
        ]

    def read(self, raw: dict[str, Any], row: int) -> tuple[dict[str, Any], list[RowProblem]]:
        values: dict[str, Any] = {}
        problems: list[RowProblem] = []
        columns = self.columns

        def cell(name: str) -> str:
            return (raw[columns[name][0]] or "").strip() if name in columns else ""

        name = cell("name")
        if not name:
            problems.append(
                RowProblem(row, columns["name"][0], None, "企业名称不能为空", importreport.MISSING)
            )
        elif len(name) > 200:
            problems.append(RowProblem(row, columns["name"][0], name[:50], "企业名称超过 200 个字"))
        else:
            values["name"] = clean_name(name)
        for field, parse, kind in self.parsers:
            text = cell(field)
            if not text:
                continue
            try:
                values[field] = parse(text)
            except (ValueError, InvalidInput) as error:
                message = error.message if isinstance(error, InvalidInput) else str(error)
                problems.append(
                    RowProblem(
                        row, columns[field][0], text, message, kind or importreport.BAD_VALUE
                    )
                )
        start, end = values.get("gaoxin_from"), values.get("gaoxin_to")
        if start and end and end <= start:
            problems.append(
                RowProblem(
                    row,
                    columns["gaoxin_to"][0],
                    cell("gaoxin_to"),
                    "有效期至应晚于发证日期",
                    importreport.IMPOSSIBLE_KIND,
                )
            )
        return values, problems


def _names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r"[、;；,，\n]+", text) if n.strip()]


def apply_profile(enterprise: Enterprise, values: dict[str, Any]) -> bool:
    """Write the given profile values and tags onto enterprise; whether anything changed."""
    changed = False
    name = values.get("name")
    if name and enterprise.name != name:
        if enterprise.name and enterprise.name not in enterprise.former_names:
            enterprise.former_names = [*enterprise.former_names, enterprise.name]
        enterprise.name, enterprise.name_key = name, name_key(name)
        changed = enterprise.id is not None
    for field in ("uscc", *PROFILE_FIELDS, "in_zone"):
        if field in values and getattr(enterprise, field) != values[field]:
            setattr(enterprise, field, values[field])
            changed = True
    if "former_names" in values:
        merged = list(dict.fromkeys([*enterprise.former_names, *values["former_names"]]))
        if merged != enterprise.former_names:
            enterprise.former_names = merged
            changed = True
    held = {t.tag: t for t in enterprise.tags}
    for tag in TAGS.values():
        flag = values.get(tag.field)
        details = {k: values[f] for k, f in tag.details.items() if f in values}
        if flag is None and details:
            flag = True  # a certificate number or stock code implies the title
        if flag is False and tag.key in held:
            enterprise.tags.remove(held.pop(tag.key))
            changed = True
        elif flag:
            current = held.get(tag.key)
            if current is None:
                current = EnterpriseTag(tag=tag.key)
                enterprise.tags.append(current)
                changed = True
            for attribute, value in details.items():
                if getattr(current, attribute) != value:
                    setattr(current, attribute, value)
                    changed = True
    return changed


def _amount(column: tuple[str, str | None] | None, canonical: str) -> Callable[[str], float]:
    factor = units.factor(column[1], canonical) if column and column[1] else 1.0

    def parse(text: str) -> float:
        try:
            value = float(text.replace(",", "").replace("，", ""))
        except ValueError:
            raise ValueError("不是数字") from None
        if value < 0:
            raise ValueError("不能为负数")
        return value * factor

    return parse


def _count(text: str) -> int:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise ValueError("不是数字") from None
    if value < 0 or not value.is_integer():
        raise ValueError("应为非负整数")
    return int(value)


def _year(text: str) -> int:
    if not re.fullmatch(r"(19|20)\d{2}(\.0+)?年?", text):
        raise ValueError("应为四位年份（如 2024）")
    return int(text[:4])


def _exchange(text: str) -> str:
    code = _EXCHANGE_NAMES.get(text) or (text.upper() if text.upper() in EXCHANGES else None)
    if code is None:
        raise ValueError("交易所应为：" + "、".join(EXCHANGES.values()))
    return code


def _region(text: str, known: set[str]) -> str:
    code = text[:6]
    if not re.fullmatch(r"\d{6}", code) or code not in known:
        raise ValueError("不是有效的县级行政区划代码（6 位数字）")
    return code


def _industry(text: str, industries: dict[str, int]) -> str:
    code = text.strip().upper()
    if not industries:
        raise ValueError("行业分类（GB/T 4754）尚未导入，请先运行 wulian reference import gbt4754")
    if code[:1].isalpha() and len(code) == 5:
        code = code[1:]  # “C2614” as some systems print it
    level = industries.get(code)
    if level is None:
        raise ValueError("GB/T 4754-2017 中没有这个代码")
    if level != 4:
        raise ValueError("应为小类代码（4 位数字）")
    return code

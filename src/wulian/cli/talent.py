"""`wulian talent`: the talent engines on plain files (no database): job titles to occupations,
and matching people with posts; and, on the database, changing the key of identity numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.markup import escape

from wulian.cli.common import console, fail, work
from wulian.core.errors import WulianError

talent_app = typer.Typer(
    help="人才引擎：职位名称归到职业分类大典、人才与岗位匹配（在普通文件上运行，不需要数据库）",
    no_args_is_help=True,
)

OutOption = Annotated[Path, typer.Option("--out", help="结果文件（.csv 或 .xlsx）")]


@talent_app.command("occupations")
def occupations(
    titles: Annotated[
        Path, typer.Option("--titles", help="职位名称表：id, title（CSV 或 xlsx）", exists=True)
    ],
    out: OutOption,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=20, help="每个职位给出前几个")] = 5,
    table: Annotated[
        Path | None,
        typer.Option(
            "--table",
            envvar="WULIAN_OCCUPATION_TABLE",
            help="职业分类大典（2022）表：level, code, name, parent_code, definition, tasks",
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="模型缓存文件：有且与分类表一致时直接读取，否则训练后写入"),
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", min=0, max=1, help="最高分低于此值的标为待审核")
    ] = 0.5,
) -> None:
    """把职位名称归到职业分类大典的职业（细类），给出得分和是否待审核。"""
    from wulian.engines.occupations import engine, files

    if table is None:
        raise fail("请用 --table 指定职业分类大典表（或设置环境变量 WULIAN_OCCUPATION_TABLE）")
    if not table.is_file():
        raise fail(f"找不到职业分类大典表：{table}")
    try:
        ids, names = files.read_titles(titles)
        placed = engine.place(engine.load_or_train(table, model), names, top_k, threshold)
        frame = files.with_ids(placed, ids)
        files.write(frame, out)
    except WulianError as error:
        raise fail(error.message) from None
    first = frame.filter(pl.col("rank").is_null() | (pl.col("rank") == 1))
    waiting = first.filter(pl.col("review") == "是").height
    console.print(
        f"已归类 {len(names)} 个职位名称，待审核 {waiting} 个；结果写入 {escape(str(out))}"
    )


@talent_app.command("match")
def match(
    people: Annotated[
        Path,
        typer.Option(
            "--people",
            help="人才表：id, skills, education, experience_years, occupation, "
            "expected_salary, location",
            exists=True,
        ),
    ],
    posts: Annotated[
        Path,
        typer.Option(
            "--posts",
            help="岗位表：id, skills, education, experience_years, occupation, salary_min, "
            "salary_max, location, count",
            exists=True,
        ),
    ],
    out: OutOption,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=100, help="每个岗位给出前几名")] = 10,
    for_people: Annotated[
        bool,
        typer.Option("--for-people", help="反过来：为每位人才给出最合适的岗位"),
    ] = False,
) -> None:
    """为每个岗位找出最合适的人才（或为每位人才找出岗位），给出各项得分和理由。"""
    from wulian.engines.match import files
    from wulian.engines.occupations.files import write

    try:
        side_people, side_posts, vocabulary = files.load(people, posts)
        frame = files.match(side_people, side_posts, vocabulary, top_k, by_post=not for_people)
        write(frame, out)
    except WulianError as error:
        raise fail(error.message) from None
    what = (
        f"{len(side_people)} 位人才各自的前 {top_k} 个岗位"
        if for_people
        else f"{len(side_posts)} 个岗位各自的前 {top_k} 名人才"
    )
    console.print(f"已匹配 {what}（共 {frame.height} 行）；结果写入 {escape(str(out))}")


@talent_app.command("rotate-key")
def rotate_key(
    old_key: Annotated[
        str,
        typer.Option(
            "--old-key",
            envvar="WULIAN_TALENT_OLD_KEY",
            prompt="原密钥（64 位十六进制）",
            hide_input=True,
            help="原来的加密主密钥；建议用环境变量 WULIAN_TALENT_OLD_KEY 传入，不写在命令行上",
        ),
    ],
) -> None:
    """更换人员身份证号的加密密钥：用原密钥解密、用新密钥（设置中的 WULIAN_TALENT_KEY）重新加密，
    全部成功才写入。先停止服务，运行本命令，再用新密钥启动服务。"""
    from wulian.core.settings import get_settings
    from wulian.talent.crypto import Keys
    from wulian.talent.rotation import rotate_key as rotate

    try:
        old = Keys.from_master(old_key)
        new = Keys.from_master(get_settings().talent_key.get_secret_value())
    except WulianError as error:
        raise fail(error.message) from None
    with work() as (session, actor):
        result = rotate(session, actor=actor, old=old, new=new)
    already = f"；另有 {result.already} 人此前已用新密钥加密" if result.already else ""
    console.print(f"已用新密钥重新加密 {result.rotated} 人的身份证号{already}。")

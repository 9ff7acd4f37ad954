"""The licences of what wulian runs on: every package the installed wulian needs (its runtime
dependencies and theirs, test tools excluded), each licence checked against the licences a
government deployment accepts, and the notices that ship with the package
(src/wulian/THIRD_PARTY_NOTICES.md, written by `wulian licences --write`). Each package's own
licence texts are installed beside it (its dist-info); `wulian licences --texts` prints them.
"""

from __future__ import annotations

import importlib.metadata as md
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import typer
from packaging.requirements import Requirement

app = typer.Typer()  # its command is added to the top level of `wulian`

NOTICES = "THIRD_PARTY_NOTICES.md"
# Licences that let a zone run, copy and change the platform without obligations beyond keeping
# the notices (SPDX identifiers, or the words of older metadata).
PERMISSIVE = re.compile(
    r"^(MIT|BSD|0BSD|Apache|ISC|PSF|Python Software Foundation|Zlib|CC0|Public.Domain|"
    r"Unlicense|MIT-CMU|HPND|LLVM-exception)",
    re.IGNORECASE,
)
# Weak copyleft, accepted for libraries used unmodified and loaded as separate packages (a zone
# may replace them with its own build): the reason is printed with the notices.
ACCEPTED = {
    "psycopg": "LGPL-3.0：PostgreSQL 驱动，未经修改、作为独立的包加载，可替换",
    "python-stdnum": "LGPL-2.1+：证照号码校验库，未经修改、作为独立的包加载，可替换",
}


@dataclass(frozen=True)
class Vendored:
    """A file shipped inside the wulian package itself (a browser library served as a static
    file), with its licence texts beside it."""

    name: str
    version: str
    licence: str
    source: str
    path: str  # under src/wulian
    texts: tuple[str, ...]  # licence and notice files, in the same folder
    sha256: str  # of the file as released

    @property
    def folder(self) -> str:
        return self.path.rsplit("/", 1)[0]


# Browser libraries served by the package (no CDN): each with its version, licence and where it
# was taken from; their licence texts ship beside them.
VENDORED = (
    Vendored(
        "echarts",
        "6.1.0",
        "Apache-2.0（内含 zrender BSD-3-Clause、d3 部分代码 BSD-3-Clause、tslib 0BSD）",
        "https://registry.npmjs.org/echarts/-/echarts-6.1.0.tgz（dist/echarts.min.js）",
        "web/static/vendor/echarts/echarts.min.js",
        ("LICENSE", "NOTICE", "LICENSE-zrender", "LICENSE-d3"),
        "b66b25aeb4df84e33199dc21694014d336d222cbd9deb0e5a7c14bd6aa0d0fd0",
    ),
)


@dataclass(frozen=True)
class Package:
    name: str  # normalised (PEP 503)
    version: str
    licence: str  # SPDX expression or the classifiers' words
    home: str

    @property
    def accepted(self) -> bool:
        if self.name in ACCEPTED:
            return True
        parts = re.split(r"\s+(?:AND|OR|and|or)\s+|;\s*|\s+WITH\s+", self.licence)
        parts = [p.strip("() ") for p in parts if p.strip("() ")]
        return bool(parts) and all(PERMISSIVE.match(p) for p in parts)


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _field(meta: md.PackageMetadata, key: str) -> str:
    return str(meta[key] or "") if key in meta else ""


def _licence(meta: md.PackageMetadata) -> str:
    if expression := _field(meta, "License-Expression"):
        return str(expression)
    words = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::") and c.split("::")[-1].strip() != "OSI Approved"
    ]
    declared = _field(meta, "License").strip().splitlines()
    return "; ".join(words) or (declared[0][:80] if declared else "") or "未声明"


def _home(meta: md.PackageMetadata) -> str:
    if page := _field(meta, "Home-page"):
        return page
    for url in meta.get_all("Project-URL") or []:
        label, _, link = str(url).partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository", "source code"):
            return link.strip()
    return ""


def packages(root: str = "wulian") -> list[Package]:
    """Every package root needs at run time, root excluded, by name."""
    found: dict[str, Package] = {}
    pending = [root]
    while pending:
        name = pending.pop()
        key = _key(name)
        if key in found:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue  # an optional dependency of a dependency, not installed
        meta = dist.metadata
        found[key] = Package(key, dist.version, _licence(meta), _home(meta))
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    found.pop(_key(root), None)
    return sorted(found.values(), key=lambda p: p.name)


def notices(found: list[Package]) -> str:
    """The notices file: each package, its licence and where it comes from."""
    lines = [
        "# 第三方软件声明（Third-party notices）",
        "",
        "wulian 运行时使用下列软件包（不含测试工具）。各软件包的许可证全文随其安装在 "
        "site-packages 中（`*.dist-info/licenses/`），可用 `wulian licences --texts` 打印。"
        "本文件由 `wulian licences --write` 生成。",
        "",
        "| 软件包 | 版本 | 许可证 | 来源 |",
        "|---|---|---|---|",
        *(f"| {p.name} | {p.version} | {p.licence} | {p.home} |" for p in found),
        "",
        "弱著作权保留（copyleft）许可证的软件包，以未经修改、可替换的独立包形式使用：",
        "",
        *(f"- {name}：{why}" for name, why in sorted(ACCEPTED.items())),
        "",
        "随软件包分发的浏览器端库（作为静态文件由平台自己提供，不使用 CDN），"
        "许可证与声明文件放在同一目录：",
        "",
        "| 文件 | 库 | 版本 | 许可证 | 来源 |",
        "|---|---|---|---|---|",
        *(f"| {v.path} | {v.name} | {v.version} | {v.licence} | {v.source} |" for v in VENDORED),
        "",
        *(f"- {v.name}：{'、'.join(f'{v.folder}/{t}' for t in v.texts)}" for v in VENDORED),
        "",
    ]
    return "\n".join(lines)


def shipped() -> str:
    return resources.files("wulian").joinpath(NOTICES).read_text("utf-8")


def _texts(found: list[Package]) -> str:
    out = []
    root = resources.files("wulian")
    for v in VENDORED:
        for text in v.texts:
            out.append(f"===== {v.name} {v.version}: {text} =====")
            out.append(root.joinpath(v.folder, text).read_text("utf-8"))
    for package in found:
        dist = md.distribution(package.name)
        for file in dist.files or []:
            if re.search(r"(LICEN[CS]E|COPYING|NOTICE)", file.name, re.IGNORECASE):
                out.append(f"===== {package.name} {package.version}: {file.name} =====")
                out.append(Path(str(dist.locate_file(file))).read_text("utf-8", errors="replace"))
    return "\n".join(out)


@app.command()
def licences(
    write: Path | None = typer.Option(None, help="把第三方软件声明写入这个文件"),
    texts: bool = typer.Option(False, help="打印各软件包的许可证全文"),
) -> None:
    """检查运行所需的第三方软件包的许可证，列出第三方软件声明。"""
    found = packages()
    refused = [p for p in found if not p.accepted]
    if texts:
        typer.echo(_texts(found))
        return
    if write is not None:
        write.write_text(notices(found), encoding="utf-8")
        typer.echo(f"已写入 {write}（{len(found)} 个软件包）")
    else:
        typer.echo(notices(found))
    if refused:
        for p in refused:
            typer.echo(f"许可证未被接受：{p.name} {p.version}（{p.licence}）", err=True)
        raise typer.Exit(1)

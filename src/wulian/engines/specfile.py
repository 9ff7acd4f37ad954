"""Spec files: YAML read with the line of every value kept, validated by a pydantic model, and
refused with messages that name the file, line and field in Chinese.

    spec = load_spec(text, "innovation.yaml", IndexSpec)

Semantic checks that pydantic cannot express (unknown references, cycles) raise `SpecProblem`
from the model's validators with the path of the offending field; it is reported at that line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from wulian.core.errors import InvalidFile, RowProblem, validation_message

Model = TypeVar("Model", bound=BaseModel)
Path = tuple[str | int, ...]

# pydantic error types → Chinese


class SpecProblem(ValueError):
    """A semantic problem found by a model validator: `path` is relative to that model."""

    def __init__(self, message: str, path: Sequence[str | int] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = tuple(path)


_MERGE = "tag:yaml.org,2002:merge"


def _scalar(node: yaml.Node) -> Any:
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


MAX_BYTES = 512 * 1024  # the largest shipped spec is under 10 KB
MAX_NODES = 100_000  # values after aliases are expanded: refuses "billion laughs"
MAX_DEPTH = 40  # nesting of mappings and lists


class _Budget:
    """How many values may still be read; aliases count each time they are expanded."""

    def __init__(self) -> None:
        self.left = MAX_NODES

    def spend(self, node: yaml.Node, depth: int) -> None:
        self.left -= 1
        line = node.start_mark.line + 1
        if self.left < 0:
            raise InvalidFile(
                [RowProblem(line, None, None, f"展开后的内容太多（超过 {MAX_NODES:,} 项），"
                            "请不要用锚点（&）和引用（*）层层复制")]
            )  # fmt: skip
        if depth > MAX_DEPTH:
            raise InvalidFile(
                [RowProblem(line, None, None, f"嵌套太深（最多 {MAX_DEPTH} 层），"
                            "或者锚点引用了它自己")]
            )  # fmt: skip


def _plain(
    node: yaml.Node, path: Path, lines: dict[Path, int], budget: _Budget, depth: int = 0
) -> Any:
    budget.spend(node, depth)
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:  # "<<: *anchor": the anchor's entries, unless written here
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in sources:
                    base = _plain(source, path, {}, budget, depth + 1)
                    if not isinstance(base, dict):
                        raise InvalidFile(
                            [RowProblem(key_node.start_mark.line + 1, "<<", None, "只能合并键值表")]
                        )
                    merged = base | merged
                continue
            key = _scalar(key_node)
            if key in out:
                raise InvalidFile(
                    [RowProblem(key_node.start_mark.line + 1, str(key), None, "字段重复")]
                )
            out[key] = _plain(value_node, (*path, str(key)), lines, budget, depth + 1)
            lines.setdefault((*path, str(key)), key_node.start_mark.line + 1)
        return merged | out
    if isinstance(node, yaml.SequenceNode):
        return [
            _plain(item, (*path, i), lines, budget, depth + 1) for i, item in enumerate(node.value)
        ]
    return _scalar(node)


def read_yaml(text: str, filename: str) -> tuple[Any, dict[Path, int]]:
    """The plain data of a YAML text and the line of every path in it. Refused, with the line:
    text over MAX_BYTES, values nested deeper than MAX_DEPTH (a recursive anchor included) and
    more than MAX_NODES values once aliases are expanded."""
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise InvalidFile(
            [RowProblem(None, None, None, f"文件太大（{size:,} 字节，最多 {MAX_BYTES:,} 字节）")],
            filename,
        )
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise InvalidFile([RowProblem(None, None, None, "嵌套太深")], filename) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise InvalidFile(
            [RowProblem(line, None, None, f"不是有效的 YAML：{problem}")], filename
        ) from None
    if node is None:
        raise InvalidFile([RowProblem(None, None, None, "文件是空的")], filename)
    lines: dict[Path, int] = {}
    try:
        data = _plain(node, (), lines, _Budget())
    except InvalidFile as error:
        raise InvalidFile(error.problems, filename) from None
    return data, lines


def _line(lines: dict[Path, int], path: Path) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _where(path: Path) -> str:
    return ".".join(str(p) for p in path) or "（文件）"


def load_spec(
    text: str, filename: str, model: type[Model], context: dict[str, Any] | None = None
) -> Model:
    """text validated as model (context: what its validators may read, such as the rule sets
    it builds on); InvalidFile with every problem at its line otherwise."""
    data, lines = read_yaml(text, filename)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            path = _file_path(item["loc"])
            cause = item.get("ctx", {}).get("error")
            if isinstance(cause, SpecProblem):
                path = path + cause.path
                message = cause.message
            else:
                message = validation_message(item)
            value = None if item["type"] == "missing" else _short(item.get("input"))
            problems.append(RowProblem(_line(lines, path), _where(path), value, message))
        raise InvalidFile(problems, filename) from None


def refuse(text: str, filename: str, problems: Sequence[tuple[Path, Any, str]]) -> InvalidFile:
    """InvalidFile for problems found after loading: (path in the file, value, reason) each."""
    _, lines = read_yaml(text, filename)
    return InvalidFile(
        [
            RowProblem(_line(lines, path), _where(path), _short(value), why)
            for path, value, why in problems
        ],
        filename,
    )


def _file_path(loc: tuple[str | int, ...]) -> Path:
    """The path as the file spells it: pydantic puts the member of a tagged union chosen for a
    list item ("normalise") and wrapper names ("function-after[…]") into its paths."""
    path: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and "[" in part:
            continue
        if isinstance(part, str) and part in _UNION_TAGS and path and isinstance(path[-1], int):
            continue
        path.append(part)
    return tuple(path)


_UNION_TAGS: set[str] = set()


def union_tags(*tags: str) -> None:
    """Declare the tag values of a model's tagged unions, so that paths read as the file does."""
    _UNION_TAGS.update(tags)


def _short(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"

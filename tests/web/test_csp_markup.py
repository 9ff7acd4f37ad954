"""The markup the app sends works under its own content security policy (`style-src 'self';
script-src 'self'`): no inline style attributes or elements, no inline scripts or event
handler attributes, in the templates, the static scripts, or HTML and SVG built in Python.

A JSON data block (`<script type="application/json">`, the figures a chart is drawn from) is
not a script: the browser never runs it. Vendored libraries (static/vendor) are not read line by
line: the browser tests draw their charts under the policy with no console error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wulian.web.middleware import CSP

SRC = Path(__file__).resolve().parents[2] / "src" / "wulian"
MARKUP = re.compile(r"<(svg|div|span|p|table|tr|td|ul|li|a)[\s>]")  # Python that builds HTML
BLOCKED = {
    "内联样式属性": re.compile(r"""\sstyle\s*=\s*["'{]""", re.IGNORECASE),
    "内联样式元素": re.compile(r"<style[\s>]", re.IGNORECASE),
    "内联脚本": re.compile(
        r"<script(?![^>]*\ssrc=)(?![^>]*\stype=\"application/json\")[^>]*>", re.IGNORECASE
    ),
    "事件处理属性": re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE),
    "javascript: 地址": re.compile(r"javascript:", re.IGNORECASE),
    "脚本写入的样式属性": re.compile(r"""setAttribute\(\s*["']style""", re.IGNORECASE),
}


def _files() -> list[Path]:
    templates = sorted((SRC / "web" / "templates").rglob("*.html"))
    static = SRC / "web" / "static"
    scripts = sorted(p for p in static.rglob("*.js") if "vendor" not in p.relative_to(static).parts)
    python = sorted(p for p in SRC.rglob("*.py") if MARKUP.search(p.read_text("utf-8")))
    assert templates
    assert scripts
    assert python
    return templates + scripts + python


def test_the_policy_allows_no_inline_styles_or_scripts():
    directives = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert directives["style-src"] == "'self'"
    assert directives["script-src"] == "'self'"


@pytest.mark.parametrize("kind", list(BLOCKED))
def test_nothing_the_policy_blocks_is_in_the_markup(kind):
    pattern = BLOCKED[kind]
    found = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()[:120]}"
        for path in _files()
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == [], f"{kind}会被内容安全策略拦截：\n" + "\n".join(found)

"""The expression language of policy files: parsed, type-checked, compiled to Polars.

    rd_expense / revenue >= 3% and not ("gaoxin" in tags)
    if revenue <= 5000 then 5% else if revenue <= 20000 then 4% else 3%
    min(rate * max(rd_expense - rd_expense_last, 0), cap)
    band(tech_share_points, tech_staff / staff_total) > 0
    industry_section in ["B", "C", "D"]

Numbers (a trailing % divides by 100), 'text' or "text" codes, true/false; + - * /; comparisons
< <= > >= == !=; and, or, not; if … then … else …; x in [..] and x not in [..] (a list of
literals, or a tags input); functions min, max, abs, round(x, digits), band(table, x),
lookup(table, code), known(x). Nothing else: no attribute access, no calls of anything but these
functions, no loops, and never Python's eval.

Unknown is not zero: a missing input is null, and so is everything computed from it, except
where logic decides without it (false and unknown is false; true or unknown is true — Kleene's
three-valued logic, which Polars implements for & and |). Division by zero is unknown too.

Numbers are exact: decimals (a float input through its shortest repr) held as fractions of
integers, compared by cross-multiplication with no tolerance, so 0.7 + 0.1 = 0.8 and
740,000 / 18,500,000 = 4%; rounding is half away from zero on the exact value. Every numeric
expression is an interval [lo, hi] per row: a known value is lo = hi, an unknown input spans its
declared range, and a comparison is decided wherever the whole interval decides it — so a
missing input leaves a result unknown only where some value it may take would change it.

`interpret` evaluates an expression for one row in plain Python, by the same rules; it is the
reference the compiled form is tested against.
"""

from __future__ import annotations

from wulian.engines.rules.expr.checker import Checker, Symbol
from wulian.engines.rules.expr.compiler import (
    ONES,
    Compiler,
    exact_frame,
    number_of,
    ones,
    shortfall,
)
from wulian.engines.rules.expr.exact import (
    Inexact,
    exact,
    exact_series,
    round_fraction,
)
from wulian.engines.rules.expr.interpret import Iv, Value, evaluate_node, interpret
from wulian.engines.rules.expr.render import OPERATORS, comparisons, render
from wulian.engines.rules.expr.spans import UNBOUNDED, Column, Span
from wulian.engines.rules.expr.syntax import (
    COMPARISONS,
    FUNCTIONS,
    KEYWORDS,
    TYPE_NAMES,
    Arith,
    Bool,
    Call,
    Compare,
    ExprError,
    If,
    Logic,
    Member,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Text,
    Type,
    children,
    error_at,
    names,
    parse,
    tokens,
    walk,
)

__all__ = [
    "COMPARISONS",
    "FUNCTIONS",
    "KEYWORDS",
    "ONES",
    "OPERATORS",
    "TYPE_NAMES",
    "UNBOUNDED",
    "Arith",
    "Bool",
    "Call",
    "Checker",
    "Column",
    "Compare",
    "Compiler",
    "ExprError",
    "If",
    "Inexact",
    "Iv",
    "Logic",
    "Member",
    "Name",
    "Neg",
    "Node",
    "Not",
    "Num",
    "Span",
    "Symbol",
    "Text",
    "Type",
    "Value",
    "children",
    "comparisons",
    "error_at",
    "evaluate_node",
    "exact",
    "exact_frame",
    "exact_series",
    "interpret",
    "names",
    "number_of",
    "ones",
    "parse",
    "render",
    "round_fraction",
    "shortfall",
    "tokens",
    "walk",
]

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

Numbers compare with a tolerance relative to the threshold (the right-hand side t, 64-bit
floats): a value within TOLERANCE × |t| of t is on it, so a ratio that is exactly on a threshold
(740,000 / 18,500,000 against 4%) is on it, and sums of decimal amounts that differ from the
threshold only by binary rounding do not fall below it. a ≥ t is a ≥ t − TOLERANCE·|t|, a > t is
a > t + TOLERANCE·|t|, and so on; when t is a constant its bounds are computed once.

`interpret` evaluates an expression for one row in plain Python, by the same rules; it is the
reference the compiled form is tested against.
"""

from __future__ import annotations

from wulian.engines.rules.expr.checker import Checker, Symbol
from wulian.engines.rules.expr.compiler import (
    ONES,
    TOLERANCE,
    Compiler,
    ones,
    round_half_up,
    round_value,
    shortfall,
)
from wulian.engines.rules.expr.interpret import Value, interpret
from wulian.engines.rules.expr.render import OPERATORS, comparisons, render
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
    "TOLERANCE",
    "TYPE_NAMES",
    "Arith",
    "Bool",
    "Call",
    "Checker",
    "Compare",
    "Compiler",
    "ExprError",
    "If",
    "Logic",
    "Member",
    "Name",
    "Neg",
    "Node",
    "Not",
    "Num",
    "Symbol",
    "Text",
    "Type",
    "Value",
    "children",
    "comparisons",
    "interpret",
    "names",
    "ones",
    "parse",
    "render",
    "round_half_up",
    "round_value",
    "shortfall",
    "tokens",
    "walk",
]

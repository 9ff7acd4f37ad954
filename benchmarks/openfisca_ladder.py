"""The ladder of examples/ladder written as an OpenFisca model, timed on the firms of a file.

The same nine outputs as wulian's `examples/ladder` (firm.yaml, kexing_points.yaml, kexing.yaml,
gaoxin_basic.yaml, rd_subsidy.yaml): one entity, the firm; a variable per input and per
intermediate or output, by year; the point tables as `select`; the parameters (dated, with their
references' dates) as an OpenFisca parameter tree.

Run by benchmarks/bench_rules.py under a separate Python that has openfisca-core 46.x (its numpy
may differ from the project's), so it needs numpy and openfisca-core only:

    python benchmarks/openfisca_ladder.py IN.npz OUT.npz [--repeat 3] [--period 2024]

IN.npz holds one array per input (numbers as float64, yes/no as bool), all of one length. Timed:
the simulation built anew (SimulationBuilder.build_default_simulation), the inputs set for the
period and the nine outputs calculated, best of --repeat; reading the file and building the tax
and benefit system are not timed. Printed: one JSON line (seconds, every time, firms, versions);
OUT.npz: one array per output, named as in wulian ("kexing_points.score", …).

What differs from wulian, by OpenFisca's design:
- There is no unknown: every input must be given (the benchmark gives it data without blanks).
- Numbers are float32 (OpenFisca's float variables): inputs with decimals are rounded to 24 bits
  when set, and ratios are float32 quotients compared with float32 thresholds, where wulian
  compares exact ratios of integers. A firm whose ratio is exactly at a band's lower bound (or at
  a condition's threshold) may land on the other side.
- A ratio over a zero denominator is 0 here (wulian: unknown); the benchmark's data has none.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib.metadata import version

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.model_api import YEAR, ParameterNode, Variable, max_, min_, select, where
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

Firm = build_entity(
    key="firm",
    plural="firms",
    label="企业",
    doc="一家企业",
    is_person=True,
)

# the dated parameters of the five files (kexing, gaoxin_basic, rd_subsidy)
PARAMETERS = {
    "kexing": {
        "max_staff": {"values": {"2022-01-01": 500}},
        "max_revenue": {"values": {"2022-01-01": 20000}},
        "max_assets": {"values": {"2022-01-01": 20000}},
        "pass_score": {"values": {"2022-01-01": 60}},
    },
    "gaoxin_basic": {
        "min_tech_share": {"values": {"2016-01-01": 0.10}},
    },
    "rd_subsidy": {
        "rate": {"values": {"2023-01-01": 0.10, "2025-01-01": 0.15}},
        "cap": {"values": {"2023-01-01": 100}},
    },
}

# kexing_points.yaml's tables: (lower bound, inclusive → points), highest first; else 0
TECH_POINTS = [(0.30, 20), (0.25, 16), (0.20, 12), (0.15, 8), (0.10, 4)]
RD_REVENUE_POINTS = [(0.06, 50), (0.05, 40), (0.04, 30), (0.03, 20), (0.02, 10)]
RD_COST_POINTS = [(0.30, 50), (0.25, 40), (0.20, 30), (0.15, 20), (0.10, 10)]
IP2_POINTS = [(4, 24), (3, 18), (2, 12), (1, 6)]

NUMBERS = [
    "staff_total",
    "tech_staff",
    "revenue",
    "rd_expense",
    "rd_expense_1",
    "total_cost",
    "age_years",
    "total_assets",
    "provincial_platforms",
    "ip_class1_count",
    "ip_class2_count",
]
BOOLS = ["gaoxin", "national_award", "standard_lead", "guishang"]

# wulian's output name → the variable here
OUTPUTS = {
    "firm.rd_increase": "rd_increase",
    "kexing_points.tech_score": "tech_score",
    "kexing_points.rd_score": "rd_score",
    "kexing_points.ip_score": "ip_score",
    "kexing_points.score": "kexing_score",
    "kexing.eligible": "kexing_eligible",
    "gaoxin_basic.eligible": "gaoxin_basic_eligible",
    "rd_subsidy.eligible": "rd_subsidy_eligible",
    "rd_subsidy.amount": "rd_subsidy_amount",
}


def band(table: list[tuple[float, int]], x: np.ndarray) -> np.ndarray:
    """The points of the first band whose lower bound x reaches, else 0."""
    return select([x >= low for low, _ in table], [points for _, points in table], 0)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0."""
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def input_variable(key: str, kind: type) -> type[Variable]:
    return type(
        key,
        (Variable,),
        {"value_type": kind, "entity": Firm, "definition_period": YEAR, "label": key},
    )


# ---------------------------------------------------------------- firm.yaml


class tech_share(Variable):  # noqa: N801 - OpenFisca names a variable by its class
    value_type = float
    entity = Firm
    definition_period = YEAR
    label = "科技人员占职工总数比例"

    def formula(firm, period):  # noqa: N805
        return ratio(firm("tech_staff", period), firm("staff_total", period))


class rd_revenue_ratio(Variable):  # noqa: N801
    value_type = float
    entity = Firm
    definition_period = YEAR
    label = "研发费用占销售收入比例"

    def formula(firm, period):  # noqa: N805
        return ratio(firm("rd_expense", period), firm("revenue", period))


class rd_cost_ratio(Variable):  # noqa: N801
    value_type = float
    entity = Firm
    definition_period = YEAR
    label = "研发费用占成本费用比例"

    def formula(firm, period):  # noqa: N805
        return ratio(firm("rd_expense", period), firm("total_cost", period))


class rd_increase(Variable):  # noqa: N801
    value_type = float
    entity = Firm
    definition_period = YEAR
    label = "研发费用增量"

    def formula(firm, period):  # noqa: N805
        return firm("rd_expense", period) - firm("rd_expense_1", period)


# ---------------------------------------------------------------- kexing_points.yaml


class tech_score(Variable):  # noqa: N801
    value_type = float
    entity = Firm
    definition_period = YEAR
    label = "科技人员得分"

    def formula_2022_01_01(firm, period):  # noqa: N805
        return band(TECH_POINTS, firm("tech_share", period))


class rd_score(Variable):  # noqa: N801
    value_type = float
    entity = Firm
    definition_period = YEAR
    label = "研发投入得分（两种算法取高者）"

    def formula_2022_01_01(firm, period):  # noqa: N805
        return max_(
            band(RD_REVENUE_POINTS, firm("rd_revenue_ratio", period)),
            band(RD_COST_POINTS, firm("rd_cost_ratio", period)),
        )


class ip_score(Variable):  # noqa: N801
    value_type = float
    entity = Firm
    definition_period = YEAR
    label = "科技成果得分"

    def formula_2022_01_01(firm, period):  # noqa: N805
        return where(
            firm("ip_class1_count", period) >= 1,
            30,
            band(IP2_POINTS, firm("ip_class2_count", period)),
        )


class kexing_score(Variable):  # noqa: N801
    value_type = float
    entity = Firm
    definition_period = YEAR
    label = "科技型中小企业评价总分"

    def formula_2022_01_01(firm, period):  # noqa: N805
        return firm("tech_score", period) + firm("rd_score", period) + firm("ip_score", period)


# ---------------------------------------------------------------- kexing.yaml


class kexing_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Firm
    definition_period = YEAR
    label = "符合科技型中小企业评价条件"

    def formula_2022_01_01(firm, period, parameters):  # noqa: N805
        p = parameters(period).kexing
        assessed = (
            (firm("kexing_score", period) >= p.pass_score) * (firm("tech_score", period) > 0)
            + firm("gaoxin", period)
            + firm("national_award", period)
            + (firm("provincial_platforms", period) >= 1)
            + firm("standard_lead", period)
        )
        return (
            (firm("staff_total", period) <= p.max_staff)
            * (firm("revenue", period) <= p.max_revenue)
            * (firm("total_assets", period) <= p.max_assets)
            * assessed
        )


# ---------------------------------------------------------------- gaoxin_basic.yaml


class rd_needed(Variable):  # noqa: N801
    value_type = float
    entity = Firm
    definition_period = YEAR
    label = "研发费用占比要求"

    def formula_2016_01_01(firm, period):  # noqa: N805
        revenue = firm("revenue", period)
        return select([revenue <= 5000, revenue <= 20000], [0.05, 0.04], 0.03)


class gaoxin_basic_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Firm
    definition_period = YEAR
    label = "符合高新技术企业研发与基本条件"

    def formula_2016_01_01(firm, period, parameters):  # noqa: N805
        p = parameters(period).gaoxin_basic
        return (
            (firm("age_years", period) >= 1)
            * (firm("tech_share", period) >= p.min_tech_share)
            * (firm("rd_revenue_ratio", period) >= firm("rd_needed", period))
        )


# ---------------------------------------------------------------- rd_subsidy.yaml


class rd_subsidy_eligible(Variable):  # noqa: N801
    value_type = bool
    entity = Firm
    definition_period = YEAR
    label = "符合研发投入增量补助条件"

    def formula_2023_01_01(firm, period):  # noqa: N805
        scope = firm("guishang", period) + firm("gaoxin", period)
        return scope * (firm("rd_increase", period) > 0)


class rd_subsidy_amount(Variable):  # noqa: N801
    value_type = float
    entity = Firm
    definition_period = YEAR
    label = "研发投入增量补助金额（万元），不符合为 0"

    def formula_2023_01_01(firm, period, parameters):  # noqa: N805
        p = parameters(period).rd_subsidy
        amount = max_(min_(p.rate * firm("rd_increase", period), p.cap), 0)
        return where(firm("rd_subsidy_eligible", period), amount, 0)


class LadderSystem(TaxBenefitSystem):
    def __init__(self) -> None:
        super().__init__([Firm])
        self.parameters = ParameterNode("", data=PARAMETERS)
        for key in NUMBERS:
            self.add_variable(input_variable(key, float))
        for key in BOOLS:
            self.add_variable(input_variable(key, bool))
        for variable in (
            tech_share,
            rd_revenue_ratio,
            rd_cost_ratio,
            rd_increase,
            tech_score,
            rd_score,
            ip_score,
            kexing_score,
            kexing_eligible,
            rd_needed,
            gaoxin_basic_eligible,
            rd_subsidy_eligible,
            rd_subsidy_amount,
        ):
            self.add_variable(variable)


def compute(
    system: TaxBenefitSystem, inputs: dict[str, np.ndarray], period: str
) -> dict[str, np.ndarray]:
    """A new simulation of len(inputs) firms with the inputs set: the nine outputs."""
    count = len(next(iter(inputs.values())))
    simulation = SimulationBuilder().build_default_simulation(system, count)
    for key, values in inputs.items():
        simulation.set_input(key, period, values)
    return {name: simulation.calculate(variable, period) for name, variable in OUTPUTS.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", help=".npz: one array per input")
    parser.add_argument("out", help=".npz written: one array per output")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--period", default="2024")
    args = parser.parse_args()

    with np.load(args.data) as data:
        inputs = {key: data[key] for key in [*NUMBERS, *BOOLS]}
    system = LadderSystem()
    times = []
    outputs: dict[str, np.ndarray] = {}
    for _ in range(args.repeat):
        start = time.perf_counter()
        outputs = compute(system, inputs, args.period)
        times.append(time.perf_counter() - start)
    np.savez(args.out, **outputs)
    report = {
        "seconds": min(times),
        "times": times,
        "firms": len(inputs["revenue"]),
        "openfisca_core": version("openfisca-core"),
        "numpy": np.__version__,
        "python": sys.version.split()[0],
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()

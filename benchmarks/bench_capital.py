"""The fund matrix's figures (every fund alone and with its sub-funds, and the whole) on synthetic
matrices: a mother fund with N−1 sub-funds and M investments in firms, in memory (the figures are
computed from rows read once; the database reads are the registry's usual list reads).

    PYTHONPATH=src python -m benchmarks.bench_capital
"""

from __future__ import annotations

import random
import time

from wulian.capital import service
from wulian.capital.models import Commitment, Fund, FundInvestment

SIZES = ((10, 200), (50, 2_000), (200, 10_000), (1_000, 50_000))


def make(funds: int, rows: int) -> tuple[list[Fund], list[Commitment], list[FundInvestment]]:
    rng = random.Random(1)
    made = [
        Fund(id=i + 1, name=f"基金{i}", kind="sub" if i else "mother",
             parent_id=1 if i else None, reinvest_pct=50)
        for i in range(funds)
    ]  # fmt: skip
    commits = [
        Commitment(id=i + 1, fund_id=f.id, investor="市财政局", investor_kind="government",
                   investor_fund_id=None, committed_yuan=10**9, paid_in_yuan=10**9)
        for i, f in enumerate(made)
    ]  # fmt: skip
    invested = [
        FundInvestment(id=i + 1, fund_id=rng.randint(1, funds), enterprise_id=i + 1,
                       project_id=None, amount_yuan=10**7, round_total_yuan=5 * 10**7,
                       local=True, exited_on=None)
        for i in range(rows)
    ]  # fmt: skip
    return made, commits, invested


def main() -> None:
    for funds, rows in SIZES:
        made, commits, invested = make(funds, rows)
        start = time.perf_counter()
        book = service._Book.of(commits, invested)
        pct = {f.id: f.reinvest_pct for f in made}
        for f in made:
            service._figures(service._subtree(made, f.id), book, {}, {"government"}, "paid_in", pct)
            service._figures({f.id}, book, {}, {"government"}, "paid_in", pct)
        total = service._figures({f.id for f in made}, book, {}, {"government"}, "paid_in", pct)
        took = time.perf_counter() - start
        print(
            f"{funds:>5} 只基金 {rows:>6} 笔投资：{took * 1000:8.1f} ms（撬动 {total.leverage} 倍）"
        )


if __name__ == "__main__":
    main()

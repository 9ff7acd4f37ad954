"""Economic-complexity measures of regions × industries, computed as py-ecomplexity 0.5.3 (the
Harvard Growth Lab's reference implementation) computes them, convention for convention.

For each period, in the order the periods first appear:

1. Regions and industries whose total value in the period is 0 are left out (their rows come
   back with every measure empty); the rest form a full region × industry matrix, absent pairs
   being 0.
2. RCA (Balassa) = (x_cp / x_c) / (x_p / Σ_p x_p); RPOP = (x_cp / pop_c) / (x_p / Σ_c pop_c);
   presence M = 1 where the chosen measure ≥ threshold, else 0 ("manual": M is the value itself).
3. diversity = Σ_p M, ubiquity = Σ_c M.
4. ECI / PCI: the eigenvector of the second-largest eigenvalue of M̃ = D⁻¹MU⁻¹Mᵀ (regions) and
   its product counterpart U⁻¹MᵀD⁻¹M, signed so that ECI correlates positively with diversity.
   The reference solves the non-symmetric product matrix with a general eigensolver; here the
   symmetric similar matrix A·Aᵀ or Aᵀ·A (A = D^-½ M U^-½) of the smaller side is solved, its
   known top pair removed, by Lanczos on sparse products. Both give the same vector up to scale,
   and every output is invariant to that scale.
5. Proximity φ_pq = min(P(p|q), P(q|p)) from co-occurrence (or the asymmetric P(q|p), or the
   continuous (1 + corr)/2 of RCA columns); density_cp = Σ_q M_cq φ_pq / Σ_q φ_pq.
6. COI_c = Σ_p density_cp (1 − M_cp) PCI_p; COG_cp = (1 − M_cp) Σ_q (1 − M_cq) φ_qp PCI_q / Σ φ_q.
   (computed with the raw, unstandardised PCI, as the reference does).
7. Standardisation as the reference (and the Stata package): ECI by its own mean and standard
   deviation (population, ddof 0), PCI by ECI's mean and standard deviation, COG divided by ECI's
   standard deviation, COI by its own.

The reference's edge cases are kept: one region with diversity 0 (or one industry with ubiquity
0) makes every ECI and PCI of that period empty (its code fails on the single index and falls back
to NaN); two or more make ECI (and so PCI, COG) empty through the mean; an industry of ubiquity 0
has empty proximities, which empty density, COI and COG.

One difference: when the region–industry network falls apart into pieces (a second eigenvalue
of 1), the reference returns whichever eigenvector LAPACK gives; here ECI and PCI are empty.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from wulian.core.errors import InvalidInput

Presence = Literal["rca", "rpop", "manual"]
PRESENCES: tuple[str, ...] = ("rca", "rpop", "manual")

KEYS = ("time", "loc", "prod")
SMALL_EIGEN = 64  # up to this size the eigenproblem is solved directly
SPARSE_SHARE = 0.08  # below this share of ones, products with M are taken as sparse
DISCONNECTED = 1e-9  # a second eigenvalue this close to 1 means a network in pieces
MEASURES = ("rca", "rpop", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog")


@dataclass(frozen=True)
class Result:
    """cp: one row per period × region × industry (time, loc, prod, val, rca, [rpop,] mcp,
    diversity, ubiquity, eci, pci, density, coi, cog), sorted by the keys; proximity: one row
    per period × industry pair (time, prod_1, prod_2, proximity), or None when not asked."""

    cp: pl.DataFrame
    proximity: pl.DataFrame | None


@dataclass
class _Period:
    loc_kept: np.ndarray  # of every region code, those in the period's matrix
    prod_kept: np.ndarray
    values: np.ndarray  # dense, regions × industries
    rca: np.ndarray
    rpop: np.ndarray | None
    mcp: np.ndarray
    diversity: np.ndarray
    ubiquity: np.ndarray
    eci: np.ndarray
    pci: np.ndarray
    density: np.ndarray
    coi: np.ndarray
    cog: np.ndarray
    proximity: np.ndarray


def compute(
    data: pl.DataFrame,
    *,
    presence: Presence = "rca",
    threshold: float = 1.0,
    pop: pl.DataFrame | None = None,
    continuous: bool = False,
    asymmetric: bool = False,
    with_proximity: bool = True,
) -> Result:
    """The measures of a long frame (time, loc, prod: text; val: number ≥ 0, one row per key).

    pop (time, loc, pop) is needed for presence "rpop"; threshold applies to RCA or RPOP.
    """
    frame = check(data, presence=presence, pop=pop)
    pops = _pop_table(pop) if presence == "rpop" and pop is not None else None
    loc_levels = frame["loc"].unique().sort()
    prod_levels = frame["prod"].unique().sort()
    codes = frame.select(
        pl.col("time"),
        pl.col("loc").cast(pl.Enum(loc_levels)).to_physical().alias("l"),
        pl.col("prod").cast(pl.Enum(prod_levels)).to_physical().alias("p"),
        pl.col("val"),
    )
    parts: list[pl.DataFrame] = []
    proximities: list[pl.DataFrame] = []
    for t in sorted(frame["time"].unique().to_list()):
        rows = codes.filter(pl.col("time") == t)
        li, pi = rows["l"].to_numpy().astype(np.intp), rows["p"].to_numpy().astype(np.intp)
        val = rows["val"].to_numpy()
        period = _period(
            li, pi, val, (len(loc_levels), len(prod_levels)), presence, threshold,
            _pops(pops, t, loc_levels) if pops is not None else None, continuous, asymmetric,
        )  # fmt: skip
        parts.append(_cp_frame(t, period, loc_levels, prod_levels, presence))
        left_out = ~(period.loc_kept[li] & period.prod_kept[pi])
        if left_out.any():
            # rows of regions or industries left out (total 0) come back with every measure empty
            rest = frame.filter(pl.col("time") == t).filter(pl.Series(left_out))
            parts[-1] = pl.concat([parts[-1], rest], how="diagonal_relaxed").sort(KEYS)
        if with_proximity:
            proximities.append(_proximity_frame(t, period, prod_levels))
    cp = pl.concat(parts, how="vertical")
    return Result(cp, pl.concat(proximities) if with_proximity else None)


def check(
    data: pl.DataFrame, *, presence: str = "rca", pop: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The frame with text keys and float values, or InvalidInput naming what is wrong."""
    missing = [c for c in (*KEYS, "val") if c not in data.columns]
    if missing:
        raise InvalidInput(f"数据缺少列：{'、'.join(missing)}")
    if presence not in PRESENCES:
        raise InvalidInput(f"未知的存在性判定方法“{presence}”，可选：rca、rpop、manual")
    if data.height == 0:
        raise InvalidInput("数据为空：没有任何地区 × 行业的取值")
    frame = data.select(
        *(pl.col(k).cast(pl.String) for k in KEYS), pl.col("val").cast(pl.Float64, strict=False)
    )
    for key in KEYS:
        if frame[key].null_count():
            raise InvalidInput(f"“{key}”列有空值")
    bad = frame.filter(
        pl.col("val").is_null() | pl.col("val").is_nan() | pl.col("val").is_infinite()
    )
    if bad.height:
        raise InvalidInput(f"“val”列有 {bad.height} 个缺失或非数值的取值（未知不当作 0）")
    if (frame["val"] < 0).any():
        raise InvalidInput("“val”列有负值，权重（营收、人数或企业数）不能为负")
    empty = frame.group_by("time").agg(pl.col("val").sum()).filter(pl.col("val") == 0)
    if empty.height:
        raise InvalidInput(f"时期 {empty['time'][0]} 的取值全为 0，无法计算")
    if presence == "rpop":
        _check_pop(frame, pop)
    return frame


def _check_pop(frame: pl.DataFrame, pop: pl.DataFrame | None) -> None:
    if pop is None:
        raise InvalidInput("存在性判定为 rpop 时需要人口（或规模）数据")
    missing = [c for c in ("time", "loc", "pop") if c not in pop.columns]
    if missing:
        raise InvalidInput(f"人口数据缺少列：{'、'.join(missing)}")
    table = pop.select(
        pl.col("time").cast(pl.String),
        pl.col("loc").cast(pl.String),
        pl.col("pop").cast(pl.Float64, strict=False),
    )
    if table["pop"].is_null().any() or table["pop"].is_nan().any() or (table["pop"] <= 0).any():
        raise InvalidInput("人口数据的“pop”列须为正数")
    if table.select(pl.struct("time", "loc").is_duplicated().any()).item():
        raise InvalidInput("人口数据中同一时期、地区有重复的行")
    need = frame.group_by("time", "loc").agg(pl.col("val").sum()).filter(pl.col("val") > 0)
    absent = need.join(table, on=["time", "loc"], how="anti")
    if absent.height:
        row = absent.sort("time", "loc").row(0)
        raise InvalidInput(
            f"人口数据缺少 {absent.height} 个时期 × 地区，例如 {row[0]} 年的“{row[1]}”"
        )


def _pop_table(pop: pl.DataFrame) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for t, loc, value in pop.select(
        pl.col("time").cast(pl.String),
        pl.col("loc").cast(pl.String),
        pl.col("pop").cast(pl.Float64),
    ).iter_rows():
        out.setdefault(t, {})[loc] = value
    return out


def _pops(table: dict[str, dict[str, float]], t: str, locs: pl.Series) -> np.ndarray:
    """The period's population by region code (NaN where none is given: such a region has no
    value in the period, which check() makes sure of)."""
    given = table.get(t, {})
    return np.array([given.get(loc, np.nan) for loc in locs.to_list()], dtype=float)


def _period(
    li: np.ndarray,
    pi: np.ndarray,
    val: np.ndarray,
    shape: tuple[int, int],
    presence: str,
    threshold: float,
    pop: np.ndarray | None,
    continuous: bool,
    asymmetric: bool,
) -> _Period:
    flat = li * shape[1] + pi
    if np.bincount(flat, minlength=shape[0] * shape[1]).max() > 1:
        raise InvalidInput("同一时期、地区、行业有重复的行，请先汇总")
    # regions and industries whose total is 0 are left out (values are ≥ 0: a total is 0 when
    # every value is, whatever the order of the sum)
    loc_kept = np.bincount(li, weights=val, minlength=shape[0]) != 0
    prod_kept = np.bincount(pi, weights=val, minlength=shape[1]) != 0
    loc_index = np.cumsum(loc_kept) - 1
    prod_index = np.cumsum(prod_kept) - 1
    keep = loc_kept[li] & prod_kept[pi]
    values = np.zeros((int(loc_kept.sum()), int(prod_kept.sum())))
    values[loc_index[li[keep]], prod_index[pi[keep]]] = val[keep]

    rpop: np.ndarray | None = None
    if presence == "manual":
        rca = values
        mcp: np.ndarray = values
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            num = values / np.nansum(values, axis=1)[:, np.newaxis]
            col_total = np.nansum(values, axis=0)[np.newaxis, :]
            world = np.nansum(col_total, axis=1)[:, np.newaxis]
            rca = num / (col_total / world)
        measure = rca
        if presence == "rpop":
            pops = (pop if pop is not None else np.full(len(loc_kept), np.nan))[loc_kept]
            pops = pops[:, np.newaxis]
            rpop = (values / pops) / (col_total / np.nansum(pops))
            measure = rpop
        mcp = np.where(np.nan_to_num(measure) >= threshold, 1, 0)
    diversity = np.nansum(mcp, axis=1)
    ubiquity = np.nansum(mcp, axis=0)
    binary = presence != "manual"
    eci_raw, pci_raw = _eci_pci(mcp, diversity, ubiquity, binary)

    if not continuous:
        proximity = _discrete_proximity(mcp, ubiquity, asymmetric, binary)
        weights = mcp
    else:
        base = rpop if rpop is not None else rca
        proximity = (1 + np.corrcoef(base.T)) / 2
        weights = mcp if presence == "manual" else base
    density, coi, cog = _density_coi_cog(
        mcp, weights, pci_raw, proximity, binary and not continuous
    )

    std = eci_raw.std()
    mean = eci_raw.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        pci = (pci_raw - mean) / std
        cog = cog / std
        eci = (eci_raw - mean) / std
        coi = (coi - coi.mean()) / coi.std()
    return _Period(
        loc_kept,
        prod_kept,
        values,
        rca,
        rpop,
        mcp,
        diversity,
        ubiquity,
        eci,
        pci,
        density,
        coi,
        cog,
        proximity,
    )


def _matmul(left: np.ndarray, right: np.ndarray, binary: bool) -> np.ndarray:
    """left @ right; a sparse product when left is a presence matrix with few ones (below that
    share BLAS on the dense matrix is faster), a dense one otherwise."""
    if binary and np.isfinite(right).all() and np.count_nonzero(left) < SPARSE_SHARE * left.size:
        return np.asarray(sp.csr_array(left) @ right)
    return left @ right  # type: ignore[no-any-return]


def _eci_pci(
    mcp: np.ndarray, diversity: np.ndarray, ubiquity: np.ndarray, binary: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Raw (unstandardised) ECI and PCI with the reference's sign, NaN where it gives NaN."""
    n_locs, n_prods = mcp.shape
    nan = (np.full(n_locs, np.nan), np.full(n_prods, np.nan))
    zero_loc = np.flatnonzero(diversity == 0)
    zero_prod = np.flatnonzero(ubiquity == 0)
    # the reference iterates over np.argwhere(...).squeeze(): a single index is a 0-d array, the
    # loop raises, and its fallback leaves every ECI and PCI of the period NaN
    if len(zero_loc) == 1 or len(zero_prod) == 1:
        return nan
    rows, cols = diversity != 0, ubiquity != 0
    m = mcp[rows][:, cols].astype(float)
    div, ubq = diversity[rows].astype(float), ubiquity[cols].astype(float)
    if m.shape[1] < 2 or m.shape[0] < 2:
        # no second eigenvalue (one industry), or one region: no correlation to sign ECI by
        return nan
    left, right = 1 / np.sqrt(div), 1 / np.sqrt(ubq)
    side = m.shape[0] < m.shape[1]
    # A = D^-½ M U^-½, sparse; the symmetric matrix of the smaller side is A·Aᵀ or Aᵀ·A
    a = sp.csr_array(sp.diags_array(left) @ sp.csr_array(m) @ sp.diags_array(right))
    value, vector = _second(a.T if side else a, np.sqrt(div) if side else np.sqrt(ubq))
    if value > 1 - DISCONNECTED:
        # a second eigenvalue of 1: the region–industry network falls apart into pieces, and any
        # mix of their indicator vectors is an eigenvector; the reference returns one of them
        # at random (LAPACK's choice), here ECI and PCI are left empty
        return nan
    if side:
        # the regions' side: kc is an eigenvector of D⁻¹MU⁻¹Mᵀ, kp = U⁻¹Mᵀkc / λ
        if value == 0:
            return nan
        kc = vector * left
        kp = (kc @ m) / ubq / value
    else:
        kp = vector * right
        kc = (m @ kp) / div
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with np.errstate(divide="ignore", invalid="ignore"):
            sign = np.sign(np.corrcoef(div, kc)[0, 1]) if len(kc) > 1 else np.nan
    eci = np.full(n_locs, np.nan)
    pci = np.full(n_prods, np.nan)
    eci[rows] = sign * kc
    pci[cols] = sign * kp
    return eci, pci


def _second(a: sp.csr_array, top: np.ndarray) -> tuple[float, np.ndarray]:
    """The second-largest eigenvalue of G = Aᵀ·A, whose largest eigenvalue is 1 with the
    eigenvector `top` (unnormalised), and its eigenvector.

    Large G: Lanczos (ARPACK, to machine precision) on G with the known top pair removed, G never
    formed: each step is two sparse products with A. Small G, or no convergence: LAPACK's
    tridiagonal solver for the two largest pairs of G formed."""
    n = a.shape[1]
    if n > SMALL_EIGEN:
        unit = top / np.linalg.norm(top)
        transposed = sp.csr_array(a.T)

        def product(x: np.ndarray) -> np.ndarray:
            out: np.ndarray = transposed @ (a @ x) - unit * (unit @ x)
            return out

        deflated = LinearOperator((n, n), matvec=product, dtype=float)
        try:
            values, vectors = eigsh(deflated, k=1, which="LA", tol=0, v0=np.ones(n))
            return float(values[0]), vectors[:, 0]
        except ArpackNoConvergence:
            pass
    gram = (a.T @ a).toarray()
    values, vectors = scipy.linalg.eigh(gram, subset_by_index=[n - 2, n - 1], driver="evr")
    return float(values[0]), vectors[:, 0]


def _discrete_proximity(
    mcp: np.ndarray, ubiquity: np.ndarray, asymmetric: bool, binary: bool
) -> np.ndarray:
    if binary and np.count_nonzero(mcp) < SPARSE_SHARE * mcp.size:
        sparse = sp.csr_array(mcp.astype(float))
        co = (sparse.T @ sparse).toarray()
    elif binary and mcp.shape[0] < 2**24:
        # co-occurrence counts of 0/1 columns: integers below 2²⁴, exact in single precision,
        # whose product is twice as fast
        m32 = mcp.astype(np.float32)
        co = (m32.T @ m32).astype(np.float64)
    else:
        m = mcp.astype(float)
        co = m.T @ m
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = co / ubiquity[np.newaxis, :]
    out: np.ndarray = phi.T.copy() if asymmetric else np.minimum(phi, phi.T)
    return out


def _density_coi_cog(
    mcp: np.ndarray, weights: np.ndarray, pci: np.ndarray, proximity: np.ndarray, binary: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """density = W @ (φᵀ / Σφ); COI = Σ_p density (1 − M) PCI; COG = (1 − M) ∘ ((1 − M) @ X)
    with X = φ ∘ (PCI / Σφ) by rows (W is M, or RCA/RPOP for continuous proximity).

    When W is M (0/1) and everything is finite, (1 − M) @ X is taken as X's column sums less
    M @ X, and M @ [φᵀ/Σφ, X] is one product; otherwise the reference's own expressions (which
    also spread NaN as it does)."""
    absent = 1 - mcp
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = proximity.T / np.nansum(proximity, axis=1)[np.newaxis, :]
        x = proximity * (pci / proximity.sum(axis=1))[:, np.newaxis]
        n = proximity.shape[0]
        if binary and np.isfinite(scaled).all() and np.isfinite(x).all():
            both = _matmul(mcp.astype(float), np.hstack([scaled, x]), binary)
            density = both[:, :n]
            through = x.sum(axis=0)[np.newaxis, :] - both[:, n:]
        else:
            density = weights @ scaled
            through = absent @ x
        coi = ((density * absent) * pci).sum(axis=1)
        cog = absent * through
    return density, coi, cog


def _cp_frame(
    t: str, period: _Period, loc_levels: pl.Series, prod_levels: pl.Series, presence: str
) -> pl.DataFrame:
    n_locs, n_prods = period.values.shape
    size = n_locs * n_prods
    locs = loc_levels.filter(pl.Series(period.loc_kept))
    prods = prod_levels.filter(pl.Series(period.prod_kept))
    columns: dict[str, object] = {
        "time": pl.repeat(t, size, dtype=pl.String, eager=True),
        "loc": locs.gather(pl.Series(np.repeat(np.arange(n_locs, dtype=np.uint32), n_prods))),
        "prod": prods.gather(pl.Series(np.tile(np.arange(n_prods, dtype=np.uint32), n_locs))),
        "val": period.values.ravel(),
        "rca": period.rca.ravel(),
    }
    if period.rpop is not None:
        columns["rpop"] = period.rpop.ravel()
    binary = presence != "manual"
    columns.update(
        mcp=period.mcp.ravel() if binary else period.mcp.ravel().astype(float),
        diversity=np.repeat(period.diversity, n_prods),
        ubiquity=np.tile(period.ubiquity, n_locs),
        eci=np.repeat(period.eci, n_prods),
        pci=np.tile(period.pci, n_locs),
        density=period.density.ravel(),
        coi=np.repeat(period.coi, n_prods),
        cog=period.cog.ravel(),
    )
    return pl.DataFrame(columns, nan_to_null=False)


def _proximity_frame(t: str, period: _Period, prod_levels: pl.Series) -> pl.DataFrame:
    prods = prod_levels.filter(pl.Series(period.prod_kept))
    n = prods.len()
    return pl.DataFrame(
        {
            "time": pl.repeat(t, n * n, dtype=pl.String, eager=True),
            "prod_1": prods.gather(pl.Series(np.repeat(np.arange(n, dtype=np.uint32), n))),
            "prod_2": prods.gather(pl.Series(np.tile(np.arange(n, dtype=np.uint32), n))),
            "proximity": period.proximity.ravel(),
        },
        nan_to_null=False,
    )

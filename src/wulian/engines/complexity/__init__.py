"""Economic complexity of regions × industries (relatedness): RCA, presence, diversity,
ubiquity, ECI, PCI, proximity, density, COI and COG as the Growth Lab's py-ecomplexity computes
them (measures.py); opportunity industries for a zone and its strategic approach
(opportunities.py); plain files for `wulian complexity` (files.py)."""

from wulian.engines.complexity.measures import PRESENCES, Result, compute

__all__ = ["PRESENCES", "Result", "compute"]

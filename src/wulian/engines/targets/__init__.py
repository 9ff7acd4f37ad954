"""Target firms for a need (招商目标企业): candidates ranked by transparent points per criterion
(product and industry fit, size, growth, financing and expansion signals, supply ties, region,
past contacts), each with the words or facts behind its points. Pure: Polars in, Polars out."""

from wulian.engines.targets.criteria import COLUMNS, CRITERIA, LABELS, MAXIMUM
from wulian.engines.targets.index import Settings, TargetIndex
from wulian.engines.targets.knowledge import Knowledge, from_frame

__all__ = [
    "COLUMNS",
    "CRITERIA",
    "LABELS",
    "MAXIMUM",
    "Knowledge",
    "Settings",
    "TargetIndex",
    "from_frame",
]

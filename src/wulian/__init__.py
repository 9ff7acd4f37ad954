"""wulian (五链): the working platform of a high-tech zone for 五链融合."""

__version__ = "0.1.0"

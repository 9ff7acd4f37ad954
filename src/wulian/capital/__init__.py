"""The capital chain (资金链): the fund matrix and its leverage, loans and the risk pool.
Importing the package registers its registry hooks."""

from wulian.capital import hooks as hooks

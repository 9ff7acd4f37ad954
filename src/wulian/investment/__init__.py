"""招商: the project pipeline (项目库) from lead to production, its stage table and figures.
Importing the package registers its registry hooks (supply ties follow a firm merge)."""

from wulian.investment import hooks as hooks

"""What the capital chain does when the registry changes: imported with the package
(capital/__init__)."""

from __future__ import annotations

from wulian.capital import events
from wulian.enterprises import service as enterprise_service

# a duplicate firm merged into another: the events that list it list the kept firm instead
enterprise_service.on_merge(events.fold_merged_firm)

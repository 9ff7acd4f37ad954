"""What waits for someone: each domain says what of its work waits for an actor (its service's
`waiting(session, actor=…, now=…)`), and the home page shows the items together, urgent first.

    Todo(module="企呼我应", label="已超期的诉求", count=3, href="/desk?due=overdue", urgent=True)

A provider returns only items with something waiting that the actor may act on or must know,
and never raises for lack of permission: it returns nothing instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Todo:
    module: str  # the module's name as the menu shows it
    label: str  # what waits, as a noun phrase (“待受理的诉求”)
    count: int
    href: str  # the list that shows exactly these
    urgent: bool = False  # overdue, or blocking someone else


def ordered(items: list[Todo]) -> list[Todo]:
    """Urgent first, then as the providers gave them; nothing that counts zero."""
    kept = [t for t in items if t.count > 0]
    return sorted(kept, key=lambda t: not t.urgent)

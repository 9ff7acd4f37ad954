"""The audit trail of every write, and its hash chain."""

from wulian.core.audit.service import (
    ChainCheck,
    RequestMeta,
    actor_of,
    record,
    seal,
    set_request,
    track,
    verify,
)

__all__ = [
    "ChainCheck",
    "RequestMeta",
    "actor_of",
    "record",
    "seal",
    "set_request",
    "track",
    "verify",
]

"""The audit trail of every write."""

from wulian.core.audit.service import RequestMeta, actor_of, record, set_request, track

__all__ = ["RequestMeta", "actor_of", "record", "set_request", "track"]

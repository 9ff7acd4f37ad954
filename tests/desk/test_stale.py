"""Two workers saving the same request at once: the one that saves second is told, in Chinese,
that the request was just changed (409), never a server error."""

from __future__ import annotations

import pytest
from sqlalchemy.orm.exc import StaleDataError

from tests.conftest import SYSTEM
from tests.desk.conftest import submit
from wulian.core import audit
from wulian.core.db import gave_up, session_factory
from wulian.core.errors import Conflict
from wulian.desk.models import DeskRequest


def test_a_save_over_a_newer_revision_is_a_conflict(world, engine, desk):
    request_id, _ = submit(world)
    factory = session_factory(engine)
    with factory() as first, factory() as second:
        audit.track(first, SYSTEM)
        audit.track(second, SYSTEM)
        mine, theirs = first.get(DeskRequest, request_id), second.get(DeskRequest, request_id)
        assert mine is not None
        assert theirs is not None
        mine.title, theirs.title = "第一位工作人员的修改", "第二位工作人员的修改"
        first.commit()
        with pytest.raises(StaleDataError) as stale:
            second.commit()
    refusal = gave_up(stale.value)
    assert isinstance(refusal, Conflict)
    assert "刚被其他人更新过" in str(refusal)

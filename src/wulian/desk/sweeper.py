"""The desk's deadline sweep while the server runs (see `service.sweep`).

`wulian serve` starts one sweeper, in a thread of its own process, however many worker processes
serve requests: due-soon warnings and escalations (督办) happen on time without a cron job. A sweep
that fails (the database restarting, a sweep from the command line at the same moment: the
requests' revision numbers refuse the second writer) changes nothing, is logged, and is tried
again at the next interval.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine

from wulian.core import audit, calendar
from wulian.core.db import Timeouts, create_engine, session_factory, unit_of_work
from wulian.core.notify.outbox import Outbox
from wulian.core.permissions import Actor
from wulian.desk import service
from wulian.talent import service as talent

LABEL = "期限巡检"
log = logging.getLogger(__name__)


class Sweeper:
    """Sweeps the desk at `start()` and every `seconds` after, in a daemon thread, until
    `stop()`."""

    def __init__(
        self,
        database_url: str,
        seconds: float,
        *,
        timeouts: Timeouts | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        if seconds <= 0:
            raise ValueError("seconds > 0")
        self.seconds = seconds
        self.outbox = outbox  # email and SMS of the notifications committed since the last time
        self._engine: Engine = create_engine(database_url, timeouts=timeouts)
        self._sessions = session_factory(self._engine)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="desk-sweeper", daemon=True)
        self.sweeps = 0  # done since start
        self.failures = 0  # failed since start

    def run_once(self) -> service.SweepResult:
        """One sweep, in its own unit of work; then the talent records past their retention are
        deleted, in another; then the audit entries written since the last
        time are sealed into the audit trail's hash chain, in another; then the notifications'
        email and SMS are sent (see `core.notify.outbox`)."""
        actor = Actor.system(label=LABEL)
        with unit_of_work(self._sessions) as session:
            audit.track(session, actor)
            result = service.sweep(session, actor=actor)
        with unit_of_work(self._sessions) as session:  # talent records past their retention
            audit.track(session, actor)
            talent.sweep_retention(session, actor=actor, today=calendar.today())
        with unit_of_work(self._sessions) as session:
            audit.seal(session)
        if self.outbox is not None:
            try:
                delivered = self.outbox.deliver(self._sessions)
            except Exception:  # the sweep is done; unsent messages wait for the next time
                log.exception("通知邮件、短信发送失败")
            else:
                if delivered.sent or delivered.failed:
                    log.info("通知：发出 %s 条，失败 %s 条", delivered.sent, delivered.failed)
        return result

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._engine.dispose()

    def _loop(self) -> None:
        """A sweep at once (deadlines may have passed while the server was down), then one
        every interval."""
        while True:
            try:
                result = self.run_once()
            except Exception:  # a failed sweep changed nothing; the next one tries again
                self.failures += 1
                log.exception("期限巡检失败，%s 秒后重试", self.seconds)
            else:
                self.sweeps += 1
                if result.warned or result.escalated or result.recounted:
                    log.info(
                        "期限巡检：预警 %s 件，督办 %s 件，重新计算暂定期限 %s 件",
                        result.warned,
                        result.escalated,
                        result.recounted,
                    )
            if self._stopped.wait(self.seconds):
                return

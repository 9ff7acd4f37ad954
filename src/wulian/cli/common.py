"""What every command shares: the consoles, the operator as actor, a unit of work on a current
database, and failing with a Chinese message."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.db import create_engine, migrate, session_factory, unit_of_work
from wulian.core.errors import WulianError
from wulian.core.permissions import Actor
from wulian.core.settings import Settings, get_settings

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def cli_actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor.system(label=f"命令行:{who}")


def fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]错误：[/]{escape(message)}")
    return typer.Exit(code)


@contextmanager
def work(settings: Settings | None = None) -> Iterator[tuple[Session, Actor]]:
    """One unit of work on a current database, attributed to the operator; errors become exits."""
    import wulian.models  # noqa: F401 (every table and hook; not for the engines' commands)

    settings = settings or get_settings()
    engine = create_engine(settings.database_url, timeouts=settings.db_command_timeouts)
    actor = cli_actor()
    try:
        migrate.ensure_current(engine)
        with unit_of_work(session_factory(engine)) as session:
            audit.track(session, actor)
            yield session, actor
    except WulianError as error:
        raise fail(error.message) from None
    finally:
        engine.dispose()

"""The `wulian` command: one module per command group (serve and demo, database, accounts,
reference data, imports, the engines on plain files)."""

from __future__ import annotations

import typer

from wulian.cli import accounts, database, engines, imports, licences, reference, server
from wulian.cli.complexity import complexity_app
from wulian.cli.talent import talent_app
from wulian.cli.targets import targets_app

app = typer.Typer(
    help="wulian 五链：五链融合工作平台", no_args_is_help=True, pretty_exceptions_enable=False
)
app.registered_commands += server.app.registered_commands
app.registered_commands += licences.app.registered_commands
app.add_typer(imports.import_app, name="import")
app.add_typer(engines.index_app, name="index")
app.add_typer(engines.policy_app, name="policy")
app.add_typer(engines.classify_app, name="classify")
app.add_typer(complexity_app, name="complexity")
app.add_typer(targets_app, name="targets")
app.add_typer(database.audit_app, name="audit")
app.add_typer(database.db_app, name="db")
app.add_typer(database.desk_app, name="desk")
app.add_typer(accounts.user_app, name="user")
app.add_typer(accounts.token_app, name="token")
app.add_typer(accounts.department_app, name="department")
app.add_typer(reference.reference_app, name="reference")
app.add_typer(talent_app, name="talent")


def main() -> None:
    """Entry point of the `wulian` console script."""
    app()

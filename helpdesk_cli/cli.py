"""The ``helpdesk`` command: one entry point, sub-commands contributed by each package."""

from __future__ import annotations

import logging

import typer

from actions.cli import actions_app
from botdata.cli import bot_app
from connectors.messenger.cli import messenger_app
from connectors.telegram.cli import telegram_app
from helpdesk_cli.cluster import register_cluster
from helpdesk_cli.run import register_bot_train, register_run
from knowledge.cli import catalogue_app, eval_app, index_app, register_search
from offices.cli import units_app
from store.cli import records_app, users_app

app = typer.Typer(
    help="Citizen helpdesk assistant: catalogue, search, records, office finder, channels.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(index_app, name="index")
app.add_typer(eval_app, name="eval")
app.add_typer(records_app, name="records")
app.add_typer(users_app, name="users")
app.add_typer(units_app, name="units")
app.add_typer(actions_app, name="actions")
app.add_typer(telegram_app, name="telegram")
app.add_typer(messenger_app, name="messenger")
app.add_typer(bot_app, name="bot")
register_bot_train(bot_app)
register_search(app)
register_run(app)
register_cluster(app)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()

"""``helpdesk actions serve``: the rasa-sdk action server."""

from __future__ import annotations

from typing import Annotated

import typer

actions_app = typer.Typer(help="The action server Rasa calls.", no_args_is_help=True)


@actions_app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (Rasa's endpoints.yml points here)")] = 5055,
) -> None:
    """Start the action server (loads the index, database and admin units first)."""
    from actions.server import serve
    from helpdesk.settings import get_settings

    serve(get_settings(), host, port)

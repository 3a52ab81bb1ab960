"""``helpdesk bot``: the Rasa assistant's generated training data (``bot train`` is added by
the command line at the top, which starts Rasa)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from botdata.export import export_nlu
from helpdesk.settings import PROJECT_ROOT, get_settings

bot_app = typer.Typer(
    help="The Rasa assistant: generated training data, training.", no_args_is_help=True
)


@bot_app.callback()
def bot_callback() -> None:
    """The Rasa assistant: generated training data (lookups, synonyms) and its model."""


@bot_app.command("generate")
def generate_command(
    out_dir: Annotated[
        Path | None, typer.Option(help="Output folder (default: bot/data/generated)")
    ] = None,
    catalogue_dir: Annotated[
        Path | None, typer.Option(help="Catalogue folder (default: settings.catalogue_dir)")
    ] = None,
    admin_units_dir: Annotated[
        Path | None,
        typer.Option(help="Admin-unit data folder (default: settings.admin_units_dir)"),
    ] = None,
) -> None:
    """Write the procedure and place lookup tables and synonyms for Rasa."""
    settings = get_settings()
    result = export_nlu(
        catalogue_dir or settings.catalogue_dir,
        admin_units_dir or settings.admin_units_dir,
        out_dir or PROJECT_ROOT / "bot" / "data" / "generated",
    )
    for path in result.files:
        typer.echo(f"wrote {path}")
    typer.echo(
        f"procedure spellings: {result.procedure_keys} "
        f"({len(result.ambiguous_procedure_keys)} shared by two procedures, left out); "
        f"provinces: {result.province_keys}, districts: {result.district_keys}, "
        f"communes/wards: {result.place_keys}"
    )

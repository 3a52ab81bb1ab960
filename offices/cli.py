"""``helpdesk units ...``: resolve old addresses, look up service centers, evaluate.

Settings and data load inside commands, never at import.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from helpdesk.errors import AdminUnitsError, ServiceCenterError

if TYPE_CHECKING:
    from offices.resolve import Resolution, UnitResolver

units_app = typer.Typer(
    help="Old → new communes/wards (2025 reform) and public-service centers.",
    no_args_is_help=True,
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _resolver() -> UnitResolver:
    from helpdesk.settings import get_settings
    from offices.resolve import UnitResolver

    try:
        return UnitResolver.from_dir(get_settings().admin_units_dir)
    except AdminUnitsError as exc:
        raise _fail(str(exc)) from exc


@units_app.command("resolve")
def resolve_command(
    text: Annotated[str | None, typer.Argument(help='e.g. "xã Phúc Xá, Ba Đình, Hà Nội"')] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the resolution as JSON")] = False,
    limit: Annotated[int, typer.Option(min=1, max=50, help="Most matches to show")] = 5,
    batch: Annotated[
        Path | None,
        typer.Option(help='JSON Lines file with a "q" field per line ("-" for stdin)'),
    ] = None,
) -> None:
    """Find the new commune/ward for an old address (free text)."""
    if (text is None) == (batch is None):
        raise _fail('give either TEXT or --batch FILE, e.g. units resolve "phuong 1 quan 3 hcm"', 2)
    resolver = _resolver()
    if batch is not None:
        if str(batch) == "-":
            bad = _resolve_batch(resolver, sys.stdin, limit)
        else:
            try:
                with batch.open(encoding="utf-8") as handle:
                    bad = _resolve_batch(resolver, handle, limit)
            except OSError as exc:
                raise _fail(f"cannot read {batch}: {exc}") from exc
        if bad:
            raise _fail(f"{bad} line(s) of {batch} could not be read (see their error field)")
        return
    assert text is not None
    resolution = resolver.resolve(text, limit=limit)
    if as_json:
        typer.echo(json.dumps(resolution.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(_describe(resolution))


def _resolve_batch(resolver: UnitResolver, lines: TextIO, limit: int) -> int:
    """One JSON line out per non-blank line in, in order; returns the number of bad lines."""
    bad = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            query = row["q"] if isinstance(row, dict) else None
            if not isinstance(query, str):
                raise ValueError('needs a string field "q"')
        except (ValueError, KeyError) as exc:
            bad += 1
            out: dict[str, Any] = {"q": None, "matches": [], "ambiguous": False}
            out["error"] = f"line {number}: {exc}"
        else:
            out = resolver.resolve(query, limit=limit).to_dict()
        typer.echo(json.dumps(out, ensure_ascii=False))
    return bad


def _describe(resolution: Resolution) -> str:
    if not resolution.matches:
        return f"No commune/ward found for {resolution.text!r}."
    lines: list[str] = []
    if resolution.ambiguous:
        places = "; ".join(str(p) for p in resolution.candidates[:10])
        lines.append(f"Ambiguous: which {resolution.ask_for}? Candidates: {places}")
    for rank, match in enumerate(resolution.matches, start=1):
        if match.current:
            origin = "(already a current name)"
        else:
            origin = f"← {match.old_ward}, {match.old_district}, {match.old_province}"
        lines.append(f"{rank}. {match.new_ward}, {match.new_province} {origin}")
        if match.split:
            names = ", ".join(w.name for w in match.new_wards)
            lines.append(f"   divided among: {names}")
    return "\n".join(lines)


@units_app.command("center")
def center_command(
    ward: Annotated[str, typer.Argument(help='New ward code ("01648") or name')],
    province: Annotated[str | None, typer.Option(help='Province code ("04") or name')] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the public-service center for a new ward (falls back to province, then hotline)."""
    from dataclasses import asdict

    from helpdesk.settings import get_settings
    from offices.centers import CenterDirectory

    settings = get_settings()
    try:
        directory = CenterDirectory.from_dir(settings.service_centers_dir, settings.hotline)
    except ServiceCenterError as exc:
        raise _fail(str(exc)) from exc
    contact = directory.center_for(ward, province)
    if as_json:
        typer.echo(json.dumps(asdict(contact), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{contact.name} ({contact.level})")
    for label, value in (
        ("address", contact.address),
        ("phone", contact.phone),
        ("hours", contact.opening_hours),
    ):
        if value:
            typer.echo(f"  {label}: {value}")
    if contact.sample:
        typer.echo(f"  SAMPLE, not verified: check with the hotline {contact.hotline}")


@units_app.command("centers-check")
def centers_check_command(
    path: Annotated[Path | None, typer.Argument(help="Folder of <province_code>.yaml")] = None,
) -> None:
    """Check every service-center file (schema, codes and names against the unit data)."""
    from helpdesk.settings import get_settings
    from offices.centers import load_centers
    from offices.units import AdminUnits

    settings = get_settings()
    root = path or settings.service_centers_dir
    try:
        units = AdminUnits.from_dir(settings.admin_units_dir)
        provinces = load_centers(root, units)
    except (AdminUnitsError, ServiceCenterError) as exc:
        raise _fail(str(exc)) from exc
    for code, file in sorted(provinces.items()):
        listed = {w.code for w in file.wards}
        missing = [w.name for w in units.wards_of(code) if w.code not in listed]
        samples = sum(w.sample for w in file.wards)
        note = f", not listed: {', '.join(missing)}" if missing else ""
        typer.echo(f"{code} {file.province}: {len(file.wards)} ward(s), {samples} sample{note}")
    typer.echo(f"OK: {len(provinces)} province file(s) in {root}")


@units_app.command("centers-template")
def centers_template_command(
    province_code: Annotated[str, typer.Argument(help='Current province code, e.g. "96"')],
) -> None:
    """Print a province file listing all its new wards, every value marked sample."""
    from offices.centers import template

    try:
        typer.echo(template(_resolver().units, province_code), nl=False)
    except ServiceCenterError as exc:
        raise _fail(str(exc)) from exc


@units_app.command("evaluate")
def evaluate_command(
    sample: Annotated[int, typer.Option(help="Old wards to sample (spread over provinces)")] = 500,
    seed: Annotated[int, typer.Option()] = 2025,
    misses: Annotated[Path | None, typer.Option(help="Write misses here (JSON Lines)")] = None,
) -> None:
    """Top-1 accuracy of the resolver per phrasing form (see offices/accuracy.py)."""
    from helpdesk.settings import get_settings
    from offices.accuracy import run

    try:
        report = run(get_settings().admin_units_dir, sample, seed)
    except AdminUnitsError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(report.table())
    if misses is not None:
        lines = (json.dumps(m, ensure_ascii=False) for m in report.misses)
        misses.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")

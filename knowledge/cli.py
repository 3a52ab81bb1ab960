"""``helpdesk catalogue|index|search|eval`` commands. Heavy imports stay inside commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from helpdesk.errors import CatalogueError, HelpdeskError, InvalidQuery
from knowledge.progress import Progress

catalogue_app = typer.Typer(
    help="Validate, import and show catalogue entries.", no_args_is_help=True
)
index_app = typer.Typer(help="Build and inspect the search index.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure retrieval quality.", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@catalogue_app.command("validate")
def validate_command(
    path: Annotated[Path | None, typer.Argument(help="Catalogue folder or one file")] = None,
) -> None:
    """Check every catalogue file; report every problem with file, line, code and field."""
    from helpdesk.settings import get_settings
    from knowledge.catalogue import validate

    root = path or get_settings().catalogue_dir
    catalogue, problems = validate(root)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        raise _fail(f"{len(problems)} problem(s) found in {root}")
    count = len(catalogue) if catalogue else 0
    overlays = len(catalogue.overlays) if catalogue else 0
    drafts = (
        f", {len(catalogue.drafts)} draft(s) awaiting review"
        if catalogue and catalogue.drafts
        else ""
    )
    typer.echo(f"OK: {count} procedure(s), {overlays} province overlay(s){drafts} in {root}")


@catalogue_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV or JSON file in the catalogue schema")],
    folder: Annotated[str, typer.Option(help="Sub-folder of national/ for new procedures")] = (
        "imported"
    ),
) -> None:
    """Bulk-update the catalogue from CSV/JSON; nothing changes unless every row is valid."""
    from helpdesk.settings import get_settings
    from knowledge.importer import import_procedures

    try:
        report = import_procedures(file, get_settings().catalogue_dir, folder)
    except CatalogueError as exc:
        for problem in exc.problems:
            typer.echo(str(problem))
        raise _fail(f"import refused: {len(exc.problems)} problem(s); nothing was changed") from exc
    typer.echo(f"imported: {len(report.created)} new, {len(report.updated)} updated")


@catalogue_app.command("import-portal")
def import_portal_command(
    paths: Annotated[list[Path], typer.Argument(help="Portal page JSON files or folders")],
    into: Annotated[
        str, typer.Option("--into", help="Sub-folder of national/ for new drafts")
    ] = "drafts",
    by_field: Annotated[
        bool, typer.Option("--by-field", help="File each draft under its field's slug")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; write nothing")] = False,
    catalogue: Annotated[
        Path | None, typer.Option("--catalogue", help="Catalogue folder (default: settings)")
    ] = None,
) -> None:
    """Read portal pages into draft entries; for codes already present, show a diff only."""
    from collections import Counter

    from helpdesk.settings import get_settings
    from knowledge.portal import existing_entries, import_page, page_files

    root = catalogue or get_settings().catalogue_dir
    files, missing = page_files(paths)
    if missing:
        raise _fail(f"no such file or folder: {', '.join(missing)}", 2)
    if not files:
        raise _fail("no .json page files found in the given folders", 2)
    try:
        known = existing_entries(root)
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot read the catalogue in {root}: {exc}") from exc
    folder = None if by_field else into
    outcomes = [import_page(f, root, known, folder=folder, dry_run=dry_run) for f in files]
    gaps: Counter[str] = Counter()
    for outcome in outcomes:
        _echo_outcome(outcome, dry_run)
        gaps.update(gap.field for gap in outcome.gaps)
    bad = [o for o in outcomes if o.error]
    written = sum(1 for o in outcomes if o.written)
    diffs = sum(1 for o in outcomes if o.existing and o.changes)
    same = sum(1 for o in outcomes if o.existing and not o.changes)
    verb = "drafts due (dry run, nothing written)" if dry_run else "drafts written"
    typer.echo(
        f"\npages read: {len(files)}; {verb}: {written}; diffs shown: {diffs}; "
        f"unchanged: {same}; refused: {len(bad)}"
    )
    summary = ", ".join(f"{name} {count}" for name, count in sorted(gaps.items()))
    typer.echo(f"gaps by field: {summary or 'none'}")
    if bad:
        raise _fail(f"{len(bad)} page(s) could not be imported; see the messages above")


def _echo_outcome(outcome: Any, dry_run: bool) -> None:
    """One page's part of the import report: what was done, the diff, the gaps."""
    if outcome.error and outcome.code is None:
        typer.echo(f"{outcome.source}: {outcome.error}", err=True)
        return
    title = f"{outcome.code} {outcome.name}"
    if outcome.error:
        typer.echo(f"{title}: refused: {outcome.error}", err=True)
    elif outcome.written:
        typer.echo(f"{title}: {'would write' if dry_run else 'draft written to'} {outcome.written}")
    elif outcome.changes:
        typer.echo(f"{title}: already in {outcome.existing}; not changed. Differences:")
        for change in outcome.changes:
            for line in _change_lines(change):
                typer.echo(f"    {line}")
    else:
        typer.echo(f"{title}: already in {outcome.existing}; the page says nothing new")
    for gap in outcome.gaps:
        typer.echo(f"    not parsed [{gap.field}]: {gap.reason}")


def _change_lines(change: Any) -> list[str]:
    """A change as a reviewer reads it: old → new, or removed/added items for lists."""
    if isinstance(change.old, list) or isinstance(change.new, list):
        old = [str(item) for item in change.old or []]
        new = [str(item) for item in change.new or []]
        lines = [f"{change.field}:"]
        lines += [f"  - {item}" for item in old if item not in new]
        lines += [f"  + {item}" for item in new if item not in old]
        return lines
    return [f"{change.field}: {change.old!r} → {change.new!r}"]


@catalogue_app.command("show")
def show_command(
    code: str,
    province: Annotated[str | None, typer.Option(help="Province code for overlays")] = None,
) -> None:
    """Print one procedure (with a province's overrides) as JSON."""
    from helpdesk.settings import get_settings
    from knowledge.catalogue import load_catalogue

    try:
        procedure = load_catalogue(get_settings().catalogue_dir).get(code, province)
    except HelpdeskError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(json.dumps(procedure.model_dump(mode="json"), ensure_ascii=False, indent=2))


@index_app.command("build")
def build_command(
    force: Annotated[bool, typer.Option(help="Rebuild even if an index is current")] = False,
) -> None:
    """Build the index if the catalogue or the model changed (embeddings are cached)."""
    from helpdesk.settings import get_settings
    from knowledge.catalogue import load_catalogue
    from knowledge.index import find_index, load_index
    from knowledge.service import build_and_save, embedder_for

    settings = get_settings()
    try:
        catalogue = load_catalogue(settings.catalogue_dir)
    except CatalogueError as exc:
        typer.echo(str(exc))
        raise _fail("catalogue has errors; the current index was left untouched") from exc
    embedder = embedder_for(settings)
    path = find_index(settings.index_dir, catalogue.content_hash, embedder.model_id)
    if not force:
        try:
            index = load_index(path, embedder.model_id, catalogue.content_hash)
        except HelpdeskError:
            pass
        else:
            typer.echo(f"index is current: {path} ({index.meta.num_docs} procedures)")
            return
    with progress_bar() as progress:
        index, path = build_and_save(catalogue, embedder, settings, progress=progress)
    meta = index.meta
    typer.echo(
        f"built {path}: {meta.num_docs} procedures, {meta.num_vectors} vectors "
        f"({meta.dense_kind}), {meta.new_embeddings} new embeddings, {meta.build_seconds} s"
    )


STAGE_LABELS = {"embed": "embedding new texts", "calibrate": "calibrating the gate"}


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A bar per stage of a long build, drawn on standard error."""
    from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
    from rich.progress import Progress as Bars

    bars = Bars(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    )
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            if total == 0:
                return
            tasks[stage] = bars.add_task(STAGE_LABELS.get(stage, stage), total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield report


def _searcher(province: str | None = None) -> Any:
    from helpdesk.settings import get_settings
    from knowledge.service import open_knowledge

    settings = get_settings()
    try:
        knowledge = open_knowledge(settings)
    except CatalogueError as exc:
        typer.echo(str(exc), err=True)
        raise _fail("catalogue has errors; fix them first (helpdesk catalogue validate)") from exc
    if province and province not in knowledge.catalogue.overlays:
        known = ", ".join(sorted(knowledge.catalogue.overlays)) or "none"
        typer.echo(f"note: no overlay for province {province} (overlays: {known})", err=True)
    return knowledge.searcher


def _result_json(result: Any, province: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "q": result.query,
        "answerable": result.answerable,
        "results": [
            {"code": h.code, "name": h.name, "name_en": h.name_en, "score": h.score}
            for h in result.hits
        ],
    }
    if province:
        out["province"] = province
    return out


def register_search(app: typer.Typer) -> None:
    """Add the top-level ``search`` command to ``app``."""

    @app.command("search")
    def search_command(
        question: Annotated[str | None, typer.Argument(help="What the citizen asked")] = None,
        k: Annotated[int, typer.Option("--k", min=1, max=50)] = 5,
        province: Annotated[str | None, typer.Option(help="Province code (e.g. 96)")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
        batch: Annotated[Path | None, typer.Option(help="JSON Lines file with a field q")] = None,
    ) -> None:
        """Search the catalogue (one question, or --batch FILE writing one JSON line each)."""
        if (question is None) == (batch is None):
            raise _fail("give a QUESTION or --batch FILE", 2)
        searcher = _searcher(province)
        if batch is not None:
            _search_batch(searcher, batch, k, province)
            return
        assert question is not None
        try:
            result = searcher.search(question, k=k)
        except InvalidQuery as exc:
            raise _fail(f"cannot search: {exc}", 2) from exc
        if as_json:
            typer.echo(json.dumps(_result_json(result, province), ensure_ascii=False))
            return
        verdict = "answerable" if result.answerable else "not answerable from the catalogue"
        typer.echo(f"{result.query!r}: {verdict}")
        for rank, hit in enumerate(result.hits, start=1):
            typer.echo(f"{rank}. {hit.code}  {hit.score:.2f}  {hit.name} ({hit.name_en})")


def _search_batch(searcher: Any, batch: Path, k: int, province: str | None) -> None:
    if not batch.exists():
        raise _fail(f"no such file: {batch}", 2)
    bad = 0
    for number, line in enumerate(batch.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            query = row["q"]
            if not isinstance(query, str):
                raise TypeError("q must be a string")
            out = _result_json(searcher.search(query, k=k), province)
        except (ValueError, KeyError, TypeError, InvalidQuery) as exc:
            bad += 1
            original = row.get("q") if isinstance(locals().get("row"), dict) else None
            out = {
                "q": original,
                "error": f"line {number}: {exc}",
                "answerable": False,
                "results": [],
            }
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        row = None
    if bad:
        typer.echo(f"{bad} line(s) could not be searched", err=True)


@eval_app.command("held-out")
def eval_held_out(
    file: Annotated[Path, typer.Argument(help="JSON Lines with q, codes, form")],
    fraction: Annotated[float, typer.Option(help="Share of asked-about procedures")] = 0.15,
    seed: Annotated[int, typer.Option(help="Seed of the sample")] = 7,
    target: Annotated[
        float | None,
        typer.Option(
            help="The gate's target false rejection on calibration questions "
            "(default: the one index builds use)"
        ),
    ] = None,
) -> None:
    """False acceptance: hold procedures out of the catalogue, ask about them, count answers."""
    from helpdesk.settings import get_settings
    from knowledge.cache import EmbeddingCache
    from knowledge.calibrate import TARGET_FALSE_REJECTION
    from knowledge.catalogue import load_catalogue
    from knowledge.evaluation import read_questions
    from knowledge.holdout import as_table, choose_held_out, hold_out
    from knowledge.service import embedder_for

    if not 0 < fraction < 1:
        raise _fail("fraction must be between 0 and 1", 2)
    if target is not None and not 0 <= target < 1:
        raise _fail("target must be at least 0 and below 1", 2)
    try:
        questions = read_questions(file)
    except (CatalogueError, OSError) as exc:
        raise _fail(str(exc), 2) from exc
    settings = get_settings()
    catalogue = load_catalogue(settings.catalogue_dir)
    held = choose_held_out(questions, catalogue, fraction, seed)
    if not held:
        raise _fail("no question in the file asks about a procedure of the catalogue", 2)
    cache = EmbeddingCache(settings.var_dir / "cache" / "embeddings.sqlite")
    try:
        with progress_bar() as progress:
            report = hold_out(
                catalogue,
                embedder_for(settings),
                questions,
                held,
                cache,
                progress,
                TARGET_FALSE_REJECTION if target is None else target,
            )
    finally:
        cache.close()
    typer.echo(f"\n{len(held)} of {len(catalogue)} procedures held out (seed {seed}): ")
    typer.echo(", ".join(held) + "\n")
    typer.echo(as_table(report))
    for line in report.examples:
        typer.echo(f"  {line}")


@eval_app.command("retrieval")
def eval_retrieval(
    file: Annotated[Path, typer.Argument(help="JSON Lines with q, codes, form")],
    mode: Annotated[str, typer.Option(help="fused, lexical, dense or all")] = "fused",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    show_failures: Annotated[bool, typer.Option("--failures")] = False,
) -> None:
    """Recall@1, Recall@3, MRR, out-of-scope rejection and false rejection, per form."""
    from knowledge.evaluation import as_json as report_json
    from knowledge.evaluation import as_table, evaluate, failures, read_questions

    try:
        questions = read_questions(file)
    except (CatalogueError, OSError) as exc:
        raise _fail(str(exc), 2) from exc
    searcher = _searcher()
    modes = ["lexical", "dense", "fused"] if mode == "all" else [mode]
    if any(m not in {"lexical", "dense", "fused"} for m in modes):
        raise _fail("mode must be fused, lexical, dense or all", 2)
    payload: dict[str, Any] = {}
    for name in modes:
        report = evaluate(searcher, questions, mode=name)  # type: ignore[arg-type]
        if as_json:
            payload[name] = report_json(report)
            continue
        typer.echo(f"\n### {name} ({len(questions)} questions from {file})\n")
        typer.echo(as_table(report))
        if show_failures:
            for line in failures(searcher, questions, mode=name):  # type: ignore[arg-type]
                typer.echo(f"  {line}")
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))

"""Bulk updates of the catalogue from CSV or JSON in the catalogue's own schema.

Every row is checked first and every problem reported with its line; the merged catalogue is
validated in a scratch copy; only then are files written. A bad import changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from helpdesk.errors import CatalogueError, Problem
from knowledge.catalogue import catalogue_files, validate
from knowledge.model import Procedure

# Columns holding a list of plain strings: cells separate items with " | ".
LIST_COLUMNS = ("steps", "requirements", "related", "aliases", "aliases_en", "notes")
# Columns holding nested structures: cells hold JSON.
JSON_COLUMNS = ("channels", "documents", "time", "fees", "legal_basis")
BOOL_COLUMNS = ("boundary_free", "verified")


@dataclass(frozen=True, slots=True)
class ImportReport:
    created: list[str]
    updated: list[str]


def _cell_value(column: str, cell: str) -> Any:
    cell = cell.strip()
    if column in LIST_COLUMNS:
        return [part.strip() for part in cell.split("|") if part.strip()]
    if column in JSON_COLUMNS:
        return json.loads(cell) if cell else None
    if column in BOOL_COLUMNS:
        lowered = cell.lower()
        if lowered not in {"true", "false", "1", "0", "yes", "no", ""}:
            raise ValueError(f"expected true or false, got {cell!r}")
        return lowered in {"true", "1", "yes"}
    return cell or None


def _rows_from_csv(path: Path) -> list[tuple[int, dict[str, Any], list[Problem]]]:
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    unknown = set(reader.fieldnames or []) - set(Procedure.model_fields)
    if unknown:
        raise CatalogueError(
            [Problem(str(path), col, "unknown column", line=1) for col in sorted(unknown)]
        )
    rows = []
    for record in reader:
        line = reader.line_num
        data: dict[str, Any] = {}
        problems: list[Problem] = []
        for column, cell in record.items():
            if column is None or cell is None:
                problems.append(Problem(str(path), "(row)", "wrong number of cells", line=line))
                continue
            try:
                value = _cell_value(column, cell)
            except ValueError as exc:
                problems.append(Problem(str(path), column, str(exc), record.get("code"), line))
                continue
            if value is not None:
                data[column] = value
        rows.append((line, data, problems))
    return rows


def _rows_from_json(path: Path) -> list[tuple[int, dict[str, Any], list[Problem]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CatalogueError(
            [Problem(str(path), "file", f"invalid JSON: {exc.msg}", line=exc.lineno)]
        ) from exc
    items = data if isinstance(data, list) else [data]
    out: list[tuple[int, dict[str, Any], list[Problem]]] = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            out.append((number, item, []))
        else:
            out.append((number, {}, [Problem(str(path), f"[{number}]", "expected an object")]))
    return out


def parse_import(path: Path) -> list[Procedure]:
    """Every procedure in an import file; :class:`CatalogueError` lists every bad row."""
    if not path.exists():
        raise CatalogueError([Problem(str(path), "(path)", "no such file")])
    reader = _rows_from_csv if path.suffix.lower() == ".csv" else _rows_from_json
    where = "line" if path.suffix.lower() == ".csv" else "item"
    problems: list[Problem] = []
    procedures: list[Procedure] = []
    seen: dict[str, int] = {}
    for number, data, found in reader(path):
        problems.extend(found)
        if found:
            continue
        code = data.get("code") if isinstance(data.get("code"), str) else None
        try:
            procedure = Procedure.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "(row)"
                message = err["msg"].removeprefix("Value error, ")
                problems.append(
                    Problem(
                        str(path),
                        field,
                        f"{where} {number}: {message}",
                        code,
                        number if where == "line" else None,
                    )
                )
            continue
        if procedure.code in seen:
            problems.append(
                Problem(
                    str(path),
                    "code",
                    f"{where} {number}: duplicate of {where} {seen[procedure.code]}",
                    procedure.code,
                    number if where == "line" else None,
                )
            )
            continue
        seen[procedure.code] = number
        procedures.append(procedure)
    if problems:
        raise CatalogueError(problems)
    return procedures


def to_yaml(procedure: Procedure) -> str:
    data = procedure.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def import_procedures(source: Path, catalogue_dir: Path, folder: str = "imported") -> ImportReport:
    """Merge ``source`` into ``catalogue_dir``; nothing is written unless all of it is valid."""
    procedures = parse_import(source)
    existing = {p.stem: p for p in catalogue_files(catalogue_dir / "national")}
    targets: dict[str, Path] = {}
    for procedure in procedures:
        targets[procedure.code] = existing.get(
            procedure.code, catalogue_dir / "national" / folder / f"{procedure.code}.yaml"
        )
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / "catalogue"
        shutil.copytree(catalogue_dir, trial)
        for procedure in procedures:
            target = trial / targets[procedure.code].relative_to(catalogue_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(to_yaml(procedure), encoding="utf-8")
        _, problems = validate(trial)
        if problems:
            raise CatalogueError(
                [
                    Problem(
                        p.file.replace(str(trial), str(catalogue_dir)),
                        p.field,
                        p.message,
                        p.code,
                        p.line,
                    )
                    for p in problems
                ]
            )
    created: list[str] = []
    updated: list[str] = []
    for procedure in procedures:
        target = targets[procedure.code]
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_suffix(".yaml.tmp")
        staging.write_text(to_yaml(procedure), encoding="utf-8")
        (updated if target.exists() else created).append(procedure.code)
        os.replace(staging, target)
    return ImportReport(created, updated)

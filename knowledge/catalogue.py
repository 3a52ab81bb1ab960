"""The procedure catalogue: a national base plus optional province overlays.

Layout of a catalogue folder::

    national/<field>/<code>.yaml   one procedure per file (YAML or JSON)
    provinces/<province-code>.yaml overrides for one province (fees, agency, address)

Draft entries (``draft: true``, written by ``catalogue import-portal``) are validated like the
others but kept apart in :attr:`Catalogue.drafts`: search and answers never see them.

Loading validates everything first and reports every problem at once; a catalogue with
problems is never half-loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from helpdesk.errors import CatalogueError, Problem, ProcedureNotFound
from knowledge.citizen_text import text_problems
from knowledge.model import Procedure, ProvinceOverlay
from knowledge.sources import SourceFile, read_source

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Catalogue:
    """Validated procedures by code, province overlays by province code, and a content hash.

    ``drafts`` holds draft entries awaiting review; they are not part of ``procedures``.
    """

    procedures: dict[str, Procedure]
    overlays: dict[str, ProvinceOverlay] = field(default_factory=dict)
    content_hash: str = ""
    drafts: dict[str, Procedure] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.procedures)

    def __iter__(self) -> Iterator[Procedure]:
        return iter(self.procedures.values())

    def __contains__(self, code: object) -> bool:
        return code in self.procedures

    def get(self, code: str, province: str | None = None) -> Procedure:
        """The procedure ``code``, with the province's overrides applied when given."""
        try:
            base = self.procedures[code]
        except KeyError:
            raise ProcedureNotFound(code) from None
        overlay = self.overlays.get(province) if province else None
        override = overlay.overrides.get(code) if overlay else None
        if override is None:
            return base
        changes: dict[str, Any] = {}
        if override.fees is not None:
            changes["fees"] = override.fees
            # a province figure replaces the national per-channel fees too
            changes["channels"] = [c.model_copy(update={"fees": []}) for c in base.channels]
        # a province's own wording replaces the national one in every language: its English
        # comes from the overlay or is left out, never the national text beside a local one
        if override.agency:
            changes["agency"] = override.agency
            changes["agency_en"] = override.agency_en
        if override.submit_at:
            changes["submit_at"] = override.submit_at
            changes["submit_at_en"] = override.submit_at_en
        if override.notes:
            changes["notes"] = [*base.notes, *override.notes]
        if override.legal_basis:
            changes["legal_basis"] = [*base.legal_basis, *override.legal_basis]
            # the province's texts fill a national record that had none
            changes["no_legal_basis_reason"] = None
        return base.model_copy(update=changes)

    def province_name(self, province: str | None) -> str | None:
        overlay = self.overlays.get(province) if province else None
        return overlay.province_name if overlay else None


def catalogue_files(root: Path) -> list[Path]:
    """Every data file under ``root``, in a stable order."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file())


def content_hash(files: Iterable[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        rel = path.relative_to(root) if path != root else Path(path.name)
        digest.update(str(rel).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _problems_from(error: ValidationError, source: SourceFile, code: str | None) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = item["loc"]
        where = ".".join(str(part) for part in loc) or "(record)"
        message = item["msg"].removeprefix("Value error, ")
        problems.append(Problem(str(source.path), where, message, code, source.line_of(loc)))
    return problems


def _parse(
    model: type[BaseModel], source: SourceFile, code: str | None
) -> tuple[BaseModel | None, list[Problem]]:
    if not isinstance(source.data, dict):
        return None, [Problem(str(source.path), "(file)", "expected a mapping of fields", code, 1)]
    try:
        return model.model_validate(source.data), []
    except ValidationError as exc:
        return None, _problems_from(exc, source, code)


def _source_remarks(
    source: SourceFile, entry: BaseModel, code: str | None, prefix: tuple[str, ...] = ()
) -> list[Problem]:
    """A problem for each citizen text that cites its source or asks for an abolished paper."""
    problems = []
    for loc, message in text_problems(entry.model_dump()):
        full = [*prefix, *loc]
        where = ".".join(str(part) for part in full)
        problems.append(Problem(str(source.path), where, message, code, source.line_of(full)))
    return problems


def validate(root: Path) -> tuple[Catalogue | None, list[Problem]]:
    """Validate a catalogue folder (or one file); return it and every problem found."""
    root = Path(root)
    if not root.exists():
        return None, [Problem(str(root), "(path)", "no such file or folder")]
    files = catalogue_files(root)
    problems: list[Problem] = []
    procedures: dict[str, Procedure] = {}
    drafts: dict[str, Procedure] = {}
    where: dict[str, Path] = {}
    overlays: dict[str, ProvinceOverlay] = {}
    for path in files:
        is_overlay = path.parent.name == "provinces"
        try:
            source = read_source(path)
        except CatalogueError as exc:
            problems.extend(exc.problems)
            continue
        raw_code = source.data.get("code") if isinstance(source.data, dict) else None
        code = raw_code if isinstance(raw_code, str) else None
        if is_overlay:
            overlay, found = _parse(ProvinceOverlay, source, None)
            problems.extend(found)
            if isinstance(overlay, ProvinceOverlay):
                if path.stem != overlay.province_code:
                    problems.append(
                        Problem(str(path), "province_code", "file name must be the province code")
                    )
                overlays[overlay.province_code] = overlay
                for key, override in overlay.overrides.items():
                    problems.extend(_source_remarks(source, override, key, ("overrides", key)))
            continue
        procedure, found = _parse(Procedure, source, code)
        problems.extend(found)
        if not isinstance(procedure, Procedure):
            continue
        if path.stem != procedure.code:
            problems.append(
                Problem(
                    str(path),
                    "code",
                    f"file name must be {procedure.code}{path.suffix}",
                    procedure.code,
                    source.line_of(["code"]),
                )
            )
        if not procedure.draft:  # a draft is never shown, its editor tidies it on review
            problems.extend(_source_remarks(source, procedure, procedure.code))
        if procedure.code in where:
            problems.append(
                Problem(
                    str(path),
                    "code",
                    f"duplicate code, also in {where[procedure.code]}",
                    procedure.code,
                    source.line_of(["code"]),
                )
            )
            continue
        (drafts if procedure.draft else procedures)[procedure.code] = procedure
        where[procedure.code] = path
    if root.is_dir():
        problems.extend(_cross_checks(procedures, overlays, root, drafts))
    catalogue = (
        Catalogue(procedures, overlays, content_hash(files, root), drafts) if files else None
    )
    return catalogue, problems


def _cross_checks(
    procedures: dict[str, Procedure],
    overlays: dict[str, ProvinceOverlay],
    root: Path,
    drafts: dict[str, Procedure] | None = None,
) -> list[Problem]:
    # related codes may name procedures outside this catalogue: answers show only known ones
    problems = []
    for province, overlay in overlays.items():
        for code in overlay.overrides:
            if code not in procedures:
                path = root / "provinces" / f"{province}.yaml"
                problems.append(
                    Problem(str(path), f"overrides.{code}", "no such procedure in the catalogue")
                )
    if not procedures and not overlays and not drafts:
        problems.append(Problem(str(root), "(folder)", "no catalogue files found"))
    return problems


def load_catalogue(root: Path) -> Catalogue:
    """Load and validate a catalogue; raise :class:`CatalogueError` listing every problem."""
    catalogue, problems = validate(root)
    if problems or catalogue is None:
        raise CatalogueError(problems)
    return catalogue

"""A candidate catalogue: the live one with uploaded files laid over it, validated and diffed.

An upload is one procedure file, one province overlay file, or a zip of such files laid out
as in the catalogue folder. A procedure file replaces the live file with the same code
(wherever it is); a new code goes under ``national/<field>/``; an overlay goes to
``provinces/<province code>``. A file that cannot even be parsed is still laid in (under
``national/uploaded/``) so that the report shows its problem with its line.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from helpdesk.errors import Problem, UploadRejected
from knowledge.catalogue import SUFFIXES, Catalogue, catalogue_files, validate
from knowledge.diff import CatalogueDiff, ChangeKind, diff_catalogues
from knowledge.portal import slug
from publishing.archive import MAX_FILES, pack, read_members

MAX_UPLOAD_FILES = 20
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_REPORTED_PROBLEMS = 500


@dataclass(frozen=True, slots=True)
class Upload:
    """One file as the browser sent it: its name and bytes."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Candidate:
    """The laid-out folder, what validation found, and the change against the live catalogue."""

    root: Path
    catalogue: Catalogue | None
    problems: tuple[Problem, ...]
    diff: CatalogueDiff
    placed: tuple[str, ...]

    @property
    def content_hash(self) -> str:
        return self.catalogue.content_hash if self.catalogue else ""

    def archive(self) -> bytes:
        return pack(self.root)

    def report(self) -> dict[str, Any]:
        """What the review page shows, stored with the release (paths relative to the folder)."""
        problems = [
            {
                "file": _relative(problem.file, self.root),
                "field": problem.field,
                "message": problem.message,
                "code": problem.code,
                "line": problem.line,
            }
            for problem in self.problems[:MAX_REPORTED_PROBLEMS]
        ]
        return {
            "placed": list(self.placed),
            "problems": problems,
            "problem_count": len(self.problems),
            "diff": self.diff.as_json(),
            "counts": {kind.value: self.diff.count(kind) for kind in ChangeKind},
        }


def _relative(file: str, root: Path) -> str:
    try:
        return Path(file).relative_to(root).as_posix()
    except ValueError:
        return Path(file).name


def _safe_name(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    return _SAFE_NAME.sub("-", base).strip("-.") or "tep"


def _parsed(data: bytes) -> Any:
    try:
        return yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        return None


def _codes_on_disk(root: Path) -> dict[str, Path]:
    """Each procedure code of the folder and its file (overlays are found by name)."""
    found = {}
    for path in catalogue_files(root / "national") if (root / "national").exists() else []:
        found[path.stem] = path
    return found


def _place_file(root: Path, name: str, data: bytes, known: dict[str, Path]) -> Path:
    """Where one uploaded file goes in the folder (and what it replaces)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRejected(f"{name}: only .yaml, .yml, .json or .zip files can be uploaded")
    content = _parsed(data)
    if isinstance(content, dict) and isinstance(content.get("province_code"), str):
        code = _safe_name(content["province_code"])
        return root / "provinces" / f"{code}{suffix}"
    if isinstance(content, dict) and isinstance(content.get("code"), str):
        code = _safe_name(content["code"])
        old = known.get(code)
        if old is not None:
            old.unlink()
            return old.with_suffix(suffix)
        field = content.get("field")
        folder = slug(field) if isinstance(field, str) and field else "imported"
        return root / "national" / folder / f"{code}{suffix}"
    return root / "national" / "uploaded" / _safe_name(name)


def lay_out(root: Path, uploads: list[Upload]) -> list[str]:
    """Write the uploads into the folder ``root``; the relative paths written, in order."""
    if not uploads:
        raise UploadRejected("choose at least one file to upload")
    if len(uploads) > MAX_UPLOAD_FILES:
        raise UploadRejected(f"at most {MAX_UPLOAD_FILES} files at once")
    placed: list[str] = []
    for upload in uploads:
        if upload.name.lower().endswith(".zip"):
            for path, content in read_members(upload.data, _safe_name(upload.name)):
                placed.append(_write(root, root.joinpath(*path.parts), content, replace=True))
            continue
        target = _place_file(root, upload.name, upload.data, _codes_on_disk(root))
        placed.append(_write(root, target, upload.data, replace=True))
    if len(catalogue_files(root)) > MAX_FILES:
        raise UploadRejected(f"a catalogue has at most {MAX_FILES} files")
    return placed


def _write(root: Path, target: Path, data: bytes, *, replace: bool) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not replace:
        raise UploadRejected(f"{target.name}: uploaded twice")
    target.write_bytes(data)
    return target.relative_to(root).as_posix()


def promote_drafts(root: Path, codes: list[str]) -> list[str]:
    """Mark the drafts ``codes`` of the folder as entries (``draft: false``); paths changed.

    Validation then treats them as any entry: placeholder text, a missing reason or field
    shows in the report as what the editor still has to write.
    """
    if not codes:
        raise UploadRejected("choose at least one draft")
    known = _codes_on_disk(root)
    placed = []
    for code in codes:
        path = known.get(code)
        content = _parsed(path.read_bytes()) if path is not None else None
        if path is None or not isinstance(content, dict) or content.get("draft") is not True:
            raise UploadRejected(f"{code}: no draft with this code")
        content["draft"] = False
        if path.suffix == ".json":
            path.write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")
        else:
            path.write_text(
                yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
        placed.append(path.relative_to(root).as_posix())
    return placed


def prepare(
    live_root: Path,
    live: Catalogue,
    uploads: list[Upload],
    work: Path,
    drafts: list[str] | None = None,
) -> Candidate:
    """Copy the live folder to ``work``, lay the uploads over it (or promote ``drafts``),
    validate and diff.

    ``work`` must not exist; the caller removes it when done.
    """
    shutil.copytree(live_root, work, ignore=shutil.ignore_patterns(".*", "__pycache__"))
    placed = promote_drafts(work, drafts) if drafts is not None else lay_out(work, uploads)
    catalogue, problems = validate(work)
    diff = diff_catalogues(live, catalogue) if catalogue is not None else CatalogueDiff(())
    return Candidate(work, catalogue, tuple(problems), diff, tuple(placed))

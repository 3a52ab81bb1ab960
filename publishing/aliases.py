"""One more way citizens name a procedure: its live file with the alias appended, to upload.

The analytics' work queue (``/staff/analytics``) lets an admin add a question the bot missed as
an alias of a procedure. That goes through publishing like any upload: this module writes the
changed file from the live catalogue's own file for the code, and the publisher stages it as
a release to review and publish. A YAML file keeps its comments and layout (the alias is one
more line of the list); a JSON file is written again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from helpdesk.errors import UploadRejected
from knowledge.catalogue import catalogue_files
from publishing.candidate import Upload

ALIAS_FIELDS = {"vi": "aliases", "en": "aliases_en"}


def procedure_path(root: Path, code: str) -> Path | None:
    """The file of procedure ``code`` in a catalogue folder, or None."""
    national = root / "national"
    if not national.exists():
        return None
    return next((path for path in catalogue_files(national) if path.stem == code), None)


def _yaml_item(value: str) -> str:
    return yaml.safe_dump([value], allow_unicode=True, width=10_000)


def _append_in_place(text: str, field: str, alias: str) -> str:
    """``text`` with ``- alias`` after the last item of the top-level block list ``field``
    (or a new ``field:`` list at the end), every other line as it was."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    item = _yaml_item(alias)
    header = next((n for n, line in enumerate(lines) if line.rstrip() == f"{field}:"), None)
    if header is None:
        return "".join([*lines, f"{field}:\n", item])
    end = header + 1
    while end < len(lines) and lines[end].startswith(("- ", "  ")):
        end += 1
    return "".join([*lines[:end], item, *lines[end:]])


def _leading_comments(text: str) -> str:
    kept = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        kept.append(line)
    return "".join(kept)


def with_alias(path: Path, alias: str, field: str = "aliases") -> bytes:
    """The content of the procedure file ``path`` with ``alias`` appended to ``field``.

    Raises:
        UploadRejected: The file cannot be read as a procedure.
    """
    text = path.read_text(encoding="utf-8")
    try:
        data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        raise UploadRejected(f"{path.name}: the live file cannot be read") from None
    if not isinstance(data, dict) or not isinstance(data.get(field, []), list):
        raise UploadRejected(f"{path.name}: the live file has no list of {field}")
    expected = {**data, field: [*data.get(field, []), alias]}
    if path.suffix == ".json":
        return (json.dumps(expected, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    edited = _append_in_place(text, field, alias)
    try:
        if yaml.safe_load(edited) == expected:
            return edited.encode("utf-8")
    except yaml.YAMLError:
        pass
    # a layout the line edit does not understand (a flow list ...): written again, comments
    # at the top kept
    body = yaml.safe_dump(expected, allow_unicode=True, sort_keys=False, width=100)
    return (_leading_comments(text) + body).encode("utf-8")


def alias_upload(root: Path, code: str, alias: str, language: str = "vi") -> Upload:
    """The upload that adds ``alias`` to procedure ``code`` of the catalogue folder ``root``
    (``aliases``, or ``aliases_en`` for an English question).

    Raises:
        UploadRejected: No file for ``code``, or one that cannot be read.
    """
    path = procedure_path(root, code)
    if path is None:
        raise UploadRejected(f"{code}: no such procedure in the live catalogue")
    field = ALIAS_FIELDS.get(language, ALIAS_FIELDS["vi"])
    return Upload(path.name, with_alias(path, alias, field))

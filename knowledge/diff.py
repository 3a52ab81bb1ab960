"""What changes between two catalogues: procedures and province overlays, field by field.

An admin reads this before publishing: which procedures are new, which are gone, and for each
changed one the fields with their value before and after, as short text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import yaml
from pydantic import BaseModel

from knowledge.catalogue import Catalogue

MAX_VALUE_CHARS = 600


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One top-level field: its value before and after (None: absent)."""

    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One procedure (``code``) or province overlay (``province:<code>``) that changed."""

    key: str
    name: str
    kind: ChangeKind
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogueDiff:
    entries: tuple[EntryChange, ...]

    def __bool__(self) -> bool:
        return bool(self.entries)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for entry in self.entries if entry.kind == kind)

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in self.entries]


def _text(value: Any) -> str | None:
    if value in (None, [], {}, ""):
        return None
    if isinstance(value, str):
        text = value
    else:  # as an editor writes it in a catalogue file
        text = yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=80).strip()
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _fields(before: BaseModel | None, after: BaseModel | None) -> tuple[FieldChange, ...]:
    old = before.model_dump(mode="json", exclude_none=True) if before else {}
    new = after.model_dump(mode="json", exclude_none=True) if after else {}
    changes = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            changes.append(FieldChange(name, _text(old.get(name)), _text(new.get(name))))
    return tuple(changes)


def _entries(
    old: dict[str, BaseModel], new: dict[str, BaseModel], prefix: str, name_of: Any
) -> list[EntryChange]:
    entries = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before is None:
            kind = ChangeKind.ADDED
        elif after is None:
            kind = ChangeKind.REMOVED
        elif before == after:
            continue
        else:
            kind = ChangeKind.CHANGED
        shown = after if after is not None else before
        fields = _fields(before, after) if kind == ChangeKind.CHANGED else ()
        entries.append(EntryChange(f"{prefix}{key}", name_of(shown), kind, fields))
    return entries


def diff_catalogues(old: Catalogue, new: Catalogue) -> CatalogueDiff:
    """Every procedure, draft and province overlay that differs, in a stable order."""
    entries = _entries(
        dict(old.procedures), dict(new.procedures), "", lambda p: getattr(p, "name", "")
    )
    entries += _entries(
        dict(old.drafts), dict(new.drafts), "draft:", lambda p: getattr(p, "name", "")
    )
    entries += _entries(
        dict(old.overlays),
        dict(new.overlays),
        "province:",
        lambda o: getattr(o, "province_name", "") or "",
    )
    return CatalogueDiff(tuple(entries))

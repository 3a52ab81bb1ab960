"""Reading catalogue files (YAML or JSON) while remembering where each value stood.

Validation errors then point at ``file:line`` rather than at a Python path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:  # the C loader is ~10x faster on large catalogues
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from helpdesk.errors import Problem


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A parsed file: its data and a way to find the line of a value by its path."""

    path: Path
    data: Any
    node: yaml.Node | None

    def line_of(self, loc: Sequence[int | str]) -> int | None:
        """1-based line of the value at ``loc`` (a pydantic error location), if known."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for key in loc:
            if isinstance(node, yaml.MappingNode):
                match = next(
                    (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key),
                    None,
                )
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                match = node.value[key] if 0 <= key < len(node.value) else None
            else:
                match = None
            if match is None:
                break
            node = match
            line = node.start_mark.line + 1
        return line


def read_source(path: Path) -> SourceFile:
    """Parse a YAML or JSON file; raise a one-problem :class:`CatalogueError` if unreadable."""
    from helpdesk.errors import CatalogueError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError([Problem(str(path), "file", f"cannot read: {exc}")]) from exc
    try:
        if path.suffix == ".json":
            return SourceFile(path, json.loads(text), None)
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except json.JSONDecodeError as exc:
        raise CatalogueError(
            [Problem(str(path), "file", f"invalid JSON: {exc.msg}", line=exc.lineno)]
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise CatalogueError(
            [Problem(str(path), "file", f"invalid YAML: {reason}", line=line)]
        ) from exc
    return SourceFile(path, data, node)

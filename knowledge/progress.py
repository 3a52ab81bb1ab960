"""How long work reports how far it has got: ``progress(stage, done, total)``.

The knowledge layer only calls the function; the command line draws it as a bar.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def silent(stage: str, done: int, total: int) -> None:
    """The default: report nothing."""

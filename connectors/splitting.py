"""Long answers cut into a platform's message size, between paragraphs, lines, sentences or
words, never inside a word that fits.

Every channel has its own limit and its own way of counting (Telegram, Zalo and Messenger
count UTF-16 code units); :func:`split_text` takes both.
"""

from __future__ import annotations

from collections.abc import Callable

# where a long text may be cut, best first; the punctuation before the cut stays with the part
_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ": ", ", ", " ")


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units (characters outside the BMP count twice)."""
    return len(text.encode("utf-16-le")) // 2


def _longest_prefix(text: str, limit: int, units: Callable[[str], int]) -> str:
    head = text[:limit]
    while units(head) > limit:  # only when a character counts for more than one unit
        head = head[:-1]
    return head


def _cut_point(head: str) -> int:
    """Where to cut ``head``: the best boundary in its second half, else any boundary."""
    found = [
        (position + len(separator.rstrip()), position)
        for separator in _BREAKS
        if (position := head.rfind(separator)) > 0
    ]
    for cut, position in found:  # in order of preference
        if position >= len(head) // 2:
            return cut
    return max((cut for cut, _ in found), default=len(head))


def split_text(text: str, limit: int, units: Callable[[str], int] = utf16_units) -> list[str]:
    """``text`` in parts of at most ``limit`` units.

    A cut falls between paragraphs if one ends in the second half of the part, else at a
    line break, else after a sentence (or a clause), else between words; a single word longer
    than the limit is cut at the limit.
    """
    parts: list[str] = []
    rest = text.strip()
    while units(rest) > limit:
        head = _longest_prefix(rest, limit, units)
        cut = _cut_point(head)
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts

"""Fast matching of Rasa lookup-table patterns, with exactly the regex's results.

Rasa turns a lookup table into one regular expression, ``(\\bA\\b|\\bB\\b|...)``. Python's
``re`` tries every alternative at every position, so for the generated place table (about
60,000 names of communes and wards) one search costs milliseconds, and the pipeline runs it
twice per message (featurizer and extractor). ``finditer`` here recognises such a pattern, keeps
its elements in a dictionary and looks up, at each word boundary, only the substrings of
the elements' lengths: the same matches (leftmost, first alternative in the list wins,
non-overlapping, case-insensitive) with a few dictionary look-ups per word. Any other
pattern goes to ``re`` unchanged.

Standard library only: the Rasa components use it, and the project's tests compare it with
``re`` in the modern environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

_PREFIX = "(\\b"
_SUFFIX = "\\b)"
_SEPARATOR = "\\b|\\b"
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Span:
    """A match, with the two methods of ``re.Match`` that the Rasa components call."""

    begin: int
    finish: int

    def start(self) -> int:
        """Where the match starts in the text."""
        return self.begin

    def end(self) -> int:
        """Where the match ends in the text (exclusive)."""
        return self.finish


@dataclass(frozen=True, slots=True)
class LookupMatcher:
    """The elements of one lookup pattern: lower-cased text -> first position in the list."""

    first_index: dict[str, int]
    lengths: tuple[int, ...]

    def finditer(self, text: str) -> Iterator[Span]:
        """Non-overlapping matches, leftmost first, as ``re.finditer`` gives them."""
        lowered = text.lower()
        size = len(text)
        words = [ch.isalnum() or ch == "_" for ch in text]

        def boundary(position: int) -> bool:
            before = words[position - 1] if position > 0 else False
            after = words[position] if position < size else False
            return before != after

        position = 0
        while position < size:
            best: tuple[int, int] | None = None  # (index in the list, length)
            if boundary(position):
                for length in self.lengths:
                    if position + length > size:
                        continue
                    index = self.first_index.get(lowered[position : position + length])
                    if index is None or not boundary(position + length):
                        continue
                    if best is None or index < best[0]:
                        best = (index, length)
            if best is None:
                position += 1
                continue
            yield Span(position, position + best[1])
            position += best[1]


@lru_cache(maxsize=64)
def lookup_matcher(pattern: str) -> LookupMatcher | None:
    """The matcher for a Rasa lookup pattern, or None when ``pattern`` is not one."""
    if not (pattern.startswith(_PREFIX) and pattern.endswith(_SUFFIX)):
        return None
    escaped = pattern[len(_PREFIX) : -len(_SUFFIX)].split(_SEPARATOR)
    elements = [_ESCAPED.sub(r"\1", part) for part in escaped]
    # only what Rasa's own construction gives back exactly is handled here
    if _SEPARATOR.join(re.escape(e) for e in elements) != pattern[len(_PREFIX) : -len(_SUFFIX)]:
        return None
    first_index: dict[str, int] = {}
    for index, element in enumerate(elements):
        key = element.lower()
        if not element or len(key) != len(element):
            return None  # empty or case-changing-length elements: leave them to re
        first_index.setdefault(key, index)
    lengths = tuple(sorted({len(key) for key in first_index}, reverse=True))
    return LookupMatcher(first_index, lengths)


def finditer(pattern: str, text: str, flags: int = 0) -> Iterator[Span] | Iterator[re.Match[str]]:
    """``re.finditer(pattern, text, flags)``, fast for case-insensitive lookup patterns."""
    matcher = lookup_matcher(pattern) if flags & re.IGNORECASE else None
    if matcher is None or len(text.lower()) != len(text):
        return re.finditer(pattern, text, flags=flags)
    return matcher.finditer(text)

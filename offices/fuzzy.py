"""Tolerant look-up of folded names: exact, without spaces, and one typo in longer names."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

EXACT = 1.0
NO_SPACE = 0.9  # "daklak" for "dak lak", "haiphong" for "hai phong"
ONE_TYPO = 0.8
MIN_TYPO_CHARS = 6  # names shorter than this (letters only) must be spelled right


def osa_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts once), capped at ``limit``."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def _digits(key: str) -> str:
    # "Tân Lập 2" and "Tân Lập 3" are different places, not a typo apart.
    return "".join(ch for ch in key if ch.isdigit())


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


class FuzzyKeys:
    """A set of folded keys that answers "which keys is this text, give or take one typo"."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys: set[str] = set(keys)
        self._no_space: dict[str, set[str]] = defaultdict(set)
        self._by_deletion: dict[str, set[str]] = defaultdict(set)
        for key in self._keys:
            compact = key.replace(" ", "")
            self._no_space[compact].add(key)
            if len(compact) >= MIN_TYPO_CHARS:
                for variant in _deletions(key) | {key}:
                    self._by_deletion[variant].add(key)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, query: str) -> dict[str, float]:
        """Keys matching ``query``: exact (1.0), without spaces (0.9) or one typo away (0.8).

        Near neighbours are returned even when the query is itself a key ("phuc hoa" is a
        place, and also "phuoc hoa" with a letter missing): the caller lets the district
        and province decide.
        """
        found: dict[str, float] = {}
        compact = query.replace(" ", "")
        for key in self._no_space.get(compact, ()):
            found[key] = NO_SPACE
        if len(compact) >= MIN_TYPO_CHARS - 1:
            candidates: set[str] = set()
            for variant in _deletions(query) | {query}:
                candidates |= self._by_deletion.get(variant, set())
            digits = _digits(query)
            for key in candidates:
                if key not in found and _digits(key) == digits and osa_distance(query, key) <= 1:
                    found[key] = ONE_TYPO
        if query in self._keys:
            found[query] = EXACT
        return found

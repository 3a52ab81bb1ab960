"""The lexical channel: BM25 (bm25s) over folded syllables and syllable bigrams.

Folding makes "dang ky khai sinh" and "Đăng ký khai sinh" the same tokens. Unknown query
syllables are corrected against the corpus vocabulary (one edit, or a missing space), which
catches most typing slips without a Vietnamese dictionary.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from knowledge.normalize import (
    STOPWORDS,
    normalize,
    strip_question,
    with_bigrams,
    without_topic,
)


@dataclass(frozen=True, slots=True)
class LexicalQuery:
    """A query as the lexical channel sees it: its tokens and how much of it the corpus knows."""

    tokens: list[str]
    known: list[str]
    coverage: float
    unknown: int
    corrected: frozenset[str] = frozenset()


def document_tokens(text: str) -> list[str]:
    return with_bigrams(normalize(text).split())


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Speller:
    """Corrects a syllable to the most frequent corpus syllable one edit away."""

    def __init__(self, frequencies: Counter[str]) -> None:
        self.frequencies = frequencies
        self._by_delete: dict[str, list[str]] = {}
        for word in frequencies:
            if len(word) < 3:
                continue
            for variant in _deletes(word) | {word}:
                self._by_delete.setdefault(variant, []).append(word)

    def correct(self, word: str) -> list[str]:
        """The known word(s) to use for ``word`` (itself when known; [] when hopeless)."""
        if word in self.frequencies:
            return [word]
        if len(word) >= 3:
            candidates: set[str] = set(self._by_delete.get(word, []))
            for variant in _deletes(word):
                candidates.update(self._by_delete.get(variant, []))
            candidates = {c for c in candidates if _one_edit(word, c)}
            if candidates:
                return [max(candidates, key=lambda c: (self.frequencies[c], c))]
        # two syllables typed without the space between them ("khaisinh")
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if left in self.frequencies and right in self.frequencies:
                return [left, right]
        return []


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one substitution, insertion, deletion or swap."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class LexicalIndex:
    """BM25 over one text per document; scores come back as a dense array over documents."""

    def __init__(self, retriever: bm25s.BM25, frequencies: Counter[str]) -> None:
        self._bm25 = retriever
        self._vocab = set(retriever.vocab_dict)
        self._speller = Speller(frequencies)
        self._num_docs = int(retriever.scores["num_docs"])

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        corpus = [document_tokens(t) or ["_"] for t in texts]
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        frequencies: Counter[str] = Counter()
        for doc in corpus:
            frequencies.update(tok for tok in set(doc) if "_" not in tok)
        return cls(retriever, frequencies)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)
        freq = self._speller.frequencies
        (folder / "syllables.tsv").write_text(
            "\n".join(f"{w}\t{n}" for w, n in sorted(freq.items())), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(folder), load_corpus=False)
        frequencies: Counter[str] = Counter()
        for line in (folder / "syllables.tsv").read_text(encoding="utf-8").splitlines():
            word, _, count = line.partition("\t")
            frequencies[word] = int(count)
        return cls(retriever, frequencies)

    def parse(self, query: str) -> LexicalQuery:
        words = strip_question(normalize(without_topic(query))).split() or normalize(query).split()
        kept: list[str] = []
        guessed: set[str] = set()
        unknown = 0
        for word in words:
            if word in STOPWORDS and word not in self._speller.frequencies:
                continue
            fixed = self._speller.correct(word)
            if fixed:
                kept.extend(fixed)
                if fixed != [word]:
                    guessed.update(fixed)
            else:
                unknown += 1
        exact = len(kept) - len(guessed)
        # a corrected word is only a guess: it counts half towards coverage
        coverage = (exact + 0.5 * len(guessed)) / max(1, len(kept) + unknown) if kept else 0.0
        tokens = with_bigrams(kept)
        known = [t for t in tokens if t in self._vocab]
        return LexicalQuery(tokens, known, coverage, unknown, frozenset(guessed))

    def scores(self, query: LexicalQuery) -> npt.NDArray[np.float32]:
        """BM25 score of every document for the (parsed) query."""
        if not query.known:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query.known), dtype=np.float32)

    def idf(self, word: str) -> float:
        """Inverse document frequency of a syllable (unknown syllables get the maximum)."""
        df = self._speller.frequencies.get(word, 0)
        return math.log((self._num_docs - df + 0.5) / (df + 0.5) + 1.0)

    def match_share(self, query: LexicalQuery, docs: list[int]) -> dict[int, float]:
        """IDF-weighted share of the query's syllables found in each of ``docs``.

        Unknown content words count against every document: "đăng ký xe máy" matches
        "đăng ký" everywhere but "xe máy" nowhere, so no document explains it well.
        """
        indptr, indices = self._bm25.scores["indptr"], self._bm25.scores["indices"]
        vocab = self._bm25.vocab_dict
        words = list(dict.fromkeys(t for t in query.known if "_" not in t))
        total = sum(self.idf(w) for w in words) + query.unknown * self.idf("")
        wanted = np.asarray(docs, dtype=np.int64)
        weight = np.zeros(len(docs), dtype=np.float64)
        for word in words:
            column = vocab[word]
            postings = indices[indptr[column] : indptr[column + 1]]
            idf = self.idf(word) * (0.5 if word in query.corrected else 1.0)
            # postings are sorted document ids: a binary search per candidate
            at = np.searchsorted(postings, wanted)
            at[at >= len(postings)] = 0
            weight += idf * (postings[at] == wanted) if len(postings) else 0.0
        shares = weight / total if total > 0 else weight * 0.0
        return dict(zip(docs, shares.tolist(), strict=True))

"""Hybrid search: lexical and dense channels fused, then a calibrated "can we answer?" check.

Fusion is weighted reciprocal-rank fusion. The lexical channel's weight is the share of the
question's words that the catalogue knows: for an English question BM25 recognises little and
its ranking is mostly noise, so it counts for less. Each hit's ``score`` is a calibrated
probability that it is a right answer; the question is answerable when the best hit's score
clears the calibrated threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np

from helpdesk.errors import InvalidQuery
from knowledge.embed import Embedder
from knowledge.families import name_markers, question_markers, variant_weights
from knowledge.index import KnowledgeIndex
from knowledge.lexical import LexicalQuery
from knowledge.normalize import nfc, without_topic

MAX_QUERY_CHARS = 500
RRF_K = 10.0
DEPTH = 50

RERANK_DEPTH = 10
Mode = Literal["fused", "lexical", "dense"]


class RankFeatures(NamedTuple):
    """One candidate's evidence, used to order the candidates of a question (the ranker's
    inputs, in the order of its weights)."""

    dense: float  # cosine similarity to the question (0 when the dense channel missed it)
    dense_gap: float  # ``dense`` minus the best candidate's (0 for the best, else negative)
    lexical: float  # BM25 score over the best BM25 score, times the lexical channel's weight
    match_share: float  # IDF-weighted share of the question's syllables the document holds
    both_top: float  # 1.0 when both channels rank it first, else 0.0
    rrf: float  # the fused reciprocal-rank score, scaled by RRF_K


class GateFeatures(NamedTuple):
    """A question's candidate list as a whole, used to decide whether to answer (the gate's
    inputs, in the order of its weights)."""

    dense_best: float  # the best cosine similarity among the candidates
    share_best: float  # the best match share among the candidates
    coverage: float  # share of the question's words the catalogue knows
    dense_top: float  # the ranker's first candidate's cosine similarity
    share_top: float  # the ranker's first candidate's match share
    both_channels: float  # 1.0 when both channels found the first candidate, else 0.0
    name_cover: float  # how much of one of the first candidate's names the question holds


# The feature names as stored with the fitted weights in meta.json.
RANK_FEATURES: tuple[str, ...] = RankFeatures._fields
GATE_FEATURES: tuple[str, ...] = GateFeatures._fields


@dataclass(frozen=True, slots=True)
class Logistic:
    """A logistic model: ``probability(x) = 1 / (1 + exp(-(w·x + b)))``."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, features: tuple[float, ...]) -> float:
        z = self.bias + sum(w * f for w, f in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_meta(self, names: tuple[str, ...]) -> dict[str, object]:
        return {
            "features": list(names),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
        }

    @classmethod
    def from_meta(cls, data: object, names: tuple[str, ...], default: Logistic) -> Logistic:
        if not isinstance(data, dict) or data.get("features") != list(names):
            return default
        weights, bias = data.get("weights"), data.get("bias")
        if not isinstance(weights, list) or not isinstance(bias, int | float):
            return default
        return cls(tuple(float(w) for w in weights), float(bias))


# Used only by an index that has not been calibrated yet (calibration runs at build time).
DEFAULT_RANKER = Logistic((2.0, 4.0, 4.0, 3.0, 1.0, 1.0), -6.0)
DEFAULT_GATE = Logistic((8.0, 6.0, 1.0, 2.0, 2.0, 1.0, 2.0), -13.5)


@dataclass(frozen=True, slots=True)
class Calibration:
    """The fitted ranker, the fitted answerability gate and the gate's threshold."""

    ranker: Logistic = DEFAULT_RANKER
    gate: Logistic = DEFAULT_GATE
    threshold: float = 0.5

    def to_meta(self) -> dict[str, object]:
        return {
            "ranker": self.ranker.to_meta(RANK_FEATURES),
            "gate": self.gate.to_meta(GATE_FEATURES),
            "threshold": round(self.threshold, 6),
        }

    @classmethod
    def from_meta(cls, data: object) -> Calibration:
        if not isinstance(data, dict):
            return cls()
        threshold = data.get("threshold")
        return cls(
            Logistic.from_meta(data.get("ranker"), RANK_FEATURES, DEFAULT_RANKER),
            Logistic.from_meta(data.get("gate"), GATE_FEATURES, DEFAULT_GATE),
            float(threshold) if isinstance(threshold, int | float) else 0.5,
        )


@dataclass(frozen=True, slots=True)
class Hit:
    code: str
    name: str
    name_en: str
    score: float


@dataclass(frozen=True, slots=True)
class Candidate:
    """One document's evidence for a query, before calibration."""

    position: int
    fused: float
    features: RankFeatures


@dataclass(frozen=True, slots=True)
class Evidence:
    """What each channel found for one query: BM25 and cosine scores by document position."""

    text: str
    parsed: LexicalQuery
    lexical: dict[int, float]
    dense: dict[int, float]


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    answerable: bool
    hits: list[Hit] = field(default_factory=list)

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


def check_query(query: str) -> str:
    """The query in NFC; :class:`InvalidQuery` when it is empty or too long."""
    text = nfc(query)
    if not text:
        raise InvalidQuery("the question is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(
            f"the question is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})"
        )
    return text


class Searcher:
    """Answers ``search(query)`` from one loaded :class:`KnowledgeIndex`."""

    def __init__(
        self,
        index: KnowledgeIndex,
        embedder: Embedder,
        calibration: Calibration | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        stored = index.meta.calibration
        self.calibrations: dict[str, Calibration] = {
            mode: Calibration.from_meta(stored.get(mode)) for mode in ("fused", "lexical", "dense")
        }
        if calibration is not None:
            self.calibrations["fused"] = calibration
        self._name_markers: dict[int, frozenset[str]] = {}
        self._name_words: dict[int, list[tuple[str, list[str]]]] = {}

    @property
    def calibration(self) -> Calibration:
        return self.calibrations["fused"]

    def evidence(self, query: str, depth: int = DEPTH) -> Evidence:
        """Both channels' raw output for ``query`` (the expensive part of a search)."""
        text = check_query(query)
        parsed = self.index.lexical.parse(text)
        lex = self.index.lexical.scores(parsed)
        if len(lex) > depth:
            top = np.argpartition(-lex, depth)[:depth]
            top = top[np.argsort(-lex[top], kind="stable")]
        else:
            top = np.argsort(-lex, kind="stable")
        lex_order = [int(i) for i in top if lex[i] > 0]
        # the dense channel embeds the words that name the procedure, not what is asked of it
        dense = self.index.dense.search(self.embedder.embed_queries([without_topic(text)]), depth)
        return Evidence(text, parsed, {d: float(lex[d]) for d in lex_order}, dense)

    def fuse(self, evidence: Evidence, mode: Mode = "fused") -> list[Candidate]:
        """Candidates with their features, best first by weighted RRF (``mode`` isolates a
        channel)."""
        lex = evidence.lexical if mode != "dense" else {}
        dense = evidence.dense if mode != "lexical" else {}
        lex_order = sorted(lex, key=lambda d: (-lex[d], d))
        dense_order = sorted(dense, key=lambda d: (-dense[d], d))
        lex_best = lex[lex_order[0]] if lex_order else 0.0
        dense_best = dense[dense_order[0]] if dense_order else 0.0
        lex_rank = {d: r for r, d in enumerate(lex_order)}
        dense_rank = {d: r for r, d in enumerate(dense_order)}
        weight = evidence.parsed.coverage if mode == "fused" else 1.0
        pool = list(set(lex_rank) | set(dense_rank))
        shares = self.index.lexical.match_share(evidence.parsed, pool) if mode != "dense" else {}
        out = []
        for doc in pool:
            fused = 0.0
            if doc in lex_rank:
                fused += weight / (RRF_K + lex_rank[doc])
            if doc in dense_rank:
                fused += 1.0 / (RRF_K + dense_rank[doc])
            d = dense.get(doc, 0.0)
            lexical = (lex.get(doc, 0.0) / lex_best if lex_best > 0 else 0.0) * weight
            both_top = float(lex_rank.get(doc) == 0 and dense_rank.get(doc) == 0)
            features = RankFeatures(
                dense=d,
                dense_gap=d - dense_best,
                lexical=lexical,
                match_share=shares.get(doc, 0.0),
                both_top=both_top,
                rrf=fused * RRF_K,
            )
            out.append(Candidate(doc, fused, features))
        out.sort(key=lambda c: (-c.fused, c.position))
        return out

    def rank(
        self, candidates: list[Candidate], mode: Mode = "fused", question: str = ""
    ) -> list[tuple[float, int]]:
        """(probability, position) pairs, best first; RRF order breaks ties.

        The ranker's probability is weighted down for a variant of a family (foreign element,
        mobile, re-registration …) whose condition the question does not name, so that the
        common member wins (:mod:`knowledge.families`).
        """
        ranker = self.calibrations[mode].ranker
        pool = candidates[:RERANK_DEPTH]
        weights = variant_weights(
            [self._markers(c.position) for c in pool], question_markers(question)
        )
        scored = [
            (ranker.probability(c.features) * weight, -i, c.position)
            for i, (c, weight) in enumerate(zip(pool, weights, strict=True))
        ]
        scored.sort(reverse=True)
        return [(p, position) for p, _, position in scored]

    def _markers(self, position: int) -> frozenset[str]:
        markers = self._name_markers.get(position)
        if markers is None:
            markers = name_markers(self.index.docs[position].name)
            self._name_markers[position] = markers
        return markers

    def name_cover(self, parsed: LexicalQuery, position: int, leave_out: str = "") -> float:
        """The largest IDF-weighted share of one of the procedure's names (official,
        colloquial, English) whose syllables the question holds. A question about the
        procedure usually says one of its names nearly whole; a near miss shares a few words
        ("ly hôn") with a name about something else ("chia sổ đỏ sau ly hôn").

        ``leave_out``: a name not to count (calibration asks with the names themselves, and a
        citizen's own words are not in the catalogue)."""
        names = self._name_words.get(position)
        if names is None:
            lexical = self.index.lexical
            names = []
            for name in self.index.docs[position].names:
                words = [t for t in dict.fromkeys(lexical.parse(name).known) if "_" not in t]
                names.append((name.casefold(), words))
            self._name_words[position] = names
        asked = {t for t in parsed.tokens if "_" not in t}
        skip = leave_out.casefold()
        best = 0.0
        for name, words in names:
            total = sum(self.index.lexical.idf(w) for w in words)
            if total > 0 and name != skip:
                held = sum(self.index.lexical.idf(w) for w in words if w in asked)
                best = max(best, held / total)
        return best

    def gate_features(
        self,
        evidence: Evidence,
        candidates: list[Candidate],
        top: int | None,
        leave_out: str = "",
    ) -> GateFeatures:
        """How well the best candidates explain the question, in absolute terms."""
        coverage = evidence.parsed.coverage
        if not candidates:
            return GateFeatures(0.0, 0.0, coverage, 0.0, 0.0, 0.0, 0.0)
        by_position = {c.position: c for c in candidates}
        best = by_position[top] if top is not None else candidates[0]
        return GateFeatures(
            dense_best=max(c.features.dense for c in candidates),
            share_best=max(c.features.match_share for c in candidates),
            coverage=coverage,
            dense_top=best.features.dense,
            share_top=best.features.match_share,
            both_channels=float(
                best.position in evidence.dense and best.position in evidence.lexical
            ),
            name_cover=self.name_cover(evidence.parsed, best.position, leave_out),
        )

    def search(self, query: str, k: int = 5, mode: Mode = "fused") -> SearchResult:
        """The top ``k`` procedures for ``query`` and whether it is answerable at all.

        A hit's score is P(answerable) × P(this is the right procedure | answerable).
        """
        evidence = self.evidence(query)
        candidates = self.fuse(evidence, mode)
        ranked = self.rank(candidates, mode, evidence.text)
        calibration = self.calibrations[mode]
        top = ranked[0][1] if ranked else None
        gate = calibration.gate.probability(self.gate_features(evidence, candidates, top))
        hits = []
        for probability, position in ranked[: max(1, k)]:
            doc = self.index.docs[position]
            hits.append(Hit(doc.code, doc.name, doc.name_en, round(gate * probability, 4)))
        answerable = bool(hits) and hits[0].score >= calibration.threshold
        return SearchResult(evidence.text, answerable, hits)

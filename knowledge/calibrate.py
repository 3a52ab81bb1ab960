"""Calibrating the "can we answer this?" decision on the catalogue's own vocabulary.

Positive examples are derived from each procedure's names and aliases, disturbed the way
citizens type them (no diacritics, a typo, a question around it); negatives are the bundled
out-of-scope questions in ``knowledge/calibration/out_of_scope.txt``. A logistic model over the
search features is fitted per retrieval mode, and the threshold is set so that at most
``target_false_rejection`` of the positives would be refused.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from knowledge.catalogue import Catalogue
from knowledge.normalize import fold, has_diacritics
from knowledge.progress import Progress, silent
from knowledge.search import (
    MAX_QUERY_CHARS,
    RERANK_DEPTH,
    Calibration,
    GateFeatures,
    Logistic,
    Mode,
    RankFeatures,
    Searcher,
)

OUT_OF_SCOPE = Path(__file__).parent / "calibration" / "out_of_scope.txt"
PREFIXES_VI = (
    "",
    "",
    "cho tôi hỏi ",
    "tôi muốn ",
    "nhà tôi cần ",
    "xin hỏi về ",
    "làm sao để ",
)
SUFFIXES_VI = (
    "",
    " cần giấy tờ gì",
    " mất bao lâu",
    " hết bao nhiêu tiền",
    " nộp ở đâu",
    " làm online được không",
    " thì làm thế nào",
    " ạ",
    " có mất phí không",
)
PREFIXES_EN = (
    "",
    "how do I ",
    "what do I need for ",
    "where can I apply for ",
    "fee for ",
)
MAX_PROCEDURES = 300
# the share of calibration questions the gate may refuse (its operating point)
TARGET_FALSE_REJECTION = 0.015


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    code: str | None
    source: str = ""  # the procedure's name the question was made from


def _typo(text: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 6:
        return text
    i = rng.choice(letters[2:])
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    j = min(i + 1, len(text) - 1)
    return text[:i] + text[j] + text[i] + text[j + 1 :]


def _shorten(name: str) -> str:
    """Drop a leading verb such as "Đăng ký" or "Cấp": citizens often name just the thing."""
    words = name.split()
    return " ".join(words[2:]) if len(words) > 4 else name


def positives(catalogue: Catalogue, seed: int = 7) -> list[Example]:
    """Names and aliases of procedures, framed and disturbed the way citizens type them."""
    rng = random.Random(seed)
    procedures = list(catalogue)
    if len(procedures) > MAX_PROCEDURES:
        procedures = rng.sample(procedures, MAX_PROCEDURES)
    out: list[Example] = []
    for procedure in procedures:
        name = procedure.name.lower()
        vi = [(name, name), (_shorten(name), name), *((a, a) for a in procedure.aliases)]
        for phrase, source in rng.sample(vi, min(4, len(vi))):
            question = rng.choice(PREFIXES_VI) + phrase + rng.choice(SUFFIXES_VI)
            typo = _typo(rng.choice((question, fold(question))), rng)
            for text in (question, fold(question), typo):
                out.append(Example(text, procedure.code, source))
        en = [procedure.name_en.lower(), *procedure.aliases_en]
        for phrase in rng.sample(en, min(2, len(en))):
            out.append(Example(rng.choice(PREFIXES_EN) + phrase, procedure.code, phrase))
    # a few official names are longer than any question the search accepts
    return [e for e in out if len(e.text) <= MAX_QUERY_CHARS]


def negatives(path: Path = OUT_OF_SCOPE, seed: int = 11) -> list[Example]:
    """Questions the catalogue cannot answer, as written and framed the way positives are (so
    that the framing itself never counts as evidence of a procedure)."""
    rng = random.Random(seed)
    lines = path.read_text(encoding="utf-8").splitlines()
    questions = [line.strip() for line in lines if line.strip() and line[0] != "#"]
    framed = [
        rng.choice(PREFIXES_VI[2:] if has_diacritics(q) else PREFIXES_EN[1:]) + q for q in questions
    ]
    return [Example(q, None) for q in questions + framed]


def _fit(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> tuple[tuple[float, ...], float]:
    """L2-regularised logistic regression by gradient descent (small data, no extra deps)."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / std
    w = np.zeros(z.shape[1])
    b = 0.0
    pos = max(1.0, y.sum())
    neg = max(1.0, len(y) - y.sum())
    sample_weight = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
    for _ in range(3000):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        g = (p - y) * sample_weight
        w -= 0.1 * (z.T @ g / len(y) + 1e-2 * w)
        b -= 0.1 * g.mean()
    # back to the raw feature scale
    raw_w = w / std
    raw_b = b - float((mean * raw_w).sum())
    return tuple(float(v) for v in raw_w), float(raw_b)


def _threshold(scores: list[float], target_false_rejection: float) -> float:
    """The gate threshold that refuses at most ``target_false_rejection`` of ``scores``."""
    if not scores:
        return 0.5
    ordered = sorted(scores)
    return float(ordered[int(target_false_rejection * len(ordered))])


def calibrate(
    searcher: Searcher,
    catalogue: Catalogue,
    modes: tuple[Mode, ...] = ("fused", "lexical", "dense"),
    target_false_rejection: float = TARGET_FALSE_REJECTION,
    progress: Progress = silent,
) -> dict[str, dict[str, object]]:
    """Fit the ranker and the answerability gate per mode; returns what meta.json stores.

    Ranker: every candidate of an in-scope question is a row, labelled 1 for the right
    procedure. Gate: one row per question, labelled 1 when the ranker's first hit is right
    (refusing a wrong guess is no loss) and 0 for out-of-scope questions. The threshold keeps
    false rejections of right first hits at ``target_false_rejection``.
    """
    examples = positives(catalogue) + negatives()
    evidence = []
    for done, example in enumerate(examples, 1):
        evidence.append((example, searcher.evidence(example.text)))
        if done % 50 == 0 or done == len(examples):
            progress("calibrate", done, len(examples))
    result: dict[str, dict[str, object]] = {}
    for mode in modes:
        fused = [(e, found, searcher.fuse(found, mode)[:RERANK_DEPTH]) for e, found in evidence]
        rows: list[RankFeatures] = []
        labels: list[float] = []
        for example, _, candidates in fused:
            if example.code is None:
                continue
            for candidate in candidates:
                rows.append(candidate.features)
                code = searcher.index.docs[candidate.position].code
                labels.append(1.0 if code == example.code else 0.0)
        ranker = Logistic(*_fit(np.asarray(rows, dtype=np.float64), np.asarray(labels)))
        searcher.calibrations[mode] = Calibration(ranker=ranker)
        gate_rows: list[GateFeatures] = []
        gate_labels: list[float] = []
        top_probs: list[float] = []
        for example, found, candidates in fused:
            ranked = searcher.rank(candidates, mode, example.text)
            top = ranked[0][1] if ranked else None
            top_probs.append(ranked[0][0] if ranked else 0.0)
            gate_rows.append(searcher.gate_features(found, candidates, top, example.source))
            right = top is not None and searcher.index.docs[top].code == example.code
            gate_labels.append(1.0 if example.code is not None and right else 0.0)
        gate = Logistic(*_fit(np.asarray(gate_rows, dtype=np.float64), np.asarray(gate_labels)))
        # a hit's score is gate × ranker; the threshold applies to the first hit's score
        in_scope = [
            gate.probability(row) * top_probability
            for row, label, top_probability in zip(gate_rows, gate_labels, top_probs, strict=True)
            if label == 1.0
        ]
        calibration = Calibration(ranker, gate, _threshold(in_scope, target_false_rejection))
        searcher.calibrations[mode] = calibration
        result[mode] = {**calibration.to_meta(), "examples": len(examples)}
    return result

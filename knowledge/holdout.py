"""Out-of-catalogue honesty: hold some procedures out, ask about them, count false answers.

A share of the procedures that the question file asks about is removed from the catalogue;
the index is built and calibrated over the rest exactly as in production. Every question about
a removed procedure should then be refused: an accepted one would answer with another
procedure. The questions about the procedures kept show what the held-out build costs in
recall and false rejection, so a gate cannot look honest by refusing everything.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass

from knowledge.cache import EmbeddingCache
from knowledge.calibrate import TARGET_FALSE_REJECTION, calibrate
from knowledge.catalogue import Catalogue
from knowledge.embed import Embedder
from knowledge.evaluation import Metrics, Question, evaluate
from knowledge.index import build_index
from knowledge.progress import Progress, silent
from knowledge.search import Searcher


@dataclass(frozen=True, slots=True)
class FalseAcceptance:
    """Questions about held-out procedures, and how many were answered anyway."""

    questions: int
    accepted: int

    @property
    def rate(self) -> float:
        return round(self.accepted / self.questions, 4) if self.questions else 0.0


@dataclass(frozen=True, slots=True)
class HoldOutReport:
    held_out: tuple[str, ...]
    false_acceptance: dict[str, FalseAcceptance]
    kept: dict[str, Metrics]
    examples: tuple[str, ...]
    first_hits: tuple[str | None, ...]  # the first hit for each question about a held-out one


def choose_held_out(
    questions: list[Question], catalogue: Catalogue, fraction: float, seed: int
) -> tuple[str, ...]:
    """A reproducible sample of the procedures the questions ask about."""
    asked = sorted({q.codes[0] for q in questions if len(q.codes) == 1 and q.codes[0] in catalogue})
    if not asked:
        return ()
    count = max(1, round(len(asked) * fraction))
    return tuple(sorted(random.Random(seed).sample(asked, count)))


def without(catalogue: Catalogue, codes: tuple[str, ...]) -> Catalogue:
    """The catalogue minus ``codes``, with a content hash of its own."""
    digest = hashlib.sha256((catalogue.content_hash + "|" + ",".join(codes)).encode()).hexdigest()
    kept = {code: p for code, p in catalogue.procedures.items() if code not in codes}
    return Catalogue(kept, catalogue.overlays, digest[:16])


def hold_out(
    catalogue: Catalogue,
    embedder: Embedder,
    questions: list[Question],
    held_out: tuple[str, ...],
    cache: EmbeddingCache | None = None,
    progress: Progress = silent,
    target_false_rejection: float = TARGET_FALSE_REJECTION,
) -> HoldOutReport:
    """Build and calibrate without ``held_out``; measure false acceptance per form.

    ``target_false_rejection``: the gate's operating point (production uses the default);
    other values show what refusing more questions about held-out procedures costs."""
    smaller = without(catalogue, held_out)
    index = build_index(smaller, embedder, cache, progress)
    searcher = Searcher(index, embedder)
    # calibration stores its fit in the searcher as well as in the index's metadata
    index.meta.calibration = calibrate(
        searcher, smaller, progress=progress, target_false_rejection=target_false_rejection
    )
    gone = set(held_out)
    about_gone = [q for q in questions if q.codes and set(q.codes) <= gone]
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    examples: list[str] = []
    first_hits: list[str | None] = []
    for question in about_gone:
        result = searcher.search(question.q, k=1)
        first_hits.append(result.hits[0].code if result.hits else None)
        for form in ("all", question.form):
            counts[form][0] += 1
            counts[form][1] += result.answerable
        if result.answerable and len(examples) < 20:
            examples.append(f"{question.q!r} ({question.codes[0]}) -> {result.hits[0].code}")
    about_kept = [q for q in questions if q.codes and not set(q.codes) & gone]
    return HoldOutReport(
        held_out=held_out,
        false_acceptance={form: FalseAcceptance(n, a) for form, (n, a) in counts.items()},
        kept=evaluate(searcher, about_kept),
        examples=tuple(examples),
        first_hits=tuple(first_hits),
    )


def as_table(report: HoldOutReport) -> str:
    """A Markdown table: false acceptance per form, beside the kept questions' figures."""
    lines = [
        "| form | questions about held-out procedures | answered anyway (false acceptance) "
        "| kept: R@1 | kept: falsely rejected |",
        "|---|---|---|---|---|",
    ]
    for form, fa in sorted(report.false_acceptance.items(), key=lambda kv: kv[0] != "all"):
        kept = report.kept.get(form)
        r1 = f"{kept.recall_at_1:.3f}" if kept and kept.answerable else "–"
        fr = f"{kept.false_rejection:.3f}" if kept and kept.false_rejection is not None else "–"
        lines.append(f"| {form} | {fa.questions} | {fa.accepted} ({fa.rate:.3f}) | {r1} | {fr} |")
    return "\n".join(lines)

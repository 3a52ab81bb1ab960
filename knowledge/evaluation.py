"""Retrieval evaluation: Recall@1, Recall@3, MRR, out-of-scope rejection, false rejection.

Input is JSON Lines with ``q``, ``codes`` (acceptable answers; empty = out of scope) and an
optional ``form`` (vi, vi-nodiac, vi-typo, vi-short, en, oos).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from helpdesk.errors import CatalogueError, Problem
from knowledge.search import Mode, Searcher


@dataclass(frozen=True, slots=True)
class Question:
    q: str
    codes: tuple[str, ...]
    form: str


@dataclass
class Metrics:
    questions: int = 0
    answerable: int = 0
    recall_at_1: float = 0.0
    recall_at_3: float = 0.0
    mrr: float = 0.0
    oos: int = 0
    oos_rejection: float | None = None
    false_rejection: float | None = None


def read_questions(path: Path) -> list[Question]:
    """Read an evaluation file, reporting every malformed line at once."""
    out: list[Question] = []
    problems: list[Problem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            q, codes = row["q"], row.get("codes", [])
            if not isinstance(q, str) or not isinstance(codes, list):
                raise TypeError("q must be a string and codes a list")
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(Problem(str(path), "q/codes", f"bad line: {exc}", line=number))
            continue
        form = row.get("form") or ("oos" if not codes else "vi")
        out.append(Question(q, tuple(str(c) for c in codes), str(form)))
    if problems:
        raise CatalogueError(problems)
    return out


def _summarise(rows: list[tuple[Question, list[str], bool]]) -> Metrics:
    metrics = Metrics(questions=len(rows))
    in_scope = [(q, ranked, ok) for q, ranked, ok in rows if q.codes]
    out_scope = [(q, ranked, ok) for q, ranked, ok in rows if not q.codes]
    metrics.answerable = len(in_scope)
    metrics.oos = len(out_scope)
    if in_scope:
        r1 = r3 = rr = 0.0
        rejected = 0
        for question, ranked, answerable in in_scope:
            rank = next((i for i, code in enumerate(ranked) if code in question.codes), None)
            r1 += rank == 0
            r3 += rank is not None and rank < 3
            rr += 1.0 / (rank + 1) if rank is not None else 0.0
            rejected += not answerable
        n = len(in_scope)
        metrics.recall_at_1 = round(r1 / n, 4)
        metrics.recall_at_3 = round(r3 / n, 4)
        metrics.mrr = round(rr / n, 4)
        metrics.false_rejection = round(rejected / n, 4)
    if out_scope:
        metrics.oos_rejection = round(sum(not ok for _, _, ok in out_scope) / len(out_scope), 4)
    return metrics


def evaluate(
    searcher: Searcher, questions: list[Question], mode: Mode = "fused", k: int = 10
) -> dict[str, Metrics]:
    """Metrics overall (key ``all``) and per form."""
    rows: list[tuple[Question, list[str], bool]] = []
    for question in questions:
        result = searcher.search(question.q, k=k, mode=mode)
        rows.append((question, [h.code for h in result.hits], result.answerable))
    by_form: dict[str, list[tuple[Question, list[str], bool]]] = defaultdict(list)
    for row in rows:
        by_form[row[0].form].append(row)
    report = {"all": _summarise(rows)}
    report.update({form: _summarise(items) for form, items in sorted(by_form.items())})
    return report


def failures(searcher: Searcher, questions: list[Question], mode: Mode = "fused") -> list[str]:
    """Human-readable lines for each question answered wrongly (for development)."""
    lines = []
    for question in questions:
        result = searcher.search(question.q, k=3, mode=mode)
        top = result.hits[0].code if result.hits else None
        wrong_rank = bool(question.codes) and top not in question.codes
        wrong_flag = result.answerable != bool(question.codes)
        if wrong_rank or wrong_flag:
            got = ", ".join(f"{h.code}:{h.score:.2f}" for h in result.hits)
            lines.append(
                f"[{question.form}] {question.q!r} want={list(question.codes)} "
                f"answerable={result.answerable} got={got}"
            )
    return lines


def as_table(report: dict[str, Metrics]) -> str:
    """A Markdown table of a report."""
    head = "| form | n | R@1 | R@3 | MRR | OOS rejected | falsely rejected |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    for form, m in report.items():

        def pct(x: float | None) -> str:
            return "–" if x is None else f"{x:.3f}"

        r = (m.recall_at_1, m.recall_at_3, m.mrr) if m.answerable else (None, None, None)
        lines.append(
            f"| {form} | {m.questions} | {pct(r[0])} | {pct(r[1])} | {pct(r[2])} | "
            f"{pct(m.oos_rejection)} | {pct(m.false_rejection)} |"
        )
    return "\n".join(lines)


def as_json(report: dict[str, Metrics]) -> dict[str, dict[str, object]]:
    return {form: asdict(m) for form, m in report.items()}

"""Resolver evaluation: top-1 accuracy per phrasing form on a seeded sample of old wards.

Run: ``.venv/bin/python -m offices.accuracy --sample 500 --seed 2025`` (or ``helpdesk units
evaluate``). A phrasing counts when its words decide the answer (see ``offices.phrasings``);
for a divided ward any of its new wards is right. Undecidable phrasings are reported apart:
there the resolver should say ``ambiguous`` and ask for the district.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from offices.phrasings import FORMS, Phrasing, generate
from offices.resolve import UnitResolver


@dataclass
class FormScore:
    """Figures for one form."""

    form: str
    phrasings: int = 0
    counted: int = 0  # decidable phrasings
    top1: int = 0
    top5: int = 0
    undecidable: int = 0
    undecidable_flagged: int = 0  # undecidable and the resolver said ambiguous

    @property
    def top1_accuracy(self) -> float:
        return self.top1 / self.counted if self.counted else 0.0

    @property
    def top5_accuracy(self) -> float:
        return self.top5 / self.counted if self.counted else 0.0


@dataclass
class Report:
    """The whole evaluation: per form, overall, speed, and the misses to look at."""

    sample: int
    seed: int
    load_seconds: float
    forms: list[FormScore]
    mean_ms: float
    p95_ms: float
    misses: list[dict[str, object]] = field(default_factory=list)

    @property
    def overall(self) -> FormScore:
        total = FormScore("overall")
        for score in self.forms:
            for name in ("phrasings", "counted", "top1", "top5", "undecidable"):
                setattr(total, name, getattr(total, name) + getattr(score, name))
            total.undecidable_flagged += score.undecidable_flagged
        return total

    def table(self) -> str:
        """A Markdown table of the figures."""
        head = (
            "| form | phrasings | counted | top-1 | top-5 | undecidable (flagged ambiguous) |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: |"
        )
        rows = [
            f"| {s.form} | {s.phrasings} | {s.counted} | {s.top1_accuracy:.1%} | "
            f"{s.top5_accuracy:.1%} | {s.undecidable} ({s.undecidable_flagged}) |"
            for s in [*self.forms, self.overall]
        ]
        speed = (
            f"\nIndex load {self.load_seconds:.2f} s; per query mean {self.mean_ms:.2f} ms, "
            f"p95 {self.p95_ms:.2f} ms (sample {self.sample} old wards, seed {self.seed})."
        )
        return "\n".join([head, *rows]) + speed


def evaluate(
    resolver: UnitResolver, phrasings: list[Phrasing], sample: int = 0, seed: int = 0
) -> Report:
    """Resolve every phrasing and score it."""
    scores = {form: FormScore(form) for form in FORMS}
    timings: list[float] = []
    misses: list[dict[str, object]] = []
    for phrasing in phrasings:
        started = time.perf_counter()
        resolution = resolver.resolve(phrasing.q, limit=5)
        timings.append((time.perf_counter() - started) * 1000)
        score = scores[phrasing.form]
        score.phrasings += 1
        expected = set(phrasing.expected)
        if not phrasing.decidable:
            score.undecidable += 1
            score.undecidable_flagged += resolution.ambiguous
            continue
        score.counted += 1
        ranks = [bool(expected & {w.code for w in m.new_wards}) for m in resolution.matches]
        score.top1 += bool(ranks and ranks[0])
        score.top5 += any(ranks)
        if not (ranks and ranks[0]):
            misses.append(
                {
                    "q": phrasing.q,
                    "form": phrasing.form,
                    "old": phrasing.old_ward,
                    "got": [m.to_dict()["new_ward"] for m in resolution.matches[:3]],
                    "got_old": [m.old_ward for m in resolution.matches[:3]],
                }
            )
    return Report(
        sample=sample,
        seed=seed,
        load_seconds=0.0,
        forms=[s for s in scores.values() if s.phrasings],
        mean_ms=statistics.fmean(timings) if timings else 0.0,
        p95_ms=statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else 0.0,
        misses=misses,
    )


def run(admin_units_dir: Path, sample: int = 500, seed: int = 2025) -> Report:
    """Load the resolver, generate the phrasings and evaluate."""
    started = time.perf_counter()
    resolver = UnitResolver.from_dir(admin_units_dir)
    load_seconds = time.perf_counter() - started
    report = evaluate(resolver, generate(resolver.units, sample, seed), sample, seed)
    report.load_seconds = load_seconds
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line: print the table; ``--misses FILE`` writes the misses as JSON Lines."""
    from helpdesk.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--data", type=Path, default=None, help="admin-units directory")
    parser.add_argument("--misses", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    report = run(args.data or get_settings().admin_units_dir, args.sample, args.seed)
    if args.json:
        figures = {s.form: asdict(s) | {"top1_accuracy": s.top1_accuracy} for s in report.forms}
        print(json.dumps({"forms": figures, "overall": report.overall.top1_accuracy}))
    else:
        print(report.table())
    if args.misses:
        lines = (json.dumps(m, ensure_ascii=False) for m in report.misses)
        args.misses.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

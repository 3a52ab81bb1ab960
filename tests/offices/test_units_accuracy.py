"""The resolver evaluation: phrasing generator and a small end-to-end run."""

from __future__ import annotations

from offices.accuracy import evaluate, main
from offices.phrasings import FORMS, generate, sample_old_wards
from offices.resolve import UnitResolver
from offices.units import AdminUnits


def test_sample_covers_every_old_province_and_is_seeded(units: AdminUnits) -> None:
    sample = sample_old_wards(units, size=126, seed=7)
    assert len({o.province for o in sample}) == 63
    assert sample == sample_old_wards(units, size=126, seed=7)
    assert sample != sample_old_wards(units, size=126, seed=8)


def test_forms_and_decidability(units: AdminUnits) -> None:
    phrasings = generate(units, size=63, seed=1)
    assert {p.form for p in phrasings} == set(FORMS)
    assert all(p.decidable for p in phrasings if p.form == "full")
    by_text = {p.q: p for p in phrasings}
    assert len(by_text) > len(phrasings) * 0.9


def test_accuracy_on_a_small_sample(resolver: UnitResolver) -> None:
    report = evaluate(resolver, generate(resolver.units, size=126, seed=3))
    assert report.overall.counted > 600
    assert report.overall.top1_accuracy >= 0.95
    for form in report.forms:
        assert form.top1_accuracy >= 0.9, form
    assert "| overall |" in report.table()


def test_command_line(capsys: object) -> None:
    assert main(["--sample", "63", "--seed", "5"]) == 0

"""The errors that list problems share one base, and each still says what it is about."""

from __future__ import annotations

import pytest

from helpdesk.errors import (
    AdminUnitsError,
    CatalogueError,
    HelpdeskError,
    ImportRejected,
    Problem,
    ProblemList,
    ServiceCenterError,
)

PROBLEMS = [
    Problem("a.yaml", "fee", "not a number", code="1.000001", line=3),
    Problem("b.csv", "(file)", "missing"),
]


@pytest.mark.parametrize(
    ("error", "headline"),
    [
        (CatalogueError, "2 problem(s) in the catalogue"),
        (ImportRejected, "2 bad row(s)"),
        (AdminUnitsError, "2 problem(s) in the administrative-unit data"),
        (ServiceCenterError, "2 problem(s) in the service-center files"),
    ],
)
def test_a_problem_list_error_names_every_problem(error: type[ProblemList], headline: str) -> None:
    raised = error(PROBLEMS)
    assert isinstance(raised, ProblemList)
    assert isinstance(raised, HelpdeskError)
    assert str(raised).splitlines() == [
        headline,
        "  a.yaml:3: [1.000001] fee: not a number",
        "  b.csv: (file): missing",
    ]
    with pytest.raises(ProblemList) as caught:
        raise raised
    assert caught.value.problems == PROBLEMS


def test_a_problem_list_starts_empty_and_an_import_counts_what_it_kept() -> None:
    assert CatalogueError().problems == []
    assert CatalogueError().problems is not CatalogueError().problems
    assert ImportRejected(problems=PROBLEMS, imported=7).imported == 7
    assert ImportRejected().imported == 0

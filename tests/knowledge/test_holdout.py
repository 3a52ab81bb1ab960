import pytest

from knowledge.evaluation import Question
from knowledge.holdout import HoldOutReport, as_table, choose_held_out, hold_out, without
from tests.factories import small_catalogue

QUESTIONS = [
    Question("thủ tục đăng ký kết hôn cần gì", ("1.000002",), "vi"),
    Question("dang ky ket hon o dau", ("1.000002",), "vi-nodiac"),
    Question("How do we register our marriage?", ("1.000002",), "en"),
    Question("đăng ký thường trú cần giấy tờ gì", ("1.000004",), "vi"),
    Question("chứng thực bản sao bao nhiêu tiền", ("2.000003",), "vi"),
    Question("thời tiết hôm nay", (), "oos"),
]


def test_the_sample_is_reproducible_and_only_of_asked_procedures() -> None:
    catalogue = small_catalogue()
    first = choose_held_out(QUESTIONS, catalogue, 0.5, seed=3)
    assert first == choose_held_out(QUESTIONS, catalogue, 0.5, seed=3)
    assert len(first) == 2 and set(first) <= {"1.000002", "1.000004", "2.000003"}


def test_a_catalogue_without_some_codes_has_its_own_hash() -> None:
    catalogue = small_catalogue()
    smaller = without(catalogue, ("1.000002",))
    assert "1.000002" not in smaller and len(smaller) == len(catalogue) - 1
    assert smaller.content_hash != catalogue.content_hash


@pytest.fixture(scope="module")
def report(embedder) -> HoldOutReport:
    """The production operating point, with the marriage procedure held out."""
    return hold_out(small_catalogue(), embedder, QUESTIONS, ("1.000002",))


def test_questions_about_a_held_out_procedure_never_find_it(report: HoldOutReport) -> None:
    assert report.false_acceptance["all"].questions == 3
    assert {form for form in report.false_acceptance} == {"all", "vi", "vi-nodiac", "en"}
    assert len(report.first_hits) == 3 and "1.000002" not in report.first_hits
    # the kept questions are measured on the smaller catalogue, the held-out ones are not
    assert report.kept["all"].answerable == 2 and report.kept["all"].oos == 0
    assert "| all | 3 |" in as_table(report)


def test_a_stricter_operating_point_refuses_the_kept_questions_too(
    embedder, report: HoldOutReport
) -> None:
    # target 0.99: the threshold sits above all but 1 % of the calibration questions
    lenient = report
    strict = hold_out(
        small_catalogue(), embedder, QUESTIONS, ("1.000002",), target_false_rejection=0.99
    )
    assert strict.false_acceptance["all"].accepted <= lenient.false_acceptance["all"].accepted
    kept_lenient, kept_strict = lenient.kept["all"], strict.kept["all"]
    assert kept_lenient.false_rejection is not None and kept_strict.false_rejection is not None
    assert kept_strict.false_rejection > kept_lenient.false_rejection

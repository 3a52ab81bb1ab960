"""Families of near-identical procedures: the common member wins unless the question names
the variant; topic words never move the ranking."""

from __future__ import annotations

import pytest

from knowledge.families import name_markers, question_markers, variant_weights
from knowledge.normalize import normalize, without_topic


@pytest.mark.parametrize(
    ("name", "markers"),
    [
        ("Đăng ký khai sinh", set()),
        ("Đăng ký khai sinh có yếu tố nước ngoài", {"foreign"}),
        ("Đăng ký khai tử có yếu tố nước ngoài tại khu vực biên giới", {"foreign", "border"}),
        ("Đăng ký kết hôn lưu động", {"mobile"}),
        ("Đăng ký lại khai tử", {"again"}),
        ("Cấp lại thẻ căn cước", {"again"}),
        ("Đăng ký chấm dứt giám hộ", {"ending"}),
        ("Xóa đăng ký thường trú", {"ending"}),
        ("Đăng ký xe lần đầu trực tuyến toàn trình đối với xe nhập khẩu", {"online_only"}),
        # a list of applicants that names people abroad does not make a variant
        (
            "Đăng ký đất đai lần đầu đối với hộ gia đình, cá nhân, người gốc Việt Nam định cư "
            "ở nước ngoài",
            set(),
        ),
        ("Đăng ký đất đai lần đầu đối với tổ chức đang sử dụng đất", {"organisation"}),
        (
            "Khai báo thông tin về cư trú đối với người chưa đủ điều kiện đăng ký thường trú, "
            "đăng ký tạm trú",
            {"ineligible"},
        ),
    ],
)
def test_a_name_carries_its_variant_markers(name: str, markers: set[str]) -> None:
    assert name_markers(name) == markers


@pytest.mark.parametrize(
    ("question", "markers"),
    [
        ("làm giấy khai sinh cho con", set()),
        ("đăng ký kết hôn với người nước ngoài", {"foreign"}),
        ("dang ky ket hon voi viet kieu", {"foreign"}),
        ("cán bộ xã có đến nhà làm khai tử không", {"mobile"}),
        ("làm lại căn cước bị mất", {"again"}),
        ("I lost my ID card", {"again"}),
        ("giải thể hộ kinh doanh", {"ending"}),
        # "để lại" (left behind) and "sử dụng" (use) are not "again" and "stop"
        ("đất ông bà để lại chưa có sổ, giờ muốn sử dụng", set()),
    ],
)
def test_a_question_names_a_variant_by_its_cues(question: str, markers: set[str]) -> None:
    assert question_markers(question) == markers


def test_the_common_member_wins_unless_the_variant_is_named() -> None:
    common, foreign = frozenset(), frozenset({"foreign"})
    plain = variant_weights([foreign, common], frozenset())
    assert plain[1] == 1.0 and plain[0] < plain[1]
    named = variant_weights([common, foreign], frozenset({"foreign"}))
    assert named[1] == 1.0 and named[0] < named[1]
    # a family with no common member keeps its best weight at 1 (the gate is unaffected)
    assert max(variant_weights([foreign, foreign | {"border"}], frozenset())) == 1.0
    # naming "online" spares a fully online variant but never puts it before the common one
    online = frozenset({"online_only"})
    assert variant_weights([common, online], frozenset({"online_only"})) == [1.0, 1.0]


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        ("đăng kí khai sinh có mất phí không", "đăng kí khai sinh"),
        (
            "How much does it cost to get a new ID card after losing it?",
            "get a new ID card after losing it",
        ),
        ("Làm giấy khai sinh cần gì?", "Làm giấy khai sinh"),
        ("lệ phí", "lệ phí"),  # nothing else left: the question stays as it is
    ],
)
def test_topic_words_are_left_out_of_what_names_the_procedure(question: str, kept: str) -> None:
    assert without_topic(question) == kept


def test_i_and_y_spellings_of_a_syllable_are_one() -> None:
    assert normalize("đăng kí") == normalize("đăng ký") == "dang ky"

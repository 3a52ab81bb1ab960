import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from knowledge.normalize import fold, has_diacritics, normalize, strip_question, tokens

VIETNAMESE = st.text(
    alphabet=st.sampled_from(
        list(
            "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệ"
            "ìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵĐĂÂÊÔƠƯ 0123456789,.?"
        )
    ),
    max_size=60,
)


@given(VIETNAMESE)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(VIETNAMESE)
def test_fold_leaves_no_diacritics(text: str) -> None:
    folded = fold(text)
    assert not any(unicodedata.combining(ch) for ch in unicodedata.normalize("NFD", folded))
    assert "đ" not in folded


@given(VIETNAMESE)
def test_fold_does_not_depend_on_unicode_form(text: str) -> None:
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@given(VIETNAMESE)
def test_typed_with_or_without_diacritics_normalises_the_same(text: str) -> None:
    assert normalize(text) == normalize(fold(text))


@given(st.text(max_size=200))
def test_tokens_are_plain_ascii_words(text: str) -> None:
    for token in tokens(text):
        assert token.isascii() and token.isalnum()


def test_examples() -> None:
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert normalize("Làm CCCD") == "lam can cuoc cong dan"
    assert normalize("đk kết hôn") == "dang ky ket hon"
    assert normalize("cấp GCN QSDĐ") == "cap giay chung nhan quyen su dung dat"
    assert has_diacritics("khai sinh") is False
    assert has_diacritics("khai sinh cho bé") is True


def test_question_phrases_are_dropped_but_content_stays() -> None:
    assert strip_question(normalize("Đăng ký kết hôn cần những giấy tờ gì?")) == "dang ky ket hon"
    assert strip_question(normalize("khai tử mất bao lâu")) == "khai tu"
    assert strip_question("cap lai the can cuoc khi bi mat") == "cap lai the can cuoc khi bi mat"

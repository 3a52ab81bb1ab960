from collections import Counter

from knowledge.lexical import LexicalIndex, Speller

TEXTS = ["Đăng ký khai sinh", "Đăng ký kết hôn", "Chứng thực bản sao từ bản chính"]


def test_speller_fixes_one_edit_and_missing_spaces() -> None:
    speller = Speller(Counter({"khai": 3, "sinh": 3, "chung": 1, "thuc": 1}))
    assert speller.correct("khai") == ["khai"]
    assert speller.correct("khaii") == ["khai"]
    assert speller.correct("sinnh") == ["sinh"]
    assert speller.correct("chugn") == ["chung"]
    assert speller.correct("khaisinh") == ["khai", "sinh"]
    assert speller.correct("xyzzy") == []


def test_coverage_counts_words_the_corpus_knows() -> None:
    index = LexicalIndex.build(TEXTS)
    assert index.parse("đăng ký khai sinh").coverage == 1.0
    assert index.parse("dang ky khai sinh can gi").coverage == 1.0  # question words dropped
    assert index.parse("birth registration").coverage == 0.0
    assert 0 < index.parse("khai sinh for my baby").coverage < 1


def test_scores_prefer_the_right_document_with_or_without_diacritics() -> None:
    index = LexicalIndex.build(TEXTS)
    for query in ("đăng ký khai sinh", "dang ky khai sinh", "dang ki khai sinh", "sao y ban chinh"):
        scores = index.scores(index.parse(query))
        assert int(scores.argmax()) == (2 if "sao" in query else 0), query


def test_match_share() -> None:
    index = LexicalIndex.build(TEXTS)
    shares = index.match_share(index.parse("khai sinh cho bé"), [0, 1])
    assert shares == {0: 1.0, 1: 0.0}  # "cho", "bé" carry no procedure information
    partial = index.match_share(index.parse("khai sinh xe mô tô"), [0, 1])
    assert 0.0 < partial[0] < 0.5 and partial[1] == 0.0  # unknown content words count against

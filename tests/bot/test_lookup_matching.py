"""The dictionary matcher for lookup patterns gives exactly what Rasa's regex gives."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.components.matching import finditer, lookup_matcher
from helpdesk.settings import PROJECT_ROOT

NLU = PROJECT_ROOT / "bot" / "data"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def rasa_lookup_pattern(elements: list[str]) -> str:
    """The pattern Rasa 3.6 builds for a lookup table with word boundaries."""
    return "(\\b" + "\\b|\\b".join(re.escape(e) for e in elements) + "\\b)"


def _blocks() -> list[dict]:
    blocks = []
    for path in sorted(NLU.rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        blocks += data.get("nlu", [])
    return blocks


def _examples(block: dict) -> list[str]:
    return [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]


@pytest.fixture(scope="module")
def lookups() -> dict[str, list[str]]:
    return {b["lookup"]: _examples(b) for b in _blocks() if "lookup" in b}


@pytest.fixture(scope="module")
def messages() -> list[str]:
    texts = [
        _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), text)
        for block in _blocks()
        if "intent" in block
        for text in _examples(block)
    ]
    return [
        *texts,
        "PHƯỜNG 12, QUẬN 3, TP HCM",
        "p.12q.3",
        "xã Phúc Xá-Ba Đình",
        "dang ky khai sinh,dang ky ket hon",
        "đăng ký khai sinhh",
        "",
    ]


def spans(matches) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in matches]


def test_every_generated_lookup_is_handled_by_the_dictionary(lookups) -> None:
    for name, elements in lookups.items():
        assert lookup_matcher(rasa_lookup_pattern(elements)) is not None, name


def test_same_matches_as_the_regex_on_the_training_messages(lookups, messages) -> None:
    assert len(messages) > 1000
    for name, elements in lookups.items():
        pattern = rasa_lookup_pattern(elements)
        for text in messages:
            expected = spans(re.finditer(pattern, text, flags=re.IGNORECASE))
            assert spans(finditer(pattern, text, re.IGNORECASE)) == expected, (name, text)


def test_first_alternative_wins_like_the_regex() -> None:
    # "ab" listed before "ab cd": the regex takes "ab", so must the dictionary
    pattern = rasa_lookup_pattern(["ab", "ab cd", "cd"])
    assert spans(finditer(pattern, "ab cd", re.IGNORECASE)) == [(0, 2), (3, 5)]
    assert spans(re.finditer(pattern, "ab cd", re.IGNORECASE)) == [(0, 2), (3, 5)]


def test_other_patterns_go_to_re() -> None:
    assert lookup_matcher(r"\b\d{4}\b") is None
    assert spans(finditer(r"\b\d{4}\b", "mã 1234", re.IGNORECASE)) == [(3, 7)]
    # case-sensitive lookups are left to re as well
    assert isinstance(next(finditer(rasa_lookup_pattern(["ab"]), "ab", 0)), re.Match)


WORDS = ["xã", "Xa", "phường", "p.", "12", "hòa", "bình", "a", "-", ",", " ", "đ", "_"]


@given(
    st.lists(st.sampled_from(WORDS), max_size=12),
    st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), min_size=1, max_size=8),
)
def test_same_matches_as_the_regex_on_random_text(words: list[str], elements: list) -> None:
    table = list(dict.fromkeys("".join(e) for e in elements))
    pattern = rasa_lookup_pattern(table)
    text = "".join(words)
    expected = spans(re.finditer(pattern, text, flags=re.IGNORECASE))
    assert spans(finditer(pattern, text, re.IGNORECASE)) == expected


def test_matcher_is_built_once_per_pattern(lookups) -> None:
    pattern = rasa_lookup_pattern(lookups["place"])
    assert lookup_matcher(pattern) is lookup_matcher(pattern)

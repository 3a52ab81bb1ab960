"""The bot's pure-Python pieces, checked without Rasa: folding, language guess, regexes."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.components import text
from helpdesk.settings import PROJECT_ROOT
from knowledge import normalize
from store.codes import parse_record_code

REGEX_FILE = PROJECT_ROOT / "bot" / "data" / "nlu" / "regex.yml"


def test_bot_folds_like_retrieval() -> None:
    assert text.fold is normalize.fold
    assert text.ABBREVIATIONS is normalize.ABBREVIATIONS


@pytest.mark.parametrize(
    ("token", "seen_as"),
    [("Đăng", "dang"), ("dk", "dang ky"), ("CCCD", "can cuoc cong dan"), ("ko", "khong")],
)
def test_fold_token(token: str, seen_as: str) -> None:
    assert text.fold_token(token) == seen_as


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("Làm giấy khai sinh cần gì?", "vi"),
        ("dang ky ket hon o dau", "vi"),
        ("le phi lam cccd bn", "vi"),
        ("What documents do I need for a passport?", "en"),
        ("I live in Hà Nội, how do I register a birth?", "en"),
        ("Ward 7, District 3, Ho Chi Minh City", "en"),
        ("Tôi muốn làm passport", "vi"),
        ("speak English please", "en"),
        ("nói tiếng Anh đi", "en"),
        ("Cho tôi nói tiếng Việt", "vi"),
        ("I don't speak Vietnamese", "en"),
        ("tôi không biết tiếng Anh", "vi"),
        ("Đổi ngôn ngữ", None),
        ("change language please", None),
        ("ok", None),
        ("hello", None),
        ("1234", None),
        ("000.00.12.H12-250701-0001", None),
        ('/choose_procedure{"procedure":"1.001193"}', None),
    ],
)
def test_guess_language(message: str, language: str | None) -> None:
    assert text.guess_language(message).language == language


def _patterns() -> dict[str, re.Pattern[str]]:
    data = yaml.safe_load(REGEX_FILE.read_text(encoding="utf-8"))
    patterns: dict[str, re.Pattern[str]] = {}
    for block in data["nlu"]:
        if "regex" in block:
            (line,) = [x for x in block["examples"].splitlines() if x.startswith("- ")]
            patterns[block["regex"]] = re.compile(line[2:], re.IGNORECASE)  # as Rasa does
    return patterns


@pytest.mark.parametrize(
    "typed",
    [
        "000.00.12.H12-250701-0001",
        "000.00.12.h12-250701-0001",
        "000.00.12.H12 250701 0001",
        "000.00.12.H12 - 250701 - 0001",
        "000.00.12.H12250701 0001",
        "000.00.12.H12-2507010001",
        "000.00.12.H122507010001",
        "000.00.12.H12–250701—0001",
        "000. 00. 12. H12-250701-0001",
        "H12.22-250701-0001",
        "h12.22 250701 0001",
        "G22.36-230915-0003",
        "HS-2023-000123",
    ],
)
def test_record_code_regex_finds_what_the_store_parses(typed: str) -> None:
    message = f"mã hồ sơ của tôi là {typed}, xem giúp"
    found = [m.group() for m in _patterns()["record_code"].finditer(message)]
    assert found == [typed]
    parse_record_code(found[0])  # the action server accepts the span as found


def test_no_pattern_extracts_a_second_factor() -> None:
    """The bot never reads digits as a factor: the gateway sends it a token instead."""
    assert "verification_digits" not in _patterns()


@pytest.mark.parametrize(
    ("message", "pages"),
    [("sao y 12 trang", ["12"]), ("5 tờ", ["5"]), ("3 pages", ["3"]), ("20 to mat bn", ["20"])],
)
def test_page_count_regex(message: str, pages: list[str]) -> None:
    assert [m.group() for m in _patterns()["page_count"].finditer(message)] == pages
    assert not _patterns()["page_count"].search("it takes 2 to 3 days")

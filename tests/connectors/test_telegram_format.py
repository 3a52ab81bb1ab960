"""Splitting long answers for Telegram, and the callback-data key cache."""

from __future__ import annotations

import pytest

from connectors.rasa_client import BotMessage, Button, Link
from connectors.telegram.format import (
    CALLBACK_DATA_LIMIT,
    KEY_PREFIX,
    CallbackPayloads,
    keyboard,
    message_text,
    split_message,
)


def test_short_text_is_one_part() -> None:
    assert split_message("  Xin chào  ") == ["Xin chào"]
    assert split_message("") == []


def test_splits_on_paragraphs_first() -> None:
    paragraphs = [f"Đoạn {n}. " + "chữ " * 300 for n in range(10)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_message(text, limit=4096)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "\n\n".join(parts) == text


def test_a_long_paragraph_splits_on_lines_then_words() -> None:
    lines = "\n".join(f"Dòng {n}: " + "x" * 50 for n in range(200))
    parts = split_message(lines, limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts) == lines
    words = " ".join(["từ"] * 2000)
    parts = split_message(words, limit=500)
    assert all(len(p) <= 500 and not p.startswith(" ") for p in parts)
    assert " ".join(parts) == words


def test_a_single_huge_word_is_cut_at_the_limit() -> None:
    assert [len(p) for p in split_message("a" * 9000, limit=4096)] == [4096, 4096, 808]


def test_limit_counts_utf16_units() -> None:
    emoji = "👍" * 3000  # 2 UTF-16 units each
    parts = split_message(emoji, limit=4096)
    assert [len(p) for p in parts] == [2048, 952]


def test_short_payloads_travel_as_they_are() -> None:
    cache = CallbackPayloads()
    payload = '/choose_procedure{"procedure":"1.001193"}'
    assert cache.encode(payload) == payload
    assert cache.decode(payload) == payload


@pytest.mark.parametrize(
    "payload",
    [
        '/choose_procedure{"procedure":"' + "1" * 60 + '"}',
        "/x" + "đ" * 40,
        KEY_PREFIX + "looks like a key",
    ],
)
def test_long_payloads_become_short_keys(payload: str) -> None:
    cache = CallbackPayloads()
    key = cache.encode(payload)
    assert key.startswith(KEY_PREFIX) and len(key.encode()) <= CALLBACK_DATA_LIMIT
    assert cache.decode(key) == payload
    assert cache.encode(payload) == key  # stable


def test_the_key_cache_is_bounded() -> None:
    cache = CallbackPayloads(capacity=2)
    keys = [cache.encode("/p" + str(n) * 70) for n in range(3)]
    assert cache.decode(keys[0]) is None
    assert cache.decode(keys[2]) == "/p" + "2" * 70


def test_message_text_and_keyboard() -> None:
    message = BotMessage(
        text="Nguồn:",
        links=[Link(title="Cổng DVC", url="https://dichvucong.gov.vn/p/1")],
        buttons=[Button(title="Có", payload="/affirm")],
    )
    # the link is a button titled with its name, never its address written out
    assert message_text(message, "-") == "Nguồn:"
    assert message_text(BotMessage(buttons=message.buttons), "Chọn:") == "Chọn:"
    markup = keyboard(message, CallbackPayloads())
    assert markup is not None
    link, choice = (row[0] for row in markup.inline_keyboard)
    assert (link.text, link.url) == ("Cổng DVC", "https://dichvucong.gov.vn/p/1")
    assert choice.callback_data == "/affirm"
    assert keyboard(BotMessage(text="x"), CallbackPayloads()) is None

"""From the bot's messages to Telegram's: text within 4096 units, links and buttons as inline
keyboards."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from connectors.rasa_client import BotMessage
from connectors.splitting import split_text, utf16_units

MESSAGE_LIMIT = 4096  # Telegram counts UTF-16 code units
CALLBACK_DATA_LIMIT = 64  # bytes
KEY_PREFIX = "#k:"  # Rasa payloads start with "/", so a key never looks like one


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-16 units (Telegram's count), on
    paragraph, line or word boundaries (:func:`connectors.splitting.split_text`)."""
    return split_text(text, limit, utf16_units)


class CallbackPayloads:
    """Maps payloads longer than Telegram's 64-byte ``callback_data`` to short keys.

    Short payloads travel as they are. The cache lives in this process and keeps the most
    recent ``capacity`` payloads; a button whose key was forgotten (restart, other replica)
    decodes to None and the citizen is asked to type the question again.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(
            KEY_PREFIX
        ):
            return payload
        key = KEY_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self._capacity:
            self._payloads.popitem(last=False)
        return key

    def decode(self, data: str) -> str | None:
        if data.startswith(KEY_PREFIX):
            return self._payloads.get(data)
        return data or None


def message_text(message: BotMessage, fallback: str) -> str:
    """The text to send for one bot message: its text, then its image as a URL.

    Links are not written out: they become buttons that open the page (:func:`keyboard`).
    """
    lines = [message.text] if message.text else []
    if message.image:
        lines.append(message.image)
    return "\n\n".join(lines) if lines else fallback


def keyboard(message: BotMessage, payloads: CallbackPayloads) -> InlineKeyboardMarkup | None:
    """The message's links (buttons that open the page, titled) and choices, one per row."""
    rows = [[InlineKeyboardButton(link.title, url=link.url)] for link in message.links]
    rows.extend(
        [InlineKeyboardButton(button.title, callback_data=payloads.encode(button.payload))]
        for button in message.buttons
    )
    return InlineKeyboardMarkup(rows) if rows else None

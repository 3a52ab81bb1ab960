"""Rasa conversation ids, one namespace per channel.

Rasa keeps one tracker per sender id: whoever can name a conversation can write into it (use
up its record-lookup attempts, answer its pending form). Each channel therefore builds its
sender ids under its own prefix, and no channel can produce an id in another's namespace: a
web client choosing ``tg-123`` as its id talks in ``web-tg-123``, never in Telegram chat 123.
"""

from __future__ import annotations

import re

WEB_PREFIX = "web-"
TELEGRAM_PREFIX = "tg-"
ZALO_PREFIX = "zl-"
MESSENGER_PREFIX = "fb-"
_PLATFORM_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")

CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
"""What a web client may choose as its conversation id (JSON Schema / ECMA semantics)."""
CLIENT_ID_RULE = "8–64 characters of A–Z, a–z, 0–9, _ and -"

_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def is_client_id(value: str) -> bool:
    """Whether ``value`` is a valid web client's conversation id (the whole string)."""
    return _CLIENT_ID.fullmatch(value) is not None


def web_conversation(client_id: str) -> str:
    """The Rasa sender id of a web (widget or API) conversation the client calls ``client_id``.

    Raises:
        ValueError: ``client_id`` is not :data:`CLIENT_ID_RULE`.
    """
    if not is_client_id(client_id):
        raise ValueError(f"a web conversation id must be {CLIENT_ID_RULE}")
    return WEB_PREFIX + client_id


def telegram_conversation(chat_id: int) -> str:
    """The Rasa sender id of a Telegram chat."""
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        raise TypeError("a Telegram chat id is an integer")
    return f"{TELEGRAM_PREFIX}{chat_id}"


def _platform_conversation(prefix: str, user_id: str, platform: str) -> str:
    if not isinstance(user_id, str) or _PLATFORM_ID.fullmatch(user_id) is None:
        raise ValueError(f"a {platform} user id is 1-64 letters, digits, _ or -")
    return prefix + user_id


def zalo_conversation(user_id: str) -> str:
    """The Rasa sender id of a Zalo user of the Official Account (``zl-<user id>``)."""
    return _platform_conversation(ZALO_PREFIX, user_id, "Zalo")


def messenger_conversation(psid: str) -> str:
    """The Rasa sender id of a Messenger user of the fanpage (``fb-<page-scoped id>``)."""
    return _platform_conversation(MESSENGER_PREFIX, psid, "Messenger")

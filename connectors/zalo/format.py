"""From the bot's messages to Zalo consultation messages: text within Zalo's limit, links and
choices as buttons, and button payloads that only the bot can have written.

Zalo's limits, as far as public sources state them (Zalo's own reference pages were not in
reach; the figures are the ones its partners and SDKs document):

- Text of a consultation message: at most 2000 characters (eSMS, a Zalo partner: "Text
  content to send to users Maximum limit is 2,000 characters",
  developers.esms.vn/en/esms-api/send-sms-api/send-zalo-message-consulting-in-text-form).
  Counted here in UTF-16 code units, which is never fewer than the characters a JavaScript
  backend counts; a longer answer is split at paragraphs, lines, then sentence ends.
- Button title at most 100 characters; the payload of an ``oa.query.show`` /
  ``oa.query.hide`` button at most 1000 characters (``@warriorteam/redai-zalo-sdk``,
  docs/BUTTON_TYPES_GUIDE.md, which documents the same button types for OA messages).
- Buttons per message: no source found for a text message's buttons. Five is assumed (the
  same SDK caps a consultation template's elements at five); further buttons go in a
  following message.

An ``oa.query.hide`` button sends its payload back as if the citizen had typed it (a
``user_send_text`` event, not shown in the chat). So that nobody can type an intent, a payload
travels signed for the one user it was offered to (:class:`ButtonPayloads`), and typed text
that looks like a Rasa payload is relayed as plain words (:func:`typed_text`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from connectors.rasa_client import BotMessage
from connectors.splitting import split_text as split_parts
from connectors.splitting import utf16_units

TEXT_LIMIT = 2000
BUTTON_TITLE_LIMIT = 100
BUTTON_PAYLOAD_LIMIT = 1000
BUTTONS_PER_MESSAGE = 5
PAYLOAD_PREFIX = "#hd1:"  # what no Rasa payload (``/intent``) starts with
_MAC_CHARS = 32
_ELLIPSIS = "…"


def units(text: str) -> int:
    """The length of ``text`` in UTF-16 code units."""
    return utf16_units(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-16 units (:mod:`connectors.splitting`)."""
    return split_parts(text, limit, utf16_units)


def _title(title: str) -> str:
    title = " ".join(title.split())
    if len(title) <= BUTTON_TITLE_LIMIT:
        return title
    return title[: BUTTON_TITLE_LIMIT - 1].rstrip() + _ELLIPSIS


@dataclass(frozen=True, slots=True)
class Pressed:
    """A button press read back from a ``user_send_text`` event.

    ``payload`` is None when the text carried our prefix but not a valid signature for this
    user (a button from before a secret change, or a forgery).
    """

    payload: str | None


class ButtonPayloads:
    """Signs button payloads for one user and reads them back.

    The payload travels whole (so any replica can read it) after a keyed MAC of the user and
    the payload: ``#hd1:<mac>:<payload>``. A press is honoured only from the user the button
    was sent to.
    """

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("zalo-button-v1:" + secret).encode("utf-8")).digest()

    def _mac(self, user_id: str, payload: str) -> str:
        message = f"{user_id}\x1f{payload}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:_MAC_CHARS]

    def encode(self, user_id: str, payload: str) -> str | None:
        """The button payload for ``payload``; None if it would exceed Zalo's limit."""
        signed = f"{PAYLOAD_PREFIX}{self._mac(user_id, payload)}:{payload}"
        return signed if len(signed) <= BUTTON_PAYLOAD_LIMIT else None

    def decode(self, user_id: str, text: str) -> Pressed | None:
        """The press ``text`` is, or None if it is typed text."""
        if not text.startswith(PAYLOAD_PREFIX):
            return None
        mac, _, payload = text[len(PAYLOAD_PREFIX) :].partition(":")
        valid = bool(payload) and hmac.compare_digest(
            mac.encode("utf-8"), self._mac(user_id, payload).encode("utf-8")
        )
        return Pressed(payload if valid else None)


def typed_text(text: str) -> str:
    """What a citizen typed, as Rasa should read it: never as a ``/intent`` payload."""
    return text.strip().lstrip("/").strip()


def message_text(message: BotMessage) -> str:
    """The text of one bot message: its text, then its image as a URL (links are buttons)."""
    lines = [message.text] if message.text else []
    if message.image:
        lines.append(message.image)
    return "\n\n".join(lines)


def buttons(message: BotMessage, user_id: str, payloads: ButtonPayloads) -> list[dict[str, Any]]:
    """The message's links (buttons that open the page) and choices (hidden query buttons)."""
    result: list[dict[str, Any]] = [
        {"title": _title(link.title), "type": "oa.open.url", "payload": {"url": link.url}}
        for link in message.links
        if link.url.startswith(("https://", "http://"))
    ]
    for button in message.buttons:
        payload = payloads.encode(user_id, button.payload)
        if payload is not None:
            result.append(
                {"title": _title(button.title), "type": "oa.query.hide", "payload": payload}
            )
    return result


def with_buttons(text: str, group: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``message`` of a consultation message: text, and buttons if any."""
    message: dict[str, Any] = {"text": text}
    if group:
        message["attachment"] = {"type": "template", "payload": {"buttons": group}}
    return message


def consultation_messages(
    message: BotMessage, user_id: str, payloads: ButtonPayloads, choose: str
) -> list[dict[str, Any]]:
    """One bot message as Zalo ``message`` objects, in order.

    The text is split within :data:`TEXT_LIMIT`; the first :data:`BUTTONS_PER_MESSAGE`
    buttons go under its last part and any others follow with ``choose`` as their text.
    """
    group = buttons(message, user_id, payloads)
    groups = [
        group[start : start + BUTTONS_PER_MESSAGE]
        for start in range(0, len(group), BUTTONS_PER_MESSAGE)
    ]
    parts = split_text(message_text(message)) or ([choose] if groups else [])
    result = [with_buttons(part, []) for part in parts]
    if groups and result:
        result[-1] = with_buttons(parts[-1], groups[0])
        result.extend(with_buttons(choose, more) for more in groups[1:])
    return result

"""From the bot's messages to the Send API's: text within 2000 characters, choices as quick
replies, links as a button template; and the codec of the payloads the buttons carry.

Limits, as the Messenger Platform documents them:

- a text message holds at most 2000 characters (Send API reference, ``message.text``; see
  https://github.com/microsoft/botframework-sdk/issues/4261 quoting it);
- at most 13 quick replies, each title shown up to 20 characters (longer ones are truncated),
  https://developers.facebook.com/docs/messenger-platform/send-messages/quick-replies/ and
  https://developers.facebook.com/docs/messenger-platform/reference/buttons/quick-replies;
- a button template: "UTF-8-encoded text of up to 640 characters" and "1-3 buttons",
  https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/template/button;
  button titles are held to the same 20 characters here;
- a quick reply's or a postback's payload: at most 1000 characters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import Any

from connectors.rasa_client import BotMessage, Button, Link
from connectors.splitting import split_text as split_parts
from connectors.splitting import utf16_units

logger = logging.getLogger(__name__)

TEXT_LIMIT = 2000
TEMPLATE_TEXT_LIMIT = 640
QUICK_REPLY_LIMIT = 13
TEMPLATE_BUTTON_LIMIT = 3
TITLE_LIMIT = 20
PAYLOAD_LIMIT = 1000

PAYLOAD_PREFIX = "hd1."
_MAC_BYTES = 12
_ELLIPSIS = "…"
SendMessage = dict[str, Any]


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-16 units (as Messenger's clients count),
    cut between paragraphs, else lines, else sentences, else words (:mod:`connectors.splitting`)."""
    return split_parts(text, limit, utf16_units)


def short_title(title: str, limit: int = TITLE_LIMIT) -> str:
    """``title`` within ``limit`` characters: cut at a word and marked with an ellipsis."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    head = title[: limit - 1]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,.;:-") + _ELLIPSIS


class PayloadCodec:
    """Payloads signed with the install's secret, so that only the gateway's own buttons reach
    Rasa as intents.

    A payload travels as ``hd1.<mac>.<payload>``: the MAC is a truncated HMAC-SHA256 keyed
    with the secret. Unlike Telegram's 64-byte ``callback_data``, Messenger carries 1000
    characters, so the payload itself rides along and every replica can check it without
    shared state. Anything else (a forged or stale payload, a payload signed under a former
    secret) decodes to None.
    """

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("messenger-payload-v1\x1f" + secret).encode("utf-8")).digest()

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode("ascii")

    def encode(self, payload: str) -> str | None:
        """The signed form of a Rasa payload; None if it would not fit Messenger's limit."""
        signed = f"{PAYLOAD_PREFIX}{self._mac(payload)}.{payload}"
        return signed if len(signed) <= PAYLOAD_LIMIT else None

    def decode(self, data: str) -> str | None:
        """The Rasa payload inside ``data``, or None if it is not one this install signed."""
        if not data.startswith(PAYLOAD_PREFIX):
            return None
        mac, dot, payload = data[len(PAYLOAD_PREFIX) :].partition(".")
        if not dot or not payload.startswith("/"):
            return None
        if not hmac.compare_digest(mac.encode("ascii", "replace"), self._mac(payload).encode()):
            return None
        return payload


def typed_text(text: str) -> str:
    """What a citizen typed, as text Rasa can never read as an intent.

    Rasa treats a message that starts with ``/`` as ``/intent{entities}``; typed text loses
    its leading slashes (intents only come from signed payloads).
    """
    return text.strip().lstrip("/").strip()


def _choices(buttons: list[Button], codec: PayloadCodec) -> tuple[list[tuple[str, str]], list[str]]:
    """The buttons as (title, signed payload), titles within 20 characters; and, when a
    title had to be shortened, the full titles numbered for the text above them."""
    signed: list[tuple[str, str]] = []
    for button in buttons:
        data = codec.encode(button.payload)
        if data is None:
            logger.warning("messenger: a button's payload is over %d characters", PAYLOAD_LIMIT)
            continue
        signed.append((button.title, data))
    if len(signed) > QUICK_REPLY_LIMIT:
        logger.warning("messenger: %d choices, only %d shown", len(signed), QUICK_REPLY_LIMIT)
        signed = signed[:QUICK_REPLY_LIMIT]
    if all(len(title) <= TITLE_LIMIT for title, _ in signed):
        return signed, []
    numbered = [
        (short_title(f"{n}. {title}"), data) for n, (title, data) in enumerate(signed, start=1)
    ]
    listing = [f"{n}. {title}" for n, (title, _) in enumerate(signed, start=1)]
    return numbered, listing


def _quick_replies(choices: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"content_type": "text", "title": title, "payload": data} for title, data in choices]


def _link_button(link: Link) -> dict[str, str]:
    return {"type": "web_url", "url": link.url, "title": short_title(link.title)}


def _postback_button(title: str, data: str) -> dict[str, str]:
    return {"type": "postback", "title": title, "payload": data}


def _template(text: str, buttons: list[dict[str, str]]) -> SendMessage:
    return {
        "attachment": {
            "type": "template",
            "payload": {"template_type": "button", "text": text, "buttons": buttons},
        }
    }


def outgoing(message: BotMessage, codec: PayloadCodec, fallback: str) -> list[SendMessage]:
    """One bot message as the Send API ``message`` objects to send, in order.

    The form is chosen per message:

    - **Choices only → quick replies.** Rasa's buttons answer the question the bot is asking
      now (which procedure, yes or no). Quick replies disappear once the citizen answers, so
      a choice cannot be tapped again later, out of its step; there may be 13 of them, and
      the text above them may use the full 2000 characters.
    - **Links → a button template.** Only a template's ``web_url`` button opens a page (the
      answer's source on the national portal); quick replies cannot. A template takes three
      buttons and 640 characters, so the text is split until its last part fits, and links
      beyond three are written out in the text. When the choices fit beside the links in
      those three buttons they become postback buttons of the template; otherwise they ride
      on the template as quick replies.
    - Otherwise plain text, split at 2000 characters.

    A title longer than 20 characters would be cut by Messenger; the choices are then numbered
    ("1. Đăng ký khai sinh c…") and their full titles listed in the text.
    """
    lines = [message.text] if message.text else []
    if message.image:
        lines.append(message.image)
    choices, listing = _choices(message.buttons, codec)
    if listing:
        lines.append("\n".join(listing))
    link_buttons = [_link_button(link) for link in message.links[:TEMPLATE_BUTTON_LIMIT]]
    extra_links = message.links[TEMPLATE_BUTTON_LIMIT:]
    if extra_links:
        lines.append("\n".join(f"{link.title}: {link.url}" for link in extra_links))
    text = "\n\n".join(lines) or fallback
    if link_buttons:
        parts = split_text(text)
        last = parts.pop() if parts else fallback
        if utf16_units(last) > TEMPLATE_TEXT_LIMIT:
            tail = split_text(last, TEMPLATE_TEXT_LIMIT)
            parts.extend(tail[:-1])
            last = tail[-1]
        sent: list[SendMessage] = [{"text": part} for part in parts]
        if len(link_buttons) + len(choices) <= TEMPLATE_BUTTON_LIMIT:
            buttons = link_buttons + [_postback_button(title, data) for title, data in choices]
            sent.append(_template(last, buttons))
        else:
            sent.append({**_template(last, link_buttons), "quick_replies": _quick_replies(choices)})
        return sent
    sent = [{"text": part} for part in split_text(text)]
    if choices and sent:
        sent[-1]["quick_replies"] = _quick_replies(choices)
    return sent

"""Zalo's webhook events: the signature that proves Zalo sent them, and what they say.

Zalo signs each event in ``X-ZEvent-Signature: mac=<hex>``, where the hex is the SHA-256 of
the app id, the raw body, the event's ``timestamp`` (milliseconds, as written in the body)
and the OA's secret key, concatenated. The timestamp is inside the signed body, so an event
replayed later is refused once it is older than ``zalo_signature_max_age_seconds``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.conversations import zalo_conversation
from connectors.errors import WebhookForbidden

TEXT = "user_send_text"
FOLLOW = "follow"
UNFOLLOW = "unfollow"
HANDLED = frozenset({TEXT, FOLLOW, UNFOLLOW})
_MAC_PREFIX = "mac="
_MAX_TIMESTAMP_DIGITS = 16


def event_mac(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """The hex SHA-256 Zalo sends for ``body``."""
    data = app_id.encode("utf-8") + body + timestamp.encode("ascii") + oa_secret.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def timestamp_of(data: object) -> str | None:
    """The event's ``timestamp`` as written (digits), or None."""
    value = data.get("timestamp") if isinstance(data, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value if len(value) <= _MAX_TIMESTAMP_DIGITS else None
    return None


def check_signature(
    header: str,
    body: bytes,
    data: object,
    *,
    app_id: str | None,
    oa_secret: str | None,
    max_age_seconds: int,
    now_ms: int,
) -> None:
    """Accept the event only if Zalo signed it and its timestamp is recent.

    Raises:
        WebhookForbidden: The signature is wrong or cannot be checked (no timestamp, the
            channel's keys not set), or the timestamp is more than ``max_age_seconds`` away
            from now (older, or that far in the future).
    """
    given = header.strip()
    given = given[len(_MAC_PREFIX) :] if given.lower().startswith(_MAC_PREFIX) else ""
    timestamp = timestamp_of(data)
    if not app_id or not oa_secret or timestamp is None:
        hmac.compare_digest(given.encode("utf-8"), b"0" * 64)
        raise WebhookForbidden("the X-ZEvent-Signature cannot be verified")
    expected = event_mac(app_id, body, timestamp, oa_secret)
    if not hmac.compare_digest(given.lower().encode("utf-8"), expected.encode("ascii")):
        raise WebhookForbidden("wrong X-ZEvent-Signature")
    if abs(now_ms - int(timestamp)) > max_age_seconds * 1000:
        raise WebhookForbidden("the event's timestamp is too old or too far ahead")


@dataclass(frozen=True, slots=True)
class ZaloEvent:
    """One event the channel acts on (or ignores, when ``kind`` is not in :data:`HANDLED`).

    ``user_id`` is the OA-scoped id of the citizen (the sender, or the follower); ``text``
    and ``message_id`` come with ``user_send_text``.
    """

    kind: str
    at: datetime
    user_id: str | None = None
    text: str | None = None
    message_id: str | None = None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _user(data: dict[str, Any], field: str) -> str:
    holder = data.get(field)
    user_id = holder.get("id") if isinstance(holder, dict) else None
    if not isinstance(user_id, str):
        raise ValueError(f"{field}.id must be a string")
    zalo_conversation(user_id)  # raises ValueError unless it can name a conversation
    return user_id


def parse_event(data: object) -> ZaloEvent:
    """The event a signed body holds.

    Raises:
        ValueError: Not a Zalo event, or a handled event without what it needs (its user,
            the text of a message).
    """
    if not isinstance(data, dict):
        raise ValueError("an event is a JSON object")
    kind = _string(data.get("event_name"))
    timestamp = timestamp_of(data)
    if kind is None or timestamp is None:
        raise ValueError("an event has an event_name and a timestamp")
    try:
        at = datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError("the timestamp is out of range") from exc
    if kind == TEXT:
        message = data.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("text"), str):
            raise ValueError("user_send_text carries message.text")
        return ZaloEvent(
            kind,
            at,
            user_id=_user(data, "sender"),
            text=message["text"],
            message_id=_string(message.get("msg_id")),
        )
    if kind in (FOLLOW, UNFOLLOW):
        return ZaloEvent(kind, at, user_id=_user(data, "follower"))
    return ZaloEvent(kind, at)

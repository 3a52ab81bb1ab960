"""What the Graph API posts to the webhook: its signature, and the page events worth an answer.

A call carries ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw body under the
app secret. Its body is ``{"object": "page", "entry": [{"id", "time", "messaging": [...]}]}``;
each messaging event names its ``sender`` (the user's page-scoped id, PSID), its ``timestamp``
(ms) and one of ``message`` (text, or a tapped quick reply with ``quick_reply.payload``),
``postback`` (a template button, the menu, Get Started), ``delivery``, ``read``,
``reaction``... Only text, quick replies and postbacks are answered; the page's own messages
(``is_echo``), receipts and everything else are left.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import SecretStr

SIGNATURE_PREFIX = "sha256="


def signature_matches(body: bytes, header: str, app_secret: SecretStr) -> bool:
    """Whether ``header`` is ``sha256=`` and the HMAC of ``body`` (compared in constant time)."""
    secret = app_secret.get_secret_value()
    if not secret or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = header[len(SIGNATURE_PREFIX) :].strip().lower()
    return hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii"))


class Kind(StrEnum):
    TEXT = "text"
    QUICK_REPLY = "quick_reply"
    POSTBACK = "postback"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One event to answer.

    Attributes:
        psid: The user's page-scoped id.
        event_id: What makes the event unique (``message.mid``, the postback's ``mid``, or
            the sender and timestamp of an older postback without one).
        at: When the user acted (the event's timestamp).
        kind: Typed text, a tapped quick reply, or a postback.
        content: The text, or the button's (still signed) payload.
    """

    psid: str
    event_id: str
    at: datetime
    kind: Kind
    content: str


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _when(value: object, now: datetime) -> datetime:
    """The event's timestamp (ms since the epoch), never later than now."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        try:
            return min(datetime.fromtimestamp(value / 1000, UTC), now)
        except (OverflowError, OSError, ValueError):
            return now
    return now


def _inbound(event: dict[str, Any], now: datetime) -> Inbound | None:
    sender = event.get("sender")
    psid = _str(sender.get("id")) if isinstance(sender, dict) else None
    if psid is None:
        return None
    at = _when(event.get("timestamp"), now)
    message, postback = event.get("message"), event.get("postback")
    if isinstance(message, dict):
        mid = _str(message.get("mid"))
        if message.get("is_echo") or mid is None:
            return None
        quick_reply = message.get("quick_reply")
        payload = _str(quick_reply.get("payload")) if isinstance(quick_reply, dict) else None
        if payload is not None:
            return Inbound(psid, mid, at, Kind.QUICK_REPLY, payload)
        text = _str(message.get("text"))
        return Inbound(psid, mid, at, Kind.TEXT, text) if text is not None else None
    if isinstance(postback, dict):
        payload = _str(postback.get("payload"))
        if payload is None:
            return None
        event_id = _str(postback.get("mid")) or f"postback:{psid}:{event.get('timestamp')}"
        return Inbound(psid, event_id, at, Kind.POSTBACK, payload)
    return None


def page_events(body: Any, now: datetime | None = None) -> list[Inbound]:
    """The events of a webhook call to answer, in the order Graph sent them.

    Raises:
        ValueError: ``body`` is not a page's webhook call (``object`` is not ``page``, or
            ``entry`` is not a list of objects).
    """
    now = now or datetime.now(UTC)
    if not isinstance(body, dict) or body.get("object") != "page":
        raise ValueError("not a page webhook call")
    entries = body.get("entry")
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ValueError("entry must be a list of objects")
    events: list[Inbound] = []
    for entry in entries:
        messaging = entry.get("messaging")
        if not isinstance(messaging, list):
            continue  # e.g. "standby" (another app holds the thread) or "changes"
        for event in messaging:
            inbound = _inbound(event, now) if isinstance(event, dict) else None
            if inbound is not None:
                events.append(inbound)
    return events

"""What a citizen reads when something goes wrong: polite, bilingual, naming the hotline.

The sentences are the catalogue's (``helpdesk/messages.yml``); a :class:`Notice` holds one
of them in both languages, for channels that show both at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk.messages import text


@dataclass(frozen=True, slots=True)
class Notice:
    """One message in both languages."""

    vi: str
    en: str

    @classmethod
    def of(cls, key: str, **fields: object) -> Notice:
        """The catalogue's ``key`` in Vietnamese and English."""
        return cls(vi=text(key, "vi", **fields), en=text(key, "en", **fields))

    def both(self) -> str:
        """Vietnamese first, then English, on separate lines."""
        return f"{self.vi}\n{self.en}"

    def as_dict(self) -> dict[str, str]:
        return {"vi": self.vi, "en": self.en}


def bot_unavailable(hotline: str, hours: str) -> Notice:
    """The assistant cannot answer right now."""
    return Notice.of("chat.unavailable", hotline=hotline, hours=hours)


def rate_limited(seconds: int) -> Notice:
    """Too many messages in a short time."""
    return Notice.of("chat.rate_limited", seconds=seconds)


def message_too_long(limit: int) -> Notice:
    """A message over the length limit."""
    return Notice.of("chat.too_long", limit=limit)


def request_too_large(limit: int) -> Notice:
    """A request body over the size limit."""
    return Notice.of("chat.request_too_large", limit=limit)


def invalid_request() -> Notice:
    """A request the gateway could not read (the widget sent something odd)."""
    return Notice.of("chat.invalid_request")


def button_expired() -> Notice:
    """A Telegram button pressed after its conversation step has passed."""
    return Notice.of("chat.button_expired")

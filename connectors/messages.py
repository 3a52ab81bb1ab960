"""What the channels themselves say: when something goes wrong (polite, bilingual, naming
the hotline) and Telegram's welcome, help and button prompt.

The sentences are the catalogue's (``helpdesk/messages.yml``); a :class:`Notice` holds one
of them in both languages, for channels that show both at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk.messages import text
from helpdesk.settings import Settings


@dataclass(frozen=True, slots=True)
class Notice:
    """One message in both languages."""

    vi: str
    en: str

    @classmethod
    def of(cls, key: str, **fields: object) -> Notice:
        """The catalogue's ``key`` in Vietnamese and English."""
        return cls(vi=text(key, "vi", **fields), en=text(key, "en", **fields))

    @classmethod
    def with_hotline(cls, key: str, settings: Settings) -> Notice:
        """The catalogue's ``key``, naming the hotline and its hours in each language."""
        return cls(
            vi=text(key, "vi", **settings.hotline_values("vi")),
            en=text(key, "en", **settings.hotline_values("en")),
        )

    def both(self, separator: str = "\n") -> str:
        """Vietnamese first, then English, on separate lines (or split by ``separator``)."""
        return f"{self.vi}{separator}{self.en}"

    def as_dict(self) -> dict[str, str]:
        return {"vi": self.vi, "en": self.en}


def bot_unavailable(settings: Settings) -> Notice:
    """The assistant cannot answer right now."""
    return Notice.with_hotline("chat.unavailable", settings)


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


def telegram_welcome(hotline: str) -> str:
    """Telegram's /start: what the assistant can do, Vietnamese then English."""
    return Notice.of("telegram.welcome", hotline=hotline).both("\n\n")


def telegram_help(settings: Settings) -> str:
    """Telegram's /help: how to ask, the commands, the hotline, Vietnamese then English."""
    return Notice.with_hotline("telegram.help", settings).both("\n\n")


def telegram_choose() -> str:
    """The text of a Telegram message that has only buttons."""
    return Notice.of("telegram.choose").both(" / ")

"""What a citizen reads when something goes wrong: polite, bilingual, naming the hotline."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Notice:
    """One message in both languages."""

    vi: str
    en: str

    def both(self) -> str:
        """Vietnamese first, then English, on separate lines."""
        return f"{self.vi}\n{self.en}"

    def as_dict(self) -> dict[str, str]:
        return {"vi": self.vi, "en": self.en}


def bot_unavailable(hotline: str, hours: str) -> Notice:
    """The assistant cannot answer right now."""
    return Notice(
        vi=(
            "Xin lỗi, trợ lý ảo đang tạm thời gián đoạn. Vui lòng thử lại sau ít phút "
            f"hoặc gọi tổng đài {hotline} ({hours}) để được cán bộ hỗ trợ."
        ),
        en=(
            "Sorry, the assistant is temporarily unavailable. Please try again in a few "
            f"minutes or call the hotline {hotline} for help from our staff."
        ),
    )


def rate_limited(seconds: int) -> Notice:
    """Too many messages in a short time."""
    return Notice(
        vi=f"Bạn gửi tin nhắn hơi nhanh. Vui lòng đợi {seconds} giây rồi gửi lại.",
        en=f"You are sending messages a little fast. Please wait {seconds} s and try again.",
    )


def message_too_long(limit: int) -> Notice:
    """A message over the length limit."""
    return Notice(
        vi=f"Tin nhắn quá dài. Vui lòng viết ngắn hơn {limit} ký tự.",
        en=f"Your message is too long. Please keep it under {limit} characters.",
    )


def request_too_large(limit: int) -> Notice:
    """A request body over the size limit."""
    return Notice(
        vi=f"Yêu cầu quá lớn (tối đa {limit} byte).",
        en=f"The request is too large (at most {limit} bytes).",
    )


def invalid_request() -> Notice:
    """A request the gateway could not read (the widget sent something odd)."""
    return Notice(
        vi="Không gửi được tin nhắn này. Vui lòng thử lại.",
        en="This message could not be sent. Please try again.",
    )

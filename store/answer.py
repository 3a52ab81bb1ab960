"""What a status lookup tells the citizen: a typed answer and its plain-language text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from helpdesk.errors import RefusalScope
from store.status import DeadlineClass, RecordStatus
from store.vocabulary import ResultDelivery


class LookupOutcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    """Unknown code or wrong digits: deliberately the same answer for both."""
    INVALID_CODE = "invalid_code"
    INVALID_DIGITS = "invalid_digits"


@dataclass(frozen=True, slots=True)
class RecordAnswer:
    """Everything a citizen may learn about a record, and nothing personal."""

    code: str
    procedure_code: str
    status: RecordStatus
    received_on: date
    due_on: date | None
    deadline: DeadlineClass | None
    missing_documents: tuple[str, ...]
    result_delivery: ResultDelivery | None
    collect_at: str | None

    @property
    def overdue(self) -> bool:
        return self.deadline is DeadlineClass.OVERDUE

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "procedure_code": self.procedure_code,
            "status": self.status.value,
            "status_label_vi": self.status.label_vi,
            "status_label_en": self.status.label_en,
            "status_explanation_vi": self.status.explanation_vi,
            "received_on": self.received_on.isoformat(),
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "deadline": self.deadline.value if self.deadline else None,
            "deadline_label_vi": self.deadline.label_vi if self.deadline else None,
            "overdue": self.overdue,
            "missing_documents": list(self.missing_documents),
            "result_delivery": self.result_delivery.value if self.result_delivery else None,
            "collect_at": self.collect_at,
        }


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The outcome of one lookup, with the text to show in Vietnamese and English.

    ``record`` is set only when ``outcome`` is FOUND; ``reason`` (a
    :class:`~helpdesk.errors.RecordCodeDefect` reason key) only when it is INVALID_CODE.
    """

    outcome: LookupOutcome
    message_vi: str
    message_en: str
    record: RecordAnswer | None = None
    reason: str | None = None

    @property
    def found(self) -> bool:
        return self.outcome is LookupOutcome.FOUND

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
            "record": self.record.to_dict() if self.record else None,
            "reason": self.reason,
        }


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def found_text_vi(answer: RecordAnswer, hotline: str, hours: str) -> str:
    """The answer to a successful lookup, in plain Vietnamese."""
    status = answer.status
    lines = [
        f"Hồ sơ {answer.code} (thủ tục {answer.procedure_code}):",
        f"- Trạng thái: {status.label_vi}. {status.explanation_vi}",
        f"- Ngày tiếp nhận: {_d(answer.received_on)}.",
    ]
    if answer.due_on is not None:
        due = f"- Ngày hẹn trả kết quả: {_d(answer.due_on)}"
        lines.append(due + (f" ({answer.deadline.label_vi})." if answer.deadline else "."))
    if status is RecordStatus.WAITING_SUPPLEMENT:
        if answer.missing_documents:
            lines.append("- Giấy tờ cần bổ sung:")
            lines.extend(f"  + {doc}" for doc in answer.missing_documents)
        else:
            lines.append("- Hãy hỏi nơi nộp hồ sơ để biết cần bổ sung giấy tờ gì.")
    if answer.result_delivery is not None or answer.collect_at:
        how = answer.result_delivery.label_vi if answer.result_delivery else "nhận kết quả"
        where = f" — {answer.collect_at}" if answer.collect_at else ""
        lines.append(f"- Cách nhận kết quả: {how}{where}.")
    if answer.overdue and status.is_open:
        lines.append(
            f"Hồ sơ đã quá ngày hẹn trả. Bạn có thể gọi tổng đài {hotline} ({hours}) "
            "để được hỗ trợ."
        )
    return "\n".join(lines)


def found_text_en(answer: RecordAnswer) -> str:
    """The answer to a successful lookup, in English."""
    parts = [
        f"Record {answer.code} (procedure {answer.procedure_code}): {answer.status.label_en}.",
        answer.status.explanation_en,
        f"Received {answer.received_on.isoformat()}.",
    ]
    if answer.due_on is not None:
        due = f"Due {answer.due_on.isoformat()}"
        parts.append(due + (f" ({answer.deadline.label_en})." if answer.deadline else "."))
    if answer.status is RecordStatus.WAITING_SUPPLEMENT and answer.missing_documents:
        parts.append("Missing: " + "; ".join(answer.missing_documents) + ".")
    if answer.result_delivery is not None:
        where = f" ({answer.collect_at})" if answer.collect_at else ""
        parts.append(f"Result delivery: {answer.result_delivery.label_en}{where}.")
    return " ".join(parts)


def not_found_texts(hotline: str, both_factors: bool = False) -> tuple[str, str]:
    """The neutral answer: the same for an unknown code and for wrong digits.

    ``both_factors``: the citizen gave 8 digits (phone and ID number) rather than 4.
    """
    if both_factors:
        return (
            "Không tìm thấy hồ sơ khớp với mã hồ sơ và 8 chữ số đã nhập. Bạn hãy kiểm tra lại mã "
            "trên giấy tiếp nhận hồ sơ, 4 số cuối của số điện thoại và 4 số cuối của số căn cước "
            f"đã khai khi nộp hồ sơ. Nếu vẫn không được, hãy gọi tổng đài {hotline}.",
            "No record matches this code and these 8 digits. Check the code on the receipt, the "
            "last 4 digits of the phone and the last 4 of the ID number given when applying. "
            f"If it still does not work, call the hotline {hotline}.",
        )
    return (
        "Không tìm thấy hồ sơ khớp với mã hồ sơ và 4 chữ số đã nhập. Bạn hãy kiểm tra lại mã "
        "trên giấy tiếp nhận hồ sơ và 4 số cuối của số điện thoại hoặc số căn cước đã khai khi "
        f"nộp hồ sơ. Nếu vẫn không được, hãy gọi tổng đài {hotline}.",
        "No record matches this code and these 4 digits. Check the code on the receipt and the "
        "last 4 digits of the phone or ID number given when applying.",
    )


def invalid_digits_texts() -> tuple[str, str]:
    return (
        "Để bảo vệ thông tin hồ sơ, bạn hãy nhập đúng 4 chữ số cuối của số điện thoại hoặc số "
        "căn cước đã khai khi nộp hồ sơ.",
        "Please give exactly 4 digits: the last 4 of the phone or ID number given when applying.",
    )


def invalid_code_texts(message_vi: str, message_en: str) -> tuple[str, str]:
    return (
        f"{message_vi} Mã hồ sơ in trên giấy tiếp nhận hồ sơ và hẹn trả kết quả.",
        f"Invalid record code: {message_en}.",
    )


def _minutes(retry_after_seconds: int) -> int:
    return max(1, -(-retry_after_seconds // 60))


def _wait_vi(retry_after_seconds: int) -> str:
    minutes = _minutes(retry_after_seconds)
    if minutes < 120:
        return f"khoảng {minutes} phút"
    return f"khoảng {-(-minutes // 60)} giờ"


def _wait_en(retry_after_seconds: int) -> str:
    minutes = _minutes(retry_after_seconds)
    if minutes < 120:
        return f"about {minutes} minute" + ("s" if minutes > 1 else "")
    return f"about {-(-minutes // 60)} hours"


def refused_texts(
    retry_after_seconds: int, hotline: str, scope: RefusalScope = "code_source"
) -> tuple[str, str]:
    """What to say when :class:`~helpdesk.errors.LookupRefused` is raised.

    Call it as ``refused_texts(exc.retry_after_seconds, hotline, exc.scope)``: each scope gets
    its own advice. ``code_source`` and ``source`` say when to try again and give the hotline;
    ``code_guarded`` asks for both groups of 4 digits in one message.
    """
    if scope == "code_guarded":
        return (
            "Để bảo vệ hồ sơ này, cần xác minh thêm một bước. Bạn hãy nhập cùng lúc 4 số cuối "
            "của số điện thoại và 4 số cuối của số căn cước đã khai khi nộp hồ sơ, cách nhau "
            "một dấu cách. Ví dụ: 1234 5678. "
            f"Nếu không có đủ hai số này, hãy gọi tổng đài {hotline}.",
            "To protect this record, one more check is needed. Send the last 4 digits of the "
            "phone and the last 4 digits of the ID number given when applying, in one message, "
            f"with a space between them. For example: 1234 5678. If you do not have both, call "
            f"the hotline {hotline}.",
        )
    wait_vi, wait_en = _wait_vi(retry_after_seconds), _wait_en(retry_after_seconds)
    if scope == "source":
        return (
            "Bạn đã nhập sai quá nhiều lần. Để bảo vệ thông tin, việc tra cứu hồ sơ tạm dừng. "
            f"Hãy thử lại sau {wait_vi}. Nếu cần gấp, hãy gọi tổng đài {hotline}.",
            "Too many wrong attempts. Record lookups are paused to protect the records. "
            f"Try again in {wait_en}. If it is urgent, call the hotline {hotline}.",
        )
    return (
        "Bạn đã nhập sai nhiều lần với mã hồ sơ này. Để bảo vệ thông tin, việc tra cứu mã này "
        f"tạm dừng. Hãy thử lại sau {wait_vi}. Nếu cần gấp, hãy gọi tổng đài {hotline}.",
        "Too many wrong attempts for this record code. Lookups of this code are paused to "
        f"protect the record. Try again in {wait_en}. If it is urgent, call the hotline {hotline}.",
    )

"""What a citizen types that must not be kept: phone and ID numbers, second factors, names.

Pure text rules, used before any text reaches Rasa (the gateway's guard), in handoff notes,
and wherever a message is quoted. They err on the side of hiding: a hidden number costs a
citizen one more question; a kept one is a personal number in a database for years.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

MASK = "***"

# A run of digits, possibly grouped by single spaces, dots or dashes ("0912 345 678",
# "0912.345.678", "+84 912-345-678"). Not part of a word or of a code such as
# "000.00.12.H12-250701-0001" (a run touching a letter, dot or dash on its left is skipped).
_NUMBER_RUN = re.compile(r"(?<![\w.\-+])\+?\d(?:[ .\-]?\d)*(?![\w\-])")
# A token that mixes letters and digits: a record code, never a phone or ID number.
_CODE_TOKEN = re.compile(r"(?=[\w.\-]*[A-Za-z])(?=[\w.\-]*\d)[\w.\-]{6,}")
_DIGIT = re.compile(r"\d")
_FACTOR_LENGTHS = (4, 8)
# "tên tôi là Nguyễn Văn An", "tôi là Trần Thị Bình", "my name is Le Van C": the capitalised
# words after the phrase are a name
_NAME = re.compile(
    r"(?i:\b(?:tên(?:\s+(?:tôi|em|mình|cháu|con|của\s+tôi))?\s+là|tôi\s+là|em\s+là|"
    r"mình\s+là|cháu\s+là|ten(?:\s+(?:toi|em|minh))?\s+la|toi\s+la|"
    r"my\s+name\s+is|i\s+am|i'm)\s+)"
    r"((?:[A-ZÀ-Ỹ][\wÀ-ỹ]*)(?:\s+[A-ZÀ-Ỹ][\wÀ-ỹ]*){0,4})"
)


def _digits(text: str) -> str:
    return "".join(_DIGIT.findall(text))


def is_personal_number(digits: str) -> bool:
    """A phone number (0 + 9–10 digits, or 84 + 9), a 12-digit citizen ID or a 9-digit ID.

    Record-code parts such as "250701 0001" (a date and a sequence) start with 2 and are kept.
    """
    n = len(digits)
    if n == 9:
        return True  # the old 9-digit identity card
    if digits.startswith("84") and n in (11, 12):
        return True
    # mobile and landline numbers, the 12-digit ID, and runs of both
    return digits.startswith("0") and n >= 10


def mask_personal_numbers(text: str) -> str:
    """``text`` with every phone or ID number replaced by ``***``."""

    def mask(match: re.Match[str]) -> str:
        return MASK if is_personal_number(_digits(match.group(0))) else match.group(0)

    return _NUMBER_RUN.sub(mask, text)


def redact_message(text: str) -> str:
    """A message as Rasa may see it when no factor is awaited.

    Phone and ID numbers are masked; and when the message holds a record code, a group of 4
    or 8 digits beside it is taken for its factor ("hồ sơ 000.00.12.H12-250701-0001, số 5678")
    and masked too (the bot then asks for the factor, and protects the reply).
    """
    text = mask_personal_numbers(text)
    if not _CODE_TOKEN.search(text):
        return text

    def mask(match: re.Match[str]) -> str:
        return MASK if len(_digits(match.group(0))) in _FACTOR_LENGTHS else match.group(0)

    return _NUMBER_RUN.sub(mask, text)


def mask_all_numbers(text: str, min_digits: int = 1) -> str:
    """``text`` with every run of at least ``min_digits`` digits replaced by ``***``."""

    def mask(match: re.Match[str]) -> str:
        return MASK if len(_digits(match.group(0))) >= min_digits else match.group(0)

    return _NUMBER_RUN.sub(mask, text)


def mask_names(text: str) -> str:
    """Capitalised words introduced as a name ("tôi là Nguyễn Văn An") become ``***``."""
    return _NAME.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + MASK, text)


def mask_record_codes(text: str) -> str:
    """Record codes keep their head and lose their tail: ``000.00.12.H12-250701-****``."""

    def mask(match: re.Match[str]) -> str:
        token = match.group(0)
        end = token.rstrip(".-")
        return end[: max(0, len(end) - 4)] + "****" + token[len(end) :]

    return _CODE_TOKEN.sub(mask, text)


@dataclass(frozen=True, slots=True)
class FactorReading:
    """What a reply to "the last 4 digits, please" held.

    ``digits`` is the factor (4 digits, or 8: phone and ID together) when the reply had one;
    ``text`` is what may be passed on when it had none (numbers hidden).
    """

    digits: str | None
    text: str


def read_factor(text: str) -> FactorReading:
    """Read a second factor from a reply, without letting any number through otherwise.

    Accepted: "1234", "12 34", "4 số cuối là 1234", "1234 5678" (both factors), and a whole
    phone or ID number (its last 4 digits are the factor). A reply holding a record code
    (letters and digits) is not a factor: phone and ID numbers in it are masked and it passes.
    Any other digits (3 or 5 digits, a date ...) are masked, so a near-miss never reaches Rasa.
    """
    text = unicodedata.normalize("NFKC", text)
    if _CODE_TOKEN.search(text):
        return FactorReading(None, mask_personal_numbers(text))
    runs = [_digits(m.group(0)) for m in _NUMBER_RUN.finditer(text)]
    if not runs:
        return FactorReading(None, text)
    # "4 số cuối là 1234": a single digit counting the digits is not part of the factor
    candidates = [r for r in runs if len(r) > 1] or runs
    parts: list[str] = []
    for run in candidates:
        if len(run) in _FACTOR_LENGTHS:
            parts.append(run)
        elif is_personal_number(run):
            parts.append(run[-4:])
        else:
            parts = []
            break
    factor = "".join(parts)
    if len(factor) in _FACTOR_LENGTHS and len(parts) <= 2:
        return FactorReading(factor, MASK)
    return FactorReading(None, mask_all_numbers(text))


_HELD = "\ue000"  # a private-use character: no digit, no letter, never typed
_MAX_HELD = 64


def public_digits(numbers: Iterable[str | None]) -> frozenset[str]:
    """The digits of public phone numbers (hotlines, service centers), for :func:`scrub`."""
    return frozenset(d for number in numbers if number and len(d := _digits(number)) >= 3)


def scrub(text: str, keep: Collection[str] = ()) -> str:
    """Everything personal hidden: for text kept for staff (handoff notes) or shown in logs.

    Record codes lose their tail; phone and ID numbers, and any group of 4 or 8 digits (what a
    factor looks like), are hidden; names introduced as such are hidden. Amounts
    ("1.500.000 đồng") and procedure codes ("1.004222") are kept, and so is a number whose
    digits are in ``keep`` (:func:`public_digits`: the hotline a staff member gives).
    """
    held: list[str] = []
    if keep:

        def hold(match: re.Match[str]) -> str:
            if _digits(match.group(0)) not in keep or len(held) >= _MAX_HELD:
                return match.group(0)
            held.append(match.group(0))
            return _HELD + chr(0xE100 + len(held) - 1)

        text = _NUMBER_RUN.sub(hold, text)
    text = _scrub(text)
    if not held:
        return text
    return re.sub(
        _HELD + "(.?)",
        lambda m: held[ord(m.group(1)) - 0xE100] if m.group(1) else "",
        text,
    )


def _scrub(text: str) -> str:
    text = mask_record_codes(text)
    text = mask_personal_numbers(text)

    def mask(match: re.Match[str]) -> str:
        return MASK if len(_digits(match.group(0))) in _FACTOR_LENGTHS else match.group(0)

    text = _NUMBER_RUN.sub(mask, text)
    return mask_names(text)

"""Record codes (mã hồ sơ): tolerant parsing into one canonical spelling.

The canonical shape is the one of Thông tư 01/2018/TT-VPCP, article 19:
``V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX`` (receiving agency, received date, 4-digit daily
sequence), e.g. ``000.00.12.H12-250701-0001``. Provincial systems also print shorter agency
codes (``H12.22-250701-0001``) and codes of their own (``HS-2023-000123``), so the parser
accepts any plain code of 10–30 letters and digits with dots or dashes as well.

What people type is forgiven: spaces, lower case, spaces or nothing instead of the dashes,
typographic dashes, and ``O``/``I``/``l`` where a digit must be. What cannot be a code is
rejected with :class:`~helpdesk.errors.RecordCodeDefect` (a ``RecordCodeInvalid``) that says why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from helpdesk.errors import RecordCodeDefect

MAX_CODE_CHARS = 64
PLAIN_MIN_CHARS = 10
PLAIN_MAX_CHARS = 30
EXAMPLE_CODE = "000.00.12.H12-250701-0001"

_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹘﹣－"), "-")
_CONFUSABLE_DIGITS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_ALLOWED = re.compile(r"[A-Za-z0-9.\-\s]")
_DIGITISH = re.compile(r"^[0-9OIL]+$")
_SEPARATORS = re.compile(r"[\s\-]+")
_SPACED_DOT = re.compile(r"\s*\.\s*")
_SEGMENT = re.compile(r"^[A-Z0-9]{1,6}$")
_LETTER_THEN_DIGITS = re.compile(r"^([A-Z])([0-9OIL]+)$")
_PLAIN = re.compile(r"^[A-Z0-9]+(?:[.\-][A-Z0-9]+)*$")
_AGENCY_LETTER_PART = re.compile(r"^[A-Z][0-9OIL]{2}")
_AGENCY_ONLY = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")


class CodeShape(StrEnum):
    """Which family a parsed code belongs to."""

    TT01 = "tt01"
    """Agency code, received date and daily sequence (Thông tư 01/2018/TT-VPCP)."""
    PLAIN = "plain"
    """Any other code a one-stop system prints; kept as typed (upper case, no spaces)."""


@dataclass(frozen=True, slots=True)
class RecordCode:
    """A record code in its canonical spelling, with its parts when it has them."""

    canonical: str
    shape: CodeShape
    agency: str | None = None
    received_on: date | None = None
    sequence: str | None = None

    def __str__(self) -> str:
        return self.canonical


def parse_record_code(text: str) -> RecordCode:
    """Parse what a citizen typed into a canonical record code.

    Args:
        text: The code as typed or pasted, in any case, with or without separators.

    Returns:
        The parsed code; ``canonical`` is the key the record store uses.

    Raises:
        RecordCodeDefect: The text cannot be a record code; ``reason`` and the messages say why.
    """
    if not isinstance(text, str):
        raise _defect("unrecognised")
    stripped = text.strip()
    # Bound the work before any normalisation: a 10 kB paste is rejected at once.
    if len(stripped) > MAX_CODE_CHARS:
        raise _defect("too_long")
    cleaned = _clean(stripped)
    if not cleaned:
        raise _defect("empty")
    if len(cleaned) > MAX_CODE_CHARS:
        raise _defect("too_long")
    for char in cleaned:
        if not _ALLOWED.fullmatch(char):
            raise _defect("invalid_characters", char=char)

    parsed = _parse_normalised(_SPACED_DOT.sub(".", cleaned.upper()))
    if parsed.shape is CodeShape.PLAIN:
        # Removing spaces can make a different shape appear: the canonical spelling must
        # parse to itself, so parse it once more.
        parsed = _parse_normalised(parsed.canonical)
    return parsed


def _parse_normalised(text: str) -> RecordCode:
    tokens = [t for t in _SEPARATORS.split(text) if t]
    if not tokens:
        raise _defect("empty")
    head, rest = tokens[0], tokens[1:]
    if "." in head and _is_tt01_family(head, rest):
        return _parse_tt01(head, rest)
    if "." not in head and len(rest) == 2 and _looks_like_date_and_sequence(rest):
        try:
            return _parse_tt01(head, rest)
        except RecordCodeDefect:
            pass  # not TT01 after all: a system's own code such as XYZ-123456-7890
    return _parse_plain(text)


def _clean(text: str) -> str:
    # Invisible format characters (zero-width spaces) come with copy-paste: drop them.
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return text.strip(" \t\r\n-")


def _is_tt01_family(head: str, rest: list[str]) -> bool:
    """A dotted agency with an M X1X2 part (H12), then digits: strict TT01 checks apply."""
    if not any(_AGENCY_LETTER_PART.match(segment) for segment in head.split(".")):
        return False
    if rest:
        return all(_DIGITISH.match(t) for t in rest)
    last = head.rsplit(".", 1)[-1]
    return len(last) >= 11 and bool(_DIGITISH.match(last[-10:]))


def _looks_like_date_and_sequence(rest: list[str]) -> bool:
    date_part, sequence = rest
    return (
        len(date_part) == 6
        and len(sequence) == 4
        and bool(_DIGITISH.match(date_part) and _DIGITISH.match(sequence))
    )


def _parse_tt01(head: str, rest: list[str]) -> RecordCode:
    if len(rest) > 2:
        raise _defect("unrecognised")
    if len(rest) == 2:
        agency, date_part, sequence = head, rest[0], rest[1]
    elif len(rest) == 1:
        tail = rest[0]
        if len(tail) >= 7:  # date and sequence typed together: 2507010001
            agency, date_part, sequence = head, tail[:6], tail[6:]
        elif len(head.rsplit(".", 1)[-1]) >= 7:  # agency and date together: H12250701
            agency, date_part, sequence = head[:-6], head[-6:], tail
        else:  # 250701 with no sequence, or 0001 with no date
            raise _defect("missing_parts")
    else:  # everything together: 000.00.12.H122507010001
        agency, date_part, sequence = head[:-10], head[-10:-4], head[-4:]

    agency = _normalise_agency(agency)
    date_part = date_part.translate(_CONFUSABLE_DIGITS)
    sequence = sequence.translate(_CONFUSABLE_DIGITS)
    if len(date_part) != 6 or not date_part.isdigit():
        raise _defect("bad_date")
    if len(sequence) != 4 or not sequence.isdigit():
        raise _defect("bad_sequence", got=len(sequence))
    try:
        received_on = date(2000 + int(date_part[:2]), int(date_part[2:4]), int(date_part[4:]))
    except ValueError:
        raise _defect("impossible_date", date=date_part) from None
    return RecordCode(
        canonical=f"{agency}-{date_part}-{sequence}",
        shape=CodeShape.TT01,
        agency=agency,
        received_on=received_on,
        sequence=sequence,
    )


def _normalise_agency(agency: str) -> str:
    segments = agency.split(".")
    if not 1 <= len(segments) <= 6 or not all(_SEGMENT.match(s) for s in segments):
        raise _defect("bad_agency")
    fixed: list[str] = []
    for segment in segments:
        if _DIGITISH.match(segment):  # a numeric position: OOO → 000
            fixed.append(segment.translate(_CONFUSABLE_DIGITS))
        elif m := _LETTER_THEN_DIGITS.match(segment):  # M X1X2: HI2 → H12
            fixed.append(m.group(1) + m.group(2).translate(_CONFUSABLE_DIGITS))
        else:
            fixed.append(segment)
    return ".".join(fixed)


def _parse_plain(text: str) -> RecordCode:
    # Spaces inside a plain code are typing noise; dots and dashes belong to the code.
    compact = re.sub(r"\s+", "", text)
    if _AGENCY_ONLY.match(compact):
        raise _defect("missing_parts")
    if len(compact) < PLAIN_MIN_CHARS:
        raise _defect("too_short")
    if len(compact) > PLAIN_MAX_CHARS or not _PLAIN.match(compact):
        raise _defect("unrecognised")
    if not any(c.isdigit() for c in compact):
        raise _defect("unrecognised")
    return RecordCode(canonical=compact, shape=CodeShape.PLAIN)


_DETAILS: dict[str, dict[str, object]] = {
    "too_long": {"limit": MAX_CODE_CHARS},
    "missing_parts": {"example": EXAMPLE_CODE},
    "too_short": {"minimum": PLAIN_MIN_CHARS},
    "unrecognised": {"example": EXAMPLE_CODE},
}
"""The constants each reason's message names (``helpdesk/messages.yml``)."""


def _defect(reason: str, **details: object) -> RecordCodeDefect:
    return RecordCodeDefect(reason, **_DETAILS.get(reason, {}), **details)

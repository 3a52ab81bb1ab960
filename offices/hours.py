"""When a service center's staff are at their desks: are they now, and when are they next.

Hours come from the install's own ``staff_hours`` setting when it is set and can be read,
then from the province's contact data (``opening_hours`` of its center in
``offices/data/service-centers/<code>.yaml``, e.g. "7:00–11:30 và 13:30–17:00, thứ Hai đến
thứ Sáu") when the install names a province and that text can be read; otherwise from the
hotline's hours in the settings (``hotline_opens``–``hotline_closes``, Monday to Friday).
:attr:`OfficeHours.source` says which was used. Times are Vietnam time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from store.status import VN_TZ

WEEKDAYS = ("thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "chủ nhật")
MONDAY_TO_FRIDAY = frozenset(range(5))
_PERIOD = re.compile(r"(\d{1,2})\s*[:hg]\s*(\d{2})\s*[–—-]\s*(\d{1,2})\s*[:hg]\s*(\d{2})")
Source = Literal["install", "province", "settings"]
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """The periods staff work each open day, and the days (0 is Monday)."""

    periods: tuple[tuple[time, time], ...]
    weekdays: frozenset[int]
    source: Source

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` (timezone-aware) falls in a working period."""
        local = moment.astimezone(VN_TZ)
        if local.weekday() not in self.weekdays:
            return False
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self.periods)

    def next_opening(self, moment: datetime) -> datetime:
        """The start of the next working period after ``moment`` (Vietnam time)."""
        local = moment.astimezone(VN_TZ)
        for days in range(8):
            day = (local + timedelta(days=days)).date()
            if day.weekday() not in self.weekdays:
                continue
            for start, _ in self.periods:
                opening = datetime.combine(day, start, tzinfo=VN_TZ)
                if opening > local:
                    return opening
        raise ValueError("office hours with no working period")


def _clock(value: str) -> time:
    found = _CLOCK.match(value.strip())
    if found is None:
        raise ValueError(f"not a time of day (H:MM): {value!r}")
    return time(int(found.group(1)), int(found.group(2)))


def parse_opening_hours(value: str) -> tuple[tuple[tuple[time, time], ...], frozenset[int]]:
    """The periods and days of an ``opening_hours`` text; days default to Monday–Friday.

    "7:00–11:30 và 13:30–17:00, thứ Hai đến thứ Sáu" gives two periods, Monday to Friday;
    "7:30–17:00, thứ Hai đến thứ Bảy" one period, Monday to Saturday.

    Raises:
        ValueError: No period (start–end) can be read, or one ends before it starts.
    """
    periods = []
    for match in _PERIOD.finditer(value):
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"not a time of day: {match.group(0)!r}")
        start = time(h1, m1)
        end = time.max if h2 == 24 else time(h2, m2)  # "24:00": to the end of the day
        if end <= start:
            raise ValueError(f"a period that ends before it starts: {match.group(0)!r}")
        periods.append((start, end))
    if not periods:
        raise ValueError(f"no opening period in {value!r}")
    lower = value.lower()
    named = sorted(
        (lower.index(name), number) for number, name in enumerate(WEEKDAYS) if name in lower
    )
    days = MONDAY_TO_FRIDAY
    if len(named) >= 2 and ("đến" in lower or "-" in lower or "–" in lower):
        first, last = named[0][1], named[-1][1]
        days = frozenset(range(first, last + 1)) if first <= last else MONDAY_TO_FRIDAY
    return tuple(sorted(periods)), days


def office_hours(
    opens: str,
    closes: str,
    province_hours: str | None = None,
    staff_hours: str | None = None,
) -> OfficeHours:
    """The hours to use: the install's ``staff_hours`` if set and readable, else the
    province's text if it reads, else ``opens``–``closes`` Monday to Friday.

    Args:
        opens: ``settings.hotline_opens`` ("7:30").
        closes: ``settings.hotline_closes`` ("17:00").
        province_hours: The ``opening_hours`` of the province's center, if any.
        staff_hours: ``settings.staff_hours``, if any.
    """
    given: tuple[tuple[str | None, Source], ...] = (
        (staff_hours, "install"),
        (province_hours, "province"),
    )
    for text, source in given:
        if not text:
            continue
        try:
            periods, days = parse_opening_hours(text)
        except ValueError:
            continue
        return OfficeHours(periods, days, source)
    return OfficeHours(((_clock(opens), _clock(closes)),), MONDAY_TO_FRIDAY, "settings")

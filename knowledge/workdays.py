"""Working-day arithmetic for expected result dates (Vietnamese public holidays, Tết included).

Processing times are counted in working days: Saturdays, Sundays and public holidays (from
the ``holidays`` package, which follows the lunar calendar for Tết and Hùng Kings' day) do
not count. An application received after the same-day cut-off hour, or on a day off, starts
on the next working day.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from knowledge.model import ProcessingTime, TimeUnit


@lru_cache(maxsize=8)
def _vietnam(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=range(year - 1, year + 3))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _vietnam(day.year)


def holiday_name(day: date) -> str | None:
    name = _vietnam(day.year).get(day)
    return str(name) if name else None


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def first_working_day(day: date) -> date:
    """``day`` itself if it is a working day, else the next one."""
    return day if is_working_day(day) else next_working_day(day)


def add_working_days(start: date, days: int) -> date:
    """The working day ``days`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    for _ in range(days):
        day = next_working_day(day)
    return day


def expected_date(time: ProcessingTime, received: datetime) -> date:
    """When the result is due for an application received at ``received``.

    Same-day procedures are ready the day they are received, or on the next working day when
    received after the cut-off hour or on a day off. Working-day limits count from the first
    working day on which the application is handled.
    """
    day = received.date()
    late = time.cutoff_hour is not None and received.hour >= time.cutoff_hour
    if time.unit is TimeUnit.SAME_DAY:
        return next_working_day(day) if late or not is_working_day(day) else day
    value = math.ceil(time.value or 0)
    if time.unit is TimeUnit.DAYS:
        return day + timedelta(days=value)
    if time.unit is TimeUnit.HOURS:
        # a few working hours: ready the same working day, or the next one
        start = first_working_day(day)
        return start if start == day and received.hour + value <= 17 else next_working_day(start)
    start = first_working_day(day)
    return add_working_days(start, value)

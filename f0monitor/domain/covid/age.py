"""Age in completed years and months on a local day, as the rules count it."""

from __future__ import annotations

from datetime import date, datetime

from .rules import VN_TZ


def age_on(date_of_birth: date, on: date) -> tuple[int, int]:
    """Return (completed years, completed months in total) of a person born on date_of_birth.

    A monthly birthday that does not exist (29 February, the 31st) falls on the 1st of the
    next month. Raises ValueError when ``on`` is before the date of birth.
    """
    if on < date_of_birth:
        raise ValueError("date is before the date of birth")
    months = (on.year - date_of_birth.year) * 12 + on.month - date_of_birth.month
    if on.day < date_of_birth.day:
        months -= 1
    return months // 12, months


def _local_date(moment: datetime) -> date:
    return moment.astimezone(VN_TZ).date()

"""§1 report time (VN-2022.2): which device times a report may carry. Pure, never raises.

A report's ``reported_at`` comes from the device's clock, which may be wrong. One function
decides, for every entry point (the patient's form and API, the staff entry, the calculator):

- before the date of birth (on the Vietnam calendar): ``"before_birth"``, always refused;
- more than ``REPORT_FUTURE_MINUTES`` after the server's clock: ``"future"``, always refused;
- more than ``REPORT_PAST_HOURS`` before it: ``"too_old"``, refused for a stored report only
  (an older one is entered by staff as a note); the calculator may ask about any past moment.

A naive time is read as Vietnam time (as the API reads an ISO time without an offset).
Times at the edges of ``datetime`` (year 1, year 9999 with an offset) cannot be converted
to UTC; they are answered, never raised.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from .rules import REPORT_FUTURE, REPORT_PAST, VN_TZ

PROBLEMS = ("before_birth", "future", "too_old")


def report_time_problem(
    reported_at: datetime, date_of_birth: date | None, now: datetime, *, stored: bool = True
) -> str | None:
    """Return why a report time is refused (one of ``PROBLEMS``), or None when it may be used.

    ``now`` is the server's clock (aware). ``stored`` is False for the calculator, which
    refuses only a time before birth or in the future.
    """
    moment = reported_at if reported_at.utcoffset() is not None else reported_at.replace(tzinfo=VN_TZ)
    try:
        utc = moment.astimezone(UTC)
        local_day = utc.astimezone(VN_TZ).date()
    except OverflowError:
        # Only the first and last hours of the datetime range get here.
        return "future" if moment.year > now.year else "before_birth"
    if date_of_birth is not None and local_day < date_of_birth:
        return "before_birth"
    if utc > now + REPORT_FUTURE:
        return "future"
    if stored and utc < now - REPORT_PAST:
        return "too_old"
    return None


def counts_as_newest(reported_at: datetime, now: datetime) -> bool:
    """Whether a stored report's time may set the patient's current tier (not in the future).

    Reports stored before VN-2022.2 refused bad device clocks may lie in the future; such a
    report must not freeze the tier: the newest report at or before ``now`` plus the
    tolerance sets it.
    """
    try:
        return reported_at <= now + REPORT_FUTURE
    except (OverflowError, TypeError):
        return False

"""One clock for the whole app, and the conversions between UTC and Vietnamese local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")  # Asia/Ho_Chi_Minh has had no DST since 1975


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def local_date(moment: datetime) -> date:
    """Return the calendar date in Vietnam of an aware instant."""
    return moment.astimezone(VN_TZ).date()


def today_local(now: datetime | None = None) -> date:
    """Return today's date in Vietnam."""
    return local_date(now or utcnow())


def slot_of(moment: datetime) -> str:
    """Return "morning" or "afternoon": the two daily reports of the Ministry's guidance."""
    return "morning" if moment.astimezone(VN_TZ).hour < 12 else "afternoon"


def next_report_due(last_report_at: datetime | None, now: datetime) -> datetime:
    """Return when the next report is due: 08:00 for the morning, 16:00 for the afternoon."""
    local_now = now.astimezone(VN_TZ)
    day = local_now.date()
    morning = datetime(day.year, day.month, day.day, 8, tzinfo=VN_TZ)
    afternoon = datetime(day.year, day.month, day.day, 16, tzinfo=VN_TZ)
    last = last_report_at.astimezone(VN_TZ) if last_report_at else None
    if last is None or last < morning.replace(hour=0):
        # Nothing today yet: the morning report is due (now, if it is past 08:00).
        return max(morning, local_now) if local_now < afternoon else local_now
    if last.hour < 12:
        return afternoon if local_now < afternoon else local_now
    return morning + timedelta(days=1)

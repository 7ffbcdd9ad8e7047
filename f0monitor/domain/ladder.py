"""The reminder and escalation ladder: every delay in one table, beside the rule table.

Standard library only; every function is pure (the caller hands in every instant).

Each report slot (08:00 and 16:00 Asia/Ho_Chi_Minh, ``clock.next_report_due``) climbs the
same ladder for a patient under home treatment who has not reported in it:

1. ``REMINDER``          ``REMINDER_BEFORE`` before the slot is due, on the first chosen channel;
2. ``SECOND_REMINDER``   ``SECOND_REMINDER_AFTER`` after the slot is due, on another channel;
3. ``CALL_TASK``         once the patient is overdue (``covid.OVERDUE_AFTER`` since the last
                         report), and not before the second reminder: a call task for the
                         area's callers;
4. ``COORDINATOR_ALERT`` once the patient is missing (``covid.MISSING_AFTER``): a message to the
                         ward's coordinator (once per lapse, not per slot).

A report in the slot stops steps 1–3 of that slot at once; any report stops step 4. Reminders
wait out the patient's quiet hours (21:00–07:00 unless they chose others); escalations to
staff, call tasks and warning-sign advice never wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from .clock import VN_TZ
from .covid.rules import MISSING_AFTER, OVERDUE_AFTER


class Step(StrEnum):
    REMINDER = "reminder"
    SECOND_REMINDER = "second_reminder"
    CALL_TASK = "call_task"
    COORDINATOR_ALERT = "coordinator_alert"


class Anchor(StrEnum):
    SLOT_DUE = "slot_due"  # the slot's due time (08:00 or 16:00 local)
    LAST_REPORT = "last_report"  # the last report (or the registration when none)


@dataclass(frozen=True, slots=True)
class Rung:
    step: Step
    anchor: Anchor
    delay: timedelta  # after the anchor (negative: before)
    held_by_quiet_hours: bool


REMINDER_BEFORE = timedelta(minutes=30)
SECOND_REMINDER_AFTER = timedelta(hours=2)

# THE table. Order matters: a rung is never due before the one above it.
LADDER: tuple[Rung, ...] = (
    Rung(Step.REMINDER, Anchor.SLOT_DUE, -REMINDER_BEFORE, True),
    Rung(Step.SECOND_REMINDER, Anchor.SLOT_DUE, SECOND_REMINDER_AFTER, True),
    Rung(Step.CALL_TASK, Anchor.LAST_REPORT, OVERDUE_AFTER, False),
    Rung(Step.COORDINATOR_ALERT, Anchor.LAST_REPORT, MISSING_AFTER, False),
)
RUNGS = {r.step: r for r in LADDER}

SLOT_TIMES: dict[str, time] = {"morning": time(8, 0), "afternoon": time(16, 0)}
DEFAULT_QUIET_HOURS = ("21:00", "07:00")


@dataclass(frozen=True, slots=True)
class Slot:
    """One report slot: its local day, name and due instant."""

    day: date
    name: str  # morning | afternoon

    @property
    def due(self) -> datetime:
        return datetime.combine(self.day, SLOT_TIMES[self.name], tzinfo=VN_TZ)

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}:{self.name}"

    @property
    def window(self) -> tuple[datetime, datetime]:
        """The instants whose reports count for this slot (``clock.slot_of``: noon splits)."""
        start = datetime.combine(self.day, time(0 if self.name == "morning" else 12), tzinfo=VN_TZ)
        return start, start + timedelta(hours=12)


def current_slot(now: datetime) -> Slot:
    """The slot whose ladder runs at ``now``: from its first reminder to the next slot's."""
    local = now.astimezone(VN_TZ)
    lead = -RUNGS[Step.REMINDER].delay
    for day in (local.date() + timedelta(days=1), local.date(), local.date() - timedelta(days=1)):
        for name in ("afternoon", "morning"):
            slot = Slot(day, name)
            if slot.due - lead <= local:
                return slot
    raise AssertionError("unreachable")  # pragma: no cover


def rung_time(rung: Rung, slot: Slot, since: datetime) -> datetime:
    """When a rung of a slot falls due; never before the rung above it."""
    own = (slot.due if rung.anchor is Anchor.SLOT_DUE else since) + rung.delay
    index = LADDER.index(rung)
    if index == 0:
        return own
    return max(own, rung_time(LADDER[index - 1], slot, since))


def due_steps(slot: Slot, since: datetime, now: datetime) -> tuple[Step, ...]:
    """The steps of a slot due at ``now`` for a patient silent since ``since``."""
    return tuple(r.step for r in LADDER if rung_time(r, slot, since) <= now)


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, quiet_hours: tuple[str, str] = DEFAULT_QUIET_HOURS) -> datetime | None:
    """The end of the quiet hours when ``now`` is inside them, else None."""
    start, end = parse_hhmm(quiet_hours[0]), parse_hhmm(quiet_hours[1])
    local = now.astimezone(VN_TZ)
    t = local.time()
    if start == end:
        return None
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=VN_TZ)


def other_channel(chosen: tuple[str, ...], first: str) -> str:
    """The channel of the second reminder: the next one the patient chose, else the other
    phone channel (SMS ↔ Zalo), so that it really goes another way."""
    for channel in chosen:
        if channel != first:
            return channel
    return "zalo" if first == "sms" else "sms"


# Back-off of failed sends (timeouts, provider errors, rate limits): attempt n waits
# RETRY_BASE * 2**(n-1), at most RETRY_MAX; after MAX_ATTEMPTS the message is reported failed.
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(minutes=30)
MAX_ATTEMPTS = 6


def retry_delay(attempts: int, retry_after: float | None = None) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (a provider's Retry-After
    is honoured when longer)."""
    delay = min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay

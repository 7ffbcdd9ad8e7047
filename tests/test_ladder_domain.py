"""The ladder table and its pure functions (domain.ladder)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from f0monitor.domain import ladder
from f0monitor.domain.clock import VN_TZ
from f0monitor.domain.ladder import Slot, Step


def at(h, m=0, day=2):
    return datetime(2026, 12, day, h, m, tzinfo=VN_TZ)


def test_the_current_slot_starts_with_its_first_reminder():
    assert ladder.current_slot(at(7, 29)) == Slot(date(2026, 12, 1), "afternoon")
    assert ladder.current_slot(at(7, 30)) == Slot(date(2026, 12, 2), "morning")
    assert ladder.current_slot(at(15, 29)) == Slot(date(2026, 12, 2), "morning")
    assert ladder.current_slot(at(15, 30)) == Slot(date(2026, 12, 2), "afternoon")
    assert ladder.current_slot(at(23, 59)) == Slot(date(2026, 12, 2), "afternoon")


def test_the_steps_climb_in_order():
    slot = Slot(date(2026, 12, 2), "morning")
    since = at(16, day=1)  # the afternoon report of the day before
    assert ladder.due_steps(slot, since, at(7, 29)) == ()
    assert ladder.due_steps(slot, since, at(7, 30)) == (Step.REMINDER,)
    # overdue since 04:00 already, but the call waits for the second reminder at 10:00
    assert ladder.due_steps(slot, since, at(9, 59)) == (Step.REMINDER,)
    assert ladder.due_steps(slot, since, at(10)) == (Step.REMINDER, Step.SECOND_REMINDER, Step.CALL_TASK)
    assert Step.COORDINATOR_ALERT not in ladder.due_steps(slot, since, at(15, 59))
    assert ladder.due_steps(slot, since, at(16))[-1] == Step.COORDINATOR_ALERT


def test_a_late_report_pushes_the_call_task_back():
    slot = Slot(date(2026, 12, 2), "morning")
    since = at(2, day=2)  # reported at 02:00 (counts for the morning slot, see slot_of)
    assert Step.CALL_TASK not in ladder.due_steps(slot, since, at(13, 59))
    assert Step.CALL_TASK in ladder.due_steps(slot, since, at(14))


def test_quiet_hours():
    assert ladder.quiet_until(at(21)) == at(7, day=3)
    assert ladder.quiet_until(at(6, 59)) == at(7)
    assert ladder.quiet_until(at(7)) is None
    assert ladder.quiet_until(at(20, 59)) is None
    assert ladder.quiet_until(at(13), ("12:00", "14:00")) == at(14)
    assert ladder.quiet_until(at(7, 30), ("22:00", "08:00")) == at(8)


def test_the_second_reminder_goes_another_way():
    assert ladder.other_channel(("sms",), "sms") == "zalo"
    assert ladder.other_channel(("zalo",), "zalo") == "sms"
    assert ladder.other_channel(("email", "sms"), "email") == "sms"


def test_back_off_doubles_and_is_capped():
    assert ladder.retry_delay(1) == timedelta(seconds=30)
    assert ladder.retry_delay(3) == timedelta(minutes=2)
    assert ladder.retry_delay(20) == ladder.RETRY_MAX
    assert ladder.retry_delay(1, retry_after=600) == timedelta(minutes=10)

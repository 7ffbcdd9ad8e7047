"""Running the reminder and escalation ladder (``domain.ladder``) over every patient.

``tick`` is what the job queue runs every minute; it is idempotent (every step it takes has a
key: the outbox's (patient, purpose, slot), the call task's (patient, reason, key)), so a second
consumer's tick, a retried job or a late one never repeats a step. It works in set-based
batches: one slot's reminders for 300,000 patients are a handful of INSERTs.

A report stops the ladder at once without a statement of its own: the sender checks a
reminder against the patient's last report before it goes, the worklist hides a missed-report
task once a report came after it, and every tick's ``sweep_reported`` records the stop (queued
reminders cancelled, due missed-report tasks closed; a task a caller has already claimed is
left to that caller).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data import bulk
from ..data.models import CallTask, OutboxMessage, Patient, ReminderPreference, User
from ..domain import ladder
from ..domain.ladder import Slot, Step
from ..domain.states import (
    CallReason,
    CallState,
    FollowUpChannel,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    PatientStatus,
    Role,
)
from ..domain.text import N_, Msg
from . import calls, preferences, texts

CHUNK = 5000
P = Patient.__table__
O = OutboxMessage.__table__  # noqa: E741

SLOT_LABELS = {"morning": N_("morning"), "afternoon": N_("afternoon")}


def reminder_text(step: Step, slot: Slot) -> Msg:
    """The text of a reminder: no name, no health data (an SMS may be read by others)."""
    label = Msg(SLOT_LABELS[slot.name])
    due = slot.due.strftime("%H:%M")
    if step is Step.REMINDER:
        return Msg("f0monitor: your %(slot)s health report is due at %(time)s. Report in the app "
                   "or reply to this SMS. Reply STOP to stop reminders.", slot=label, time=due)
    return Msg("f0monitor: we have not received your %(slot)s health report yet. Please report "
               "now; if you feel worse, call 115 or your ward health station.", slot=label)


def escalation_text(patient_id: int, ward_code: int, hours: int) -> Msg:
    return Msg("f0monitor: patient no. %(number)s (ward %(ward)s) has not reported for %(hours)s hours. "
               "Please check on them today.", number=patient_id, ward=ward_code, hours=hours)


@dataclass
class TickResult:
    slot: str
    reminders: int = 0
    second_reminders: int = 0
    call_tasks: int = 0
    escalations: int = 0
    stopped: int = 0  # queued reminders and due call tasks of patients who have reported since
    steps: dict[str, int] = field(default_factory=dict)


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> list[str]:
    """Write the rows whose (patient, purpose, slot) is new; return the slots written.

    Counted from RETURNING: an executemany's rowcount is -1 on psycopg (its "insertmanyvalues"
    batches), which made every tick on PostgreSQL report 0 reminders for rows it had written.
    On PostgreSQL a batch is one INSERT … SELECT FROM unnest (``data.bulk``).
    """
    written: list[str] = []
    for start in range(0, len(rows), CHUNK):
        written.extend(r.slot for r in bulk.insert_ignoring_conflicts(
            session.connection(), O, rows[start : start + CHUNK],
            conflict=("patient_id", "purpose", "slot"), returning=("slot",)))
    return written


def _silent_patients(session: Session, slot: Slot) -> Iterable[Sequence[Any]]:
    """Active, not opted-out patients with no report in the slot, registered before it was
    due, who are not on phone follow-up; in batches of (id, phone, locale, last_report_at,
    registered_at, ward, province, follow_up_channel).

    A patient on ``phone`` follow-up gets no reminder and no missed-report call from the
    ladder: their step is the slot's phone-round call (``services.callrounds.open_phone_rounds``,
    opened when a caller's worklist is refreshed), so they are due for a call, not overdue
    in an app they do not use. The coordinators' alert after a long silence still covers them.
    """
    start, _end = slot.window
    optout = sa.select(ReminderPreference.patient_id).where(ReminderPreference.opted_out.is_(True))
    query = (
        sa.select(P.c.id, P.c.phone, User.__table__.c.locale, P.c.last_report_at, P.c.registered_at,
                  P.c.ward_code, P.c.province_code, P.c.follow_up_channel)
        .select_from(P.outerjoin(User.__table__, User.__table__.c.id == P.c.user_id))
        .where(
            P.c.status == PatientStatus.ACTIVE,
            sa.or_(P.c.last_report_at.is_(None), P.c.last_report_at < start),
            P.c.registered_at <= slot.due,
            P.c.follow_up_channel != FollowUpChannel.PHONE,
            P.c.id.not_in(optout),
        )
        .order_by(P.c.id)
    )
    last = 0
    while True:
        rows = session.execute(query.where(P.c.id > last).limit(CHUNK)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _existing_slots(session: Session, ids: Sequence[int], purpose: str, slots: Iterable[str]) -> set[tuple[int, str]]:
    found = session.execute(
        sa.select(O.c.patient_id, O.c.slot).where(
            bulk.any_of(O.c.patient_id, ids, bulk.dialect_of(session)), O.c.purpose == purpose,
            O.c.slot.in_(list(slots)),
        )
    )
    return {(r.patient_id, r.slot) for r in found}


def tick(
    session: Session, *, now: datetime, slot: Slot | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> TickResult:
    """Take every ladder step due at ``now`` (flushes; the job runner commits).

    ``checkpoint`` (the job runner's commit) is called after each batch of patients, so that a
    burst of 300,000 reminders never holds the database's write lock for long and the sender
    can start on the first batches while the next are written.
    """
    slot = slot or ladder.current_slot(now)
    result = TickResult(slot.key)
    rung = {r.step: r for r in ladder.LADDER}
    first_due = ladder.rung_time(rung[Step.REMINDER], slot, now) <= now
    second_due = ladder.rung_time(rung[Step.SECOND_REMINDER], slot, now) <= now
    rendered: dict[tuple[Step, str], str] = {}
    quiet: dict[tuple[str, str], datetime] = {}

    def held_until(hours: tuple[str, str]) -> datetime:
        if hours not in quiet:
            quiet[hours] = ladder.quiet_until(now, hours) or now
        return quiet[hours]

    def text(step: Step, locale: str) -> str:
        if (step, locale) not in rendered:
            rendered[step, locale] = texts.render(reminder_text(step, slot), locale)
        return rendered[step, locale]

    for batch in _silent_patients(session, slot):
        ids = [r.id for r in batch]
        prefs = preferences.many(session, ids)
        rows: list[dict[str, Any]] = []
        for step, suffix, is_due in ((Step.REMINDER, "1", first_due), (Step.SECOND_REMINDER, "2", second_due)):
            if not is_due:
                continue
            key = f"{slot.key}:{suffix}"
            have = _existing_slots(session, ids, MessagePurpose.REMINDER, [key])
            for r in batch:
                if (r.id, key) in have:
                    continue
                pref = prefs[r.id]
                channel = pref.channels[0]
                if step is Step.SECOND_REMINDER:
                    channel = ladder.other_channel(pref.channels, channel)
                if r.follow_up_channel == FollowUpChannel.SMS:
                    # followed by SMS from a feature phone: both reminders go by SMS
                    channel = MessageChannel.SMS
                address = pref.email if channel == MessageChannel.EMAIL else r.phone
                if not address:
                    channel, address = MessageChannel.SMS, r.phone
                locale = texts.locale_of(r.locale)
                rows.append({
                    "patient_id": r.id, "purpose": MessagePurpose.REMINDER, "slot": key,
                    "channel": channel, "recipient": address, "recipient_user_id": None,
                    "locale": locale, "text": text(step, locale), "status": MessageStatus.QUEUED,
                    "attempts": 0, "next_attempt_at": held_until(pref.quiet_hours),
                    "created_at": now,
                })
        written = _insert_ignoring_duplicates(session, rows)
        firsts = sum(1 for key in written if key.endswith(":1"))
        result.reminders += firsts
        result.second_reminders += len(written) - firsts
        result.call_tasks += _call_tasks(session, batch, slot, now)
        if checkpoint is not None:
            checkpoint()
    result.stopped = sweep_reported(session, now=now)
    result.escalations = _escalations(session, now)
    result.steps = {"reminder": result.reminders, "second_reminder": result.second_reminders,
                    "call_task": result.call_tasks, "coordinator_alert": result.escalations}
    session.flush()
    return result


def _call_tasks(session: Session, batch: Sequence[Any], slot: Slot, now: datetime) -> int:
    rung = ladder.RUNGS[Step.CALL_TASK]
    # The rungs above it are anchored on the slot: when they are not due, no one's call is; else
    # a patient's call is due once they have been silent for the rung's delay.
    if ladder.rung_time(rung, slot, now - rung.delay) > now:
        return 0
    limit = now - rung.delay
    due = [r for r in batch if (r.last_report_at or r.registered_at) <= limit]
    if not due:
        return 0
    have = set(session.scalars(
        sa.select(CallTask.patient_id).where(
            bulk.any_of(CallTask.patient_id, [r.id for r in due], bulk.dialect_of(session)),
            CallTask.reason == CallReason.MISSED_REPORT,
            sa.or_(CallTask.key == slot.key, CallTask.state.in_((CallState.DUE, CallState.CLAIMED))),
        )
    ))
    opened = 0
    for r in due:
        if r.id in have:
            continue
        patient = session.get(Patient, r.id)
        task = calls.open_task(session, patient=patient, reason=CallReason.MISSED_REPORT, now=now,
                               key=slot.key)
        opened += task.created_at == now and task.key == slot.key
    return opened


def coordinators_for(session: Session, province_code: int, ward_code: int) -> list[User]:
    """The coordinators of a ward: those naming it, else the province's without wards."""
    staff = list(session.scalars(
        sa.select(User).where(User.role == Role.COORDINATOR, User.is_active_account.is_(True),
                              User.province_code == province_code).order_by(User.id)
    ))
    named = [u for u in staff if ward_code in (u.ward_codes or [])]
    return named or [u for u in staff if not u.ward_codes]


def _escalations(session: Session, now: datetime) -> int:
    """One message per lapse to the ward's coordinators for every missing patient."""
    rung = ladder.RUNGS[Step.COORDINATOR_ALERT]
    limit = now - rung.delay
    optout = sa.select(ReminderPreference.patient_id).where(ReminderPreference.opted_out.is_(True))
    rows = session.execute(
        sa.select(P.c.id, P.c.last_report_at, P.c.registered_at, P.c.ward_code, P.c.province_code)
        .where(P.c.status == PatientStatus.ACTIVE, P.c.id.not_in(optout),
               sa.func.coalesce(P.c.last_report_at, P.c.registered_at) <= limit)
    ).all()
    if not rows:
        return 0
    hours = int(rung.delay.total_seconds() // 3600)
    cache: dict[tuple[int, int], list[User]] = {}
    made = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        lapse = {r.id: "missing:" + (r.last_report_at or r.registered_at).strftime("%Y%m%dT%H%M") for r in chunk}
        have = {
            (pid, s.rsplit(":", 1)[0])
            for pid, s in session.execute(
                sa.select(O.c.patient_id, O.c.slot).where(
                    bulk.any_of(O.c.patient_id, lapse, bulk.dialect_of(session)),
                    O.c.purpose == MessagePurpose.ESCALATION,
                )
            )
        }
        out: list[dict[str, Any]] = []
        for r in chunk:
            if (r.id, lapse[r.id]) in have:
                continue
            area = (r.province_code, r.ward_code)
            if area not in cache:
                cache[area] = coordinators_for(session, *area)
            for user in cache[area]:
                locale = texts.locale_of(user.locale)
                out.append({
                    "patient_id": r.id, "purpose": MessagePurpose.ESCALATION,
                    "slot": f"{lapse[r.id]}:u{user.id}", "channel": MessageChannel.SMS,
                    "recipient": user.phone, "recipient_user_id": user.id, "locale": locale,
                    "text": texts.render(escalation_text(r.id, r.ward_code, hours), locale),
                    "status": MessageStatus.QUEUED, "attempts": 0, "next_attempt_at": now,
                    "created_at": now,
                })
        made += len(_insert_ignoring_duplicates(session, out))
    return made


def sweep_reported(session: Session, *, now: datetime) -> int:
    """Record that the ladder stopped for every patient who has reported since its step.

    Nothing of the ladder reaches a patient after their report whether or not this has run:
    the sender checks ``last_report_at`` against a reminder's slot before it goes
    (``services.delivery``), and the worklist hides a missed-report task once a report came
    after it (``services.callrounds``). This makes it visible (the outbox and the timeline
    say "cancelled: reported") within the minute, in two set-based statements per tick,
    instead of two more statements in every stored report (tests/test_statements.py).
    """
    def reported_after(patient_id: Any, created_at: Any) -> sa.ColumnElement[bool]:
        return sa.exists().where(P.c.id == patient_id, P.c.last_report_at > created_at)

    cancelled = session.execute(
        sa.update(O)
        .where(O.c.status == MessageStatus.QUEUED, O.c.purpose == MessagePurpose.REMINDER,
               O.c.recipient_user_id.is_(None), reported_after(O.c.patient_id, O.c.created_at))
        .values(status=MessageStatus.CANCELLED, error="reported")
    ).rowcount or 0
    closed = session.execute(
        sa.update(CallTask)
        .where(CallTask.reason == CallReason.MISSED_REPORT, CallTask.state == CallState.DUE,
               reported_after(CallTask.patient_id, CallTask.created_at))
        .values(state=CallState.CANCELLED, outcome="reported", closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount or 0
    return max(cancelled, 0) + max(closed, 0)

"""Call rounds: the worklist of patients to ring, "next patient", and what came of each call.

Built on ``services.calls`` (the ``CallTask`` rows and ``open_task``, the one way a task is
opened). Tasks come from the escalation ladder (``missed_report``), unreadable SMS check-ins
(``unreadable_sms``), patients who asked for a call (``wants_call``) and, here, the phone
rounds: a patient on ``phone`` follow-up who has not reported since the last report slot
(08:00 or 16:00, Vietnam time) is due for a call (``phone_round``, one task per slot).

- **Order**: open alert first, then tier (red → green, unassessed last), then the longest
  overdue (``due_at``), then the oldest task.
- **Claiming** is a conditional UPDATE (``state`` still claimable, and no other live claim
  on the same patient), preceded on PostgreSQL by ``SELECT … FOR UPDATE SKIP LOCKED`` so that
  concurrent callers skip each other's candidates instead of queueing on them: two callers
  never ring the same person. A claim left for ``CLAIM_TIMEOUT`` (a caller who walked away)
  can be taken by someone else.
- **Outcomes**: ``reached`` (with the answers: a report stored by the one submission path,
  channel ``phone``, scored, perhaps alerting), ``refused``, ``wrong_number`` and
  ``no_answer``. No answer is retried after ``RETRY_AFTER`` (30 minutes, then 2 hours); after
  the third unanswered call, or a wrong number, the ward health station is told: a message
  to the ward's coordinators in the outbox, and the task stays visible as unreachable.
  Every call is a ``ContactLog`` entry (channel ``phone``), so the figures per caller and day
  count calls, not tasks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from ..data.models import (
    CallTask,
    ContactLog,
    Patient,
    RiskAssessment,
    SymptomReport,
    User,
)
from ..domain.clock import VN_TZ, local_date
from ..domain.states import (
    OPEN_CALL_STATES,
    CallOutcome,
    CallReason,
    CallState,
    FollowUpChannel,
    MessageChannel,
    MessagePurpose,
    PatientStatus,
    ReportChannel,
    Role,
    values,
)
from ..domain.text import Msg
from . import DomainError, ladder, outbox
from .calls import open_task
from .contacts import add_contact
from .inputs import ReportInput
from .reports import Outcome, Submitted, submit_report
from .scope import OutOfScope, get_patient_in_scope, scope_clause

SLOT_HOURS = (8, 16)  # the two report slots of the day, Vietnam time (domain.clock)
CLAIM_TIMEOUT = timedelta(minutes=20)
RETRY_AFTER = (timedelta(minutes=30), timedelta(hours=2))  # after the 1st and the 2nd no answer
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
OUTCOMES = values(CallOutcome)
MAX_NOTE = 1000
PHONE_ROUND_BATCH = 500  # patients made due per request: bounded work, the rest next time
STATES = ("due", "later", "claimed", "done")


class CallRefused(DomainError):
    """The call cannot be recorded: closed already, or in another caller's hands."""

    code = "conflict"

    def __init__(self, message: str = "", **params: object) -> None:
        super().__init__(message, **params)
        self.state = str(params.get("state", ""))


class BadOutcome(DomainError):
    """An unknown outcome, a note too long, or a report with an outcome other than reached."""

    code = "validation_error"


def current_slot(now: datetime) -> tuple[datetime, str]:
    """Return the start of the report slot ``now`` is in (08:00 or 16:00) and its key."""
    local = now.astimezone(VN_TZ)
    day = local.date()
    starts = [datetime(day.year, day.month, day.day, h, tzinfo=VN_TZ) for h in SLOT_HOURS]
    passed = [s for s in starts if s <= local]
    if passed:
        start = passed[-1]
    else:  # before 08:00: still yesterday afternoon's slot
        y = day - timedelta(days=1)
        start = datetime(y.year, y.month, y.day, SLOT_HOURS[-1], tzinfo=VN_TZ)
    name = "morning" if start.hour < 12 else "afternoon"
    return start, f"{start.date().isoformat()}:{name}"


def open_phone_rounds(session: Session, *, now: datetime, user: Any = None) -> int:
    """Open a phone-round task for each patient on phone follow-up who is due; return how many.

    Due: active, on ``phone`` follow-up, and no report since the current slot began. One task
    per patient and slot (``open_task``'s key), so calling this again, from two requests at
    once or from a periodic job, opens nothing twice. ``user`` limits it to their area.
    """
    start, key = current_slot(now)
    done_this_slot = sa.exists().where(
        CallTask.patient_id == Patient.id,
        CallTask.reason == CallReason.PHONE_ROUND,
        sa.or_(CallTask.key == key, CallTask.state.in_(OPEN_CALL_STATES)),
    )
    conds = [
        Patient.follow_up_channel == FollowUpChannel.PHONE,
        Patient.status == PatientStatus.ACTIVE,
        sa.or_(Patient.last_report_at.is_(None), Patient.last_report_at < start),
        ~done_this_slot,
    ]
    if user is not None:
        conds.append(scope_clause(user))
    due = session.scalars(sa.select(Patient).where(*conds).order_by(Patient.id).limit(PHONE_ROUND_BATCH)).all()
    for patient in due:
        open_task(session, patient=patient, reason=CallReason.PHONE_ROUND, now=now, due_at=start, key=key)
    return len(due)


def cancel_answered(session: Session, *, now: datetime, user: Any = None) -> int:
    """Cancel the waiting tasks a report has answered since (a phone round, a missed report)."""
    answered = sa.and_(
        Patient.last_report_at.is_not(None),
        sa.or_(
            sa.and_(CallTask.reason == CallReason.PHONE_ROUND, Patient.last_report_at >= CallTask.due_at),
            sa.and_(CallTask.reason == CallReason.MISSED_REPORT, Patient.last_report_at > CallTask.created_at),
        ),
    )
    conds = [CallTask.state == CallState.DUE, answered]
    if user is not None:
        conds.append(scope_clause(user))
    ids = session.scalars(sa.select(CallTask.id).join(Patient, Patient.id == CallTask.patient_id).where(*conds)).all()
    if ids:
        session.execute(
            sa.update(CallTask)
            .where(CallTask.id.in_(ids), CallTask.state == CallState.DUE)
            .values(state=CallState.CANCELLED, closed_at=now, outcome=None, note="report received")
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def refresh(session: Session, *, now: datetime, user: Any = None) -> None:
    """Bring the worklist up to date: phone rounds due, tasks a report answered."""
    cancel_answered(session, now=now, user=user)
    open_phone_rounds(session, now=now, user=user)


def _tier_rank() -> sa.ColumnElement[int]:
    return sa.case({"red": 3, "orange": 2, "yellow": 1, "green": 0}, value=Patient.current_tier, else_=-1)


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    """Due now, or claimed by someone who left it longer than ``CLAIM_TIMEOUT``."""
    return sa.or_(
        sa.and_(CallTask.state == CallState.DUE, CallTask.due_at <= now),
        sa.and_(CallTask.state == CallState.CLAIMED, CallTask.claimed_at < now - CLAIM_TIMEOUT),
    )


def _call_order() -> list[Any]:
    return [Patient.has_open_alert.desc(), _tier_rank().desc(), CallTask.due_at, CallTask.id]


@dataclass
class WorkItem:
    """One row of the worklist."""

    task: CallTask
    patient: Patient
    claimed_name: str | None
    overdue_minutes: int  # how long since it fell due (0 when not yet)


@dataclass
class WorkPage:
    items: list[WorkItem]
    total: int
    page: int
    per_page: int


def _state_conditions(state: str, now: datetime) -> tuple[list[sa.ColumnElement[bool]], list[Any]]:
    if state == "due":
        return [_claimable(now), Patient.status == PatientStatus.ACTIVE], _call_order()
    if state == "later":
        return [CallTask.state == CallState.DUE, CallTask.due_at > now,
                Patient.status == PatientStatus.ACTIVE], [CallTask.due_at, CallTask.id]
    if state == "claimed":
        return [CallTask.state == CallState.CLAIMED, CallTask.claimed_at >= now - CLAIM_TIMEOUT], [
            CallTask.claimed_at, CallTask.id]
    if state == "done":
        return [CallTask.state == CallState.DONE], [CallTask.closed_at.desc(), CallTask.id.desc()]
    raise ValueError(f"unknown worklist state {state!r}")


def worklist(
    session: Session, user: Any, *, now: datetime, state: str = "due", page: int = 1, per_page: int = 50
) -> WorkPage:
    """Return one page of the area's call tasks in a state, in the order to call them.

    ``due``: to call now (a stale claim included); ``later``: retries not due yet;
    ``claimed``: in a caller's hands; ``done``: closed with an outcome, newest first.
    """
    conds, order = _state_conditions(state, now)
    conds.append(scope_clause(user))
    base = sa.select(CallTask).join(Patient, Patient.id == CallTask.patient_id).where(*conds)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    claimer = aliased(User)
    rows = session.execute(
        sa.select(CallTask, Patient, claimer.full_name)
        .join(Patient, Patient.id == CallTask.patient_id)
        .outerjoin(claimer, claimer.id == CallTask.claimed_by_id)
        .where(*conds)
        .order_by(*order)
        .offset((max(1, page) - 1) * per_page)
        .limit(per_page)
    ).all()
    items = [
        WorkItem(task, patient, name, max(0, int((now - task.due_at).total_seconds() // 60)))
        for task, patient, name in rows
    ]
    return WorkPage(items, total, max(1, page), per_page)


def held_by(session: Session, user: User, *, now: datetime) -> CallTask | None:
    """Return the call the user has claimed and not finished (their claim still live)."""
    return session.scalar(
        sa.select(CallTask)
        .where(
            CallTask.state == CallState.CLAIMED,
            CallTask.claimed_by_id == user.id,
            CallTask.claimed_at >= now - CLAIM_TIMEOUT,
        )
        .order_by(CallTask.claimed_at)
        .limit(1)
    )


def _try_claim(session: Session, task_id: int, user: User, now: datetime) -> bool:
    other = aliased(CallTask)
    someone_else_on_patient = (
        sa.select(other.id)
        .where(
            other.patient_id == CallTask.patient_id,
            other.id != CallTask.id,
            other.state == CallState.CLAIMED,
            other.claimed_at >= now - CLAIM_TIMEOUT,
            other.claimed_by_id != user.id,
        )
        .exists()
    )
    result = session.execute(
        sa.update(CallTask)
        .where(CallTask.id == task_id, _claimable(now), ~someone_else_on_patient)
        .values(state=CallState.CLAIMED, claimed_by_id=user.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _fresh(session: Session, task_id: int) -> CallTask:
    return session.execute(
        sa.select(CallTask).where(CallTask.id == task_id).execution_options(populate_existing=True)
    ).scalar_one()


def claim_next(session: Session, user: User, *, now: datetime) -> CallTask | None:
    """Claim the first task of the user's worklist for them; None when there is nothing to call.

    A caller who already holds a live claim gets that call back (one call at a time).
    """
    held = held_by(session, user, now=now)
    if held is not None:
        return held
    refresh(session, now=now, user=user)
    session.flush()
    tried: list[int] = []
    for _attempt in range(20):
        stmt = (
            sa.select(CallTask.id)
            .join(Patient, Patient.id == CallTask.patient_id)
            .where(_claimable(now), Patient.status == PatientStatus.ACTIVE, scope_clause(user))
            .order_by(*_call_order())
            .limit(1)
        )
        if tried:
            stmt = stmt.where(CallTask.id.not_in(tried))
        if session.get_bind().dialect.name == "postgresql":
            # Skip the rows another caller is claiming right now instead of waiting for them.
            stmt = stmt.with_for_update(skip_locked=True)
        task_id = session.scalar(stmt)
        if task_id is None:
            return None
        if _try_claim(session, task_id, user, now):
            return _fresh(session, task_id)
        tried.append(task_id)
    return None


def claim(session: Session, task: CallTask, user: User, *, now: datetime) -> CallTask:
    """Claim one chosen task of the worklist.

    :raise CallRefused: when it is closed, not due yet, or in another caller's hands.
    """
    if task.claimed_by_id == user.id and task.state == CallState.CLAIMED:
        return task
    if not _try_claim(session, task.id, user, now):
        fresh = _fresh(session, task.id)
        raise CallRefused("not claimable", state=fresh.state)
    return _fresh(session, task.id)


@dataclass(frozen=True)
class CallResult:
    """What recording a call did."""

    task: CallTask
    submitted: Submitted | None  # the report taken, when reached with answers
    retry_at: datetime | None  # when it will be tried again (no answer, attempts left)
    ward_told: int  # coordinators told (unreachable after the last attempt, wrong number)

    @property
    def unreachable(self) -> bool:
        return self.task.state == CallState.DONE and self.task.outcome in (
            CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER)


def record_outcome(
    session: Session,
    task: CallTask,
    *,
    by: User,
    outcome: str,
    now: datetime,
    report: ReportInput | None = None,
    note: str | None = None,
) -> CallResult:
    """Record one call of a task: its outcome, the answers taken, and what happens next.

    A due task is claimed on the way (a caller may answer a task straight from the list).

    :raise BadOutcome: for an unknown outcome, too long a note, or answers without ``reached``.
    :raise CallRefused: when the task is closed or another caller holds it.
    """
    if outcome not in OUTCOMES:
        raise BadOutcome("unknown outcome", field="outcome")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise BadOutcome("note too long", field="note")
    if report is not None and outcome != CallOutcome.REACHED:
        raise BadOutcome("answers need outcome reached", field="report")
    if task.state in (CallState.DONE, CallState.CANCELLED):
        raise CallRefused("closed", state=task.state)
    if not (task.state == CallState.CLAIMED and task.claimed_by_id == by.id):
        task = claim(session, task, by, now=now)
    patient = session.get(Patient, task.patient_id)
    assert patient is not None
    task.attempts = (task.attempts or 0) + 1
    add_contact(session, patient, by, channel="phone", outcome=outcome, text=note, now=now)
    if note:
        task.note = ((task.note + "\n") if task.note else "") + note[:MAX_NOTE]
    submitted = None
    retry_at = None
    told = 0
    if outcome == CallOutcome.REACHED:
        if report is not None:
            submitted = submit_report(
                session, patient, report, now=now, channel=ReportChannel.PHONE, entered_by=by,
                key=f"call:{task.id}:{task.attempts}",
            )
        _close(task, outcome, now)
        if submitted is None or submitted.status != Outcome.ENDED:
            _close_others(session, task, now)
    elif outcome == CallOutcome.NO_ANSWER and task.attempts < MAX_ATTEMPTS:
        retry_at = now + RETRY_AFTER[task.attempts - 1]
        task.state = CallState.DUE
        task.due_at = retry_at
        task.claimed_by_id = None
        task.claimed_at = None
        task.outcome = outcome
    else:
        _close(task, outcome, now)
        if outcome in (CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER):
            told = tell_ward_station(session, task, patient, now=now)
    session.flush()
    return CallResult(task, submitted, retry_at, told)


def _close(task: CallTask, outcome: str, now: datetime) -> None:
    task.state = CallState.DONE
    task.outcome = outcome
    task.closed_at = now


def _close_others(session: Session, task: CallTask, now: datetime) -> None:
    """The patient was reached: their other waiting calls are answered by this one."""
    session.execute(
        sa.update(CallTask)
        .where(CallTask.patient_id == task.patient_id, CallTask.id != task.id, CallTask.state == CallState.DUE)
        .values(state=CallState.DONE, outcome=CallOutcome.REACHED, closed_at=now,
                note=f"reached on call task {task.id}")
        .execution_options(synchronize_session=False)
    )


def ward_coordinators(session: Session, patient: Patient) -> list[User]:
    """Return the coordinators of the patient's ward (the ladder's rule: named, else the province's)."""
    return ladder.coordinators_for(session, patient.province_code, patient.ward_code)


def tell_ward_station(session: Session, task: CallTask, patient: Patient, *, now: datetime) -> int:
    """Queue a message to the ward's coordinators: this patient cannot be reached by phone."""
    # No name and no health data: an SMS may be read by others (the ladder's rule too); the
    # coordinator opens the patient by number in the workspace.
    if task.outcome == CallOutcome.WRONG_NUMBER:
        text = Msg(
            "f0monitor: the phone number of patient no. %(number)s (ward %(ward)s) is wrong. "
            "Please visit them or find a working number.",
            number=patient.id, ward=patient.ward_code,
        )
    else:
        text = Msg(
            "f0monitor: patient no. %(number)s (ward %(ward)s) did not answer %(n)s calls. "
            "Please visit them today.",
            number=patient.id, ward=patient.ward_code, n=task.attempts,
        )
    told = 0
    for coordinator in ward_coordinators(session, patient):
        outbox.enqueue(
            session,
            patient=patient,
            purpose=MessagePurpose.ESCALATION,
            slot=f"call:{task.id}:{task.outcome}:{coordinator.id}",
            text_or_msg=text,
            channel=MessageChannel.SMS,
            recipient_user=coordinator,
            now=now,
        )
        told += 1
    return told


def unreachable(session: Session, user: Any, *, now: datetime, days: int = 3, limit: int = 50) -> list[WorkItem]:
    """Return the area's recent calls closed as unreachable (the ward station was told)."""
    rows = session.execute(
        sa.select(CallTask, Patient)
        .join(Patient, Patient.id == CallTask.patient_id)
        .where(
            CallTask.state == CallState.DONE,
            CallTask.outcome.in_((CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER)),
            CallTask.closed_at >= now - timedelta(days=days),
            scope_clause(user),
        )
        .order_by(CallTask.closed_at.desc())
        .limit(limit)
    ).all()
    return [WorkItem(t, p, None, 0) for t, p in rows]


@dataclass
class CallerDay:
    """A caller's figures for one day."""

    day: date
    staff_id: int
    name: str
    calls: int = 0
    reached: int = 0
    reports: int = 0
    alerts: int = 0


def caller_figures(session: Session, user: Any, *, now: datetime, days: int = 7) -> list[CallerDay]:
    """Return calls, reached, reports taken and alerts found per caller and day, newest first.

    Calls are the phone entries of the contact log (each attempt counts); reports are those
    entered on a call (channel ``phone``); alerts, those of them that showed warning signs.
    Limited to the user's area and the last ``days`` days (Vietnam calendar).
    """
    first_day = local_date(now) - timedelta(days=days - 1)
    since = datetime(first_day.year, first_day.month, first_day.day, tzinfo=VN_TZ)
    scope = scope_clause(user)
    figures: dict[tuple[date, int], CallerDay] = {}
    names = dict(session.execute(sa.select(User.id, User.full_name).where(User.role != Role.PATIENT)).all())

    def row(day: date, staff_id: int) -> CallerDay:
        key = (day, staff_id)
        if key not in figures:
            figures[key] = CallerDay(day, staff_id, names.get(staff_id, "?"))
        return figures[key]

    calls = session.execute(
        sa.select(ContactLog.at, ContactLog.staff_id, ContactLog.outcome)
        .join(Patient, Patient.id == ContactLog.patient_id)
        .where(ContactLog.channel == "phone", ContactLog.at >= since, ContactLog.staff_id.is_not(None), scope)
    ).all()
    for at, staff_id, outcome in calls:
        entry = row(local_date(at), staff_id)
        entry.calls += 1
        entry.reached += outcome == CallOutcome.REACHED
    reports = session.execute(
        sa.select(
            SymptomReport.report_date,
            SymptomReport.entered_by_id,
            sa.func.count(SymptomReport.id),
            sa.func.count(RiskAssessment.id).filter(RiskAssessment.alert.is_(True)),
        )
        .join(Patient, Patient.id == SymptomReport.patient_id)
        .outerjoin(RiskAssessment, RiskAssessment.report_id == SymptomReport.id)
        .where(
            SymptomReport.channel == ReportChannel.PHONE,
            SymptomReport.report_date >= first_day,
            SymptomReport.entered_by_id.is_not(None),
            scope,
        )
        .group_by(SymptomReport.report_date, SymptomReport.entered_by_id)
    ).all()
    for day, staff_id, count, alerts in reports:
        entry = row(day, staff_id)
        entry.reports += count
        entry.alerts += alerts
    return sorted(figures.values(), key=lambda f: (-f.day.toordinal(), f.name, f.staff_id))


def totals(figures: list[CallerDay]) -> dict[date, dict[str, int]]:
    """Sum the figures per day (all callers)."""
    out: dict[date, dict[str, int]] = defaultdict(lambda: {"calls": 0, "reached": 0, "reports": 0, "alerts": 0})
    for f in figures:
        for name in ("calls", "reached", "reports", "alerts"):
            out[f.day][name] += getattr(f, name)
    return dict(out)


def get_task_in_scope(session: Session, user: Any, task_id: int) -> CallTask:
    """Return a call task of a patient ``user`` may see.

    :raise OutOfScope: when there is none, or its patient lies outside the user's area.
    """
    task = session.get(CallTask, task_id)
    if task is None:
        raise OutOfScope("not found")
    get_patient_in_scope(session, user, task.patient_id)
    return task

"""Call tasks: patients the area's callers are to ring (call rounds, issue 10).

``open_task`` is the one way a task is opened (the escalation ladder, the SMS reader, the
phone rounds): at most one open task (``due`` or ``claimed``) per patient and reason, enforced
by a partial unique index; ``key`` ties a task to its occasion so that the same occasion never
opens a second task once the first was done.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..data.models import CallTask, Patient
from ..domain.states import OPEN_CALL_STATES, CallReason, CallState, values

REASONS = values(CallReason)


def open_task_of(session: Session, patient_id: int, reason: str) -> CallTask | None:
    """The open task of a patient for a reason, if any."""
    return session.scalar(
        sa.select(CallTask).where(
            CallTask.patient_id == patient_id,
            CallTask.reason == reason,
            CallTask.state.in_(OPEN_CALL_STATES),
        )
    )


def open_task(
    session: Session,
    *,
    patient: Patient,
    reason: str,
    now: datetime,
    due_at: datetime | None = None,
    key: str | None = None,
) -> CallTask:
    """Open a call task, or return the open one for this patient and reason.

    With ``key``, a task already opened for that occasion (open or closed) is returned too.
    Flushes inside a SAVEPOINT: when two callers race, the loser gets the winner's task.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown call reason {reason!r}")
    key = key[:64] if key else None

    def existing() -> CallTask | None:
        task = open_task_of(session, patient.id, reason)
        if task is None and key is not None:
            task = session.scalar(
                sa.select(CallTask).where(
                    CallTask.patient_id == patient.id,
                    CallTask.reason == reason,
                    CallTask.key == key,
                )
            )
        return task

    found = existing()
    if found is not None:
        return found
    task = CallTask(
        patient_id=patient.id,
        reason=reason,
        key=key,
        state=CallState.DUE,
        due_at=due_at or now,
        attempts=0,
        created_at=now,
    )
    session.flush()
    try:
        with session.begin_nested():
            session.add(task)
    except IntegrityError:
        winner = existing()
        if winner is None:
            raise
        return winner
    return task

"""Alerts: acknowledge (who, when, how fast), resolve with an outcome, escalation.

The state rules live in ``alert_lifecycle`` (pure); this module applies them to rows. Escalation
is a property of time: an alert still unacknowledged 15 minutes after it opened *is*
escalated, whenever anyone looks. The first time a query sees it so, ``escalated_at`` is stored
(the moment it became due), for the record and the department's statistics.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..data.models import Alert, Patient, User
from ..domain import alerts as lc
from ..domain.states import PatientStatus
from . import DomainError
from .scope import OutOfScope, may_see, scope_clause


class AlertRefused(DomainError):
    """The alert is not in a state that allows this action (answered as 409)."""

    code = "invalid_transition"

    def __init__(self, refused: lc.Refused) -> None:
        super().__init__(str(refused), state=refused.state, action=refused.action)
        self.state = refused.state
        self.action = refused.action
        self.reason = refused.reason


def get_alert_in_scope(session: Session, user: Any, alert_id: int) -> Alert:
    """Return an alert of a patient `user` may see.

    :raise OutOfScope: when there is none (or it lies outside the user's area).
    """
    alert = session.get(Alert, alert_id, options=[joinedload(Alert.patient)])
    if alert is None or not may_see(user, alert.patient):
        raise OutOfScope("not found")
    return alert


def current_alert(session: Session, patient_id: int) -> Alert | None:
    """Return the patient's alert that is not resolved yet (there is at most one)."""
    return session.scalar(
        sa.select(Alert)
        .where(Alert.patient_id == patient_id, Alert.state != lc.RESOLVED)
        .order_by(Alert.opened_at.desc())
        .limit(1)
    )


def mark_escalated(alert: Alert, *, now: datetime) -> bool:
    """Store when an unacknowledged alert became escalated, the first time it is seen so."""
    if alert.escalated_at is None and lc.is_escalated(alert.state, alert.opened_at, now):
        alert.escalated_at = lc.escalation_due_at(alert.opened_at)
        return True
    return False


def record_escalations(session: Session, alerts: Iterable[Alert | None], *, now: datetime) -> int:
    """Store ``escalated_at`` of the alerts seen escalated for the first time; return how many.

    One conditional UPDATE outside the alerts' version counter (the value is written once and
    is the same whoever writes it): two members of staff whose queues show the same alert at
    the same moment both see it escalate "first", and a versioned ORM update made the second
    page fail with StaleDataError, a 500 (bench/load.py, eight connections on one queue).
    """
    alerts = list(alerts)
    due = {a.id: lc.escalation_due_at(a.opened_at) for a in alerts
           if a is not None and a.escalated_at is None and lc.is_escalated(a.state, a.opened_at, now)}
    if not due:
        return 0
    session.execute(
        sa.update(Alert)
        .where(Alert.id.in_(list(due)), Alert.escalated_at.is_(None))
        .values(escalated_at=sa.case(due, value=Alert.id))
        .execution_options(synchronize_session=False)
    )
    for alert in alerts:
        if alert is not None and alert.id in due:
            set_committed_value(alert, "escalated_at", due[alert.id])
    return len(due)


def is_escalated(alert: Alert, *, now: datetime) -> bool:
    """Tell whether an alert is escalated now (unacknowledged for 15 minutes or more)."""
    return lc.is_escalated(alert.state, alert.opened_at, now)


def acknowledge(session: Session, alert: Alert, user: User, *, now: datetime) -> Alert:
    """Record that a named person has taken the alert in hand.

    :raise AlertRefused: when the alert is not open.
    """
    try:
        state = lc.acknowledge(alert.state)
    except lc.Refused as refused:
        raise AlertRefused(refused) from None
    mark_escalated(alert, now=now)
    alert.state = state
    alert.acknowledged_at = now
    alert.acknowledged_by_id = user.id
    alert.seconds_to_acknowledge = lc.seconds_to_acknowledge(alert.opened_at, now)
    session.flush()
    return alert


def resolve(
    session: Session,
    alert: Alert,
    user: User,
    outcome: str | None,
    *,
    now: datetime,
    note: str | None = None,
) -> Alert:
    """Close an alert with its outcome; the patient no longer shows an open alert.

    Resolving an alert nobody acknowledged also records the resolver as the acknowledger,
    so every alert ends with a named person and a time to acknowledge.

    :raise AlertRefused: when already resolved or the outcome is not one of the four.
    """
    try:
        state = lc.resolve(alert.state, outcome)
    except lc.Refused as refused:
        raise AlertRefused(refused) from None
    mark_escalated(alert, now=now)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by_id = user.id
        alert.seconds_to_acknowledge = lc.seconds_to_acknowledge(alert.opened_at, now)
    alert.state = state
    alert.outcome = outcome
    alert.resolved_at = now
    alert.resolved_by_id = user.id
    alert.note = (note or "").strip()[:1000] or None
    session.flush()
    patient = alert.patient
    if current_alert(session, patient.id) is None:
        patient.has_open_alert = False
        patient.alert_opened_at = None
    session.flush()
    return alert


def escalated_alerts(session: Session, user: Any, *, now: datetime, limit: int = 100) -> list[Alert]:
    """Return the escalated alerts of `user`'s area, oldest first, storing `escalated_at`."""
    cutoff = now - lc.ESCALATE_AFTER
    rows = list(
        session.scalars(
            sa.select(Alert)
            .join(Patient, Patient.id == Alert.patient_id)
            .options(joinedload(Alert.patient))
            .where(
                Alert.state == lc.OPEN,
                Alert.opened_at <= cutoff,
                Patient.status == PatientStatus.ACTIVE,
                scope_clause(user),
            )
            .order_by(Alert.opened_at)
            .limit(limit)
        )
    )
    record_escalations(session, rows, now=now)
    return rows


def patient_alerts(session: Session, patient_id: int, limit: int = 50) -> list[Alert]:
    """Return a patient's alerts, newest first."""
    return list(
        session.scalars(
            sa.select(Alert)
            .options(joinedload(Alert.acknowledged_by))
            .where(Alert.patient_id == patient_id)
            .order_by(Alert.opened_at.desc(), Alert.id.desc())
            .limit(limit)
        )
    )

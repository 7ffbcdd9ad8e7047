"""A patient's follow-up channel (``app``, ``sms``, ``phone``): one at a time, with its history.

Staff switch it in one step (the patient page, ``PATCH /api/v1/patients/{id}/follow-up``);
every switch is a ``FollowUpChange`` row (from, to, who, when, why) and nothing else changes:
the reports keep the channel they came by, so the record shows how the patient was followed
all along. A caller registered by the hotline (no smartphone) starts on ``phone`` or ``sms``;
the choice made at registration is the history's first row.

Leaving ``phone`` cancels the open phone-round call; joining it makes the patient due for a
call at the next slot (``services.calls.open_phone_rounds``), not "overdue" in the app.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from ..data.models import FOLLOW_UP_CHANNELS, CallTask, FollowUpChange, Patient, User
from ..domain.states import OPEN_CALL_STATES, CallReason, CallState, FollowUpChannel
from . import DomainError

MAX_REASON = 255


class BadFollowUp(DomainError):
    """An unknown channel, or too long a reason."""

    code = "validation_error"


def check_channel(channel: str | None) -> str:
    """Return the channel when it is one of ``app``, ``sms``, ``phone``.

    :raise BadFollowUp: otherwise (``field`` names the field).
    """
    if channel not in FOLLOW_UP_CHANNELS:
        raise BadFollowUp("unknown follow-up channel", field="channel")
    return channel


def set_channel(
    session: Session,
    patient: Patient,
    channel: str,
    *,
    by: User | None,
    now: datetime,
    reason: str | None = None,
) -> FollowUpChange | None:
    """Switch the patient's follow-up channel; return the history row (None when unchanged).

    :raise BadFollowUp: for an unknown channel or a reason over 255 characters.
    """
    check_channel(channel)
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise BadFollowUp("reason too long", field="reason")
    previous = patient.follow_up_channel
    if previous == channel:
        return None
    row = FollowUpChange(
        patient_id=patient.id,
        at=now,
        by_id=by.id if by is not None else None,
        from_channel=previous,
        to_channel=channel,
        reason=reason,
    )
    patient.follow_up_channel = channel
    session.add(row)
    if previous == FollowUpChannel.PHONE:
        _cancel_phone_rounds(session, patient, now)
    session.flush()
    return row


def record_registration(
    session: Session, patient: Patient, channel: str, *, by: User | None, now: datetime
) -> FollowUpChange:
    """Record the channel chosen at registration as the first row of the history.

    :raise BadFollowUp: for an unknown channel.
    """
    check_channel(channel)
    patient.follow_up_channel = channel
    row = FollowUpChange(
        patient_id=patient.id,
        at=now,
        by_id=by.id if by is not None else None,
        from_channel=None,
        to_channel=channel,
        reason=None,
    )
    session.add(row)
    session.flush()
    return row


def history(session: Session, patient_id: int, limit: int = 100) -> list[FollowUpChange]:
    """Return the patient's follow-up changes, newest first, with who made each."""
    return list(
        session.scalars(
            sa.select(FollowUpChange)
            .options(joinedload(FollowUpChange.by))
            .where(FollowUpChange.patient_id == patient_id)
            .order_by(FollowUpChange.at.desc(), FollowUpChange.id.desc())
            .limit(limit)
        )
    )


def _cancel_phone_rounds(session: Session, patient: Patient, now: datetime) -> None:
    session.execute(
        sa.update(CallTask)
        .where(
            CallTask.patient_id == patient.id,
            CallTask.reason == CallReason.PHONE_ROUND,
            CallTask.state.in_(OPEN_CALL_STATES),
        )
        .values(state=CallState.CANCELLED, closed_at=now, note="follow-up channel changed")
        .execution_options(synchronize_session=False)
    )

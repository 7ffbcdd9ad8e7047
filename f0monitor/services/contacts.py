"""The contact log: calls, messages and visits by staff, with their outcome."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from ..data.models import CONTACT_CHANNELS, CONTACT_OUTCOMES, ContactLog, Patient, User
from . import DomainError

MAX_TEXT = 2000


class BadContact(DomainError):
    """A contact entry with an unknown channel or outcome, or too long a text."""

    code = "validation_error"


def add_contact(
    session: Session,
    patient: Patient,
    staff: User,
    *,
    channel: str,
    outcome: str,
    text: str | None,
    now: datetime,
) -> ContactLog:
    """Add a contact log entry for a patient.

    :raise BadContact: for an unknown channel or outcome or a text over 2,000 characters
        (forms and the API check first; this is the last guard).
    """
    if channel not in CONTACT_CHANNELS:
        raise BadContact("unknown channel", field="channel")
    if outcome not in CONTACT_OUTCOMES:
        raise BadContact("unknown outcome", field="outcome")
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise BadContact("text too long", field="text")
    entry = ContactLog(
        patient_id=patient.id, staff_id=staff.id, at=now, channel=channel, outcome=outcome,
        text=text or None,
    )
    session.add(entry)
    session.flush()
    return entry


def contact_log(session: Session, patient_id: int, limit: int = 100) -> list[ContactLog]:
    """Return a patient's contact log, newest first, with who made each contact."""
    return list(
        session.scalars(
            sa.select(ContactLog)
            .options(joinedload(ContactLog.staff))
            .where(ContactLog.patient_id == patient_id)
            .order_by(ContactLog.at.desc(), ContactLog.id.desc())
            .limit(limit)
        )
    )

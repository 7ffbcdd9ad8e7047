"""The outbox: every message to (or about) a patient is a row before anything is sent.

``enqueue`` is idempotent on the key (patient, purpose, slot): a retried job, a second
consumer or a second ladder tick gets the row already stored. Sending (``services.delivery``)
claims a row with a conditional UPDATE, so two consumers never hand one message to a provider.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..data.models import OutboxMessage, Patient, User
from ..domain.states import MessageChannel, MessagePurpose, MessageStatus, values
from ..domain.text import Msg
from . import preferences, texts

PURPOSES = values(MessagePurpose)
MAX_TEXT = 2000
SLOT_LENGTH = 64


def patient_locale(patient: Patient) -> str:
    """The language the patient reads: their login's, else Vietnamese."""
    user = patient.user
    return texts.locale_of(user.locale if user is not None else None)


def address_for(patient: Patient, channel: str, prefs: preferences.Preferences) -> str | None:
    """Where a channel reaches the patient: the phone for SMS and Zalo, the chosen e-mail."""
    if channel == MessageChannel.EMAIL:
        return prefs.email
    return patient.phone


def find(session: Session, patient_id: int, purpose: str, slot: str) -> OutboxMessage | None:
    return session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.patient_id == patient_id,
            OutboxMessage.purpose == purpose,
            OutboxMessage.slot == slot,
        )
    )


def enqueue(
    session: Session,
    *,
    patient: Patient,
    purpose: str,
    slot: str,
    text_or_msg: str | Msg,
    channel: str | None = None,
    now: datetime,
    recipient: str | None = None,
    recipient_user: User | None = None,
    locale: str | None = None,
    render: Callable[[Msg | str, str], str] = texts.render,
) -> OutboxMessage:
    """Queue one message, once per (patient, purpose, slot); return the row.

    ``channel`` defaults to the patient's first chosen channel; ``recipient`` to the
    patient's address on it (a member of staff is given as ``recipient_user``, reached on
    their phone). A ``Msg`` is rendered in ``locale`` (default: the recipient's language).
    Flushes inside a SAVEPOINT: the loser of a race gets the winner's row.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    slot = slot[:SLOT_LENGTH]
    existing = find(session, patient.id, purpose, slot)
    if existing is not None:
        return existing
    prefs = preferences.get(session, patient)
    channel = channel or prefs.channels[0]
    if recipient_user is not None:
        recipient = recipient or recipient_user.phone
        locale = locale or texts.locale_of(recipient_user.locale)
    else:
        recipient = recipient or address_for(patient, channel, prefs)
        locale = locale or patient_locale(patient)
    if not recipient:
        raise ValueError(f"no address for channel {channel!r}")
    row = OutboxMessage(
        patient_id=patient.id,
        purpose=purpose,
        slot=slot,
        channel=channel,
        recipient=recipient,
        recipient_user_id=recipient_user.id if recipient_user is not None else None,
        locale=locale,
        text=render(text_or_msg, locale)[:MAX_TEXT],
        status=MessageStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.flush()
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        winner = find(session, patient.id, purpose, slot)
        if winner is None:
            raise
        return winner
    return row


def messages_of(session: Session, patient_id: int, limit: int = 200) -> list[OutboxMessage]:
    """A patient's messages, newest first."""
    return list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.patient_id == patient_id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )

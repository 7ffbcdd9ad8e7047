"""How each patient wants to be reminded: channels, e-mail, quiet hours, opting out.

No stored row means the defaults: SMS to the registered phone, quiet from 21:00 to 07:00
(local time), not opted out. Opting out stops reminders and the escalation ladder's
messages to the patient at once (queued ones are cancelled); warning-sign advice and
confirmations of a report the patient sent still go out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data import bulk
from ..data.models import OutboxMessage, Patient, ReminderPreference
from ..domain.states import MessageChannel, MessagePurpose, MessageStatus, OptOutVia, values
from ..domain.text import Msg
from . import DomainError

CHANNELS = values(MessageChannel)
DEFAULT_CHANNELS: tuple[str, ...] = (MessageChannel.SMS,)
DEFAULT_QUIET = ("21:00", "07:00")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_EMAIL = 254
# Purposes held or stopped by an opt-out: what the patient did not ask for.
STOPPED_BY_OPT_OUT = (MessagePurpose.REMINDER,)


class PreferenceInvalid(DomainError):
    """A field is wrong: ``field`` names it, ``message`` is a ``Msg``."""

    code = "validation_error"

    def __init__(self, field: str, message: Msg) -> None:
        super().__init__(message.id, field=field)
        self.field = field
        self.msg = message


@dataclass(frozen=True)
class Preferences:
    """A patient's reminder preferences (api.md ``reminders``)."""

    channels: tuple[str, ...]
    email: str | None
    quiet_hours: tuple[str, str]
    opted_out: bool
    opted_out_at: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "channels": list(self.channels),
            "email": self.email,
            "quiet_hours": list(self.quiet_hours),
            "opted_out": self.opted_out,
        }


DEFAULTS = Preferences(DEFAULT_CHANNELS, None, DEFAULT_QUIET, False)


def _from_row(row: ReminderPreference | None) -> Preferences:
    if row is None:
        return DEFAULTS
    return Preferences(
        tuple(row.channels or DEFAULT_CHANNELS),
        row.email,
        (row.quiet_start, row.quiet_end),
        row.opted_out,
        row.opted_out_at,
    )


def get(session: Session, patient: Patient) -> Preferences:
    """Return a patient's preferences (the defaults when none were stored)."""
    return _from_row(session.get(ReminderPreference, patient.id))


def many(session: Session, patient_ids: Sequence[int]) -> dict[int, Preferences]:
    """Return the preferences of many patients at once (defaults for those without a row)."""
    found: dict[int, Preferences] = {}
    ids = list(patient_ids)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for row in session.scalars(
            sa.select(ReminderPreference).where(
                bulk.any_of(ReminderPreference.patient_id, chunk, bulk.dialect_of(session)))
        ):
            found[row.patient_id] = _from_row(row)
    return {pid: found.get(pid, DEFAULTS) for pid in ids}


def _row(session: Session, patient: Patient, now: datetime) -> ReminderPreference:
    row = session.get(ReminderPreference, patient.id)
    if row is None:
        row = ReminderPreference(
            patient_id=patient.id,
            channels=list(DEFAULT_CHANNELS),
            quiet_start=DEFAULT_QUIET[0],
            quiet_end=DEFAULT_QUIET[1],
            opted_out=False,
            updated_at=now,
        )
        session.add(row)
    return row


def check(
    *,
    channels: Sequence[str] | None = None,
    email: str | None = None,
    quiet_hours: Sequence[str] | None = None,
) -> None:
    """Raise ``PreferenceInvalid`` naming the first wrong field (nothing is stored)."""
    if channels is not None:
        if not channels:
            raise PreferenceInvalid("channels", Msg("Choose at least one channel."))
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise PreferenceInvalid("channels", Msg("Unknown channel: %(value)s", value=unknown[0]))
    if email:
        if len(email) > MAX_EMAIL or not _EMAIL.match(email):
            raise PreferenceInvalid("email", Msg("Enter a valid e-mail address."))
    if quiet_hours is not None:
        if len(quiet_hours) != 2 or not all(isinstance(t, str) and _HHMM.match(t) for t in quiet_hours):
            raise PreferenceInvalid(
                "quiet_hours", Msg("Give two times as HH:MM, e.g. 21:00 and 07:00.")
            )


def update(
    session: Session,
    *,
    patient: Patient,
    now: datetime,
    channels: Sequence[str] | None = None,
    email: str | None = None,
    quiet_hours: Sequence[str] | None = None,
    opted_out: bool | None = None,
    via: str = OptOutVia.WEB,
) -> Preferences:
    """Change what is given (None keeps a field); checks everything before storing anything.

    E-mail needs an address: choosing the channel without one is refused. ``opted_out``
    False resumes reminders; True is ``opt_out``.
    """
    email = (email or "").strip() if email is not None else None
    check(channels=channels, email=email, quiet_hours=quiet_hours)
    current = get(session, patient)
    new_email = current.email if email is None else (email or None)
    new_channels = tuple(dict.fromkeys(channels)) if channels is not None else current.channels
    if MessageChannel.EMAIL in new_channels and not new_email:
        raise PreferenceInvalid("email", Msg("Give an e-mail address to be reminded by e-mail."))
    row = _row(session, patient, now)
    row.channels = list(new_channels)
    row.email = new_email
    if quiet_hours is not None:
        row.quiet_start, row.quiet_end = quiet_hours[0], quiet_hours[1]
    row.updated_at = now
    session.flush()
    if opted_out:
        return opt_out(session, patient=patient, via=via, now=now)
    if opted_out is False and row.opted_out:
        row.opted_out = False
        row.opted_out_at = None
        row.opted_out_via = None
        session.flush()
    return _from_row(row)


def opt_out(session: Session, *, patient: Patient, via: str, now: datetime) -> Preferences:
    """Stop reminders for a patient (web page, API, SMS "STOP", staff); idempotent.

    Reminders still queued are cancelled in the same transaction, so none goes out after.
    """
    if via not in values(OptOutVia):
        raise ValueError(f"unknown opt-out channel {via!r}")
    row = _row(session, patient, now)
    if not row.opted_out:
        row.opted_out = True
        row.opted_out_at = now
        row.opted_out_via = via
        row.updated_at = now
    session.flush()
    session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.patient_id == patient.id,
            OutboxMessage.status == MessageStatus.QUEUED,
            OutboxMessage.purpose.in_(STOPPED_BY_OPT_OUT),
            OutboxMessage.recipient_user_id.is_(None),
        )
        .values(status=MessageStatus.CANCELLED, error="opted_out", failed_at=None)
        .execution_options(synchronize_session=False)
    )
    return _from_row(row)

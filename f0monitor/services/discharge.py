"""End of home treatment: recovered (§7 of the clinical decisions), deceased or withdrawn.

Choices where the issue is silent:
- Only an active patient can be discharged; a patient with an open transfer cannot (finish or
  cancel the transfer first): the ambulance is the more urgent fact.
- "Recovered" is refused while an alert is open: a red alert must be looked at and resolved
  with an outcome before anyone certifies recovery. "Deceased" and "withdrawn" close the open
  alerts themselves (resolved, no outcome code, with a note saying why).
- The negative rapid antigen test counts only when done on day 7 of treatment or later and
  not in the future; its date is stored (`negative_test_date`).
- A recovered patient gets a random 80-bit certificate code (16 base32 characters): it is
  the only key of the public verification page, so it must not be guessable.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import Alert, Patient, User
from ..domain import covid as risk
from ..domain.clock import local_date
from ..domain.states import PatientStatus
from . import DomainError
from .transfers import open_transfer_of

OUTCOMES = ("recovered", "deceased", "withdrawn")
MAX_NOTE = 1000


class DischargeInvalid(DomainError):
    """A field is missing or wrong (`field` names it)."""

    code = "validation_error"

    def __init__(self, field: str, message: str = "") -> None:
        super().__init__(message or field, field=field)
        self.field = field


class DischargeNotAllowed(DomainError):
    """The patient cannot be discharged now (`code` says why)."""

    def __init__(self, code: str, reason: risk.Reason | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class DischargeInput:
    outcome: str
    negative_test_date: date | None = None
    note: str | None = None


def new_certificate_code() -> str:
    """Return a random, unguessable certificate code (16 characters, A–Z and 2–7)."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def normalize_code(text: str) -> str:
    """Return a typed or scanned code in stored form (no spaces or dashes, upper case)."""
    return "".join(ch for ch in (text or "") if ch.isalnum()).upper()[:32]


def format_code(code: str | None) -> str:
    """Return a code in groups of four, easier to read out on the phone."""
    code = code or ""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def recovery_check(patient: Patient, data: DischargeInput, on: date) -> tuple[bool, risk.Reason | None]:
    """Return whether the patient may be marked recovered on a day, and why not."""
    negative = data.negative_test_date is not None and (
        risk.day_of_treatment(patient.positive_test_date, data.negative_test_date)
        >= risk.RULES["RECOVERY_DAY_WITH_NEGATIVE_TEST"]
    )
    return risk.recovery_check(
        patient.positive_test_date, on, bool(patient.fully_vaccinated), negative
    )


def discharge(
    session: Session, patient: Patient, data: DischargeInput, *, by: User | None, now: datetime
) -> Patient:
    """End a patient's home treatment.

    :raise DischargeInvalid: unknown outcome, bad test date, note too long.
    :raise DischargeNotAllowed: not active ("not_active"), a transfer is open
        ("transfer_open"), an alert is open ("alert_open"), or the §7 rule refuses recovery
        ("recovery_not_allowed", with the rule's reason).
    """
    if data.outcome not in OUTCOMES:
        raise DischargeInvalid("outcome", "unknown outcome")
    note = (data.note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise DischargeInvalid("note", "too long")
    today = local_date(now)
    test_date = data.negative_test_date
    if test_date is not None:
        if test_date > today:
            raise DischargeInvalid("negative_test_date", "in the future")
        if test_date < patient.positive_test_date:
            raise DischargeInvalid("negative_test_date", "before the positive test")
    if patient.status != PatientStatus.ACTIVE:
        raise DischargeNotAllowed("not_active")
    if open_transfer_of(session, patient.id) is not None:
        raise DischargeNotAllowed("transfer_open")
    open_alerts = list(
        session.scalars(
            sa.select(Alert).where(Alert.patient_id == patient.id, Alert.state != "resolved")
        )
    )
    if data.outcome == "recovered":
        if open_alerts:
            raise DischargeNotAllowed("alert_open")
        first_day = risk.RULES["RECOVERY_DAY_WITH_NEGATIVE_TEST"]
        if (
            test_date is not None
            and risk.day_of_treatment(patient.positive_test_date, today) >= first_day
            and risk.day_of_treatment(patient.positive_test_date, test_date) < first_day
        ):
            raise DischargeInvalid("negative_test_date", "before day 7")
        allowed, reason = recovery_check(patient, data, today)
        if not allowed:
            raise DischargeNotAllowed("recovery_not_allowed", reason)
        patient.negative_test_date = test_date
        patient.certificate_code = new_certificate_code()
    for alert in open_alerts:
        alert.state = "resolved"
        alert.resolved_at = now
        alert.resolved_by_id = by.id if by else None
        alert.note = f"closed at discharge: {data.outcome}"
    patient.has_open_alert = False
    patient.status = data.outcome
    patient.status_changed_at = now
    patient.discharged_at = now
    patient.discharged_by_id = by.id if by else None
    patient.discharge_note = note
    patient.version = (patient.version or 1) + 1
    session.flush()
    return patient


def find_certificate(session: Session, code: str) -> Patient | None:
    """Return the recovered patient holding a certificate code, or None."""
    code = normalize_code(code)
    if len(code) != 16:
        return None
    return session.scalar(
        sa.select(Patient).where(Patient.certificate_code == code, Patient.status == "recovered")
    )


def masked_name(full_name: str) -> str:
    """Return a name for the public page: the family name, then initials ("Nguyễn V. B.")."""
    words = (full_name or "").split()
    if not words:
        return ""
    return " ".join([words[0], *(w[0] + "." for w in words[1:])])

"""The personal-data lifecycle of Decree 13/2023/NĐ-CP: consent withdrawal, export, anonymisation.

- ``withdraw_consent``: the patient stops the processing. Follow-up stops (an active case ends
  with status ``withdrawn``, its open alerts are closed) and staff see the withdrawal on the
  patient page and the queue; the data is kept for the legal hold, then anonymised.
- ``export_personal_data``: everything held about a patient, as plain JSON-ready data.
- ``anonymise``: name to initials; phone, address, national id and every free text removed;
  date of birth to the year (1 January). The login is closed and its tokens revoked. Counts,
  dates, wards, tiers, vitals and assessments stay, so every aggregate of the department
  (``services.caseload``) is unchanged. Recorded in the append-only audit trail.
- ``run_retention``: anonymise every case whose treatment ended more than ``days`` ago (the
  ``RETENTION_DAYS`` setting, 180 by default), run daily by ``flask retention``.

Free of Flask: callers pass the session and ``now``; they commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import (
    Alert,
    ApiToken,
    AuditEvent,
    ConsultRequest,
    ContactLog,
    Patient,
    RiskAssessment,
    SymptomReport,
    Transfer,
    TransferEvent,
)
from ..domain.states import PatientStatus
from . import audit
from .scope import scope_clause

DEFAULT_RETENTION_DAYS = 180
# Columns never handed out, even to their owner: secrets stored as hashes.
SECRET_COLUMNS = {"password_hash", "claim_code_hash", "token_hash"}


def initials(full_name: str) -> str:
    """Return a name's initials: "Nguyễn Văn Bình" → "N. V. B."."""
    return " ".join(word[0].upper() + "." for word in (full_name or "").split()) or "?"


def withdraw_consent(session: Session, patient: Patient, *, now: datetime, user_id: int | None,
                     ip: str | None = None) -> bool:
    """Record that the patient withdrew consent; stop the follow-up of an active case.

    Returns False (and changes nothing) when consent was already withdrawn.
    """
    if patient.consent_withdrawn_at is not None:
        return False
    patient.consent_withdrawn_at = now
    if patient.status == PatientStatus.ACTIVE:
        for alert in session.scalars(
            sa.select(Alert).where(Alert.patient_id == patient.id, Alert.state != "resolved")
        ):
            alert.state = "resolved"
            alert.resolved_at = now
            alert.note = "closed: consent withdrawn"
        patient.has_open_alert = False
        patient.status = PatientStatus.WITHDRAWN
        patient.status_changed_at = now
        patient.discharged_at = now
    patient.version = (patient.version or 1) + 1
    audit.record(session, user_id=user_id, patient_id=patient.id, action="withdraw_consent",
                 now=now, ip=ip)
    session.flush()
    return True


def recent_withdrawals(session: Session, user: Any, *, now: datetime, days: int = 14) -> list[Patient]:
    """Return the patients of a staff member's area who withdrew consent in the last days."""
    return list(
        session.scalars(
            sa.select(Patient)
            .where(scope_clause(user), Patient.consent_withdrawn_at >= now - timedelta(days=days),
                   Patient.anonymised_at.is_(None))
            .order_by(Patient.consent_withdrawn_at.desc())
            .limit(20)
        )
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of a row, except secrets and the ones named."""
    return {
        column.key: _plain(getattr(obj, column.key))
        for column in sa.inspect(obj).mapper.column_attrs
        if column.key not in SECRET_COLUMNS and column.key not in skip
    }


def export_personal_data(session: Session, patient: Patient, *, now: datetime) -> dict[str, Any]:
    """Return everything held about a patient, and who processed it (Decree 13, art. 14–15)."""
    pid = patient.id

    def rows(model: Any, *where: Any, order: Any) -> list[dict[str, Any]]:
        return [_row(r) for r in session.scalars(sa.select(model).where(*where).order_by(order))]

    transfers = list(session.scalars(sa.select(Transfer).where(Transfer.patient_id == pid).order_by(Transfer.id)))
    account = None
    if patient.user is not None:
        account = _row(patient.user, skip=("ward_codes", "max_patients", "is_available"))
        account["tokens"] = rows(ApiToken, ApiToken.user_id == patient.user.id, order=ApiToken.id)
    return {
        "format": "f0monitor personal data export 1",
        "exported_at": now.isoformat(),
        "patient": _row(patient),
        "account": account,
        "reports": rows(SymptomReport, SymptomReport.patient_id == pid, order=SymptomReport.reported_at),
        "assessments": rows(RiskAssessment, RiskAssessment.patient_id == pid, order=RiskAssessment.id),
        "alerts": rows(Alert, Alert.patient_id == pid, order=Alert.opened_at),
        "contacts": rows(ContactLog, ContactLog.patient_id == pid, order=ContactLog.at),
        "transfers": [
            {**_row(t), "events": rows(TransferEvent, TransferEvent.transfer_id == t.id, order=TransferEvent.id)}
            for t in transfers
        ],
        "questions": rows(ConsultRequest, ConsultRequest.patient_id == pid, order=ConsultRequest.id),
        # Who read or changed the record, when (the addresses are the staff's, not shown).
        "processing": [
            {"at": _plain(e.at), "action": e.action, "by_user_id": e.user_id}
            for e in session.scalars(sa.select(AuditEvent).where(AuditEvent.patient_id == pid).order_by(AuditEvent.id))
        ],
    }


def anonymise(session: Session, patient: Patient, *, now: datetime, reason: str,
              user_id: int | None = None) -> None:
    """Remove the personal data of one case, keeping what the aggregates count (module doc)."""
    pid = patient.id
    patient.full_name = initials(patient.full_name)  # the validator folds name_search too
    patient.phone = f"anon-{pid}"
    patient.address = ""
    patient.national_id = None
    patient.date_of_birth = date(patient.date_of_birth.year, 1, 1)
    patient.discharge_note = None
    patient.claim_code_hash = None
    patient.claim_code_expires_at = None
    patient.anonymised_at = now
    patient.version = (patient.version or 1) + 1
    for report in session.scalars(sa.select(SymptomReport).where(SymptomReport.patient_id == pid)):
        report.note = None
    session.execute(sa.update(ContactLog).where(ContactLog.patient_id == pid).values(text=None))
    session.execute(sa.update(Alert).where(Alert.patient_id == pid).values(note=None))
    transfer_ids = sa.select(Transfer.id).where(Transfer.patient_id == pid).scalar_subquery()
    session.execute(sa.update(Transfer).where(Transfer.patient_id == pid).values(reason="", ambulance_ref=None))
    session.execute(sa.update(TransferEvent).where(TransferEvent.transfer_id.in_(transfer_ids)).values(note=None))
    session.execute(
        sa.update(ConsultRequest).where(ConsultRequest.patient_id == pid)
        .values(name=None, phone="", question="", answer=None)
    )
    user = patient.user
    if user is not None:
        user.full_name = patient.full_name
        user.phone = f"anon-u{user.id}"
        user.password_hash = None
        user.is_active_account = False
        user.session_version = (user.session_version or 1) + 1
        session.execute(
            sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    audit.record(session, user_id=user_id, patient_id=pid, action="anonymise", now=now,
                 detail=reason[:255])
    session.flush()


def due(session: Session, *, now: datetime, days: int = DEFAULT_RETENTION_DAYS) -> list[Patient]:
    """Return the cases whose treatment ended more than ``days`` ago, not yet anonymised."""
    cutoff = now - timedelta(days=days)
    return list(
        session.scalars(
            sa.select(Patient)
            .where(Patient.status != PatientStatus.ACTIVE, Patient.anonymised_at.is_(None),
                   Patient.status_changed_at < cutoff)
            .order_by(Patient.id)
        )
    )


@dataclass(frozen=True)
class RetentionRun:
    anonymised: int
    days: int
    cutoff: datetime


def run_retention(session: Session, *, now: datetime, days: int = DEFAULT_RETENTION_DAYS,
                  user_id: int | None = None) -> RetentionRun:
    """Anonymise every case past the retention period (idempotent: a second run finds none)."""
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cases = due(session, now=now, days=days)
    for patient in cases:
        why = "consent withdrawn" if patient.consent_withdrawn_at else "treatment ended"
        anonymise(session, patient, now=now, user_id=user_id,
                  reason=f"retention {days} days after {why} ({patient.status})")
    return RetentionRun(anonymised=len(cases), days=days, cutoff=now - timedelta(days=days))

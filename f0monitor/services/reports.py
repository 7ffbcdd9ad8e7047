"""Storing reports: one code path for every channel, scored in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import Patient, RiskAssessment, SymptomReport, User
from ..domain import covid as risk
from ..domain import vitals
from ..domain.clock import local_date, slot_of
from .assessments import earlier_reports, store_assessment, to_profile, to_risk_report
from .inputs import ReportInput


@dataclass
class Recorded:
    """What storing a report gave: the rows and whether this call created them."""

    report: SymptomReport
    assessment: RiskAssessment
    result: risk.Assessment | None
    created: bool


def find_by_key(session: Session, patient_id: int, client_key: str | None) -> SymptomReport | None:
    """Return the report a submission key already stored, if any."""
    if not client_key:
        return None
    return session.scalar(
        sa.select(SymptomReport).where(
            SymptomReport.patient_id == patient_id, SymptomReport.client_key == client_key
        )
    )


def record_report(
    session: Session,
    patient: Patient,
    data: ReportInput,
    *,
    now: datetime,
    channel: str,
    entered_by: User | None = None,
) -> Recorded:
    """Store a report once per submission key, assess it and update the patient.

    A second call with the same key returns the first report and stores nothing.
    """
    existing = find_by_key(session, patient.id, data.client_key)
    if existing is not None:
        return Recorded(existing, existing.assessment, None, created=False)
    reported_at = data.reported_at or now
    report = SymptomReport(
        patient_id=patient.id,
        reported_at=reported_at,
        report_date=local_date(reported_at),
        slot=slot_of(reported_at),
        channel=channel,
        entered_by_id=entered_by.id if entered_by else None,
        **vitals.values_of(data),  # a column per vital of the spec
        no_oximeter=data.no_oximeter,
        symptoms=sorted(data.symptoms),
        note=(data.note or "").strip() or None,
        client_key=data.client_key or None,
        created_at=now,
    )
    session.add(report)
    session.flush()
    history = earlier_reports(session, patient.id, reported_at, exclude_id=report.id)
    result = risk.assess(to_profile(patient), to_risk_report(report), history)
    row = store_assessment(session, patient, report, result, now=now)
    session.flush()
    return Recorded(report, row, result, created=True)


def recent_reports(session: Session, patient_id: int, limit: int = 60) -> list[SymptomReport]:
    """Return a patient's reports, newest first, with their assessments."""
    from sqlalchemy.orm import selectinload

    return list(
        session.scalars(
            sa.select(SymptomReport)
            .options(selectinload(SymptomReport.assessment))
            .where(SymptomReport.patient_id == patient_id)
            .order_by(SymptomReport.reported_at.desc(), SymptomReport.id.desc())
            .limit(limit)
        )
    )

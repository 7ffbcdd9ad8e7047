"""Where a patient stands today, as the patient sees it: their home page and `GET /api/v1/me`.

One function answers both, so the page and the API cannot drift apart on what "an open
alert", "the latest transfer" or "the next report due" mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import Alert, Patient, RiskAssessment, SymptomReport, Transfer
from ..domain import covid as risk
from ..domain.clock import local_date, next_report_due
from ..domain.states import AlertState
from .reports import recent_reports


@dataclass(frozen=True)
class PatientSummary:
    """A patient's situation at one moment."""

    open_alert: Alert | None  # not yet resolved (open or acknowledged)
    latest_transfer: Transfer | None  # the most recently requested, in any state
    day_of_treatment: int  # day 1 is the date of the positive test
    next_report_due: datetime  # 08:00 or 16:00, Vietnam time
    reporting_flag: str | None  # "overdue", "missing" or None
    latest_report: SymptomReport | None

    @property
    def latest_assessment(self) -> RiskAssessment | None:
        """The assessment of the latest report, if there is one."""
        return self.latest_report.assessment if self.latest_report is not None else None


def open_alert(session: Session, patient_id: int) -> Alert | None:
    """Return the patient's alert that is not resolved yet, if any (there is at most one)."""
    return session.scalar(
        sa.select(Alert).where(Alert.patient_id == patient_id, Alert.state != AlertState.RESOLVED).limit(1)
    )


def latest_transfer(session: Session, patient_id: int) -> Transfer | None:
    """Return the patient's most recently requested transfer, if any."""
    return session.scalar(
        sa.select(Transfer)
        .where(Transfer.patient_id == patient_id)
        .order_by(Transfer.requested_at.desc())
        .limit(1)
    )


def latest_report(session: Session, patient_id: int) -> SymptomReport | None:
    """Return the patient's newest report, with its assessment."""
    newest = recent_reports(session, patient_id, limit=1)
    return newest[0] if newest else None


def patient_summary(session: Session, patient: Patient, *, now: datetime) -> PatientSummary:
    """Summarise where the patient stands at ``now``."""
    return PatientSummary(
        open_alert=open_alert(session, patient.id),
        latest_transfer=latest_transfer(session, patient.id),
        day_of_treatment=risk.day_of_treatment(patient.positive_test_date, local_date(now)),
        next_report_due=next_report_due(patient.last_report_at, now),
        reporting_flag=risk.reporting_flag(patient.last_report_at, patient.registered_at, now),
        latest_report=latest_report(session, patient.id),
    )

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
from ..domain.states import AlertState, PatientStatus, TransferState
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
    # What the home page is about, one of PAGE_STATES (``page_state``): end of home
    # treatment first, then a transfer on its way, then an alert, else the daily routine.
    page_state: str = "active"

    @property
    def latest_assessment(self) -> RiskAssessment | None:
        """The assessment of the latest report, if there is one."""
        return self.latest_report.assessment if self.latest_report is not None else None


# The states of the patient's home page, each with its own words (templates/patients/home.html).
PAGE_STATES = (
    "recovered",
    "deceased",
    "withdrawn",
    "admitted",
    "transfer_requested",
    "transfer_accepted",
    "transfer_dispatched",
    "transfer_arrived",
    "alert_acknowledged",
    "alert_open",
    "active",
)
_TRANSFER_ON_ITS_WAY = (
    TransferState.REQUESTED,
    TransferState.ACCEPTED,
    TransferState.DISPATCHED,
    TransferState.ARRIVED,
)


def page_state(status: str, alert: Alert | None, transfer: Transfer | None) -> str:
    """Return the home page state of a patient (see ``PatientSummary.page_state``)."""
    if status in (PatientStatus.RECOVERED, PatientStatus.DECEASED, PatientStatus.WITHDRAWN):
        return str(status)
    admitted = transfer is not None and transfer.state == TransferState.ADMITTED
    if status == PatientStatus.TRANSFERRED or admitted:
        return "admitted"
    if transfer is not None and transfer.state in _TRANSFER_ON_ITS_WAY:
        return f"transfer_{transfer.state}"
    if alert is not None:
        return "alert_acknowledged" if alert.state == AlertState.ACKNOWLEDGED else "alert_open"
    return "active"


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
    alert = open_alert(session, patient.id)
    transfer = latest_transfer(session, patient.id)
    return PatientSummary(
        open_alert=alert,
        latest_transfer=transfer,
        day_of_treatment=risk.day_of_treatment(patient.positive_test_date, local_date(now)),
        next_report_due=next_report_due(patient.last_report_at, now),
        reporting_flag=risk.reporting_flag(patient.last_report_at, patient.registered_at, now),
        latest_report=latest_report(session, patient.id),
        page_state=page_state(patient.status, alert, transfer),
    )

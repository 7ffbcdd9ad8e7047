"""Re-scoring every active patient after a rules change, in batches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from .. import risk
from ..models import Patient, SymptomReport
from .assessments import HISTORY_WINDOW, fill_assessment_row, set_patient_tier, to_profile, to_risk_report


@dataclass
class Summary:
    patients: int = 0
    changes: Counter = field(default_factory=Counter)
    rules_version: str = risk.RULES_VERSION


def active_count(session: Session) -> int:
    """Return how many patients are under home treatment."""
    return session.scalar(sa.select(sa.func.count()).select_from(Patient).where(Patient.status == "active")) or 0


def reassess_all(
    session: Session,
    *,
    now: datetime,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Re-score each active patient's latest report (or profile) and commit batch by batch."""
    summary = Summary()
    last_id = 0
    while True:
        patients = list(
            session.scalars(
                sa.select(Patient)
                .where(Patient.status == "active", Patient.id > last_id)
                .order_by(Patient.id)
                .limit(batch_size)
            )
        )
        if not patients:
            break
        last_id = patients[-1].id
        ids = [p.id for p in patients]
        # The latest report of each patient and the reports of the window before it, in two queries.
        latest_at = dict(
            session.execute(
                sa.select(SymptomReport.patient_id, sa.func.max(SymptomReport.reported_at))
                .where(SymptomReport.patient_id.in_(ids))
                .group_by(SymptomReport.patient_id)
            ).all()
        )
        floor = min(latest_at.values(), default=now) - HISTORY_WINDOW
        reports = session.scalars(
            sa.select(SymptomReport)
            .options(selectinload(SymptomReport.assessment))
            .where(SymptomReport.patient_id.in_(ids), SymptomReport.reported_at >= floor)
        ).all()
        by_patient: dict[int, list[SymptomReport]] = {}
        for r in reports:
            by_patient.setdefault(r.patient_id, []).append(r)
        for patient in patients:
            old = patient.current_tier
            mine = sorted(by_patient.get(patient.id, []), key=lambda r: (r.reported_at, r.id))
            profile = to_profile(patient)
            if mine:
                latest = mine[-1]
                history = [
                    to_risk_report(r)
                    for r in mine[:-1]
                    if r.reported_at >= latest.reported_at - HISTORY_WINDOW
                ]
                result = risk.assess(profile, to_risk_report(latest), history)
                fill_assessment_row(latest, patient, result, now=now)
            else:
                result = risk.assess(profile, risk.Report(reported_at=now))
            set_patient_tier(patient, result, now=now)
            if old != patient.current_tier:
                summary.changes[(old, patient.current_tier)] += 1
            summary.patients += 1
        session.commit()
        session.expunge_all()
        if progress:
            progress(len(patients))
    return summary

"""Re-scoring every active patient after a rules change, in batches.

It runs the same `risk.assess` as every stored report, but reads plain rows and writes with
bulk UPDATEs, so that a province's 300,000 active patients re-score in well under a minute.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import risk
from ..models import Patient, SymptomReport
from .assessments import (
    HISTORY_WINDOW,
    assessment_values,
    patient_tier_values,
    to_profile,
    to_risk_report,
)

_PROFILE_COLUMNS = (
    Patient.id,
    Patient.current_tier,
    Patient.date_of_birth,
    Patient.sex,
    Patient.comorbidities,
    Patient.comorbidities_stable,
    Patient.pregnant,
    Patient.postpartum,
    Patient.fully_vaccinated,
    Patient.height_cm,
    Patient.weight_kg,
    Patient.positive_test_date,
    Patient.news2_scale,
)
_REPORT_COLUMNS = (
    SymptomReport.id,
    SymptomReport.patient_id,
    SymptomReport.reported_at,
    SymptomReport.temperature_c,
    SymptomReport.spo2,
    SymptomReport.spo2_recheck,
    SymptomReport.pulse,
    SymptomReport.respiratory_rate,
    SymptomReport.systolic_bp,
    SymptomReport.diastolic_bp,
    SymptomReport.symptoms,
)


@dataclass
class Summary:
    patients: int = 0
    changes: Counter = field(default_factory=Counter)
    rules_version: str = risk.RULES_VERSION


def active_count(session: Session) -> int:
    """Return how many patients are under home treatment."""
    return (
        session.scalar(
            sa.select(sa.func.count()).select_from(Patient).where(Patient.status == "active")
        )
        or 0
    )


def reassess_all(
    session: Session,
    *,
    now: datetime,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Re-score each active patient's latest report (or profile); commit batch by batch."""
    summary = Summary()
    last_id = 0
    while True:
        patients = session.execute(
            sa.select(*_PROFILE_COLUMNS)
            .where(Patient.status == "active", Patient.id > last_id)
            .order_by(Patient.id)
            .limit(batch_size)
        ).all()
        if not patients:
            break
        last_id = patients[-1].id
        reports = _recent_reports(session, [p.id for p in patients])
        assessment_updates, patient_updates = [], []
        for patient in patients:
            mine = reports.get(patient.id, [])
            profile = to_profile(patient)
            if mine:
                latest = mine[-1]
                floor = latest.reported_at - HISTORY_WINDOW
                history = [to_risk_report(r) for r in mine[:-1] if r.reported_at >= floor]
                result = risk.assess(profile, to_risk_report(latest), history)
                assessment_updates.append(
                    {"b_report_id": latest.id, **assessment_values(result, now=now)}
                )
            else:
                result = risk.assess(profile, risk.Report(reported_at=now))
            values = patient_tier_values(result)
            changed = patient.current_tier != values["current_tier"]
            patient_updates.append(
                {"b_id": patient.id, **values, "tier_since": now if changed else None,
                 "b_changed": changed}
            )
            if changed:
                summary.changes[(patient.current_tier, values["current_tier"])] += 1
            summary.patients += 1
        _write(session, assessment_updates, patient_updates)
        session.commit()
        if progress:
            progress(len(patients))
    return summary


def _recent_reports(session: Session, ids: list[int]) -> dict[int, list[sa.Row]]:
    """Return each patient's reports from the window before their latest, oldest first."""
    latest = (
        sa.select(
            SymptomReport.patient_id.label("pid"),
            sa.func.max(SymptomReport.reported_at).label("latest_at"),
        )
        .where(SymptomReport.patient_id.in_(ids))
        .group_by(SymptomReport.patient_id)
    )
    if session.get_bind().dialect.name == "postgresql":
        # The database does the window: timestamp - interval, per patient.
        sub = latest.subquery()
        stmt = (
            sa.select(*_REPORT_COLUMNS)
            .join(sub, sub.c.pid == SymptomReport.patient_id)
            .where(
                sa.type_coerce(SymptomReport.reported_at, sa.DateTime)
                >= sa.type_coerce(sub.c.latest_at, sa.DateTime) - HISTORY_WINDOW
            )
        )
    else:
        # SQLite cannot subtract an interval from its text timestamps: take the batch's
        # earliest window start, then trim per patient below.
        latest_at = [row.latest_at for row in session.execute(latest)]
        if not latest_at:
            return {}
        floor = min(latest_at) - HISTORY_WINDOW
        stmt = sa.select(*_REPORT_COLUMNS).where(
            SymptomReport.patient_id.in_(ids), SymptomReport.reported_at >= floor
        )
    by_patient: dict[int, list[sa.Row]] = {}
    for row in session.execute(stmt):
        by_patient.setdefault(row.patient_id, []).append(row)
    for items in by_patient.values():
        items.sort(key=lambda r: (r.reported_at, r.id))
    return by_patient


_JSON_COLUMNS = frozenset(
    {"warning_signs", "reasons", "baseline_reasons", "eligibility_reasons"}
)


def _write(session: Session, assessments: list[dict], patients: list[dict]) -> None:
    """Apply the new verdicts with executemany UPDATEs straight on the driver.

    SQLAlchemy's per-row parameter processing cost more than the rules themselves here, so
    the values are prepared once in Python (JSON text, naive UTC) and handed to the driver.
    """
    connection = session.connection()
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"

    def prepare(value: object, column: str) -> object:
        if column in _JSON_COLUMNS:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if isinstance(value, datetime):
            naive = value.astimezone(UTC).replace(tzinfo=None)
            # SQLAlchemy stores SQLite datetimes as this text; keep the same form.
            return naive.isoformat(" ", "microseconds") if dialect.name == "sqlite" else naive
        return value

    def run(table: str, key: str, rows: list[dict]) -> None:
        if not rows:
            return
        cols = [c for c in rows[0] if not c.startswith("b_")]
        sql = (
            f"UPDATE {table} SET "
            + ", ".join(f"{c} = {mark}" for c in cols)
            + f" WHERE {key.removeprefix('b_')} = {mark}"
        )
        params = [tuple(prepare(r[c], c) for c in cols) + (r[key],) for r in rows]
        connection.exec_driver_sql(sql, params)

    run("risk_assessments", "b_report_id", assessments)
    changed = [{k: v for k, v in p.items() if k != "b_changed"} for p in patients if p["b_changed"]]
    same = [
        {k: v for k, v in p.items() if k not in ("b_changed", "tier_since")}
        for p in patients
        if not p["b_changed"]
    ]
    run("patients", "b_id", changed)
    run("patients", "b_id", same)

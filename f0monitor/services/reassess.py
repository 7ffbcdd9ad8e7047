"""Re-scoring every active patient after a rules change, in batches.

It runs the same `risk.assess` as every stored report, but reads plain rows and writes with
bulk UPDATEs, so that a province's 300,000 active patients re-score in well under a minute.
"""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter, deque, namedtuple
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import Patient, SymptomReport
from ..domain import covid as risk
from ..domain import vitals
from ..domain.states import PatientStatus
from . import rollup
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
    Patient.ward_code,
    Patient.province_code,
    Patient.baseline_tier,
)
_REPORT_COLUMNS = (
    SymptomReport.id,
    SymptomReport.patient_id,
    SymptomReport.reported_at,
    *(getattr(SymptomReport, name) for name in vitals.NAMES),
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
            sa.select(sa.func.count()).select_from(Patient).where(Patient.status == PatientStatus.ACTIVE)
        )
        or 0
    )


ProfileRow = namedtuple("ProfileRow", [c.key for c in _PROFILE_COLUMNS])  # type: ignore[misc]
ReportRow = namedtuple("ReportRow", [c.key for c in _REPORT_COLUMNS])  # type: ignore[misc]
Batch = tuple[list, dict]


def reassess_all(
    session: Session,
    *,
    now: datetime,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> Summary:
    """Re-score each active patient's latest report (or profile); commit batch by batch.

    With ``workers`` > 1 the rules run in that many forked processes while this one reads the
    next batches and writes the finished ones (the database work stays in one connection).
    """
    summary = Summary()

    dialect = session.get_bind().dialect.name

    def finish(scored: tuple[Prepared, Counter, int]) -> None:
        prepared, changes, count = scored
        _write(session, prepared, now)
        session.commit()
        summary.changes.update(changes)
        summary.patients += count
        if progress:
            progress(count)

    if workers <= 1:
        for patients, reports in _batches(session, batch_size, now):
            finish(score_batch(patients, reports, now, dialect))
        return summary
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque = deque()
        for patients, reports in _batches(session, batch_size, now):
            pending.append(pool.submit(score_batch, patients, reports, now, dialect))
            while len(pending) > workers:
                finish(pending.popleft().result())
        while pending:
            finish(pending.popleft().result())
    return summary


def _batches(session: Session, batch_size: int, now: datetime) -> Iterator[Batch]:
    """Yield active patients batch by batch, with their recent reports, as plain tuples."""
    last_id = 0
    while True:
        rows = session.execute(
            sa.select(*_PROFILE_COLUMNS)
            .where(Patient.status == PatientStatus.ACTIVE, Patient.id > last_id)
            .order_by(Patient.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        last_id = rows[-1].id
        reports = _recent_reports(session, [r.id for r in rows], now)
        yield (
            [ProfileRow(*r) for r in rows],
            {pid: [ReportRow(*r) for r in items] for pid, items in reports.items()},
        )


Prepared = dict[str, tuple[list[str], list[tuple]]]


def score_batch(
    patients: list, reports: dict, now: datetime, dialect: str = "sqlite"
) -> tuple[Prepared, Counter, int]:
    """Run the rules on one batch; return the UPDATE parameters and the tier changes (pure).

    The values come back ready for the driver (JSON text, naive UTC), so that a worker
    process does that work too and the writer only hands them over.
    """
    assessments: list[dict] = []
    changed: list[dict] = []
    same: list[dict] = []
    changes: Counter = Counter()
    moves: list[tuple] = []  # (ward, province, old tier, new tier): the caseload rollup's
    for patient in patients:
        mine = reports.get(patient.id, [])
        profile = to_profile(patient)
        if mine:
            latest = mine[-1]
            floor = latest.reported_at - HISTORY_WINDOW
            history = [to_risk_report(r) for r in mine[:-1] if r.reported_at >= floor]
            result = risk.assess(profile, to_risk_report(latest), history)
            assessments.append({**assessment_values(result, now=now), "report_id": latest.id})
        else:
            result = risk.assess(profile, risk.Report(reported_at=now))
        values = patient_tier_values(result)
        # The newest in-window report (None: none), so a future-dated one stops hiding a
        # patient from the overdue and missing flags.
        values["last_report_at"] = mine[-1].reported_at if mine else None
        if patient.current_tier != values["current_tier"]:
            changes[(patient.current_tier, values["current_tier"])] += 1
            changed.append({**values, "tier_since": now, "id": patient.id})
            moves.append((patient.ward_code, patient.province_code,
                          rollup.effective_tier(patient.current_tier, patient.baseline_tier),
                          rollup.effective_tier(values["current_tier"], values["baseline_tier"])))
        else:
            same.append({**values, "id": patient.id})
    prepared = {
        "risk_assessments": _params(assessments, dialect),
        "patients:changed": _params(changed, dialect),
        "patients:same": _params(same, dialect),
        ROLLUP: ([], moves),
    }
    return prepared, changes, len(patients)


def _params(rows: list[dict], dialect: str) -> tuple[list[str], list[tuple]]:
    """Return the column names and the driver-ready value tuples (key column last)."""
    if not rows:
        return [], []
    cols = list(rows[0])
    return cols, [tuple(_prepare(row[c], c, dialect) for c in cols) for row in rows]


def _prepare(value: object, column: str, dialect: str) -> object:
    if column in _JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, datetime):
        naive = value.astimezone(UTC).replace(tzinfo=None)
        # SQLAlchemy stores SQLite datetimes as this text; keep the same form.
        return naive.isoformat(" ", "microseconds") if dialect == "sqlite" else naive
    return value


def _recent_reports(session: Session, ids: list[int], now: datetime) -> dict[int, list[sa.Row]]:
    """Return each patient's reports from the window before their latest, oldest first.

    "Latest" is the newest in-window report: one dated in the future (a wrong device clock
    stored before VN-2022.2 refused them) is left out, so it cannot freeze the tier.
    """
    in_window = SymptomReport.reported_at <= now + risk.REPORT_FUTURE
    latest = (
        sa.select(
            SymptomReport.patient_id.label("pid"),
            sa.func.max(SymptomReport.reported_at).label("latest_at"),
        )
        .where(SymptomReport.patient_id.in_(ids), in_window)
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
                >= sa.type_coerce(sub.c.latest_at, sa.DateTime) - HISTORY_WINDOW,
                in_window,
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
            SymptomReport.patient_id.in_(ids), SymptomReport.reported_at >= floor, in_window
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


ROLLUP = "rollup:tier_moves"


def _write(session: Session, prepared: Prepared, now: datetime) -> None:
    """Apply the new verdicts with executemany UPDATEs straight on the driver.

    SQLAlchemy's per-row parameter processing cost more than the rules themselves here, so
    the values were prepared once (by ``score_batch``) and go to the driver as they are.
    """
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    for name, (cols, params) in prepared.items():
        if not params:
            continue
        if name == ROLLUP:  # the tier changes, in the caseload rollup (same transaction)
            rollup.tier_moves(session, params, at=now)
            continue
        table = name.split(":")[0]
        key = cols[-1]
        sql = (
            f"UPDATE {table} SET "
            + ", ".join(f"{c} = {mark}" for c in cols[:-1])
            + f" WHERE {key} = {mark}"
        )
        connection.exec_driver_sql(sql, params)

"""Turn typed reports and stored rows into the risk module's inputs, and its verdicts into rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, aliased, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..data.models import Alert, Patient, RiskAssessment, SymptomReport
from ..domain import covid as risk
from ..domain import vitals
from . import rollup  # its flush hook keeps the caseload rollup

# C2 needs the reports of the last 48 hours and the latest one before that; batch
# re-assessment (services.reassess) reads this window. One report reads `earlier_reports`.
HISTORY_WINDOW = timedelta(hours=72)


def to_profile(patient: Patient) -> risk.Profile:
    """Return the risk module's view of a patient's profile."""
    return risk.Profile(
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        comorbidities=frozenset(patient.comorbidities or ()),
        comorbidities_stable=bool(patient.comorbidities_stable),
        pregnant=bool(patient.pregnant),
        postpartum=bool(patient.postpartum),
        fully_vaccinated=bool(patient.fully_vaccinated),
        height_cm=patient.height_cm,
        weight_kg=patient.weight_kg,
        positive_test_date=patient.positive_test_date,
        news2_scale=patient.news2_scale or 1,
    )


def to_risk_report(report: Any, now: datetime | None = None) -> risk.Report:
    """Return the rules' view of a report: typed (``ReportInput``), stored or a plain row.

    Every vital of ``vitals.VITALS`` is read by name ("no oximeter" means no SpO2); a typed
    report without its own time is taken as made at ``now``.
    """
    return risk.Report(
        reported_at=report.reported_at or now,
        symptoms=frozenset(report.symptoms or ()),
        **vitals.values_of(report),
    )


def reason_rows(reasons: Sequence[risk.Reason]) -> list[dict[str, Any]]:
    """Return reasons as JSON-ready rows (code and parameters; http/labels renders the text)."""
    return [{"code": r.code, "params": dict(r.params)} for r in reasons]


def earlier_reports(
    session: Session, patient_id: int, before: datetime, exclude_id: int | None = None
) -> list[risk.Report]:
    """Return the earlier reports the time-based rules read, and no more.

    C2 reads the reports with a temperature from the latest one made at least
    ``risk.HISTORY_SPAN`` (48 h) before `before` up to `before`: one indexed range scan of
    two columns, whatever the length of the patient's history.
    """
    cutoff = before - risk.HISTORY_SPAN
    measured = [SymptomReport.patient_id == patient_id, SymptomReport.temperature_c.is_not(None)]
    if exclude_id is not None:
        measured.append(SymptomReport.id != exclude_id)
    anchor = (
        sa.select(sa.func.max(SymptomReport.reported_at))
        .where(*measured, SymptomReport.reported_at <= cutoff)
        .scalar_subquery()
    )
    stmt = sa.select(SymptomReport.reported_at, SymptomReport.temperature_c).where(
        *measured, SymptomReport.reported_at < before, SymptomReport.reported_at >= anchor
    )
    return [risk.Report(reported_at=at, temperature_c=temp) for at, temp in session.execute(stmt)]


def history_column(dialect: str, patient_id: int, before: datetime) -> sa.ScalarSelect[Any]:
    """The rows `earlier_reports` reads, as one JSON value ``[[reported_at, temperature], …]``.

    A column of the report's own INSERT ... RETURNING (services.reports.insert_once): the
    feverish child's report, the one report whose verdict reads history, then costs no
    statement more than any other. The rows are those of `earlier_reports`, on an alias of
    the table (the INSERT's own table would be correlated away).
    """
    earlier = aliased(SymptomReport)
    older = aliased(SymptomReport)
    cutoff = before - risk.HISTORY_SPAN
    anchor = (
        sa.select(sa.func.max(older.reported_at))
        .where(older.patient_id == patient_id, older.temperature_c.is_not(None), older.reported_at <= cutoff)
        .scalar_subquery()
    )
    if dialect == "postgresql":
        rows = sa.func.json_agg(sa.func.json_build_array(earlier.reported_at, earlier.temperature_c))
    else:
        rows = sa.func.json_group_array(sa.func.json_array(earlier.reported_at, earlier.temperature_c))
    return (
        sa.select(sa.type_coerce(rows, sa.JSON))
        .where(earlier.patient_id == patient_id, earlier.temperature_c.is_not(None),
               earlier.reported_at < before, earlier.reported_at >= anchor)
        .scalar_subquery()
    )


def history_of(value: Any) -> list[risk.Report]:
    """Read the value of `history_column` back as reports (naive UTC times, as stored)."""
    if isinstance(value, str):  # a driver that hands JSON over as text
        value = json.loads(value)
    return [
        risk.Report(reported_at=datetime.fromisoformat(at).replace(tzinfo=UTC), temperature_c=temp)
        for at, temp in value or ()
    ]


def history_for(
    session: Session, patient: Patient, report: risk.Report, exclude_id: int | None = None
) -> list[risk.Report]:
    """Return the history the rules need for this report: none unless they read it."""
    if not risk.history_needed(to_profile(patient), report):
        return []
    return earlier_reports(session, patient.id, report.reported_at, exclude_id=exclude_id)


def store_assessment(
    session: Session,
    patient: Patient,
    report: SymptomReport,
    result: risk.Assessment,
    *,
    now: datetime,
) -> tuple[RiskAssessment, Alert | None]:
    """Store the verdict on a report just inserted and bring the patient's state up to date.

    Returns the assessment row and the alert it opened (None when none, or one was open).
    Nothing is read: the patient's current state (tier, last report, open alert) is on the
    patient. The assessment's INSERT and the patient's UPDATE are Core statements, not a
    unit-of-work flush (which cost a report more than both statements): one statement on
    PostgreSQL (the INSERT in a WITH of the UPDATE), two on SQLite. The loaded objects are
    then set to what was written (nothing is left pending), and the rollup is told of a tier
    change or an alert opened here, as the flush hook would have been (`rollup.tier_moves`).
    On PostgreSQL a report whose verdict reads no history is stored with its verdict in one
    statement instead (`store_report`).
    """
    plan = _plan(patient, report.id, report.reported_at, result, now=now)
    connection = session.connection()
    assessment_id = _write(connection, plan.assessment, patient.id, plan.changes)
    alert_id = None
    if plan.alert is not None:
        alert_id = connection.execute(_alert_insert(), plan.alert).scalar_one()
    return _written(session, patient, report, plan, assessment_id, alert_id)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What storing one verdict writes: the assessment's columns, the patient's changed
    columns and, when the verdict opens one, the alert's columns."""

    assessment: dict[str, Any]
    changes: dict[str, Any]
    alert: dict[str, Any] | None


def _plan(patient: Patient, report_id: int | None, reported_at: datetime, result: risk.Assessment, *,
          now: datetime) -> _Plan:
    """Decide what a verdict on a report made at ``reported_at`` writes (``report_id`` None:
    the report is inserted by the same statement)."""
    values = {"report_id": report_id, "patient_id": patient.id, **assessment_values(result, now=now)}
    changes: dict[str, Any] = {}
    # The newest in-window report sets the tier: a stored time in the future (a wrong clock,
    # before VN-2022.2 refused them) must not freeze it.
    last = patient.last_report_at
    if last is None or reported_at >= last or not risk.counts_as_newest(last, now):
        if patient.current_tier != result.tier.value:
            changes["tier_since"] = now
        changes.update(patient_tier_values(result))
        changes["last_report_at"] = reported_at
    alert = None
    if result.alert and not patient.has_open_alert:
        changes["has_open_alert"] = True
        changes["alert_opened_at"] = now
        alert = {**_NO_ALERT_YET, "patient_id": patient.id, "report_id": report_id, "state": "open",
                 "reason_codes": [r.code for r in result.warning_signs], "opened_at": now}
    changes = {name: value for name, value in changes.items() if getattr(patient, name) != value}
    return _Plan(values, changes, alert)


def _written(session: Session, patient: Patient, report: SymptomReport, plan: _Plan, assessment_id: int,
             alert_id: int | None) -> tuple[RiskAssessment, Alert | None]:
    """Set the loaded objects to what a plan wrote, and count it in the rollup."""
    old_tier = rollup.effective_tier(patient.current_tier, patient.baseline_tier)
    for name, value in plan.changes.items():
        set_committed_value(patient, name, value)
    new_tier = rollup.effective_tier(patient.current_tier, patient.baseline_tier)
    row = _loaded(session, RiskAssessment, assessment_id, {**plan.assessment, "report_id": report.id})
    set_committed_value(report, "assessment", row)
    set_committed_value(row, "report", report)
    alert = None
    if plan.alert is not None:
        alert = _loaded(session, Alert, alert_id, {**plan.alert, "report_id": report.id})
    # The tier change and the alert opened: one upsert of the rollup, none for a calm report.
    rollup.report_stored(session, patient, tier_moved=(old_tier, new_tier), alert=alert)
    return row, alert


def store_report(
    session: Session, patient: Patient, report_values: dict[str, Any], result: risk.Assessment, *, now: datetime
) -> tuple[SymptomReport, RiskAssessment, Alert | None] | None:
    """Insert a report unless its submission key is stored, with its verdict, in one statement.

    PostgreSQL only, and for a verdict that read no history (it is decided before the
    report exists): ``WITH report AS (INSERT … ON CONFLICT DO NOTHING RETURNING …)`` feeds the
    assessment's and the alert's ``INSERT … SELECT … FROM report`` and the patient's UPDATE
    (``WHERE EXISTS (SELECT FROM report)``), so a key already stored writes nothing at all and
    answers None, as `reports.insert_once` does. A calm report is then one statement, an alert
    two (with the rollup's upsert). Pending changes are flushed first.
    """
    session.flush()  # what is pending goes first (a Core statement does not autoflush)
    plan = _plan(patient, None, report_values["reported_at"], result, now=now)
    alert_names = tuple(sorted(n for n in plan.alert if n != "report_id")) if plan.alert is not None else None
    key = ("report", tuple(sorted(report_values)), tuple(sorted(plan.changes)), alert_names)
    if key not in _WRITES:
        _WRITES[key] = _report_statement(*key[1:])
    params = {f"r_{name}": value for name, value in report_values.items()}
    params |= {f"a_{name}": value for name, value in plan.assessment.items() if name != "report_id"}
    params |= {f"p_{name}": value for name, value in plan.changes.items()}
    params["p_id"] = patient.id
    if plan.alert is not None:
        params |= {f"l_{name}": value for name, value in plan.alert.items() if name != "report_id"}
    row = session.connection().execute(_WRITES[key], params).one_or_none()
    if row is None:
        return None
    columns = row._asdict()
    assessment_id, alert_id = columns.pop("assessment_id"), columns.pop("alert_id", None)
    # The new report as if loaded (a Core INSERT: no unit of work).
    report = SymptomReport(**columns)
    make_transient_to_detached(report)
    session.add(report)
    row_, alert = _written(session, patient, report, plan, assessment_id, alert_id)
    return report, row_, alert


def _report_statement(report_names: tuple[str, ...], changed: tuple[str, ...],
                      alert_names: tuple[str, ...] | None) -> Any:
    """The one statement of `store_report` for these columns given (built once for each set)."""
    reports, assessments, alerts, patients = (
        SymptomReport.__table__, RiskAssessment.__table__, Alert.__table__, Patient.__table__)
    inserted = (
        pg_insert(reports)
        .values({name: sa.bindparam(f"r_{name}", type_=reports.c[name].type) for name in report_names})
        .on_conflict_do_nothing(index_elements=["patient_id", "client_key"])
        .returning(*reports.c)
        .cte("report")
    )

    def from_report(table: sa.Table, prefix: str, names: Sequence[str]) -> Any:
        select = sa.select(inserted.c.id, *(sa.bindparam(f"{prefix}{n}", type_=table.c[n].type) for n in names))
        return sa.insert(table).from_select(["report_id", *names], select).returning(table.c.id)

    assessment_names = [c.name for c in assessments.c if c.name not in ("id", "report_id")]
    assessment = from_report(assessments, "a_", assessment_names).cte("assessment")
    columns = [*inserted.c, sa.select(assessment.c.id).scalar_subquery().label("assessment_id")]
    ctes = [assessment]
    if alert_names is not None:
        alert = from_report(alerts, "l_", alert_names).cte("alert")
        columns.append(sa.select(alert.c.id).scalar_subquery().label("alert_id"))
        ctes.append(alert)
    if changed:
        update = (
            sa.update(patients)
            .where(patients.c.id == sa.bindparam("p_id"), sa.exists(sa.select(inserted.c.id)))
            .values({name: sa.bindparam(f"p_{name}", type_=patients.c[name].type) for name in changed})
        )
        ctes.append(update.cte("patient"))
    return sa.select(*columns).select_from(inserted).add_cte(*ctes)


_NO_ALERT_YET = {
    "acknowledged_at": None, "acknowledged_by_id": None, "seconds_to_acknowledge": None, "escalated_at": None,
    "resolved_at": None, "resolved_by_id": None, "outcome": None, "note": None, "version": 1,
}


def _loaded(session: Session, model: type, ident: int, values: dict[str, Any]) -> Any:
    """The object of a row written with Core, in the session as if loaded (nothing pending)."""
    obj = model(id=ident, **values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def _alert_insert() -> Any:
    if "alert" not in _WRITES:
        _WRITES["alert"] = sa.insert(Alert.__table__).returning(Alert.__table__.c.id)
    return _WRITES["alert"]


_WRITES: dict[Any, Any] = {}


def _write(connection: sa.Connection, values: dict[str, Any], patient_id: int, changes: dict[str, Any]) -> int:
    """INSERT the assessment and UPDATE the patient's changed columns; return the assessment's id."""
    dialect = connection.dialect.name
    key = (dialect, frozenset(changes))
    if key not in _WRITES:
        _WRITES[key] = _write_statements(dialect, sorted(changes))
    statements = _WRITES[key]
    params = {f"a_{name}": value for name, value in values.items()}
    params |= {f"p_{name}": value for name, value in changes.items()}
    params["p_id"] = patient_id
    if len(statements) == 1:
        assessment_id = connection.execute(statements[0], params).scalar_one()
    else:
        insert, update = statements
        assessment_id = connection.execute(insert, params).scalar_one()
        if update is not None:
            connection.execute(update, params)
    return assessment_id


def _write_statements(dialect: str, changed: list[str]) -> tuple[Any, ...]:
    """The assessment's INSERT and the patient's UPDATE, as one statement where the dialect can."""
    table, patients = RiskAssessment.__table__, Patient.__table__
    insert = sa.insert(table).values(
        {c.name: sa.bindparam(f"a_{c.name}", type_=c.type) for c in table.c if c.name != "id"}
    ).returning(table.c.id)
    if not changed:
        return (insert,)
    update = sa.update(patients).where(patients.c.id == sa.bindparam("p_id")).values(
        {name: sa.bindparam(f"p_{name}", type_=patients.c[name].type) for name in changed}
    )
    if dialect == "postgresql":  # a data-modifying WITH: both in one round trip
        written = insert.cte("written")
        return (update.add_cte(written).returning(sa.select(written.c.id).scalar_subquery()),)
    return insert, update


def set_patient_tier(patient: Patient, result: risk.Assessment, *, now: datetime) -> None:
    """Copy a verdict's tiers and eligibility onto the patient."""
    if patient.current_tier != result.tier.value:
        patient.tier_since = now
    for name, value in patient_tier_values(result).items():
        setattr(patient, name, value)


def rescore_profile(session: Session, patient: Patient, *, now: datetime) -> risk.Assessment:
    """Re-score a patient after a change of profile, on the latest report or on none."""
    latest = session.scalar(
        sa.select(SymptomReport)
        .where(
            SymptomReport.patient_id == patient.id,
            SymptomReport.reported_at <= now + risk.REPORT_FUTURE,  # the newest in-window one
        )
        .order_by(SymptomReport.reported_at.desc(), SymptomReport.id.desc())
        .limit(1)
    )
    profile = to_profile(patient)
    if latest is None:
        result = risk.assess(profile, risk.Report(reported_at=now))
        set_patient_tier(patient, result, now=now)
        return result
    report = to_risk_report(latest)
    result = risk.assess(profile, report, history_for(session, patient, report, exclude_id=latest.id))
    fill_assessment_row(latest, patient, result, now=now)
    set_patient_tier(patient, result, now=now)
    return result


def assessment_values(result: risk.Assessment, *, now: datetime) -> dict[str, Any]:
    """Return the columns of a stored assessment for a verdict."""
    news2 = result.news2
    return {
        "assessed_at": now,
        "tier": result.tier.value,
        "baseline_tier": result.baseline_tier.value,
        "clinical_tier": result.clinical_tier.value,
        "alert": result.alert,
        "warning_signs": reason_rows(result.warning_signs),
        "reasons": reason_rows(result.reasons),
        "news2_score": news2.score if news2 else None,
        "news2_band": news2.band if news2 else None,
        "news2_complete": news2.complete if news2 else None,
        "severity": result.severity,
        "eligible_home_care": result.eligible_home_care,
        "rules_version": result.rules_version,
    }


def patient_tier_values(result: risk.Assessment) -> dict[str, Any]:
    """Return the patient columns that follow a verdict (tier_since is the caller's)."""
    return {
        "current_tier": result.tier.value,
        "baseline_tier": result.baseline_tier.value,
        "baseline_reasons": reason_rows(
            [r for r in result.reasons if r not in result.warning_signs and not r.code.startswith("NEWS2")]
        ),
        "eligible_home_care": result.eligible_home_care,
        "eligibility_reasons": reason_rows(result.eligibility_reasons),
    }


def fill_assessment_row(
    report: SymptomReport, patient: Patient, result: risk.Assessment, *, now: datetime
) -> RiskAssessment:
    """Write a verdict into the report's assessment row (created when missing)."""
    row = report.assessment
    if row is None:
        row = RiskAssessment(report=report, patient_id=patient.id)
    for name, value in assessment_values(result, now=now).items():
        setattr(row, name, value)
    return row

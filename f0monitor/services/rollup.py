"""The caseload rollup: what ``services.caseload`` counts, per local day and ward, never stale.

One ``CaseloadDay`` row per (day, ward) holds the counts of that day (registrations, patients
who recovered / were transferred / died / withdrew, alerts opened, patients whose positive test
was that day: the daily report's epidemic curve) and the net changes of the
caseload (``d_active`` and one ``d_<tier>`` per tier: +1 when a patient becomes active or
enters a tier, -1 when leaving it), so that the caseload at the end of D is their sum over the
days up to D: one grouped query over the days before a range and one over the range answer
the department's figures, whatever the number of patients.

Where it is kept: in the transaction of the change it counts, by the session's ``after_flush``
hook below (registered when this module is imported, which ``services.assessments`` does).
Every service that changes a counted column through the ORM is thereby counted, in the flush
that writes the change: registration (a new ``Patient``), re-scoring after a profile
correction, discharge, transfer admission, death, consent withdrawal (``Patient.status``,
``current_tier``, ``baseline_tier``), a new ``Alert``. The day of a change is the local day
of the column that dates it (``registered_at``, ``status_changed_at``, ``tier_since``,
``opened_at``), as the reference recount (``caseload.caseload_recount``) buckets them.
Writes that bypass the ORM call this module themselves: the batch re-assessment
(``tier_moves``) and report submission, whose writes are Core statements (``report_stored``:
the tier a report sets and the alert it opens). All the changes of one flush go out as ONE
executemany of one ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n``: two workers
never lose a count, and a calm report (no tier change, no alert) writes nothing here.

The times to acknowledge are no sums: each acknowledged alert is kept in ``CaseloadAck`` with
its patient's area (in the flush that acknowledges it), so that the medians read a narrow
index range instead of joining alerts to patients.

The overdue figure of a past day needs who reported in its last 12 hours: ``close_days``
counts them once the day is over (``reporters``, from the reports stored before its end; the
hourly job and ``flask rebuild-rollup`` run it), and a report stored later for that day (an
offline phone syncing, up to ``risk.REPORT_PAST`` late) adds itself to ``late_reporters`` in
its own transaction (``late_report``: only reports dated before today pay for it). Until a day
is closed the caseload counts its reporters from the reports (``reporters_by_day``).

``rebuild`` recomputes the whole rollup from the source tables (idempotent), with the
recount's own reading of the tier history: one change at ``tier_since``, from the latest
assessment before it (or the baseline).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..data.models import (
    ROLLUP_COUNTERS,
    TIERS,
    Alert,
    CaseloadAck,
    CaseloadClosedDay,
    CaseloadDay,
    Patient,
    RiskAssessment,
    SymptomReport,
)
from ..data.types import UTCDateTime
from ..domain import covid as risk
from ..domain.clock import VN_TZ, local_date, utcnow
from ..domain.states import PatientStatus

TABLE = CaseloadDay.__table__
LEFT = {
    PatientStatus.RECOVERED.value: "recovered",
    PatientStatus.TRANSFERRED.value: "transferred",
    PatientStatus.DECEASED.value: "deceased",
    PatientStatus.WITHDRAWN.value: "withdrawn",
}

Key = tuple[date, int, int]  # day, ward, province
Deltas = dict[Key, Counter]


def day_start(day: date) -> datetime:
    """Return midnight of a Vietnamese day as an aware instant."""
    return datetime.combine(day, time(0), tzinfo=VN_TZ)


def effective_tier(current: str | None, baseline: str | None) -> str | None:
    """Return the tier the caseload counts a patient in (None: in no tier)."""
    return current or baseline


def registered_late(registered_at: datetime) -> bool:
    """Tell whether a registration fell in the last 12 hours of its day (not due a report)."""
    return registered_at > day_start(local_date(registered_at) + timedelta(days=1)) - risk.OVERDUE_AFTER


# -- the deltas of one change ---------------------------------------------------------------


def _add(deltas: Deltas, at: datetime | None, ward: int, province: int, **changes: int) -> None:
    _add_on(deltas, local_date(at or utcnow()), ward, province, **changes)


def _add_on(deltas: Deltas, day: date, ward: int, province: int, **changes: int) -> None:
    key = (day, ward, province)
    counter = deltas.setdefault(key, Counter())
    for name, value in changes.items():
        counter[name] += value


def _tier_col(tier: str | None) -> str | None:
    return f"d_{tier}" if tier in TIERS else None


def _enter(deltas: Deltas, at: datetime | None, ward: int, province: int, tier: str | None) -> None:
    changes = {"d_active": 1}
    if _tier_col(tier):
        changes[_tier_col(tier)] = 1  # type: ignore[index]
    _add(deltas, at, ward, province, **changes)


def _leave(deltas: Deltas, at: datetime | None, ward: int, province: int, tier: str | None,
           status: str, registered_at: datetime | None) -> None:
    at = at or utcnow()
    changes = {"d_active": -1}
    if _tier_col(tier):
        changes[_tier_col(tier)] = -1  # type: ignore[index]
    if status in LEFT:
        changes[LEFT[status]] = 1
    if registered_at is not None and local_date(registered_at) == local_date(at) and registered_late(registered_at):
        changes["late_new"] = -1  # not active at the end of its day after all
    _add(deltas, at, ward, province, **changes)


def _move(deltas: Deltas, at: datetime | None, ward: int, province: int,
          old: str | None, new: str | None) -> None:
    changes: dict[str, int] = {}
    if _tier_col(old):
        changes[_tier_col(old)] = -1  # type: ignore[index]
    if _tier_col(new):
        changes[_tier_col(new)] = 1  # type: ignore[index]
    if changes:
        _add(deltas, at, ward, province, **changes)


def _positive(deltas: Deltas, day: date | None, ward: int, province: int) -> None:
    """A new patient on the epidemic curve: counted on the day of their positive test (a
    date, set at registration and never changed since)."""
    if day is not None:
        _add_on(deltas, day, ward, province, positive_tests=1)


def _registered(deltas: Deltas, patient: Any) -> None:
    """A new patient: counted on the day of registration, active from then on."""
    at = patient.registered_at
    changes = {"new": 1}
    if registered_late(at or utcnow()):
        changes["late_new"] = 1
    _add(deltas, at, patient.ward_code, patient.province_code, **changes)
    _positive(deltas, patient.positive_test_date, patient.ward_code, patient.province_code)
    _enter(deltas, at, patient.ward_code, patient.province_code,
           effective_tier(patient.current_tier, patient.baseline_tier))
    if patient.status != PatientStatus.ACTIVE:
        _leave(deltas, patient.status_changed_at, patient.ward_code, patient.province_code,
               effective_tier(patient.current_tier, patient.baseline_tier), patient.status, at)


# -- kept by the flush ----------------------------------------------------------------------


def _before(state: Any, key: str) -> Any:
    """Return the value an attribute had before the pending change (active_history is on)."""
    history = state.attrs[key].history
    if history.deleted:
        return history.deleted[0]
    if history.added:
        return None  # it was None
    return getattr(state.obj(), key)


_COUNTED = ("status", "current_tier", "baseline_tier")


def _changed(deltas: Deltas, patient: Patient) -> None:
    state = sa.inspect(patient)
    # Read without loading anything: a report that only moves last_report_at costs nothing here.
    if not any(state.attrs[key].history.has_changes() for key in _COUNTED):
        return
    old_status, new_status = _before(state, "status"), patient.status
    old_tier = effective_tier(_before(state, "current_tier"), _before(state, "baseline_tier"))
    new_tier = effective_tier(patient.current_tier, patient.baseline_tier)
    was, stays = old_status == PatientStatus.ACTIVE, new_status == PatientStatus.ACTIVE
    ward, province = patient.ward_code, patient.province_code
    if was and not stays:
        _leave(deltas, patient.status_changed_at, ward, province, old_tier, new_status, patient.registered_at)
    elif stays and not was:  # back under home treatment
        _enter(deltas, patient.status_changed_at, ward, province, new_tier)
    elif was and stays and old_tier != new_tier:
        _move(deltas, patient.tier_since, ward, province, old_tier, new_tier)


def _alert(session: Session, deltas: Deltas, alert: Alert) -> None:
    with session.no_autoflush:
        patient = session.get(Patient, alert.patient_id)  # in the identity map on every path
    if patient is not None:
        _add(deltas, alert.opened_at, patient.ward_code, patient.province_code, alerts_opened=1)


def _ack(session: Session, acks: list[dict], alert: Alert) -> None:
    with session.no_autoflush:
        patient = session.get(Patient, alert.patient_id)
    if patient is not None and alert.acknowledged_at is not None and alert.id is not None:
        acks.append({"alert_id": alert.id, "province_code": patient.province_code,
                     "ward_code": patient.ward_code, "acknowledged_at": alert.acknowledged_at,
                     "seconds": max(0.0, (alert.acknowledged_at - alert.opened_at).total_seconds())})


def collect(session: Session) -> tuple[Deltas, list[dict]]:
    """Return the rollup changes of what the session is flushing, and the acknowledgements."""
    deltas: Deltas = {}
    acks: list[dict] = []
    for obj in session.new:
        if isinstance(obj, Patient):
            _registered(deltas, obj)
        elif isinstance(obj, Alert):
            _alert(session, deltas, obj)
            if obj.acknowledged_at is not None:
                _ack(session, acks, obj)
    for obj in session.dirty:
        if obj in session.new:
            continue
        if isinstance(obj, Patient):
            _changed(deltas, obj)
        elif isinstance(obj, Alert) and sa.inspect(obj).attrs.acknowledged_at.history.has_changes():
            _ack(session, acks, obj)
    return deltas, acks


@sa.event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    deltas, acks = collect(session)
    if deltas:
        write(session.connection(), deltas)
    if acks:
        write_acks(session.connection(), acks)


def write_acks(connection: sa.Connection, acks: list[dict]) -> None:
    """Keep each acknowledged alert's wait with its area (once per alert)."""
    key = (connection.dialect.name, "acks")
    if key not in _STATEMENTS:
        stmt = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(CaseloadAck.__table__)
        _STATEMENTS[key] = stmt.on_conflict_do_update(
            index_elements=[CaseloadAck.__table__.c.alert_id],
            set_={c: stmt.excluded[c] for c in ("acknowledged_at", "seconds", "ward_code", "province_code")},
        )
    connection.execute(_STATEMENTS[key], acks)


# -- the writes -----------------------------------------------------------------------------

_STATEMENTS: dict[tuple[str, str], Any] = {}


def _insert(dialect: str) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(TABLE)


def _upsert(dialect: str, name: str, columns: Any) -> Any:
    """INSERT a (day, ward) row, or update the row there with ``columns(excluded)``; each
    statement is built once per dialect."""
    key = (dialect, name)
    if key not in _STATEMENTS:
        stmt = _insert(dialect)
        _STATEMENTS[key] = stmt.on_conflict_do_update(
            index_elements=[TABLE.c.day, TABLE.c.ward_code], set_=columns(stmt.excluded))
    return _STATEMENTS[key]


def _increment_statement(dialect: str) -> Any:
    """INSERT a row of deltas, or add them to the row there."""
    return _upsert(dialect, "increment", lambda new: {n: TABLE.c[n] + new[n] for n in ROLLUP_COUNTERS})


def write(connection: sa.Connection, deltas: Deltas) -> None:
    """Add the deltas to the rollup: one statement, one parameter set per (day, ward)."""
    rows = [
        {"day": day, "ward_code": ward, "province_code": province,
         "reporters": 0, **{name: counter.get(name, 0) for name in ROLLUP_COUNTERS}}
        for (day, ward, province), counter in sorted(deltas.items())  # one lock order: no deadlock
        if any(counter.values())
    ]
    if rows:
        connection.execute(_increment_statement(connection.dialect.name), rows)


def tier_moves(session: Session, moves: Iterable[tuple[int, int, str | None, str | None]],
               *, at: datetime) -> None:
    """Count tier changes made without the ORM (ward, province, old tier, new tier) at `at`."""
    deltas: Deltas = {}
    for ward, province, old, new in moves:
        if old != new:
            _move(deltas, at, ward, province, old, new)
    if deltas:
        write(session.connection(), deltas)


def report_stored(session: Session, patient: Patient, *, tier_moved: tuple[str | None, str | None],
                  alert: Alert | None) -> None:
    """Count what a stored report changed without the ORM (services.assessments): the patient's
    move between tiers, dated by ``tier_since``, and the alert it opened; one upsert at most."""
    deltas: Deltas = {}
    old, new = tier_moved
    if old != new and patient.status == PatientStatus.ACTIVE:
        _move(deltas, patient.tier_since, patient.ward_code, patient.province_code, old, new)
    if alert is not None:
        _add(deltas, alert.opened_at, patient.ward_code, patient.province_code, alerts_opened=1)
    if deltas:
        write(session.connection(), deltas)


def late_report(session: Session, patient: Patient, report: SymptomReport, *, now: datetime) -> None:
    """Count a report stored after the end of its day among that day's reporters.

    Only an afternoon report (the last 12 hours of its day) of a patient registered at least
    12 hours before the end of that day counts, once per patient and day: the first such report
    adds one to ``late_reporters``. Reports of today (nearly all) return without a statement.
    """
    day = report.report_date
    if report.slot != "afternoon" or day >= local_date(now):
        return
    if patient.registered_at > day_start(day + timedelta(days=1)) - risk.OVERDUE_AFTER:
        return
    other = session.scalar(
        sa.select(SymptomReport.id)
        .where(SymptomReport.patient_id == patient.id, SymptomReport.report_date == day,
               SymptomReport.slot == "afternoon", SymptomReport.id != report.id)
        .limit(1)
    )
    if other is None:
        _write_one(session, day, patient, late_reporters=1)


def _write_one(session: Session, day: date, patient: Patient, **changes: int) -> None:
    deltas: Deltas = {(day, patient.ward_code, patient.province_code): Counter(changes)}
    write(session.connection(), deltas)


# -- reporters of past days -----------------------------------------------------------------


def reporters_by_day(
    session: Session, days: list[date], where: Any = None, *, stored_before_end: bool = False
) -> dict[tuple[date, int], tuple[int, int]]:
    """Return {(day, ward): (reporters, province)} for past days, from the reports.

    A reporter of day D: a patient with a report in its last 12 hours (the afternoon slot),
    registered at least 12 hours before its end and still at home then. With
    ``stored_before_end``, only the reports stored before the end of D count (``close_days``:
    later ones are counted as they come, by ``late_report``).
    """
    if not days:
        return {}
    days = sorted(days)
    ends = {d: day_start(d + timedelta(days=1)) for d in days}
    cutoff = sa.case({d: _at(ends[d] - risk.OVERDUE_AFTER) for d in days}, value=SymptomReport.report_date,
                     else_=None)
    end_of_day = sa.case({d: _at(ends[d]) for d in days}, value=SymptomReport.report_date, else_=None)
    conds = [
        sa.true() if where is None else where,
        SymptomReport.report_date.in_(days) if len(days) < 32 else sa.and_(
            SymptomReport.report_date >= days[0], SymptomReport.report_date <= days[-1]),
        SymptomReport.slot == "afternoon",
        Patient.registered_at <= cutoff,
        sa.or_(Patient.status == PatientStatus.ACTIVE, Patient.status_changed_at >= end_of_day),
    ]
    if stored_before_end:
        conds.append(SymptomReport.created_at < end_of_day)
    rows = session.execute(
        sa.select(SymptomReport.report_date, Patient.ward_code, Patient.province_code,
                  sa.func.count(sa.distinct(SymptomReport.patient_id)))
        .join(Patient, Patient.id == SymptomReport.patient_id)
        .where(*conds)
        .group_by(SymptomReport.report_date, Patient.ward_code, Patient.province_code)
    )
    wanted = set(days)
    return {(day, ward): (count, province) for day, ward, province, count in rows if day in wanted}


def _at(moment: datetime) -> Any:
    return sa.literal(moment, UTCDateTime())


def _set_reporters_statement(dialect: str) -> Any:
    return _upsert(dialect, "reporters",
                   lambda new: {"reporters": new.reporters, "median_minutes": new.median_minutes})


def tier_before_change() -> Any:
    """The tier a patient had before ``tier_since``: their latest assessment before it (a
    correlated scalar subquery over ``Patient``; NULL when there is none)."""
    return (
        sa.select(RiskAssessment.tier)
        .where(RiskAssessment.patient_id == Patient.id, RiskAssessment.assessed_at < Patient.tier_since)
        .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def median_minutes(seconds: Iterable[float]) -> float | None:
    """Return the median of waits in seconds, in minutes to one decimal (None for none)."""
    values = list(seconds)
    if not values:
        return None
    return round(statistics.median(values) / 60, 1)


def closed_days(session: Session, first: date, last: date) -> set[date]:
    """Return the days from `first` to `last` whose reporters are in the rollup."""
    return set(session.scalars(
        sa.select(CaseloadClosedDay.day).where(CaseloadClosedDay.day >= first, CaseloadClosedDay.day <= last)
    ))


def close_days(session: Session, *, now: datetime, since: date | None = None,
               stored_before_end: bool = True) -> list[date]:
    """Count the reporters of the past days not yet closed (from `since`, default 31 days ago).

    Idempotent: a closed day is left as it is. Returns the days closed. Flushes, never commits.
    """
    today = local_date(now)
    since = since or today - timedelta(days=31)
    done = closed_days(session, since, today)
    days = [since + timedelta(days=i) for i in range((today - since).days) if since + timedelta(days=i) not in done]
    if not days:
        return []
    counts = reporters_by_day(session, days, stored_before_end=stored_before_end)
    waits: dict[tuple[date, int], list[float]] = defaultdict(list)
    provinces: dict[int, int] = {}
    wanted = set(days)
    for acked, seconds, ward, province in session.execute(
        sa.select(CaseloadAck.acknowledged_at, CaseloadAck.seconds, CaseloadAck.ward_code,
                  CaseloadAck.province_code)
        .where(CaseloadAck.acknowledged_at >= day_start(days[0]),
               CaseloadAck.acknowledged_at < day_start(days[-1] + timedelta(days=1)))
    ):
        if local_date(acked) in wanted:
            waits[(local_date(acked), ward)].append(seconds)
            provinces[ward] = province
    rows = [
        {"day": day, "ward_code": ward,
         "province_code": counts[(day, ward)][1] if (day, ward) in counts else provinces[ward],
         "reporters": counts[(day, ward)][0] if (day, ward) in counts else 0,
         "median_minutes": median_minutes(waits.get((day, ward), ())),
         **dict.fromkeys(ROLLUP_COUNTERS, 0)}
        for day, ward in sorted(set(counts) | set(waits))
    ]
    connection = session.connection()
    if rows:
        connection.execute(_set_reporters_statement(connection.dialect.name), rows)
    connection.execute(sa.insert(CaseloadClosedDay.__table__), [{"day": d, "closed_at": now} for d in days])
    return days


# -- the whole rollup again -----------------------------------------------------------------


def rebuild(session: Session, *, now: datetime | None = None, chunk: int = 20_000) -> dict[str, int]:
    """Recompute the rollup from patients, assessments, alerts and reports (idempotent).

    Reads the tier history as the reference recount does: a patient whose tier changed after
    registration (``tier_since``) had, before it, the tier of their latest assessment before
    then, or their baseline. Flushes, never commits. Returns counts of what was read.
    """
    now = now or utcnow()
    connection = session.connection()
    connection.execute(sa.delete(CaseloadClosedDay.__table__))
    connection.execute(sa.delete(CaseloadAck.__table__))
    connection.execute(TABLE.delete())
    deltas: Deltas = {}
    changed = sa.and_(Patient.tier_since.is_not(None), Patient.tier_since > Patient.registered_at)
    previous = tier_before_change()
    before = sa.case((changed, sa.func.coalesce(previous, Patient.baseline_tier)), else_=None)
    query = sa.select(
        Patient.ward_code, Patient.province_code, Patient.registered_at, Patient.status,
        Patient.status_changed_at, Patient.current_tier, Patient.baseline_tier, Patient.tier_since,
        Patient.positive_test_date, changed.label("changed"), before.label("before"),
    ).order_by(Patient.id)
    patients = 0
    for row in session.execute(query.execution_options(yield_per=chunk)):
        patients += 1
        ward, province, reg = row.ward_code, row.province_code, row.registered_at
        tier_now = effective_tier(row.current_tier, row.baseline_tier)
        changes = {"new": 1}
        if registered_late(reg):
            changes["late_new"] = 1
        _add(deltas, reg, ward, province, **changes)
        _positive(deltas, row.positive_test_date, ward, province)
        tier = row.before if row.changed else tier_now
        _enter(deltas, reg, ward, province, tier)
        active = row.status == PatientStatus.ACTIVE
        if row.changed and (active or (row.status_changed_at is not None and row.tier_since < row.status_changed_at)):
            _move(deltas, row.tier_since, ward, province, tier, tier_now)
            tier = tier_now
        if not active:
            _leave(deltas, row.status_changed_at, ward, province, tier, row.status, reg)
    alerts = 0
    for opened, ward, province in session.execute(
        sa.select(Alert.opened_at, Patient.ward_code, Patient.province_code)
        .join(Patient, Patient.id == Alert.patient_id)
        .execution_options(yield_per=chunk)
    ):
        alerts += 1
        _add(deltas, opened, ward, province, alerts_opened=1)
    write(connection, deltas)
    acks = [
        {"alert_id": alert_id, "province_code": province, "ward_code": ward, "acknowledged_at": acked,
         "seconds": max(0.0, (acked - opened).total_seconds())}
        for alert_id, opened, acked, ward, province in session.execute(
            sa.select(Alert.id, Alert.opened_at, Alert.acknowledged_at, Patient.ward_code, Patient.province_code)
            .join(Patient, Patient.id == Alert.patient_id)
            .where(Alert.acknowledged_at.is_not(None))
        )
    ]
    if acks:
        connection.execute(sa.insert(CaseloadAck.__table__), acks)
    first = session.scalar(sa.select(sa.func.min(Patient.registered_at)))
    days = close_days(session, now=now, since=local_date(first) if first else local_date(now),
                      stored_before_end=False) if first else []
    return {"patients": patients, "alerts": alerts, "days_closed": len(days),
            "rows": session.scalar(sa.select(sa.func.count()).select_from(TABLE)) or 0}


def rows(session: Session) -> list[tuple]:
    """Return every rollup row as a tuple (day, ward, province, counters..., reporters, median)."""
    names = ("day", "ward_code", "province_code", *ROLLUP_COUNTERS, "reporters", "median_minutes")
    return [tuple(r) for r in session.execute(
        sa.select(*(TABLE.c[n] for n in names)).order_by(TABLE.c.day, TABLE.c.ward_code))]


def summed(session: Session) -> dict[tuple[date, int], dict[str, int]]:
    """Return the rollup as {(day, ward): counters} without all-zero rows (for comparisons)."""
    out: dict[tuple[date, int], dict[str, int]] = defaultdict(dict)
    names = (*ROLLUP_COUNTERS, "reporters", "median_minutes")
    for row in rows(session):
        values = dict(zip(names, row[3:], strict=True))
        values["reporters"] += values.pop("late_reporters")
        if any(v for v in values.values()):
            out[(row[0], row[1])] = values
    return dict(out)

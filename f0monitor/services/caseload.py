"""The health department's figures: caseload by ward and Vietnamese day (aggregates only).

One item per local day and ward (``api.md``, Department). Day boundaries are computed here in
Python as UTC instants (midnight in Vietnam), and every query compares ``*_at`` columns with
them: no ``CAST(ts AS DATE)`` and no time-zone functions in SQL, so the same statements run on
SQLite and PostgreSQL. Each day D is the half-open interval [start_D, start_D+1); "at the end
of D" means just before start_D+1 (or now, for today).

What the figures mean:

- ``active``: registered before the end of D and still active then (``status`` is active, or
  it changed, to a final status, at or after the end of D: statuses other than active are final).
- ``new``: registrations during D. ``recovered`` / ``transferred`` / ``deceased``: patients
  whose status changed to that during D (``status_changed_at``).
- ``by_tier``: the active patients at the end of D by their tier then. A patient whose tier has
  not changed since before the end of D (``tier_since``) is counted with their current tier;
  only the others need their history, which is the latest stored RiskAssessment at or before
  the end of D (or their baseline tier when there is none). Approximations: tier changes made
  without a new assessment (a profile correction, a re-assessment under new rules) are seen
  from ``tier_since`` onwards only; the baseline is today's baseline.
- ``overdue``: active at the end of D (or now, today) with no report in the 12 hours before
  it (risk.OVERDUE_AFTER), counting from registration for someone who never reported: the
  same rule as the triage queue's flag. It includes the missing (24 h).
- ``alerts_opened``: alerts opened during D. ``median_minutes_to_acknowledge``: median of the
  alerts acknowledged during D (``None`` when none was).

Where the figures come from: ``caseload`` reads the per-day per-ward rollup kept by
``services.rollup`` in the transaction of every change it counts (one grouped query over the
days before the range, one over the range, the closed days); the time-dependent figures come
from indexed queries: today's overdue from the active patients' last report, a past day's
overdue from the reporters counted when the day was closed (or, for a day not closed yet,
from its afternoon reports), the medians from the acknowledgements the rollup keeps with their area
(``CaseloadAck``: a narrow index range, no join). ``caseload_recount`` is the former computation by scans
(seconds at a province's size), kept as the reference the rollup is tested against.

Two readings of the history differ where the recount approximates: it reads one tier change
back (the latest, at ``tier_since``), and none after the end of its range or for a range of
one day; the rollup counts each change on its own day. On the last days of a range ending
today, with at most one change per patient since, they agree (tests/test_rollup.py).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import (
    ROLLUP_COUNTERS,
    TIERS,
    Alert,
    CaseloadAck,
    CaseloadDay,
    Patient,
    SymptomReport,
)
from ..data.types import UTCDateTime
from ..domain import covid as risk
from ..domain.clock import VN_TZ, local_date
from ..domain.states import PatientStatus
from . import DomainError, areas, rollup
from .queue import CountCache
from .scope import OutOfScope

MAX_DAYS = 366
LEAVING = ("recovered", "transferred", "deceased")


@dataclass(frozen=True)
class Area:
    """Which patients the figures cover: a province (None = every one) and optional wards."""

    province_code: int | None = None
    ward_codes: tuple[int, ...] = ()
    empty: bool = False  # a department account with no province sees nothing

    @property
    def key(self) -> tuple[Any, ...]:
        """What tells this area from another, for the figures kept per area."""
        return (self.province_code, self.ward_codes, self.empty)

    def clause(self, patient: Any = Patient) -> sa.ColumnElement[bool]:
        """Return the WHERE clause of this area over patients."""
        if self.empty:
            return sa.false()
        conds: list[sa.ColumnElement[bool]] = []
        if self.province_code is not None:
            conds.append(patient.province_code == self.province_code)
        if self.ward_codes:
            conds.append(patient.ward_code.in_(self.ward_codes))
        return sa.and_(sa.true(), *conds)


@dataclass
class DayWard:
    """The figures of one ward on one day."""

    date: date
    ward_code: int
    active: int = 0
    new: int = 0
    recovered: int = 0
    transferred: int = 0
    deceased: int = 0
    by_tier: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TIERS, 0))
    overdue: int = 0
    alerts_opened: int = 0
    median_minutes_to_acknowledge: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the item in the API's shape (ward codes are strings, as elsewhere)."""
        return {
            "date": self.date.isoformat(),
            "ward_code": str(self.ward_code),
            "active": self.active,
            "new": self.new,
            "recovered": self.recovered,
            "transferred": self.transferred,
            "deceased": self.deceased,
            "by_tier": dict(self.by_tier),
            "overdue": self.overdue,
            "alerts_opened": self.alerts_opened,
            "median_minutes_to_acknowledge": self.median_minutes_to_acknowledge,
        }


def day_start(day: date) -> datetime:
    """Return midnight of a Vietnamese day as an aware instant."""
    return datetime.combine(day, time(0), tzinfo=VN_TZ)


def days_between(first: date, last: date) -> list[date]:
    """Return every day from `first` to `last`, both included."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _bucket(column: Any, starts: list[datetime]) -> sa.Case[Any]:
    """Return the index of the day an instant falls in (given the next-day boundaries)."""
    return sa.case(*[(column < boundary, i) for i, boundary in enumerate(starts[1:])], else_=None)


_median_minutes = rollup.median_minutes


def _at(moment: datetime) -> Any:
    """Bind an instant with the UTC column type (inside CASE it would not get it by itself)."""
    return sa.literal(moment, UTCDateTime())


def plain_rows(session: Session, statement: Any) -> sa.CursorResult[Any]:
    """Run a read of many rows through the session's connection, after flushing what is pending.

    The ORM's result machinery (``Session.execute``) costs about a microsecond a row: for the
    7,000 acknowledgements of a province's fortnight at 300,000 patients it was 21 ms against
    15 ms this way. Nothing read here is an entity.
    """
    session.flush()
    return session.connection().execute(statement)


def caseload_recount(
    session: Session,
    area: Area,
    first: date,
    last: date,
    *,
    now: datetime,
) -> list[DayWard]:
    """Return what ``caseload`` returns, counted again from patients, assessments and alerts.

    The reference recount (scans; seconds at a province's size): the rollup-based
    ``caseload`` must agree with it (tests/test_rollup.py).
    """
    last = min(last, local_date(now))
    if first > last:
        return []
    days = days_between(first, last)
    n = len(days)
    starts = [day_start(d) for d in days] + [day_start(last + timedelta(days=1))]
    range_start, range_end = starts[0], starts[-1]
    # The 12 hours before the end of each past day (today's figure is taken as of now).
    cutoffs = [starts[i + 1] - risk.OVERDUE_AFTER for i in range(n)]
    where = area.clause()
    cells: dict[tuple[int, int], DayWard] = {}

    def cell(i: int, ward: int) -> DayWard:
        key = (i, ward)
        if key not in cells:
            cells[key] = DayWard(date=days[i], ward_code=ward)
        return cells[key]

    # 1. One scan of the patients present in the range, grouped by when they came, left and
    # changed tier (as day indexes), then replayed day by day in Python: the number of groups
    # depends on wards and days, not on patients.
    came = sa.case((Patient.registered_at < range_start, -1), else_=_bucket(Patient.registered_at, starts))
    came_late = sa.case(  # registered in the last 12 hours of a day: not overdue that day
        *[
            (sa.and_(Patient.registered_at > cutoffs[i], Patient.registered_at < starts[i + 1]), i)
            for i in range(n)
        ],
        else_=None,
    )
    left = sa.case(
        (
            sa.and_(Patient.status != PatientStatus.ACTIVE, Patient.status_changed_at < range_end),
            _bucket(Patient.status_changed_at, starts),
        ),
        else_=None,
    )
    # Only a tier change after the end of the first day makes the history matter, and not the
    # first tier, given at registration (tier_since == registered_at): before it, the patient
    # was not there to count.
    changed_late = sa.and_(Patient.tier_since >= starts[1], Patient.tier_since > Patient.registered_at)
    changed = sa.case(
        (changed_late, _bucket(Patient.tier_since, starts)) if n > 1 else (sa.false(), 0),
        else_=None,
    )
    previous = rollup.tier_before_change()
    before = sa.case(
        (changed_late, sa.func.coalesce(previous, Patient.baseline_tier)) if n > 1 else (sa.false(), None),
        else_=None,
    )
    tier_now = sa.func.coalesce(Patient.current_tier, Patient.baseline_tier)
    columns = [Patient.ward_code, Patient.status, came, came_late, left, changed, before, tier_now]
    groups = session.execute(
        sa.select(*columns, sa.func.count())
        .where(
            where,
            Patient.registered_at < range_end,
            sa.or_(Patient.status == PatientStatus.ACTIVE, Patient.status_changed_at >= range_start),
        )
        .group_by(*columns)
    ).all()
    eligible: dict[tuple[int, int], int] = defaultdict(int)
    for ward, status, came_i, late_i, left_i, changed_i, tier_before, tier_after, count in groups:
        if came_i is not None and came_i >= 0:
            cell(came_i, ward).new += count
        if left_i is not None and status in LEAVING:
            item = cell(left_i, ward)
            setattr(item, status, getattr(item, status) + count)
        for i in range(max(came_i if came_i is not None else 0, 0), n if left_i is None else left_i):
            item = cell(i, ward)
            item.active += count
            tier = tier_before if changed_i is not None and i < changed_i else tier_after
            if tier in item.by_tier:
                item.by_tier[tier] += count
            if late_i != i:
                eligible[(i, ward)] += count

    # 2. Overdue at the end of each past day: those present minus those who reported in its
    # last 12 hours (report_date is the local day, indexed; the CASEs pick the day's bounds
    # for the patient's side: registered at least 12 hours before, still at home at the end).
    today_i = n - 1 if days[-1] == local_date(now) else None
    past = [i for i in range(n) if i != today_i]
    if past:
        window = dict(
            value=SymptomReport.report_date,
            else_=None,
        )
        cutoff = sa.case({days[i]: _at(cutoffs[i]) for i in past}, **window)
        end_of_day = sa.case({days[i]: _at(starts[i + 1]) for i in past}, **window)
        rows = session.execute(
            sa.select(
                Patient.ward_code,
                SymptomReport.report_date,
                sa.func.count(sa.distinct(SymptomReport.patient_id)),
            )
            .join(Patient, Patient.id == SymptomReport.patient_id)
            .where(
                where,
                SymptomReport.report_date >= days[past[0]],
                SymptomReport.report_date <= days[past[-1]],
                # The afternoon slot (12:00-24:00 local, set from reported_at when stored) is
                # the last 12 hours of the day: a plain column test instead of a CASE per row.
                SymptomReport.slot == "afternoon",
                Patient.registered_at <= cutoff,
                sa.or_(Patient.status == PatientStatus.ACTIVE, Patient.status_changed_at >= end_of_day),
            )
            .group_by(Patient.ward_code, SymptomReport.report_date)
        )
        index = {day: i for i, day in enumerate(days)}
        reporters = {(index[day], ward): count for ward, day, count in rows}
        for (i, ward), count in eligible.items():
            if i != today_i:
                cell(i, ward).overdue = max(0, count - reporters.get((i, ward), 0))
    if today_i is not None:
        for ward, count in _overdue_now(session, where, now).items():
            cell(today_i, ward).overdue = count

    # 3. Alerts opened per day.
    bucket = _bucket(Alert.opened_at, starts).label("day")
    rows = session.execute(
        sa.select(Patient.ward_code, bucket, sa.func.count())
        .join(Patient, Patient.id == Alert.patient_id)
        .where(where, Alert.opened_at >= range_start, Alert.opened_at < range_end)
        .group_by(Patient.ward_code, bucket)
    )
    for ward, i, count in rows:
        cell(i, ward).alerts_opened = count

    # 4. Times to acknowledge, per day of acknowledgement (the median is taken in Python).
    for (i, ward), median in _ack_medians(session, where, starts).items():
        cell(i, ward).median_minutes_to_acknowledge = median

    named = set(area.ward_codes) if len(area.ward_codes) == 1 else set()
    wards = {ward for _i, ward in cells} | named
    return [
        cells.get((i, ward)) or DayWard(date=days[i], ward_code=ward)
        for i in range(n)
        for ward in sorted(wards)
    ]


def _silent(session: Session, where: Any, cutoff: datetime) -> dict[int, int]:
    """Return {ward: active patients with no report since `cutoff`} (from registration)."""
    return _silent_counts(session, where, [cutoff])[0]


def _silent_counts(session: Session, where: Any, cutoffs: list[datetime]) -> list[dict[int, int]]:
    """Return, for each cutoff, {ward: active patients with no report since it} (from
    registration when they never reported), in one statement.

    Two index ranges of ix_patients_status_last_report (it holds the area's columns), one for
    those who reported before the latest cutoff and one for those who never did, without an
    OR: each is an index-only scan of the silent patients; each cutoff is a FILTER of them.
    """
    latest = max(cutoffs)
    reported = sa.select(Patient.ward_code, Patient.last_report_at.label("since")).where(
        where, Patient.status == PatientStatus.ACTIVE, Patient.last_report_at <= latest)
    never = sa.select(Patient.ward_code, Patient.registered_at.label("since")).where(
        where, Patient.status == PatientStatus.ACTIVE, Patient.last_report_at.is_(None),
        Patient.registered_at <= latest)
    both = sa.union_all(reported, never).subquery()
    counts = [sa.func.count().filter(both.c.since <= _at(cutoff)) for cutoff in cutoffs]
    out: list[dict[int, int]] = [{} for _ in cutoffs]
    for ward, *numbers in session.execute(sa.select(both.c.ward_code, *counts).group_by(both.c.ward_code)):
        for k, number in enumerate(numbers):
            if number:
                out[k][ward] = number
    return out


def _overdue_now(session: Session, where: Any, now: datetime) -> dict[int, int]:
    """Return {ward: patients overdue now}: the triage queue's rule on the last report."""
    return _silent(session, where, now - risk.OVERDUE_AFTER)


def silent_now(session: Session, area: Area, *, now: datetime,
               counts: CountCache | None = None) -> tuple[dict[int, int], dict[int, int]]:
    """Return ({ward: overdue now}, {ward: missing now}) of the area's active patients.

    Counting them reads each silent patient's index entry: 57,000 of them at 300,000 patients
    on a night (30 ms on SQLite, which has no hashed aggregate), where the rest of a fortnight's
    caseload costs 17 ms whatever the caseload. ``counts`` (``DEPARTMENT_COUNT_TTL``) reuses a
    count a few seconds old for the same area, as the queue reuses its totals: a figure that
    moves by the minute, read by the department's dashboard and the caseload API.
    """
    def count() -> tuple[dict[int, int], dict[int, int]]:
        overdue, missing = _silent_counts(session, area.clause(), [now - risk.OVERDUE_AFTER, now - risk.MISSING_AFTER])
        return overdue, missing

    return count() if counts is None else counts.get(("silent", *area.key), count)


def _alert_ward(where: Any) -> Any:
    """Return the ward of an alert's patient when in the area (else NULL), as a subquery.

    One probe of the patients' primary key per alert: a join let PostgreSQL hash the whole
    patients table for a few thousand alerts.
    """
    return sa.select(Patient.ward_code).where(Patient.id == Alert.patient_id, where).scalar_subquery()


def _ack_medians_kept(session: Session, area: Area, starts: list[datetime]) -> dict[tuple[int, int], float | None]:
    """Return ``_ack_medians`` from the acknowledgements kept by the rollup (CaseloadAck)."""
    A = CaseloadAck
    bucket = _bucket(A.acknowledged_at, starts).label("day")
    rows = plain_rows(
        session,
        sa.select(A.ward_code, bucket, A.seconds)
        .where(area.clause(A), A.acknowledged_at >= starts[0], A.acknowledged_at < starts[-1])
    )
    waits: dict[tuple[int, int], list[float]] = defaultdict(list)
    for ward, i, seconds in rows:
        waits[(i, ward)].append(seconds)
    return {key: _median_minutes(seconds) for key, seconds in waits.items()}


def _ack_medians(session: Session, where: Any, starts: list[datetime]) -> dict[tuple[int, int], float | None]:
    """Return {(day index, ward): median minutes} of the alerts acknowledged on each day.

    The alerts acknowledged in the range are read by their index (ix_alerts_acknowledged_at)
    and each one's ward by the patient's key (``_alert_ward``).
    """
    bucket = _bucket(Alert.acknowledged_at, starts).label("day")
    ward = _alert_ward(where).label("ward")
    rows = session.execute(
        sa.select(ward, bucket, Alert.opened_at, Alert.acknowledged_at)
        .where(Alert.acknowledged_at >= starts[0], Alert.acknowledged_at < starts[-1])
    )
    waits: dict[tuple[int, int], list[float]] = defaultdict(list)
    for ward_code, i, opened, acked in rows:
        if ward_code is not None:  # None: outside the area
            waits[(i, ward_code)].append(max(0.0, (acked - opened).total_seconds()))
    return {key: _median_minutes(seconds) for key, seconds in waits.items()}


_SUMS = ("d_active", *(f"d_{t}" for t in TIERS))


def caseload(
    session: Session,
    area: Area,
    first: date,
    last: date,
    *,
    now: datetime,
    overdue_now: dict[int, int] | None = None,
    counts: CountCache | None = None,
) -> list[DayWard]:
    """Return one item per day (first..last, local days) and ward, ordered by day then ward.

    Wards appear when they have any figure in the range (or when one ward is asked for); each
    of them then has an item for every day, so that series have no holes. Days after today
    are left out.

    Read from the rollup (services.rollup): the sums of the net changes before the range,
    the rows of the range, the closed days; the overdue of the days not yet closed and of
    today, and the times to acknowledge, from indexed queries. No scan of the patients.
    ``overdue_now``: today's overdue by ward when the caller has it already, as of the same
    `now` (``Today.overdue_by_ward``: the dashboard counts them once); else ``silent_now``'s,
    through ``counts``.
    """
    last = min(last, local_date(now))
    if first > last:
        return []
    days = days_between(first, last)
    n = len(days)
    index = {day: i for i, day in enumerate(days)}
    starts = [day_start(d) for d in days] + [day_start(last + timedelta(days=1))]
    R = CaseloadDay
    where = area.clause(R)
    before: dict[int, list[int]] = {
        ward: [int(v or 0) for v in sums]
        for ward, *sums in plain_rows(session,
            sa.select(R.ward_code, *(sa.func.sum(getattr(R, c)) for c in _SUMS))
            .where(where, R.day < first)
            .group_by(R.ward_code)
        )
    }
    names = (*ROLLUP_COUNTERS, "reporters", "median_minutes")
    rows: dict[tuple[int, int], dict[str, int]] = {}
    for day, ward, *values in plain_rows(
        session,
        sa.select(R.day, R.ward_code, *(getattr(R, c) for c in names))
        .where(where, R.day >= first, R.day <= last)
    ):
        rows[(index[day], ward)] = dict(zip(names, values, strict=True))
    today_i = n - 1 if days[-1] == local_date(now) else None
    past = [days[i] for i in range(n) if i != today_i]
    closed = rollup.closed_days(session, past[0], past[-1]) if past else set()
    live = rollup.reporters_by_day(session, [d for d in past if d not in closed], area.clause())
    if today_i is None:
        overdue_now = {}
    elif overdue_now is None:
        overdue_now = silent_now(session, area, now=now, counts=counts)[0]
    # The medians of the closed days are in their rows; the others' from the acknowledgements.
    open_i = [i for i in range(n) if i == today_i or days[i] not in closed]
    medians = (_ack_medians_kept(session, area, [starts[i] for i in range(open_i[0], n + 1)])
               if open_i else {})
    medians = {(i + open_i[0], ward): m for (i, ward), m in medians.items()
               if i + open_i[0] == today_i or days[i + open_i[0]] not in closed} if open_i else {}
    for (i, ward), row in rows.items():
        if days[i] in closed and i != today_i and row["median_minutes"] is not None:
            medians[(i, ward)] = row["median_minutes"]

    named = set(area.ward_codes) if len(area.ward_codes) == 1 else set()
    wards = sorted(set(before) | {ward for _i, ward in rows} | {ward for _i, ward in medians} | named)
    zero = dict.fromkeys(names, 0)
    cells: dict[tuple[int, int], DayWard] = {}
    shown = set(named)
    for ward in wards:
        sums = list(before.get(ward, [0] * len(_SUMS)))
        for i, day in enumerate(days):
            row = rows.get((i, ward), zero)
            for k, name in enumerate(_SUMS):
                sums[k] += row[name]
            item = DayWard(date=day, ward_code=ward, active=sums[0], new=row["new"],
                           recovered=row["recovered"], transferred=row["transferred"],
                           deceased=row["deceased"], alerts_opened=row["alerts_opened"],
                           median_minutes_to_acknowledge=medians.get((i, ward)))
            item.by_tier = {tier: sums[1 + k] for k, tier in enumerate(TIERS)}
            if i == today_i:
                item.overdue = overdue_now.get(ward, 0)
            elif item.active:
                eligible = item.active - row["late_new"]
                if day in closed:
                    reported = row["reporters"] + row["late_reporters"]
                else:
                    reported = live.get((day, ward), (0, 0))[0]
                item.overdue = max(0, eligible - reported)
            cells[(i, ward)] = item
            if (item.active or item.new or item.recovered or item.transferred or item.deceased
                    or item.alerts_opened or item.overdue or item.median_minutes_to_acknowledge is not None):
                shown.add(ward)
    return [
        cells.get((i, ward)) or DayWard(date=days[i], ward_code=ward)
        for i in range(n)
        for ward in sorted(shown)
    ]


@dataclass
class Today:
    """The figures of the dashboard's first row, as they are now."""

    active: int = 0
    by_tier: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TIERS, 0))
    unassessed: int = 0
    new_today: int = 0
    overdue: int = 0
    missing: int = 0
    open_alerts: int = 0
    unacknowledged_alerts: int = 0
    median_minutes_7d: float | None = None
    acknowledged_7d: int = 0
    overdue_by_ward: dict[int, int] = field(default_factory=dict)


def today_totals(session: Session, area: Area, *, now: datetime, counts: CountCache | None = None) -> Today:
    """Return the area's figures now: caseload by tier, new today, reporting, alerts.

    The caseload by tier and the registrations of today are the rollup's (the sums of all its
    net changes: the state now); reporting (``silent_now``, through ``counts``) and alerts
    come from indexed queries.
    """
    out = Today()
    R = CaseloadDay
    sums = session.execute(
        sa.select(*(sa.func.coalesce(sa.func.sum(getattr(R, c)), 0) for c in _SUMS),
                  sa.func.coalesce(sa.func.sum(sa.case((R.day >= local_date(now), R.new), else_=0)), 0))
        .where(area.clause(R))
    ).one()
    out.active = int(sums[0])
    for k, tier in enumerate(TIERS):
        out.by_tier[tier] = int(sums[1 + k])
    out.unassessed = out.active - sum(out.by_tier.values())
    out.new_today = int(sums[-1])

    overdue, missing = silent_now(session, area, now=now, counts=counts)
    out.overdue = sum(overdue.values())
    out.overdue_by_ward = overdue
    out.missing = sum(missing.values())
    for state, count in session.execute(
        sa.select(Alert.state, sa.func.count())
        .where(_alert_ward(area.clause()).is_not(None),
               Alert.state.in_(("open", "acknowledged")))  # ix_alerts_state_opened
        .group_by(Alert.state)
    ):
        out.open_alerts += count
        if state == "open":
            out.unacknowledged_alerts = count
    waits = list(plain_rows(
        session,
        sa.select(CaseloadAck.seconds)
        .where(area.clause(CaseloadAck), CaseloadAck.acknowledged_at >= now - timedelta(days=7))
    ).scalars())
    out.acknowledged_7d = len(waits)
    out.median_minutes_7d = _median_minutes(waits)
    return out


def ward_table(items: list[DayWard]) -> list[dict[str, Any]]:
    """Sum a range of items per ward: the caseload at the end of the range, flows over it."""
    if not items:
        return []
    last_day = max(item.date for item in items)
    rows: dict[int, dict[str, Any]] = {}
    waits: dict[int, list[float]] = defaultdict(list)
    for item in items:
        row = rows.setdefault(
            item.ward_code,
            {"ward_code": item.ward_code, "active": 0, "overdue": 0, "new": 0, "recovered": 0,
             "transferred": 0, "deceased": 0, "alerts_opened": 0, **{t: 0 for t in TIERS}},
        )
        if item.date == last_day:
            row["active"] = item.active
            row["overdue"] = item.overdue
            for tier in TIERS:
                row[tier] = item.by_tier[tier]
        for name in ("new", "recovered", "transferred", "deceased", "alerts_opened"):
            row[name] += getattr(item, name)
        if item.median_minutes_to_acknowledge is not None:
            waits[item.ward_code].append(item.median_minutes_to_acknowledge)
    for ward, row in rows.items():
        # A median of daily medians: the per-alert figures are not kept in the items.
        row["median_minutes_to_acknowledge"] = (
            round(statistics.median(waits[ward]), 1) if waits[ward] else None
        )
    return list(rows.values())


def daily_series(items: list[DayWard]) -> list[dict[str, Any]]:
    """Sum the wards of each day: the province's series for the charts."""
    by_day: dict[date, dict[str, Any]] = {}
    for item in items:
        row = by_day.setdefault(item.date, {"date": item.date, "active": 0, "new": 0, "overdue": 0,
                                            "alerts_opened": 0, **{t: 0 for t in TIERS}})
        row["active"] += item.active
        row["new"] += item.new
        row["overdue"] += item.overdue
        row["alerts_opened"] += item.alerts_opened
        for tier in TIERS:
            row[tier] += item.by_tier[tier]
    return [by_day[d] for d in sorted(by_day)]


class BadArea(DomainError):
    """A province or ward code that does not exist, or that do not go together (a 422)."""

    code = "validation_error"

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


CSV_COLUMNS = (
    "date", "ward_code", "active", "new", "recovered", "transferred", "deceased",
    "by_tier_green", "by_tier_yellow", "by_tier_orange", "by_tier_red",
    "overdue", "alerts_opened", "median_minutes_to_acknowledge",
)


def csv_text(items: list[DayWard]) -> str:
    """Return the items as CSV, one line per day and ward, by_tier flattened."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow(
            [item.date.isoformat(), item.ward_code, item.active, item.new, item.recovered,
             item.transferred, item.deceased, *(item.by_tier[t] for t in ("green", "yellow", "orange", "red")),
             item.overdue, item.alerts_opened,
             "" if item.median_minutes_to_acknowledge is None else item.median_minutes_to_acknowledge]
        )
    return out.getvalue()


AGGREGATE_ROLES = ("department", "admin")


def area_for(user: Any, province: int | None = None, ward: int | None = None) -> Area:
    """Return the area a department user (or an admin) asks for, within their own.

    A department user sees their province (and only their wards when the account has some);
    an admin without a province sees every province.

    :raise BadArea: for an unknown province or ward, or a ward of another province than the
        one asked for.
    :raise OutOfScope: for a province or ward outside the user's own (answered as 404, as for
        patients, so that the question cannot be used to probe).
    """
    role = getattr(user, "role", None)
    own_province = getattr(user, "province_code", None)
    own_wards = tuple(getattr(user, "ward_codes", None) or ())
    if role not in AGGREGATE_ROLES or (own_province is None and role != "admin"):
        return Area(empty=True)
    if province is not None and not areas.is_province(province):
        raise BadArea("province", "unknown province")
    if ward is not None and not areas.ward_name(ward):
        raise BadArea("ward", "unknown ward")
    if own_province is not None and province is not None and province != own_province:
        raise OutOfScope("not found")
    effective = own_province if own_province is not None else province
    if ward is not None:
        if effective is not None and not areas.ward_in_province(ward, effective):
            if own_province is not None:
                raise OutOfScope("not found")
            raise BadArea("ward", "not a ward of this province")
        if own_wards and ward not in own_wards:
            raise OutOfScope("not found")
        return Area(province_code=effective, ward_codes=(ward,))
    return Area(province_code=effective, ward_codes=own_wards)

"""The department's daily report: epidemic curve, reproduction number, response times.

Aggregates only. Figures, per Vietnamese day of the range:

- ``new_cases``: patients whose positive test fell on that day (the epidemic curve is drawn by
  date of diagnosis, as the ministry's daily report counts "ca mắc mới"), with the trailing
  7-day average, for the area and for each ward;
- ``rt``: the instantaneous reproduction number over a 7-day window ending that day, with its
  95 % credible interval (domain.epi: Cori et al. 2013), from the province's (or area's) curve;
  the serial interval and window come from the settings (EPI_SERIAL_INTERVAL_MEAN / _SD,
  EPI_RT_WINDOW). Incidence before the first day (as far back as the serial interval reaches)
  feeds the estimate, so the first days of the range are not starved;
- ``acknowledged``, ``median_minutes`` and ``p90_minutes``: the alerts acknowledged during the
  day and the median and 90th percentile of their minutes from opening to acknowledgement.

Wards "where it grows" are those whose last-7-day new cases exceed the 7 days before.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..data.models import CaseloadAck, CaseloadDay
from ..domain import epi
from . import areas, rollup
from .caseload import Area, _bucket, day_start, days_between, plain_rows

LOOKBACK_DAYS = 30


@dataclass(frozen=True)
class EpiSettings:
    """The serial interval (days) and the R_t window, as configured by the department."""

    si_mean: float = epi.DEFAULT_SI_MEAN
    si_sd: float = epi.DEFAULT_SI_SD
    window: int = epi.DEFAULT_WINDOW


@dataclass
class WardCurve:
    """One ward's new cases over the range, and whether they are growing."""

    ward_code: int
    name: str
    new_cases: list[int]
    total: int
    last7: int
    previous7: int

    @property
    def growing(self) -> bool:
        return self.last7 > self.previous7


@dataclass
class DailyReport:
    """Everything the daily report draws, one list entry per day of ``days``."""

    days: list[date]
    new_cases: list[int]
    average7: list[float | None]
    rt: list[epi.RtEstimate | None]
    acknowledged: list[int]
    median_minutes: list[float | None]
    p90_minutes: list[float | None]
    wards: list[WardCurve] = field(default_factory=list)
    settings: EpiSettings = field(default_factory=EpiSettings)
    overall_median: float | None = None
    overall_p90: float | None = None

    @property
    def growing_wards(self) -> list[WardCurve]:
        return sorted((w for w in self.wards if w.growing),
                      key=lambda w: (w.last7 - w.previous7, w.last7), reverse=True)

    def rows(self) -> list[dict[str, Any]]:
        """Return the days as rows (for tables, charts and exports)."""
        out = []
        for i, day in enumerate(self.days):
            r = self.rt[i]
            out.append({
                "date": day, "new_cases": self.new_cases[i], "average7": self.average7[i],
                "rt": round(r.mean, 2) if r else None, "rt_lower": round(r.lower, 2) if r else None,
                "rt_upper": round(r.upper, 2) if r else None,
                "acknowledged": self.acknowledged[i], "median_minutes": self.median_minutes[i],
                "p90_minutes": self.p90_minutes[i],
            })
        return out


def percentile(values: list[float], q: float) -> float | None:
    """Return the q-quantile (0..1) by linear interpolation between order statistics."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _round_minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class ResponseTimes:
    """The alerts acknowledged on each day of a range, and the minutes they waited."""

    acknowledged: list[int]
    median_minutes: list[float | None]
    p90_minutes: list[float | None]
    overall_median: float | None = None
    overall_p90: float | None = None


class ClosedWaits:
    """The waits of closed days, by area and day, kept by one app (``daily_report``'s ``closed``).

    A day is closed by the rollup once it is past (``rollup.close_days``), and its
    acknowledgements are done with: every one is stamped with the moment it was made. The
    rollup already keeps each closed day's median by ward on that ground; this keeps the waits
    themselves, for the medians and 90th percentiles of any area and range, so that SQLite
    reads a fortnight's acknowledgements once a day and not on every dashboard (7,000 rows,
    18 ms, at 300,000 patients). PostgreSQL computes percentiles itself and needs none of it.
    """

    def __init__(self, size: int = 8192) -> None:
        self.size = size
        self._waits: dict[tuple[Any, ...], list[float]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> list[float] | None:
        with self._lock:
            return self._waits.get(key)

    def put(self, key: tuple[Any, ...], waits: list[float]) -> None:
        with self._lock:
            if len(self._waits) >= self.size:
                self._waits.clear()
            self._waits[key] = waits


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else _round_minutes(seconds / 60.0)


def response_times(session: Session, area: Area, first: date, last: date, *,
                   in_database: bool | None = None, closed: ClosedWaits | None = None) -> ResponseTimes:
    """Return the alerts acknowledged on each day from `first` to `last`, with the median and
    90th percentile of their minutes from opening to acknowledgement, and both over the range.

    Read from the acknowledgements the rollup keeps with their area (``CaseloadAck``, index
    (province, acknowledged_at): no join of alerts to patients). Each falls in the local day
    of its acknowledgement, given by the statement as the day's index (the caseload's CASE
    over the days' UTC bounds): no datetime built per row, no search of the days. Waits in
    whole seconds, as ``Alert.seconds_to_acknowledge`` counts them; percentiles by linear
    interpolation (``percentile``), in seconds, then in minutes to one decimal.

    On PostgreSQL (``in_database`` by default) the server computes them (``percentile_cont``,
    the same interpolation, per day and over the range in one GROUPING SETS statement): a
    row per day instead of one per acknowledgement (7,000 a fortnight at 300,000 patients).
    Elsewhere, with ``closed``, the waits of the closed days are read once and kept there;
    only the days still open are read.
    """
    days = days_between(first, last)
    n = len(days)
    if not n:
        return ResponseTimes([], [], [])
    starts = [day_start(d) for d in days] + [day_start(last + timedelta(days=1))]
    A = CaseloadAck
    waits = (
        sa.select(_bucket(A.acknowledged_at, starts).label("day"), A.seconds)
        .where(area.clause(A), A.acknowledged_at >= starts[0], A.acknowledged_at < starts[-1])
    )
    if in_database is None:
        in_database = session.get_bind().dialect.name == "postgresql"
    counts: list[int] = [0] * n
    medians: list[float | None] = [None] * n
    p90s: list[float | None] = [None] * n
    overall: tuple[float | None, float | None] = (None, None)
    if in_database:
        sub = waits.subquery()
        whole_seconds = sa.func.floor(sub.c.seconds)
        stmt = (
            sa.select(sub.c.day, sa.func.grouping(sub.c.day), sa.func.count(),
                      sa.func.percentile_cont(0.5).within_group(whole_seconds),
                      sa.func.percentile_cont(0.9).within_group(whole_seconds))
            .group_by(sa.func.grouping_sets(sa.tuple_(sub.c.day), sa.tuple_()))
        )
        for i, whole, count, median, p90 in session.execute(stmt):
            if whole:
                overall = (median, p90)
            else:
                counts[i], medians[i], p90s[i] = count, median, p90
    else:
        by_day: list[list[float]] = [[] for _ in days]
        kept: dict[int, list[float]] = {}
        shut: set[date] = set()
        key = area.key
        if closed is not None:
            shut = rollup.closed_days(session, first, last)
            for i, day in enumerate(days):
                found = closed.get((*key, day)) if day in shut else None
                if found is not None:
                    kept[i] = found
        # Read from the first day not kept (the kept ones are the oldest, as days close in order).
        start = next((i for i in range(n) if i not in kept), n)
        if start < n:
            for i, seconds in plain_rows(session, waits.where(A.acknowledged_at >= starts[start])):
                if i not in kept:
                    by_day[i].append(float(int(seconds)))
        for i, values in kept.items():
            by_day[i] = values
        if closed is not None:
            for i, day in enumerate(days):
                if day in shut and i not in kept:
                    closed.put((*key, day), by_day[i])
        for i, values in enumerate(by_day):
            counts[i], medians[i], p90s[i] = len(values), percentile(values, 0.5), percentile(values, 0.9)
        everything = [v for values in by_day for v in values]
        overall = (percentile(everything, 0.5), percentile(everything, 0.9))
    return ResponseTimes(
        acknowledged=counts,
        median_minutes=[_minutes(v) for v in medians],
        p90_minutes=[_minutes(v) for v in p90s],
        overall_median=_minutes(overall[0]),
        overall_p90=_minutes(overall[1]),
    )


def daily_report(session: Session, area: Area, first: date, last: date,
                 settings: EpiSettings | None = None, *, closed: ClosedWaits | None = None) -> DailyReport:
    """Return the epidemic curve, R_t and response times of the area from `first` to `last`
    (``closed``: the app's `ClosedWaits`)."""
    settings = settings or EpiSettings()
    days = days_between(first, last)
    w = epi.discretised_serial_interval(settings.si_mean, settings.si_sd)
    lookback = min(LOOKBACK_DAYS, len(w) + settings.window)
    start = first - timedelta(days=lookback)

    # The curve from the rollup (patients by day of positive test and ward, kept at
    # registration): a row per day and ward, however many patients.
    R = CaseloadDay
    counts = session.execute(
        sa.select(R.ward_code, R.day, R.positive_tests)
        .where(area.clause(R), R.day >= start, R.day <= last, R.positive_tests != 0)
    ).all()
    span = days_between(start, last)
    index = {d: i for i, d in enumerate(span)}
    total = [0] * len(span)
    by_ward: dict[int, list[int]] = defaultdict(lambda: [0] * len(span))
    for ward, day, n in counts:
        total[index[day]] += n
        by_ward[ward][index[day]] += n

    rt = epi.cori_rt(total, w, window=settings.window)
    avg = epi.moving_average(total)
    cut = lookback  # index of `first` in span

    waits = response_times(session, area, first, last, closed=closed)
    wards = []
    ward_list = area.ward_codes or tuple(by_ward)
    for ward in ward_list:
        series = by_ward.get(ward, [0] * len(span))
        shown = series[cut:]
        wards.append(WardCurve(ward_code=ward, name=areas.ward_name(ward) or str(ward),
                               new_cases=shown, total=sum(shown), last7=sum(series[-7:]),
                               previous7=sum(series[-14:-7])))
    wards.sort(key=lambda wc: areas._sort_key(wc.name))

    return DailyReport(
        days=days,
        new_cases=total[cut:],
        average7=[None if a is None else round(a, 1) for a in avg[cut:]],
        rt=rt[cut:],
        acknowledged=waits.acknowledged,
        median_minutes=waits.median_minutes,
        p90_minutes=waits.p90_minutes,
        wards=wards,
        settings=settings,
        overall_median=waits.overall_median,
        overall_p90=waits.overall_p90,
    )


SUMMED = ("active", "green", "yellow", "orange", "red", "overdue", "new", "recovered",
          "transferred", "deceased", "alerts_opened")


def ward_totals(table: list[dict[str, Any]], report: DailyReport | None = None) -> dict[str, Any] | None:
    """Return the totals row of a ward table (None for an empty table).

    Counts add up. The area's median minutes to acknowledge is the median over every alert
    acknowledged in the range (from the daily report), not a median of the wards' medians.
    """
    if not table:
        return None
    totals: dict[str, Any] = {key: sum(row.get(key, 0) or 0 for row in table) for key in SUMMED}
    totals["median_minutes_to_acknowledge"] = report.overall_median if report else None
    return totals

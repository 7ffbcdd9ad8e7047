"""Time the department's caseload over a province-sized caseload (default 300,000 patients).

    python bench/bench_caseload.py [--patients 300000] [--days 14] [--url sqlite:////tmp/x.sqlite]
    python bench/bench_caseload.py --existing --url postgresql://.../rollup300k [--rebuild]

Builds the schema with the migrations, bulk-loads patients registered over the last 16 days
(some already recovered, transferred or deceased), each with two reports a day while at home
(one in ten missed) and their assessments (a fifth of the patients change tier on the way),
and alerts for one in twenty, most acknowledged; then times `caseload` for the province over
`--days` days, for one ward, and the dashboard's `today_totals`. Prints figures; asserts nothing.

With ``--existing`` the database given (e.g. one made by bench/generate.py, or a copy of
f0_300k) is only migrated to head (timed: the rollup's migration fills it) and, with
``--rebuild``, its rollup rebuilt (timed). The caseload is then timed ``--repeat`` times
(p50/p95): as the API computes it (``caseload`` and the page's dicts) and as the dashboard
does (``today_totals``, ``caseload``, the series and the ward table); the reference recount
once, and whether the two agree.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from f0monitor import create_app  # noqa: E402
from f0monitor.data.models import Alert, Patient, RiskAssessment, SymptomReport  # noqa: E402
from f0monitor.data.session import get_session, upgrade_db  # noqa: E402
from f0monitor.domain.clock import local_date, slot_of  # noqa: E402
from f0monitor.services.caseload import (  # noqa: E402
    Area,
    caseload,
    caseload_recount,
    daily_series,
    today_totals,
    ward_table,
)

PROVINCE = 91
TIERS = ("green", "yellow", "orange", "red")


def load(session: sa.orm.Session, n: int, now: datetime, wards: list[int]) -> tuple[int, int]:
    """Insert the caseload with Core, in chunks; return (reports, alerts)."""
    rng = random.Random(11)
    conn = session.connection()
    chunk = 10_000
    report_id = 0
    alert_count = 0
    for start in range(0, n, chunk):
        patients, reports, assessments, alerts = [], [], [], []
        for pid in range(start + 1, min(n, start + chunk) + 1):
            registered = now - timedelta(hours=rng.uniform(0, 16 * 24))
            stay = timedelta(days=rng.uniform(6, 16))
            status, changed = "active", registered
            if registered + stay < now:
                status = rng.choices(("recovered", "transferred", "deceased"), (90, 9, 1))[0]
                changed = registered + stay
            baseline = rng.choices(TIERS, (60, 25, 12, 3))[0]
            tier, tier_since = baseline, registered
            change_at = registered + stay * rng.uniform(0.2, 0.8) if rng.random() < 0.2 else None
            later = rng.choice(TIERS[1:])
            last = None
            at = registered + timedelta(minutes=rng.uniform(5, 60))
            end = changed if status != "active" else now
            while at < end:
                if rng.random() >= 0.1:
                    report_id += 1
                    if change_at is not None and at >= change_at and tier != later:
                        tier, tier_since = later, at
                    reports.append({
                        "id": report_id, "patient_id": pid, "reported_at": at, "report_date": local_date(at),
                        "slot": slot_of(at), "channel": "seed", "spo2": 97, "no_oximeter": False,
                        "symptoms": [], "created_at": at,
                    })
                    assessments.append({
                        "report_id": report_id, "patient_id": pid, "assessed_at": at, "tier": tier,
                        "baseline_tier": baseline, "clinical_tier": tier, "alert": False,
                        "warning_signs": [], "reasons": [], "eligible_home_care": True,
                        "rules_version": "bench",
                    })
                    last = at
                at += timedelta(hours=12 + rng.uniform(-1.5, 1.5))
            if rng.random() < 0.05 and last is not None:
                opened = last
                acked = opened + timedelta(minutes=rng.uniform(1, 45)) if rng.random() < 0.85 else None
                alerts.append({
                    "patient_id": pid, "state": "acknowledged" if acked else "open", "reason_codes": ["W3"],
                    "opened_at": opened, "acknowledged_at": acked, "version": 1,
                    "seconds_to_acknowledge": int((acked - opened).total_seconds()) if acked else None,
                })
            patients.append({
                "id": pid, "full_name": f"Bệnh nhân {pid}", "date_of_birth": date(1940 + pid % 80, 1 + pid % 12, 1),
                "sex": "female" if pid % 2 else "male", "phone": f"+8491{pid:07d}", "province_code": PROVINCE,
                "ward_code": wards[pid % len(wards)], "address": "x", "positive_test_date": local_date(registered),
                "test_type": "pcr", "comorbidities": [], "comorbidities_stable": True, "pregnant": False,
                "postpartum": False, "vaccine_doses": 2, "fully_vaccinated": True, "news2_scale": 1,
                "consent_at": registered, "registered_at": registered, "status": status,
                "status_changed_at": changed, "discharged_at": changed if status != "active" else None,
                "current_tier": tier, "baseline_tier": baseline, "tier_since": tier_since,
                "has_open_alert": False, "last_report_at": last, "version": 1,
                "baseline_reasons": [], "eligibility_reasons": [],
            })
        conn.execute(sa.insert(Patient.__table__), patients)
        conn.execute(sa.insert(SymptomReport.__table__), reports)
        conn.execute(sa.insert(RiskAssessment.__table__), assessments)
        if alerts:
            conn.execute(sa.insert(Alert.__table__), alerts)
        alert_count += len(alerts)
    session.commit()
    return report_id, alert_count


def timed(fn, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def percentiles(fn, repeat: int) -> tuple[float, float, object]:
    """Return (p50, p95) in ms over `repeat` runs (after one warm-up), and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], result


def existing(args) -> None:
    """Time the caseload on a database that is already loaded (see the module docstring)."""
    tmp = tempfile.mkdtemp()
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": args.url}, instance_path=tmp)
    from f0monitor.services import rollup

    with app.app_context():
        engine = app.extensions["f0monitor.engine"]
        t = time.perf_counter()
        upgrade_db()
        migrated = time.perf_counter() - t
        session = get_session()
        now = datetime.now(UTC)
        rebuilt = None
        if args.rebuild:
            t = time.perf_counter()
            counts = rollup.rebuild(session, now=now)
            session.commit()
            rebuilt = time.perf_counter() - t
        t = time.perf_counter()
        closed = rollup.close_days(session, now=now)
        session.commit()
        closing = time.perf_counter() - t
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE caseload_days"))
        province_code = session.scalar(sa.select(Patient.province_code).limit(1))
        ward = session.scalar(sa.select(Patient.ward_code).limit(1))
        today = local_date(now)
        first = today - timedelta(days=args.days - 1)
        province = Area(province_code=province_code)

        def api():
            items = caseload(session, province, first, today, now=now)
            return [i.as_dict() for i in items[:100]], items

        def dashboard():
            totals = today_totals(session, province, now=now)
            items = caseload(session, province, first, today, now=now)
            return totals, daily_series(items), ward_table(items)

        a50, a95, (_page, items) = percentiles(api, args.repeat)
        d50, d95, _ = percentiles(dashboard, args.repeat)
        w50, w95, _ = percentiles(lambda: caseload(session, Area(province_code, (ward,)), first, today, now=now),
                                  args.repeat)
        t50, t95, _ = percentiles(lambda: today_totals(session, province, now=now), args.repeat)
        t = time.perf_counter()
        slow = caseload_recount(session, province, first, today, now=now)
        recount = time.perf_counter() - t
        patients = session.scalar(sa.select(sa.func.count()).select_from(Patient))
        active = session.scalar(sa.select(sa.func.count()).where(Patient.status == "active"))
        session.rollback()
    same = [i.as_dict() for i in items] == [i.as_dict() for i in slow]
    print(f"database            {engine.dialect.name} {engine.url.database}")
    print(f"patients            {patients:,} ({active:,} active now)")
    print(f"migrate to head     {migrated:.1f} s (fills the rollup when it was not there)")
    if rebuilt is not None:
        print(f"rebuild-rollup      {rebuilt:.1f} s ({counts['rows']:,} rows, {counts['days_closed']} days closed)")
    print(f"close_days          {closing * 1000:.0f} ms ({len(closed)} days)")
    print(f"API caseload        p50 {a50:.0f} ms, p95 {a95:.0f} ms ({args.days} days x province, "
          f"{len(items):,} items; {args.repeat} runs)")
    print(f"dashboard           p50 {d50:.0f} ms, p95 {d95:.0f} ms (today_totals + caseload + series + table)")
    print(f"caseload one ward   p50 {w50:.0f} ms, p95 {w95:.0f} ms")
    print(f"today_totals        p50 {t50:.0f} ms, p95 {t95:.0f} ms")
    print(f"recount (scans)     {recount * 1000:.0f} ms, once; rollup == recount: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--url", default=None)
    parser.add_argument("--existing", action="store_true", help="time an already loaded database")
    parser.add_argument("--rebuild", action="store_true", help="with --existing: rebuild the rollup first")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if args.existing:
        existing(args)
        return
    tmp = tempfile.mkdtemp()
    url = args.url or f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url}, instance_path=tmp)
    from f0monitor.services import areas

    wards = [code for code, _n in areas.wards(PROVINCE)][:40]
    with app.app_context():
        engine = app.extensions["f0monitor.engine"]
        if engine.dialect.name == "postgresql":
            from f0monitor.data.types import Base

            with engine.begin() as conn:
                Base.metadata.drop_all(conn)
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade_db()
        session = get_session()
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        n_reports, n_alerts = load(session, args.patients, now, wards)
        from f0monitor.services import rollup

        rollup.rebuild(session, now=now)  # loaded with Core: the rollup is built after
        session.commit()
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        else:
            session.execute(sa.text("ANALYZE"))
            session.commit()
        t1 = time.perf_counter()
        today = local_date(now)
        first = today - timedelta(days=args.days - 1)
        province = Area(province_code=PROVINCE)
        t_all, items = timed(lambda: caseload(session, province, first, today, now=now))
        t_ward, ward_items = timed(lambda: caseload(session, Area(PROVINCE, (wards[0],)), first, today, now=now))
        t_today, totals = timed(lambda: today_totals(session, province, now=now))
        active = session.scalar(sa.select(sa.func.count()).where(Patient.status == "active"))
    last_day = [i for i in items if i.date == today]
    print(f"database            {engine.dialect.name}")
    print(f"patients            {args.patients:,} ({active:,} active now) in {len(wards)} wards; "
          f"{n_reports:,} reports and assessments; {n_alerts:,} alerts")
    print(f"load                {t1 - t0:.1f} s")
    print(f"caseload province   {t_all:.2f} s for {args.days} days ({len(items):,} items), best of 3")
    print(f"caseload one ward   {t_ward:.2f} s ({len(ward_items)} items)")
    print(f"today_totals        {t_today:.2f} s")
    print(f"today               active {sum(i.active for i in last_day):,} "
          f"(dashboard {totals.active:,}), overdue {sum(i.overdue for i in last_day):,} "
          f"(dashboard {totals.overdue:,}), by tier "
          + ", ".join(f"{t} {sum(i.by_tier[t] for i in last_day):,}" for t in TIERS))


if __name__ == "__main__":
    main()

"""Time `reassess` over a province-sized caseload (default 300,000 active patients) on SQLite.

    python bench/bench_reassess.py [--patients 300000] [--url sqlite:////tmp/x.sqlite] [--workers N]

Builds the schema with the migrations, bulk-loads patients with two reports each (the latest
and one 12 hours earlier, so the history query has work to do), then runs the same function as
`flask --app f0monitor reassess` and prints the figures. Not a test: it asserts nothing.
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
from f0monitor.data.models import Patient, RiskAssessment, SymptomReport  # noqa: E402
from f0monitor.data.session import get_session, upgrade_db  # noqa: E402
from f0monitor.services.reassess import reassess_all  # noqa: E402


def load(session: sa.orm.Session, n: int, now: datetime) -> None:
    rng = random.Random(7)
    conn = session.connection()
    chunk = 20_000
    reg = now - timedelta(days=5)
    for start in range(0, n, chunk):
        rows = []
        for i in range(start, min(n, start + chunk)):
            rows.append(
                {
                    "id": i + 1, "full_name": f"Bệnh nhân {i}", "date_of_birth": date(1940 + i % 80, 1 + i % 12, 1 + i % 28),
                    "sex": "female" if i % 2 else "male", "phone": f"+8491{i:07d}", "province_code": 91,
                    "ward_code": 30307, "address": "x", "positive_test_date": reg.date(), "test_type": "pcr",
                    "comorbidities": ["diabetes"] if i % 5 == 0 else [], "comorbidities_stable": True,
                    "pregnant": False, "postpartum": False, "vaccine_doses": 2, "fully_vaccinated": i % 3 != 0,
                    "news2_scale": 1, "consent_at": reg, "registered_at": reg, "status": "active",
                    "current_tier": "green", "baseline_tier": "green", "has_open_alert": False,
                    "last_report_at": now - timedelta(hours=1), "version": 1, "baseline_reasons": [],
                    "eligibility_reasons": [],
                }
            )
        conn.execute(sa.insert(Patient.__table__), rows)
        reports, assessments = [], []
        for p in rows:
            for k, ago in enumerate((13, 1)):
                rid = p["id"] * 2 - 1 + k
                at = now - timedelta(hours=ago)
                reports.append(
                    {
                        "id": rid, "patient_id": p["id"], "reported_at": at, "report_date": at.date(), "slot": "morning",
                        "channel": "seed", "temperature_c": round(rng.uniform(36.5, 38.8), 1),
                        "spo2": rng.choice([93, 95, 96, 97, 98, 99]), "pulse": rng.randint(60, 125),
                        "respiratory_rate": rng.randint(14, 24), "symptoms": ["cough"], "no_oximeter": False,
                        "created_at": at,
                    }
                )
                assessments.append(
                    {
                        "report_id": rid, "patient_id": p["id"], "assessed_at": at, "tier": "green",
                        "baseline_tier": "green", "clinical_tier": "green", "alert": False, "warning_signs": [],
                        "reasons": [], "eligible_home_care": True, "rules_version": "old",
                    }
                )
        conn.execute(sa.insert(SymptomReport.__table__), reports)
        conn.execute(sa.insert(RiskAssessment.__table__), assessments)
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300_000)
    parser.add_argument("--url", default=None)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.url or f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url}, instance_path=tmp)
    with app.app_context():
        upgrade_db()
        session = get_session()
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        load(session, args.patients, now)
        t1 = time.perf_counter()
        summary = reassess_all(session, now=now, batch_size=args.batch_size, workers=args.workers)
        t2 = time.perf_counter()
    dialect = url.split(":", 1)[0]
    print(f"database            {dialect}")
    print(f"patients            {summary.patients:,} active ({2 * args.patients:,} reports)")
    print(f"load                {t1 - t0:.1f} s")
    print(f"reassess            {t2 - t1:.1f} s  ({summary.patients / (t2 - t1):,.0f} patients/s, "
          f"{args.workers} worker process{'es' if args.workers > 1 else ''}, {os.cpu_count()} cores)")
    print("tier changes        " + ", ".join(f"{a}->{b}: {c:,}" for (a, b), c in sorted(summary.changes.items())))


if __name__ == "__main__":
    main()

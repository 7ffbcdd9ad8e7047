"""Time GET /department/ (or ``--path`` as ``--role``) in process (Flask test client) on a generated database.

    python bench/time_dashboard.py --url postgresql://postgres@127.0.0.1:5432/dash300k [--profile]

Signs the generated department user in (a stored browser session, as bench/load.py does: it
writes one row to ``user_sessions``, so use a copy of a shared database), makes a few warm-up
requests, then times ``--requests`` of them and prints the median and the 95th percentile of
the wall time. ``--profile`` prints a pyinstrument profile of one more request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--path", default="/department/")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--role", default="department", help="whose session: department, coordinator, doctor…")
    args = parser.parse_args()

    from f0monitor import create_app
    from f0monitor.data.models import User
    from f0monitor.data.session import get_session
    from f0monitor.services import credentials

    # As bench/load_app.py: the page is measured, not the second factor's enrolment.
    app = create_app({"DATABASE_URL": args.url, "SECRET_KEY": "time-dashboard", "TESTING": True,
                      "STAFF_MFA": "optional", "RATELIMIT_ENABLED": False})
    with app.app_context():
        db = get_session()
        user = db.scalars(sa.select(User).where(User.role == args.role).order_by(User.id).limit(1)).one()
        sid, _stored = credentials.open_session(db, user, label="time_dashboard", now=datetime.now(UTC))
        db.commit()
        data = {"_user_id": f"{user.id}:{user.session_version}", "_fresh": True, "sid": sid}
    cookie = app.session_interface.get_signing_serializer(app).dumps(data)
    client = app.test_client()
    client.set_cookie("session", cookie)

    def once() -> float:
        started = time.perf_counter()
        response = client.get(args.path)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (response.status_code, response.headers.get("Location"))
        return elapsed * 1000

    for _ in range(args.warmup):
        once()
    times = sorted(once() for _ in range(args.requests))
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"{args.path}: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
          f"min {times[0]:.0f} ms, max {times[-1]:.0f} ms ({len(times)} requests)")
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        with profiler:
            once()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()

"""Where a queue page's time goes: each SQL statement of the staff queue, timed.

    python bench/queue_statements.py --url postgresql://postgres@127.0.0.1:5432/f0_300k
    python bench/queue_statements.py --url sqlite:////tmp/f0-10k.sqlite --repeat 30

Runs ``services.queue.triage_queue`` (what ``/staff/`` and ``GET /api/v1/queue`` call) for a
province-wide coordinator and a doctor of one ward of the generated data, for the first page,
a tier filter, page 5, an overdue filter and a name search, ``--repeat`` times each, and prints
per case the median and 95th percentile of the whole call and of each statement (in order,
with its first words). The per-tier count is reused for ``--count-ttl`` seconds as the app
does (``QUEUE_COUNT_TTL``); ``--count-ttl 0`` counts on every call. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from f0monitor import create_app  # noqa: E402
from f0monitor.data.models import User  # noqa: E402
from f0monitor.data.session import get_engine, get_session  # noqa: E402
from f0monitor.domain.clock import utcnow  # noqa: E402
from f0monitor.services.queue import CountCache, QueueFilters, triage_queue  # noqa: E402

CASES = {
    "first page": QueueFilters(per_page=50),
    "tier orange": QueueFilters(tier="orange", per_page=50),
    "page 5": QueueFilters(page=5, per_page=50),
    "overdue": QueueFilters(flag="overdue", per_page=50),
    "search 'nguyen lan'": QueueFilters(q="nguyen lan", per_page=50),
}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--count-ttl", type=float, default=10.0,
                        help="the app's QUEUE_COUNT_TTL (0: count on every page, as a first visit)")
    args = parser.parse_args()
    app = create_app({"DATABASE_URL": args.url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        session = get_session()
        engine = get_engine()
        users = {
            "coordinator (province)": session.scalars(
                sa.select(User).where(User.role == "coordinator").order_by(User.id).limit(1)).first(),
            "doctor (one ward)": session.scalars(
                sa.select(User).where(User.role == "doctor").order_by(User.id).limit(1)).first(),
        }
        timings: list[tuple[str, float]] = []
        started: dict[int, float] = {}

        def before(conn, cursor, statement, *_a):  # noqa: ANN001
            started[id(cursor)] = time.perf_counter()

        def after(conn, cursor, statement, *_a):  # noqa: ANN001
            timings.append((" ".join(statement.split()[:6]), (time.perf_counter() - started.pop(id(cursor))) * 1000))

        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
        cache = CountCache(args.count_ttl)
        print(f"{args.url.split('@')[-1]}: {args.repeat} runs per case (ms: median / p95), "
              f"count reused for {args.count_ttl:g} s")
        for who, user in users.items():
            if user is None:
                continue
            for name, filters in CASES.items():
                totals: list[float] = []
                per_statement: dict[int, list[float]] = {}
                labels: dict[int, str] = {}
                for i in range(args.repeat + 2):
                    timings.clear()
                    t0 = time.perf_counter()
                    page = triage_queue(session, user, filters, now=utcnow(), counts=cache)
                    elapsed = (time.perf_counter() - t0) * 1000
                    session.rollback()
                    if i < 2:
                        continue  # warm-up
                    totals.append(elapsed)
                    for k, (label, ms) in enumerate(timings):
                        per_statement.setdefault(k, []).append(ms)
                        labels[k] = label
                print(f"\n{who} — {name}: {statistics.median(totals):.1f} / {pct(totals, 0.95):.1f}"
                      f"   ({len(page.items)} items of {page.total})")
                for k in sorted(per_statement):
                    v = per_statement[k]
                    print(f"    {statistics.median(v):7.1f} / {pct(v, 0.95):7.1f}  {labels[k][:70]}")


if __name__ == "__main__":
    main()

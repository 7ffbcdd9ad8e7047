"""Streamed exports at a million rows: gunicorn (1 sync worker), one download, the worker's RSS.

    PYTHONPATH=. python bench/exports.py --url postgresql://postgres@127.0.0.1:5432/f0_exports_bench
    PYTHONPATH=. python bench/exports.py --url ... --export reports --fmt xlsx

Uses a database made by bench/generate.py (50,000 patients × 14 days ≈ 1.06 million daily
reports; it never writes to it but one login session row and the audit rows of the downloads).
The export is the coordinators' line list of reports (``/staff/reports.csv|xlsx``) of a
province-wide coordinator over the whole window: one row per report. ``--export line-list``
downloads the line list of patients instead (one row per patient).

Starts gunicorn with one sync worker serving this module's ``wsgi()`` (f0monitor with the
second factor optional and no rate limits: what is measured is the export), warms the worker
up with a one-day export, then downloads the export with a streaming HTTP client (requests,
``iter_content``) while a thread samples the worker's VmRSS (/proc/PID/status) every 20 ms.
Prints rows, seconds, bytes and the RSS before / peak / after. Target: growth ≤ 50 MB.

A sync worker is killed by the arbiter when a request outlasts ``--timeout`` (it reports
alive only between requests), so gunicorn runs here with ``--timeout 900`` (a long export
needs the same setting in production, or a worker class that heartbeats: gthread).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SECRET = "bench-exports-secret"


def wsgi():
    """The app gunicorn serves (``exports:wsgi()`` from bench/)."""
    from f0monitor import create_app

    return create_app({
        "DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
        "SECRET_KEY": SECRET,
        "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "STAFF_MFA": "optional",
    })


def prepare(url: str) -> tuple[str, int, int]:
    """Open a login session for a province-wide coordinator; return (cookie, province, user id)."""
    import sqlalchemy as sa

    from f0monitor import create_app
    from f0monitor.data.models import User
    from f0monitor.data.session import get_session
    from f0monitor.services import credentials

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": True})
    with app.app_context():
        session = get_session()
        coordinators = session.scalars(sa.select(User).where(User.role == "coordinator").order_by(User.id)).all()
        user = next(u for u in coordinators if not u.ward_codes)
        sid, _row = credentials.open_session(session, user, label="bench/exports.py",
                                             now=datetime.now(UTC))
        session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        cookie = serializer.dumps({"_user_id": f"{user.id}:{user.session_version}", "_fresh": True,
                                   "sid": sid})
        province, uid = user.province_code, user.id
    app.extensions["f0monitor.engine"].dispose()
    return cookie, province, uid


def expected_rows(url: str, export: str, province: int, first, last) -> int:
    import sqlalchemy as sa

    from f0monitor.data.session import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        if export == "reports":
            sql = ("SELECT count(*) FROM symptom_reports r JOIN patients p ON p.id = r.patient_id "
                   "WHERE p.province_code = :p AND r.report_date BETWEEN :a AND :b")
            n = conn.execute(sa.text(sql), {"p": province, "a": first, "b": last}).scalar_one()
        else:
            n = conn.execute(sa.text("SELECT count(*) FROM patients WHERE province_code = :p"),
                             {"p": province}).scalar_one()
    engine.dispose()
    return n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_pid(master: int) -> int:
    for _ in range(200):
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise SystemExit("no gunicorn worker")


class Sampler(threading.Thread):
    """Samples a process's VmRSS every `every` seconds; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.samples = pid, every, 0.0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            self.samples += 1
            time.sleep(self.every)


def main() -> None:
    import requests

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/f0_exports_bench")
    parser.add_argument("--export", choices=("reports", "line-list"), default="reports")
    parser.add_argument("--fmt", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--days", type=int, default=15, help="days of reports, ending today")
    parser.add_argument("--timeout", type=int, default=900, help="gunicorn --timeout (seconds)")
    args = parser.parse_args()
    url = args.url if "+psycopg" in args.url or not args.url.startswith("postgresql://") else \
        args.url.replace("postgresql://", "postgresql+psycopg://", 1)

    from f0monitor.domain.clock import VN_TZ

    cookie, province, _uid = prepare(url)
    today = datetime.now(UTC).astimezone(VN_TZ).date()
    first = today - timedelta(days=args.days - 1)
    expected = expected_rows(url, args.export, province, first, today)
    port = free_port()
    env = {**os.environ, "BENCH_DATABASE_URL": url, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "sync", "--timeout", str(args.timeout),
         "-b", f"127.0.0.1:{port}", "--chdir", str(Path(__file__).resolve().parent), "exports:wsgi()"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    http = requests.Session()
    http.cookies.set("session", cookie)
    try:
        for _ in range(300):
            try:
                if http.get(base + "/login", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not start")
        worker = worker_pid(master.pid)
        path = f"/staff/{args.export}.{args.fmt}"
        params = {"from": first.isoformat(), "to": today.isoformat()} if args.export == "reports" else {}
        # Warm-up: the same route over one day (imports, templates, the first connection).
        warm = http.get(base + path, params={"from": today.isoformat(), "to": today.isoformat()}, timeout=600)
        assert warm.status_code == 200, warm.text[:300]
        time.sleep(0.5)
        before = rss_mb(worker)
        sampler = Sampler(worker)
        sampler.start()
        started = time.perf_counter()
        first_byte = None
        size = newlines = 0
        with http.get(base + path, params=params, stream=True, timeout=args.timeout) as response:
            assert response.status_code == 200, response.text[:300]
            for chunk in response.iter_content(64 * 1024):
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                size += len(chunk)
                newlines += chunk.count(b"\n")
        seconds = time.perf_counter() - started
        time.sleep(0.5)
        sampler.done.set()
        sampler.join()
        after = rss_mb(worker)
        peak = max(sampler.peak, after)
        alive = worker == worker_pid(master.pid)
    finally:
        master.terminate()
        try:
            master.wait(timeout=20)
        except subprocess.TimeoutExpired:
            master.kill()
    rows = newlines - 1 if args.fmt == "csv" else expected
    print(f"export: GET {path} {params or ''} as a province-wide coordinator "
          f"(gunicorn 1 sync worker, --timeout {args.timeout})")
    print(f"rows:    {rows:,}" + ("" if args.fmt == "csv" else " (from the database: the XLSX is not parsed)")
          + f"   expected {expected:,}")
    print(f"seconds: {seconds:.1f} (first byte after {first_byte:.1f} s)   {rows / seconds:,.0f} rows/s")
    print(f"bytes:   {size:,} ({size / 1e6:.1f} MB)")
    print(f"worker RSS: before {before:.1f} MB, peak {peak:.1f} MB, after {after:.1f} MB, "
          f"growth {peak - before:+.1f} MB (target ≤ 50)   worker survived: {alive}   "
          f"({sampler.samples:,} samples)")


if __name__ == "__main__":
    main()

"""One report slot's reminders for a province (default 300,000 active patients), end to end.

    python bench/reminders.py [--patients 300000] [--consumers 2] [--threads 2] [--batch 1000]
                              [--provider esms|webhook] [--concurrency 8]
                              [--load-seconds 20] [--url sqlite:////tmp/x.sqlite]

What it does, with the real pieces (no mocks):

1. builds the schema with the migrations and bulk-loads the patients (none has reported in the
   morning slot), plus 20 patients with API tokens who send reports during the run;
2. starts a local test provider, a server of ``tests/providers.py``: eSMS's
   ``SendMultipleMessage_V4_post_json`` (``--provider esms``, the default: one request per
   message, ``--concurrency`` requests in flight per sender) or the generic webhook protocol
   of ``f0monitor.channels.webhook`` (batches of ``--batch`` messages); then the web server
   (gunicorn, 2 workers) and measures its report throughput (``POST /api/v1/me/reports``)
   for ``--load-seconds`` without any burst;
3. starts ``--consumers`` job queue consumers (``flask --app f0monitor worker``, SQLite Huey
   storage in a temp dir), enqueues the 07:30 ladder tick and the senders, and measures the
   time until every reminder was handed to the provider, while the same report load runs;
4. prints both throughputs side by side. Not a test: it asserts nothing. The machine is shared:
   say so when you quote the figures.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from huey.exceptions import TaskException  # noqa: E402

from f0monitor import create_app  # noqa: E402
from f0monitor.data.models import OutboxMessage, Patient, PatientName, User  # noqa: E402
from f0monitor.data.session import get_session, upgrade_db  # noqa: E402
from f0monitor.domain.clock import VN_TZ  # noqa: E402
from f0monitor.http.auth import issue_token  # noqa: E402
from f0monitor.jobs import jobs_of  # noqa: E402
from tests.providers import EsmsServer, WebhookServer, messages_received, start  # noqa: E402

SLOT_NOW = datetime(2026, 12, 2, 7, 30, tzinfo=VN_TZ)  # the morning slot's first reminder
LOADERS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_patients(app, n: int) -> list[str]:
    """Bulk-load n silent patients and LOADERS reporting ones; return the loaders' tokens."""
    reg = SLOT_NOW - timedelta(days=4)
    last = SLOT_NOW - timedelta(hours=15)  # yesterday 16:30: nothing in this morning's slot
    with app.app_context():
        session = get_session()
        conn = session.connection()
        chunk = 20_000
        for start_id in range(0, n + LOADERS, chunk):
            rows = [{
                "id": i + 1, "full_name": f"Bệnh nhân {i}",
                "date_of_birth": date(1950 + i % 60, 1 + i % 12, 1 + i % 28),
                "sex": "female" if i % 2 else "male", "phone": f"+8491{i:07d}", "province_code": 91,
                "ward_code": 30307, "address": "x", "positive_test_date": reg.date(), "test_type": "pcr",
                "comorbidities": [], "comorbidities_stable": True, "pregnant": False, "postpartum": False,
                "vaccine_doses": 2, "fully_vaccinated": True, "news2_scale": 1, "consent_at": reg,
                "registered_at": reg, "status": "active", "current_tier": "green", "baseline_tier": "green",
                "has_open_alert": False, "last_report_at": last, "version": 1, "baseline_reasons": [],
                "eligibility_reasons": [],
            } for i in range(start_id, min(n + LOADERS, start_id + chunk))]
            conn.execute(sa.insert(Patient.__table__), rows)
            conn.execute(sa.insert(PatientName.__table__),
                         [{"patient_id": r["id"], "name_search": f"benh nhan {r['id'] - 1}"} for r in rows])
        session.commit()
        tokens = []
        now = datetime.now(UTC)
        for i in range(n, n + LOADERS):
            user = User(phone=f"+8491{i:07d}", password_hash=None, role="patient", full_name=f"Bệnh nhân {i}",
                        province_code=91, ward_codes=[], created_at=now, is_active_account=True,
                        session_version=1, is_available=True)
            session.add(user)
            session.flush()
            session.get(Patient, i + 1).user_id = user.id
            token, _row = issue_token(user, now=now)
            tokens.append(token)
        session.commit()
        # A live database has its planner statistics; bulk-loaded tables have none until
        # autovacuum comes by (the tick's batch query took 620 ms instead of 5 ms on PostgreSQL).
        session.execute(sa.text("ANALYZE"))
        session.commit()
    return tokens


class ReportLoad:
    """Threads posting reports as fast as the web server answers them."""

    def __init__(self, base: str, tokens: list[str], threads: int = 4) -> None:
        self.base, self.tokens, self.threads = base, tokens, threads
        self.ok = 0
        self.errors = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def _run(self, k: int) -> None:
        http = requests.Session()
        i = k
        while not self.stop.is_set():
            token = self.tokens[i % len(self.tokens)]
            i += self.threads
            try:
                r = http.post(self.base + "/api/v1/me/reports", json={"spo2": 97, "temperature_c": 36.8},
                              headers={"Authorization": "Bearer " + token}, timeout=30)
                good = r.status_code == 201
            except requests.RequestException:
                good = False
            with self.lock:
                if good:
                    self.ok += 1
                else:
                    self.errors += 1
        http.close()

    def run_for(self, seconds: float | None = None) -> threading.Thread:
        self.ok = self.errors = 0
        self.stop.clear()
        workers = [threading.Thread(target=self._run, args=(k,), daemon=True) for k in range(self.threads)]
        for w in workers:
            w.start()
        self.started = time.monotonic()
        if seconds is not None:
            time.sleep(seconds)
            self.finish(workers)
        return workers  # type: ignore[return-value]

    def finish(self, workers) -> float:
        self.stop.set()
        for w in workers:
            w.join()
        self.elapsed = time.monotonic() - self.started
        return self.ok / self.elapsed


def finished(result) -> bool:
    """A sender is done: it returned, or failed (Huey retries it by itself; counted in errors)."""
    try:
        return result.get() is not None
    except TaskException:
        global SENDER_ERRORS
        SENDER_ERRORS += 1
        return True


SENDER_ERRORS = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=300_000)
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="worker threads per consumer")
    parser.add_argument("--batch", type=int, default=1000, help="messages per claim and per provider request")
    parser.add_argument("--provider", choices=("esms", "webhook"), default="esms")
    parser.add_argument("--concurrency", type=int, default=8, help="eSMS requests in flight per sender")
    parser.add_argument("--load-seconds", type=float, default=20)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="f0-reminders-"))
    url = args.url or f"sqlite:///{tmp / 'bench.sqlite'}"
    huey_url = f"sqlite:///{tmp / 'huey.sqlite'}"
    provider, provider_url = start(EsmsServer if args.provider == "esms" else WebhookServer)
    config = {"SECRET_KEY": "bench", "DATABASE_URL": url, "HUEY_URL": huey_url, "HUEY_NAME": "bench",
              "RATELIMIT_ENABLED": False}
    if args.provider == "esms":
        config.update({"SMS_PROVIDER": "esms", "ESMS_API_KEY": "key", "ESMS_SECRET_KEY": "secret",
                       "ESMS_BASE_URL": provider_url, "ESMS_CONCURRENCY": args.concurrency})
    else:
        config.update({"SMS_PROVIDER": "webhook", "SMS_WEBHOOK_URL": provider_url + "/send",
                       "SMS_WEBHOOK_BATCH": args.batch})
    app = create_app({**config, "TESTING": True}, instance_path=str(tmp / "instance"))
    with app.app_context():
        upgrade_db()
    t = time.monotonic()
    tokens = load_patients(app, args.patients)
    print(f"loaded {args.patients:,} patients (+{LOADERS} reporting) in {time.monotonic() - t:.1f} s")

    env = {**os.environ, "PYTHONPATH": str(ROOT), **{f"F0MONITOR_{k}": str(v) for k, v in config.items()}}
    port = free_port()
    web = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "f0monitor:create_app()"],
        cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "web.log", "wb"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(base + "/login", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.2)
    load = ReportLoad(base, tokens)
    load.run_for(2)  # warm up
    workers = load.run_for(None)
    time.sleep(args.load_seconds)
    quiet_rps = load.finish(workers)
    quiet_errors = load.errors
    print(f"web, no burst: {quiet_rps:.1f} reports/s ({load.ok} in {load.elapsed:.1f} s, {quiet_errors} errors)")

    consumers = [
        subprocess.Popen([sys.executable, "-m", "flask", "--app", "f0monitor", "worker", "--no-periodic",
                          "-w", str(args.threads)], cwd=tmp, env=env,
                         stdout=open(tmp / f"worker{k}.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
        for k in range(args.consumers)
    ]
    time.sleep(3)  # the consumers start
    jobs = jobs_of(app)
    workers = load.run_for(None)
    t0 = time.monotonic()
    tick = jobs.ladder_tick(SLOT_NOW.isoformat())
    senders = [jobs.send_due(290.0, (SLOT_NOW + timedelta(minutes=1)).isoformat(), args.batch)
               for _ in range(args.consumers * args.threads)]
    # The senders run while the tick writes (it commits every batch): the tick is polled, not
    # waited for, and the senders are dispatched again whenever all have finished, as the
    # periodic dispatch does every minute (and the tick itself once its first batch is in).
    tick_figures = None
    t_tick = 0.0
    while time.monotonic() - t0 < 600:
        if tick_figures is None:
            tick_figures = tick.get()  # None while it runs
            t_tick = time.monotonic() - t0
        if tick_figures is not None and messages_received(provider) >= tick_figures["reminders"]:
            break
        time.sleep(0.25)
        if all(finished(s) for s in senders):  # all senders finished: dispatch again
            senders = [jobs.send_due(290.0, (SLOT_NOW + timedelta(minutes=1)).isoformat(), args.batch)
                       for _ in range(args.consumers * args.threads)]
    expected = tick_figures["reminders"] if tick_figures else 0
    t_all = time.monotonic() - t0
    burst_rps = load.finish(workers)
    handed = messages_received(provider)
    for proc in (*consumers, web):
        proc.send_signal(signal.SIGINT)
    for proc in (*consumers, web):
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    with app.app_context():
        session = get_session()
        by_status = dict(session.execute(sa.select(OutboxMessage.status, sa.func.count())
                                         .group_by(OutboxMessage.status)).all())
    provider.shutdown()
    print(f"reminders enqueued by the tick: {expected:,} in {t_tick:.1f} s")
    print(f"handed to the provider: {handed:,} in {t_all:.1f} s = {handed / t_all:,.0f} messages/s "
          f"({'within' if t_all <= 300 and handed >= expected else 'NOT within'} 5 minutes); "
          f"duplicates at the provider: {provider.recorder.duplicates}")
    print(f"outbox: {by_status}; sender jobs that hit an error and were retried by Huey: {SENDER_ERRORS}")
    print(f"web report throughput: {quiet_rps:.1f}/s without the burst, {burst_rps:.1f}/s during it "
          f"({load.errors} errors during the burst)")
    print(f"consumers: {args.consumers} x {args.threads} threads, batch {args.batch}; provider {args.provider}"
          f"{f' ({args.concurrency} requests in flight per sender)' if args.provider == 'esms' else ''}; "
          f"database {url.split(':')[0]}; "
          f"{os.cpu_count()} CPUs shared with other work")


if __name__ == "__main__":
    main()

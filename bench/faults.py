"""Fault injection: report submissions against a live gunicorn while PostgreSQL restarts and a
worker is killed. Prints what every request got; the PostgreSQL-only test
(tests/test_faults.py) runs the same harness with fewer reports and asserts on it.

    python bench/faults.py [--reports 600] [--clients 6] [--workers 2] [--no-kill] [--immediate]

Never touches the shared PostgreSQL: it makes a private throwaway cluster with initdb in a
temporary folder, on a free port (as the ``postgres`` user when run as root, since initdb
refuses root), serves the app with gunicorn against it, and restarts that cluster while the
clients post reports (``pg_ctl restart -m fast``, then ``-m immediate`` with --immediate: a
crash). Half-way it SIGKILLs one gunicorn worker (issue 11, item 5).

Each client is a patient with an API token posting ``/api/v1/me/reports`` with its own
Idempotency-Key per report, and retrying, with the same key, on 503 (after Retry-After) or a
dropped connection, as the API contract asks. Expected, and checked:

- every answer is 201, 200 (a retry of a stored report), 503 with Retry-After, or a dropped
  connection; never a 500 or any other status;
- every report acknowledged is stored exactly once (one row per key), nothing lost;
- no request waits more than 30 s; after the faults the app answers again without a restart.

Figures are disturbed by whatever else runs on the machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_BIN_CANDIDATES = [Path(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)] \
    if Path("/usr/lib/postgresql").is_dir() else []
HUNG_AFTER = 30.0  # seconds: a request that takes longer counts as hung


def pg_bin() -> Path | None:
    """Return the folder of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    for folder in PG_BIN_CANDIDATES:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateCluster:
    """A throwaway PostgreSQL cluster in a temporary folder, on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        folder = pg_bin()
        if folder is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bin = folder
        self.dir = Path(tempfile.mkdtemp(prefix="f0faults-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.log = self.dir / "postgres.log"

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, timeout=timeout, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", *args)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-instructions")
        self._ctl("start")

    def restart(self, mode: str = "fast") -> float:
        """Restart the server (fast: connections terminated; immediate: a crash); return seconds."""
        started = time.monotonic()
        self._ctl("-m", mode, "restart")
        return time.monotonic() - started

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            self._ctl("-m", "immediate", "stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


class Gunicorn:
    """The app under gunicorn on a free port, its access log in a file."""

    def __init__(self, database_url: str, folder: Path, *, workers: int = 2, **settings: str) -> None:
        self.folder = folder
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "F0MONITOR_DATABASE_URL": database_url,
               "F0MONITOR_SECRET_KEY": "faults-" + uuid.uuid4().hex, "F0MONITOR_RATELIMIT_ENABLED": "false",
               "F0MONITOR_DB_RETRY_AFTER": "1",
               "F0MONITOR_STAFF_MFA": "off"}  # the journeys log staff in with a password (MFA has its own tests)
        env.pop("DATABASE_URL", None)
        env.update({f"F0MONITOR_{k}": v for k, v in settings.items()})
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self._stderr = open(folder / "stderr.log", "wb")  # noqa: SIM115 — the app's own warnings
        self.process = subprocess.Popen(
            [str(gunicorn), "-w", str(workers), "-b", "127.0.0.1:0", "--chdir", str(ROOT),
             "--timeout", "30", "--graceful-timeout", "5",
             "--access-logfile", str(self.access_log), "--error-logfile", str(self.error_log),
             "f0monitor:create_app()"],
            env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        self.port = self._wait_for_port()

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.error_log.read_text(errors="replace")[-3000:])
            if self.error_log.exists():
                match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.error_log.read_text(errors="replace"))
                if match and len(self.workers()) > 0:
                    return int(match.group(1))
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start in 60 s")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def kill_worker(self) -> int:
        """SIGKILL one worker (the master starts another); return its pid."""
        pid = self.workers()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        finally:
            self._stderr.close()


def request(port: int, method: str, path: str, body: object | None = None,
            headers: dict[str, str] | None = None, timeout: float = HUNG_AFTER + 5):
    """Send one request; return (status or an error name, headers, parsed body, seconds)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body) if body is not None else None
        conn.request(method, path, body=payload,
                     headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw[:200]
        return response.status, dict(response.getheaders()), parsed, time.monotonic() - started
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        kind = "timeout" if isinstance(exc, TimeoutError | socket.timeout) else "dropped"
        return kind, {}, repr(exc), time.monotonic() - started
    finally:
        conn.close()


def seed(database_url: str, n_patients: int) -> list[str]:
    """Migrate the private database and make patients with API tokens; return the tokens."""
    from f0monitor import create_app
    from f0monitor.data.models import User
    from f0monitor.data.session import get_session, upgrade_db
    from f0monitor.domain.clock import utcnow
    from f0monitor.http.auth import issue_token
    from f0monitor.services.inputs import RegistrationInput
    from f0monitor.services.patients import register_patient

    folder = tempfile.mkdtemp(prefix="f0faults-instance-")
    app = create_app({"TESTING": True, "SECRET_KEY": "seed", "DATABASE_URL": database_url},
                     instance_path=folder)
    tokens = []
    with app.app_context():
        upgrade_db()
        session = get_session()
        now = utcnow()
        from datetime import timedelta

        for i in range(n_patients):
            data = RegistrationInput(
                full_name=f"Người Thử {i}", date_of_birth=__import__("datetime").date(1980, 1, 1),
                sex="female", phone=f"+849130{i:05d}", province_code=91, ward_code=30307,
                address="1 Lê Lợi", positive_test_date=(now - timedelta(days=2)).date(),
                test_type="pcr", fully_vaccinated=True, vaccine_doses=3, consent=True, password=None,
            )
            patient = register_patient(session, data, now=now)
            patient.user = User(phone=patient.phone, password_hash=None, role="patient",
                                full_name=patient.full_name, province_code=91, ward_codes=[],
                                created_at=now, is_active_account=True, session_version=1)
            session.flush()
            token, _row = issue_token(patient.user, now=now)
            tokens.append(token)
        session.commit()
        app.extensions["f0monitor.engine"].dispose()
    shutil.rmtree(folder, ignore_errors=True)
    return tokens


@dataclass
class Result:
    reports: int = 0
    attempts: Counter = field(default_factory=Counter)  # answer → count
    acknowledged: dict[str, int] = field(default_factory=dict)  # key → first 2xx status
    unacknowledged: list[str] = field(default_factory=list)  # gave up after the retries
    bad: list[tuple[object, object]] = field(default_factory=list)  # (status, body) not allowed
    missing_retry_after: int = 0
    slowest: float = 0.0
    slowest_detail: str = ""
    hung: int = 0
    events: list[str] = field(default_factory=list)
    stored_once: int = 0
    stored_twice_or_more: int = 0
    lost: list[str] = field(default_factory=list)
    recovered_after: float | None = None  # seconds from the last fault to the next 2xx
    answered_after_run: bool = False  # the same server takes a new report once the run is over
    success_times: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return (not self.bad and not self.lost and not self.stored_twice_or_more and not self.hung
                and not self.unacknowledged and self.recovered_after is not None
                and self.answered_after_run and not self.missing_retry_after)

    def lines(self) -> list[str]:
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(self.attempts.items(), key=lambda kv: str(kv[0])))
        return [
            f"reports: {self.reports}, acknowledged (201 or 200 on a retry): {len(self.acknowledged)}, "
            f"given up: {len(self.unacknowledged)}",
            f"answers to all attempts: {answers}",
            f"not allowed (500 or other): {len(self.bad)} {self.bad[:3]}",
            f"503 without Retry-After: {self.missing_retry_after}",
            f"rows stored exactly once: {self.stored_once}, more than once: {self.stored_twice_or_more}, "
            f"acknowledged but not stored: {len(self.lost)}",
            f"slowest request: {self.slowest:.2f} s ({self.slowest_detail}), hung past {HUNG_AFTER:.0f} s: {self.hung}",
            f"first report stored {self.recovered_after:.2f} s after the last fault" if self.recovered_after is not None
            else "no report stored after the last fault",
            f"a new report after the run, same server (no restart): {'201' if self.answered_after_run else 'FAILED'}",
            *[f"event: {e}" for e in self.events],
            f"elapsed: {self.elapsed:.1f} s",
            "RESULT: " + ("OK" if self.ok else "FAILED"),
        ]


def run(*, reports: int = 600, clients: int = 6, workers: int = 2, kill_worker: bool = True,
        modes: tuple[str, ...] = ("fast",), max_tries: int = 40) -> Result:
    """Start a private cluster and gunicorn, post reports under faults, check every answer."""
    result = Result(reports=reports)
    with private_cluster() as cluster:
        import psycopg

        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE f0faults")
        url = cluster.url("f0faults")
        tokens = seed(url, clients)
        server = Gunicorn(url, cluster.dir, workers=workers)
        # Warm-up (not counted): each worker's first request loads templates and translations.
        for _n in range(4 * workers):
            request(server.port, "GET", "/api/v1/me", headers={"Authorization": f"Bearer {tokens[0]}"})
        lock = threading.Lock()
        counter = iter(range(reports))
        started = time.monotonic()

        def client(token: str) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                key = f"fault-{n}-{uuid.uuid4().hex[:8]}"
                body = {"spo2": 96 + n % 4, "temperature_c": 37.0, "pulse": 80, "symptoms": ["cough"]}
                for _try in range(max_tries):
                    status, head, answer, seconds = request(
                        server.port, "POST", "/api/v1/me/reports", body, {**headers, "Idempotency-Key": key})
                    with lock:
                        result.attempts[status] += 1
                        if seconds > result.slowest:
                            result.slowest = seconds
                            result.slowest_detail = (f"answered {status} at "
                                                     f"{time.monotonic() - started:.1f} s of the run")
                        if seconds > HUNG_AFTER or status == "timeout":
                            result.hung += 1
                    if status in (200, 201):
                        with lock:
                            result.acknowledged[key] = status
                            result.success_times.append(time.monotonic())
                        break
                    if status == 503:
                        if "Retry-After" not in head:
                            with lock:
                                result.missing_retry_after += 1
                        time.sleep(min(float(head.get("Retry-After", 1)), 1.0))
                        continue
                    if status == "dropped":
                        time.sleep(0.2)
                        continue
                    with lock:
                        result.bad.append((status, answer))
                    break
                else:
                    with lock:
                        result.unacknowledged.append(key)

        threads = [threading.Thread(target=client, args=(tokens[i % len(tokens)],), daemon=True)
                   for i in range(clients)]
        for thread in threads:
            thread.start()

        def progress() -> int:
            with lock:
                return sum(result.attempts.values())

        def wait_for(share: float, limit: float = 120) -> None:
            deadline = time.monotonic() + limit
            while progress() < reports * share and time.monotonic() < deadline and any(t.is_alive() for t in threads):
                time.sleep(0.05)

        try:
            last_fault = time.monotonic()
            for i, mode in enumerate(modes):
                wait_for((i + 1) / (len(modes) + 2))
                seconds = cluster.restart(mode)
                last_fault = time.monotonic()
                result.events.append(f"PostgreSQL restart -m {mode} after {progress()} attempts, took {seconds:.1f} s, "
                                     f"done at {time.monotonic() - started:.1f} s")
            if kill_worker:
                wait_for((len(modes) + 1) / (len(modes) + 2))
                pid = server.kill_worker()
                last_fault = time.monotonic()
                result.events.append(f"SIGKILL gunicorn worker {pid} after {progress()} attempts, "
                                     f"at {time.monotonic() - started:.1f} s")
            for thread in threads:
                thread.join(600)
            after = [t for t in result.success_times if t > last_fault]
            result.recovered_after = min(after) - last_fault if after else None
            # Recovered without a restart: the same server answers a new report.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status, _h, _b, _s = request(server.port, "POST", "/api/v1/me/reports",
                                             {"spo2": 97}, {"Authorization": f"Bearer {tokens[0]}",
                                                            "Idempotency-Key": "after-" + uuid.uuid4().hex})
                if status == 201:
                    result.answered_after_run = True
                    break
                time.sleep(0.5)
            result.elapsed = time.monotonic() - started
            if server.process.poll() is not None:
                result.events.append("gunicorn master died")
                result.answered_after_run = False
        finally:
            server.stop()
        internal = server.error_log.read_text(errors="replace")
        result.events.append(f"tracebacks in gunicorn's log: {internal.count('Traceback')}")
        app_log = internal + (cluster.dir / "stderr.log").read_text(errors="replace")
        warnings = Counter(re.findall(r"database unavailable: (\w+)", app_log))
        result.events.append("503s by cause: " + (", ".join(f"{k} {v}" for k, v in warnings.most_common()) or "none"))
        with psycopg.connect(url) as conn:
            rows = dict(conn.execute(
                "SELECT client_key, count(*) FROM symptom_reports WHERE client_key LIKE 'fault-%' GROUP BY client_key"
            ).fetchall())
        result.stored_once = sum(1 for n in rows.values() if n == 1)
        result.stored_twice_or_more = sum(1 for n in rows.values() if n > 1)
        result.lost = [key for key in result.acknowledged if rows.get(key) != 1]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=600)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-kill", action="store_true", help="do not SIGKILL a worker")
    parser.add_argument("--immediate", action="store_true", help="also restart with -m immediate (a crash)")
    args = parser.parse_args()
    if pg_bin() is None:
        sys.exit("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    modes = ("fast", "immediate") if args.immediate else ("fast",)
    result = run(reports=args.reports, clients=args.clients, workers=args.workers,
                 kill_worker=not args.no_kill, modes=modes)
    print("\n".join(result.lines()))
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()

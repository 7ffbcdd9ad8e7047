"""Load benchmark: gunicorn on generated data, wrk against each route, interleaved, one table.

    python bench/generate.py --patients 10000 --url sqlite:////tmp/f0-10k.sqlite --reset
    python bench/load.py --url sqlite:////tmp/f0-10k.sqlite --label "SQLite 10k"

Starts gunicorn (``--workers`` sync workers, default 2) serving bench/load_app.py (f0monitor
plus the yardsticks: a constant route, a one-row SQLAlchemy Core insert, and the least an
authenticated, validated submission does on the same stack), prepares
API tokens and signed-in sessions for generated users, then runs wrk (``apt-get install wrk``)
against every scenario in turn, ``--rounds`` times, so that each scenario sees the same
machine load as its yardstick. Prints one table: requests/s (median of the rounds), p50,
p95 and p99 latencies (from the last round), non-2xx answers, the ratio of report submission
to the bare insert, 32 connections to 8, the CPU time a request cost the gunicorn workers and
(on PostgreSQL) the database server, read from /proc before and after each run (the median of
the rounds; the server must run on this machine), and the largest worker RSS. Asserts nothing.

The machine is shared: absolute figures move with what else runs; the ratios, measured side by
side, are what to compare.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

SECRET = "bench-secret-key-" + secrets.token_hex(8)
LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "JSON {\"requests\":%d,\"duration_us\":%d,\"bad_status\":%d,\"socket_errors\":%d," ..
    "\"p50\":%d,\"p95\":%d,\"p99\":%d}\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def lua_list(items: list[str]) -> str:
    return "{" + ",".join(json.dumps(i) for i in items) + "}"


def script_get(paths: list[str], headers: dict[str, str]) -> str:
    """Rotate through paths with fixed headers."""
    hdr = "{" + ",".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in headers.items()) + "}"
    return f"""
local paths = {lua_list(paths)}
local headers = {hdr}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], headers)
end
""" + LUA_DONE


def script_reports(tokens: list[str], run: str, path: str = "/api/v1/me/reports") -> str:
    """POST a fresh report (a new Idempotency-Key each time) for a patient picked at random."""
    return f"""
local tokens = {lua_list(tokens)}
local n = 0
local counter = 0
-- tid is a global: thread:set() sets the thread's global, which a local of the same name
-- would hide (every thread then had tid 0, one seed and one sequence of patients and keys:
-- half the reports were retries of the other thread's)
tid = 0
setup = function(thread) thread:set("tid", n); n = n + 1 end
init = function(args) math.randomseed(os.time() * 1000 + tid * 7919) end
request = function()
  counter = counter + 1
  local body = string.format('{{"temperature_c": %.1f, "spo2": %d, "pulse": %d}}',
    36.4 + math.random() * 0.9, math.random(95, 99), math.random(64, 96))
  return wrk.format("POST", "{path}", {{
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("{run}-%d-%d", tid, counter)}}, body)
end
""" + LUA_DONE


def script_post(path: str) -> str:
    return f"""
request = function() return wrk.format("POST", {json.dumps(path)}) end
""" + LUA_DONE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_rss_mb(master: int) -> float:
    """The largest resident set of the gunicorn workers (children of the master), in MB."""
    best = 0.0
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return 0.0
    for pid in children:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    best = max(best, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return best


def prepare(url: str, tokens_wanted: int) -> dict:
    """Create API tokens and signed sessions for generated users; return what the scripts need."""
    from f0monitor import create_app
    from f0monitor.data.models import ApiToken, Patient, User

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": True})
    engine = app.extensions["f0monitor.engine"]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        from load_app import FLOOR, YARDSTICK

        for table in (YARDSTICK, FLOOR):
            table.drop(conn, checkfirst=True)
            table.create(conn)
        conn.execute(sa.delete(ApiToken))
        patients = conn.execute(
            sa.select(Patient.id, Patient.user_id)
            .where(Patient.status == "active", Patient.user_id.is_not(None))
            .order_by(Patient.registered_at)  # the longest histories
            .limit(tokens_wanted)
        ).all()
        coordinator = conn.execute(sa.select(User.id, User.session_version).where(User.role == "coordinator").limit(1)).one()
        department = conn.execute(sa.select(User.id, User.session_version).where(User.role == "department").limit(1)).one()
        tokens, rows = [], []
        for _pid, uid in [*patients, (None, department.id)]:
            token = secrets.token_urlsafe(32)
            tokens.append(token)
            rows.append({"user_id": uid, "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                         "created_at": now, "expires_at": now + timedelta(days=1), "revoked_at": None})
        conn.execute(sa.insert(ApiToken), rows)
        sample = [pid for (pid,) in conn.execute(
            sa.select(Patient.id).where(Patient.status == "active").order_by(sa.func.random()).limit(500))]
    # The job queue closes each day a few minutes after local midnight (jobs.tasks.close_days);
    # no consumer runs here, so do it as it would, or a run just after midnight measures the
    # fallback that counts the day's reporters from the reports.
    from f0monitor.services import rollup

    with app.app_context():
        from f0monitor.data.session import get_session as _session

        rollup.close_days(_session(), now=now)
        _session().commit()
    serializer = app.session_interface.get_signing_serializer(app)
    # A browser session is a stored row too (services.credentials): its id goes in the cookie.
    from f0monitor.data.session import get_session
    from f0monitor.services import credentials

    sids = {}
    with app.app_context():
        db = get_session()
        for row in (coordinator, department):
            sids[row.id], _stored = credentials.open_session(db, db.get(User, row.id), label="bench", now=now)
        db.commit()

    def cookie(user, **extra) -> str:
        data = {"_user_id": f"{user.id}:{user.session_version}", "_fresh": True, "sid": sids[user.id], **extra}
        return "session=" + serializer.dumps(data)

    engine.dispose()
    return {
        "patient_tokens": tokens[:-1], "department_token": tokens[-1], "patients": sample,
        "coordinator_cookie": cookie(coordinator), "department_cookie": cookie(department),
        "search_cookie": cookie(coordinator, queue_search="nguyen lan"),
    }


def scenarios(prep: dict, connections: list[int], run: str) -> list[tuple[str, int, str]]:
    """(name, connections, Lua script) for each measurement, in the order they are run."""
    from f0monitor.domain.clock import VN_TZ

    today = datetime.now(UTC).astimezone(VN_TZ).date()
    first = today - timedelta(days=13)
    staff = {"Cookie": prep["coordinator_cookie"]}
    dept = {"Cookie": prep["department_cookie"]}
    bearer = {"Authorization": "Bearer " + prep["department_token"]}
    out: list[tuple[str, int, str]] = []
    for c in connections:
        out += [
            (f"yardstick: constant (c{c})", c, script_get(["/_bench/constant"], {})),
            (f"yardstick: Core insert (c{c})", c, script_post("/_bench/insert")),
            (f"yardstick: the least a submission does (c{c})", c,
             script_reports(prep["patient_tokens"], f"{run}c{c}floor", "/_bench/floor")),
            (f"API report submission (c{c})", c, script_reports(prep["patient_tokens"], f"{run}c{c}")),
        ]
    c = connections[0]
    # Pages at two connections, one per worker: each request's own time, with no queue of
    # other requests in front of it (at eight, every page waits for about three others, and
    # p95 measures the queue); the first page once more at eight for the throughput.
    out += [
        ("queue first page (c2)", 2, script_get(["/staff/"], staff)),
        ("queue filtered: tier orange (c2)", 2, script_get(["/staff/?tier=orange"], staff)),
        ("queue search by name (c2)", 2, script_get(["/staff/"], {"Cookie": prep["search_cookie"]})),
        # the same search with pages of 20: full at 10,000 patients too (23 matches there, 742 at
        # 300,000), so both sizes render as many rows and the ratio is the search's own
        ("queue search by name, 20 a page (c2)", 2,
         script_get(["/staff/?per_page=20"], {"Cookie": prep["search_cookie"]})),
        ("staff patient page (c2)", 2, script_get([f"/staff/patients/{p}" for p in prep["patients"]], staff)),
        (f"queue first page (c{c})", c, script_get(["/staff/"], staff)),
        ("department dashboard, 14 days (c2)", 2, script_get(["/department/"], dept)),
        ("caseload API, 14 days (c2)", 2,
         script_get([f"/api/v1/caseload?from={first}&to={today}&per_page=200"], bearer)),
    ]
    return out


def check_answers(port: int, prep: dict) -> None:
    """Refuse to measure a page that does not answer 200 (wrk counts a redirect to the login
    page as a success: a lost session once made every staff figure a redirect's)."""
    checks = [("/staff/", prep["coordinator_cookie"]), (f"/staff/patients/{prep['patients'][0]}", prep["coordinator_cookie"]),
              ("/department/", prep["department_cookie"])]
    for path, cookie in checks:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):  # noqa: ANN002, ANN003
                return None

        try:
            with urllib.request.build_opener(NoRedirect).open(request, timeout=300) as answer:
                status = answer.status
        except urllib.error.HTTPError as e:
            status = e.code
        if status != 200:
            raise SystemExit(f"{path} answers {status}, not 200: the figures would not be the page's")


def _ticks(pid: str | int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def cpu_seconds(master: int) -> tuple[float, float]:
    """The CPU seconds used so far by the gunicorn workers, and by every PostgreSQL process of
    this machine (the server must be local, and nothing else should use it meanwhile)."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        workers = sum(_ticks(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split())
    except OSError:
        workers = 0
    server = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == "postgres":
                    server += _ticks(entry)
            except OSError:  # gone meanwhile
                continue
    return workers / tick, server / tick


def run_wrk(port: int, script: str, connections: int, duration: int, threads: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        out = subprocess.run(
            ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
             "-s", path, f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=duration + 60,
        ).stdout
    finally:
        os.unlink(path)
    line = next((ln for ln in out.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError("wrk printed no result:\n" + out)
    data = json.loads(line[5:])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def drain(port: int, workers: int) -> None:
    """Wait until the workers have served what a finished wrk run left queued.

    wrk stops sending at the end of its run, but sync workers still serve the requests already
    accepted (a slow page at 8 connections leaves up to 8 behind): a constant request queued
    after them, once per worker, returns only when they are done.
    """
    for _ in range(workers * 2):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_bench/constant", timeout=300):
                pass
        except OSError:
            time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--label", default="")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync, gthread)")
    parser.add_argument("--worker-threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--connections", default="8,32")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="run only scenarios whose name contains one of these "
                        "(comma-separated)")
    parser.add_argument("--tokens", type=int, default=2000, help="patients sending reports")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    connections = [int(c) for c in args.connections.split(",")]

    os.environ["BENCH_DATABASE_URL"] = args.url  # for load_app's import in prepare()
    os.environ["BENCH_SECRET_KEY"] = SECRET
    prep = prepare(args.url, args.tokens)
    port = free_port()
    env = {**os.environ, "BENCH_DATABASE_URL": args.url, "BENCH_SECRET_KEY": SECRET}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:f0monitor.gunicorn_conf",
         "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--worker-class", args.worker_class, "--threads", str(args.worker_threads),
         "--chdir", str(ROOT / "bench"), "--timeout", "120", "--log-level", "warning", "load_app:application"],
        env=env, cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:  # both workers up: several answers in a row from the yardstick and the app
            try:
                for path in ("/_bench/constant", "/login") * 4:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10):
                        pass
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.5)
        run = secrets.token_hex(3)
        wanted = [w for w in args.only.split(",") if w] or [""]
        plan = [s for s in scenarios(prep, connections, run) if any(w in s[0] for w in wanted)]
        check_answers(port, prep)
        results: dict[str, list[dict]] = {name: [] for name, _c, _s in plan}
        for _name, c, script in plan:  # warm-up: one short pass, caches and pools filled
            run_wrk(port, script.replace(f"{run}c", f"{run}w"), min(c, 2), 1, args.threads)
            drain(port, args.workers)
        for r in range(args.rounds):
            order = plan if r % 2 == 0 else list(reversed(plan))
            for name, c, script in order:
                script = script.replace(f"{run}c", f"{run}r{r}c")
                before = cpu_seconds(server.pid)
                result = run_wrk(port, script, c, args.duration, args.threads)
                if result["requests"] == 0:  # nothing answered in time: say so, try once more
                    print(f"warning: {name}: no answer in {args.duration}s, run again", file=sys.stderr)
                    before = cpu_seconds(server.pid)
                    result = run_wrk(port, script + "-- again\n", c, args.duration, args.threads)
                after = cpu_seconds(server.pid)
                served = max(1, result["requests"])
                result["worker_cpu_ms"] = (after[0] - before[0]) / served * 1000
                result["db_cpu_ms"] = (after[1] - before[1]) / served * 1000
                if name.startswith("API report submission"):  # each answer a new report, not a retry
                    result["stored"] = stored_reports(args.url, script_key(script))
                results[name].append(result)
                drain(port, args.workers)
        rss = worker_rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    print_table(args, results, rss)


def script_key(script: str) -> str:
    """The Idempotency-Key prefix of a report script (keys are ``<prefix>-<thread>-<n>``)."""
    return script.split('string.format("', 1)[1].split("-%d-%d", 1)[0]


def stored_reports(url: str, prefix: str) -> int:
    """Count the reports stored under one run's keys."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM symptom_reports WHERE client_key LIKE :p"),
                               {"p": prefix + "-%"})
    finally:
        engine.dispose()


def print_table(args, results: dict[str, list[dict]], rss: float) -> None:
    rps = {name: statistics.median(r["rps"] for r in runs) for name, runs in results.items() if runs}
    title = args.label or args.url
    print(f"\n### {title}: gunicorn {args.workers} sync workers, wrk {args.duration}s × {args.rounds} rounds, interleaved\n")
    postgres = args.url.startswith("postgresql")
    print("| scenario | req/s | p50 ms | p95 ms | p99 ms | non-2xx | vs insert | worker CPU ms/req |"
          + (" PostgreSQL CPU ms/req |" if postgres else ""))
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if postgres else ""))
    figures = {}
    for name, runs in results.items():
        if not runs:
            continue
        last = runs[-1]
        c = name.rsplit("(c", 1)[1].rstrip(")")
        insert = rps.get(f"yardstick: Core insert (c{c})")
        ratio = f"{rps[name] / insert:.2f}×" if insert and "insert" not in name else ""
        bad = sum(r["bad_status"] + r["socket_errors"] for r in runs)
        worker_cpu = statistics.median(r["worker_cpu_ms"] for r in runs)
        db_cpu = statistics.median(r["db_cpu_ms"] for r in runs)
        print(f"| {name} | {rps[name]:,.0f} | {last['p50'] / 1000:.1f} | {last['p95'] / 1000:.1f} | "
              f"{last['p99'] / 1000:.1f} | {bad} | {ratio} | {worker_cpu:.2f} |"
              + (f" {db_cpu:.2f} |" if postgres else ""))
        figures[name] = {"rps": rps[name], "p50_ms": last["p50"] / 1000, "p95_ms": last["p95"] / 1000,
                         "p99_ms": last["p99"] / 1000, "bad": bad, "worker_cpu_ms": worker_cpu,
                         "db_cpu_ms": db_cpu if postgres else None}
    subs = sorted((n for n in rps if n.startswith("API report submission")), key=lambda n: int(n.rsplit("(c", 1)[1][:-1]))
    if len(subs) >= 2 and rps[subs[0]]:
        print(f"\nreport submission, c{subs[-1].rsplit('(c', 1)[1][:-1]} ÷ c{subs[0].rsplit('(c', 1)[1][:-1]}: "
              f"{rps[subs[-1]] / rps[subs[0]]:.2f}×")
    for name in subs:
        c = name.rsplit("(c", 1)[1][:-1]
        least = rps.get(f"yardstick: the least a submission does (c{c})")
        if least:
            print(f"{name} ÷ the least a submission does: {rps[name] / least:.2f}×")
    for name in subs:
        answered = sum(r["requests"] for r in results[name])
        stored = sum(r.get("stored", 0) for r in results[name])
        print(f"{name}: {stored:,} reports stored for {answered:,} answered (a few more in flight when wrk "
              "stopped are stored, not counted; far fewer stored would mean retries, not new reports)")
    print(f"largest worker RSS after the run: {rss:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps({"label": title, "figures": figures, "rss_mb": rss}, indent=1))


if __name__ == "__main__":
    random.seed(1)
    main()

"""The real job queue: Huey consumers started as `flask --app f0monitor worker` processes,
with SQLite storage (in a temp dir) and Redis storage (its own queue name) when Redis is up.

Two consumers at once hand every message to the (local eSMS) provider exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from f0monitor.data.models import OutboxMessage, Patient
from f0monitor.data.session import get_session
from f0monitor.domain.clock import VN_TZ
from f0monitor.jobs import jobs_of, queue_of
from f0monitor.services import outbox

from .providers import EsmsServer, start, stop

ROOT = Path(__file__).resolve().parent.parent
REDIS = ("127.0.0.1", 6379)


def redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request, tmp_path):
    if request.param == "redis":
        if not redis_up():
            pytest.skip("no Redis server at 127.0.0.1:6379")
        return "redis://127.0.0.1:6379/0"
    return f"sqlite:///{tmp_path / 'huey.sqlite'}"


@pytest.fixture
def esms():
    server, url = start(EsmsServer)
    yield server, url
    stop(server)


@pytest.fixture
def app_config(queue_url, esms):
    return {"HUEY_URL": queue_url, "HUEY_NAME": f"f0test-{uuid.uuid4().hex[:8]}",
            "SMS_PROVIDER": "esms", "ESMS_API_KEY": "key", "ESMS_SECRET_KEY": "secret",
            "ESMS_BASE_URL": esms[1]}


@pytest.fixture
def workers(app, app_config, tmp_path):
    """Start consumers (`flask --app f0monitor worker`) for the test's queue and database."""
    started: list[subprocess.Popen] = []
    env = {**os.environ, "PYTHONPATH": str(ROOT), "F0MONITOR_SECRET_KEY": "test-worker",
           "F0MONITOR_DATABASE_URL": app.config["DATABASE_URL"],
           "F0MONITOR_BABEL_TRANSLATION_DIRECTORIES": app.config["BABEL_TRANSLATION_DIRECTORIES"]}
    env.update({f"F0MONITOR_{k}": str(v) for k, v in app_config.items()})

    def _start(n_threads: int = 2) -> subprocess.Popen:
        log = open(tmp_path / f"worker{len(started)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "f0monitor", "worker", "--no-periodic",
             "-w", str(n_threads)],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        proc.log = log  # type: ignore[attr-defined]
        started.append(proc)
        return proc

    yield _start
    for proc in started:
        proc.send_signal(signal.SIGINT)  # Huey's graceful stop
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.log.close()
    queue_of(app).storage.flush_all()


def make_patients(make_patient, n):
    return [make_patient(now=datetime(2026, 12, 1, 17, tzinfo=VN_TZ)) for _ in range(n)]


def test_the_consumer_runs_the_ladder_and_sends(app, make_patient, workers, esms):
    server, _url = esms
    ids = [p.id for p in make_patients(make_patient, 3)]
    workers()
    jobs = jobs_of(app)
    tick = jobs.ladder_tick("2026-12-02T07:30:00+07:00").get(blocking=True, timeout=60)
    assert tick["slot"] == "2026-12-02:morning" and tick["reminders"] == 3
    sent = jobs.send_due(10.0, "2026-12-02T07:31:00+07:00").get(blocking=True, timeout=60)
    assert sent["sent"] == 3
    with app.app_context():
        rows = get_session().scalars(sa.select(OutboxMessage).order_by(OutboxMessage.patient_id)).all()
        assert [(r.patient_id, r.status, r.provider) for r in rows] == [(i, "sent", "esms") for i in ids]
    assert sorted(b["RequestId"] for b in server.recorder.received) == sorted(f"f0-{r.id}" for r in rows)


def test_two_consumers_send_each_message_exactly_once(app, make_patient, workers, esms):
    server, _url = esms
    n = 120
    with app.app_context():
        session = get_session()
        now = datetime(2026, 12, 2, 9, tzinfo=VN_TZ)
        for p in make_patients(make_patient, n):
            outbox.enqueue(session, patient=session.get(Patient, p.id), purpose="advice",
                           slot="exactly-once", text_or_msg="Kiểm tra", now=now)
        session.commit()
    # Each send takes 50 ms at the provider, so no one sender can drain the 120 before the
    # other consumers' threads have started on theirs: the race is real on every machine.
    server.recorder.fail_next("slow", 0.05, times=n)
    workers(2)
    workers(2)
    jobs = jobs_of(app)
    # Eight senders race for the same rows in batches of 5.
    results = [jobs.send_due(20.0, "2026-12-02T09:01:00+07:00", 5) for _ in range(8)]
    figures = [r.get(blocking=True, timeout=90) for r in results]
    assert sum(f["sent"] for f in figures) == n
    assert sum(1 for f in figures if f["sent"]) >= 2  # the work was shared
    request_ids = [b["RequestId"] for b in server.recorder.received]
    assert len(request_ids) == n and len(set(request_ids)) == n and server.recorder.duplicates == 0
    with app.app_context():
        statuses = get_session().scalars(sa.select(OutboxMessage.status)).all()
        assert statuses == ["sent"] * n


def test_a_job_that_raises_is_retried_by_the_consumer(app, make_patient, workers, esms):
    # The provider is down for the first requests: the messages stay queued with back-off,
    # nothing is lost, and a later sender sends each once.
    server, _url = esms
    server.recorder.fail_next("http", 503, times=2)
    make_patients(make_patient, 2)
    workers()
    jobs = jobs_of(app)
    jobs.ladder_tick("2026-12-02T07:30:00+07:00").get(blocking=True, timeout=60)
    first = jobs.send_due(10.0, "2026-12-02T07:31:00+07:00").get(blocking=True, timeout=60)
    assert first["retried"] == 2
    later = jobs.send_due(10.0, "2026-12-02T07:35:00+07:00").get(blocking=True, timeout=60)
    assert later["sent"] == 2 and server.recorder.duplicates == 0
    time.sleep(0.1)

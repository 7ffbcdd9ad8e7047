"""The app through PgBouncer in transaction mode (README "Deployment", connection pooling).

A real PgBouncer (Debian's package) is started in front of the test PostgreSQL with a pool of
two server connections; two app instances with their own engines (as two workers would)
send reports (and retries: the ON CONFLICT path), read the queue and the department figures
through it. DATABASE_PREPARED_STATEMENTS off makes psycopg prepare nothing on the server (the
last tests check that the setting reaches psycopg), so a transaction that lands on another
server connection finds nothing missing; this test does not force that interleaving, it
shows that every path of the app runs through PgBouncer in transaction mode. Skips without
PostgreSQL or the pgbouncer binary.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from f0monitor import create_app
from f0monitor.data.models import SymptomReport

from .conftest import PASSWORD, api_token

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bouncer_url(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set F0MONITOR_TEST_DATABASE_URL)")
    if not os.path.exists(PGBOUNCER):
        pytest.skip("no pgbouncer (apt-get install pgbouncer)")
    url = make_url(db_url)
    port = _free_port()
    # Not under pytest's tmp_path: that is private to root, and pgbouncer runs as postgres.
    work = Path(tempfile.mkdtemp(prefix="f0-pgbouncer-"))
    (work / "users.txt").write_text(f'"{url.username}" "{url.password or ""}"\n')
    ini = work / "pgbouncer.ini"
    ini.write_text(f"""[databases]
f0 = host={url.host or '127.0.0.1'} port={url.port or 5432} dbname={url.database} user={url.username}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {work / 'users.txt'}
pool_mode = transaction
default_pool_size = 2
max_client_conn = 50
ignore_startup_parameters = extra_float_digits,options
logfile = {work / 'pgbouncer.log'}
pidfile = {work / 'pgbouncer.pid'}
""")
    cmd = [PGBOUNCER, str(ini)]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(work, "postgres")
        for f in work.iterdir():
            shutil.chown(f, "postgres")
        cmd = [PGBOUNCER, "-u", "postgres", str(ini)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    log = (work / "pgbouncer.log").read_text() if (work / "pgbouncer.log").exists() else ""
                    pytest.fail("pgbouncer stopped: " + proc.stderr.read().decode() + log)
                time.sleep(0.1)
        auth = url.username + (f":{url.password}" if url.password else "")
        yield f"postgresql+psycopg://{auth}@127.0.0.1:{port}/f0"
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()
        shutil.rmtree(work, ignore_errors=True)


def test_the_app_works_through_pgbouncer_in_transaction_mode(bouncer_url, tmp_path, make_patient, make_user):
    patients = [make_patient(login=True, phone=f"+8491200{i:04d}") for i in range(3)]
    make_user("coordinator", phone="+84908000555")
    make_user("department", phone="+84908000556")
    config = {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": bouncer_url,
              "DATABASE_PREPARED_STATEMENTS": False, "RATELIMIT_ENABLED": False,
              "STAFF_MFA": "optional"}  # as conftest: staff get tokens with a password here
    apps = [create_app(config, instance_path=str(tmp_path / f"i{n}")) for n in range(2)]
    try:
        clients = [a.test_client() for a in apps]
        headers = [api_token(clients[i % 2], p.phone, PASSWORD) for i, p in enumerate(patients)]
        staff = api_token(clients[0], "+84908000555", PASSWORD)
        dept = api_token(clients[1], "+84908000556", PASSWORD)
        # Enough repeats of each statement that psycopg would have prepared them (it does
        # from the fifth), spread over two engines sharing two server connections.
        for n in range(12):
            client = clients[n % 2]
            response = client.post("/api/v1/me/reports", json={"temperature_c": 37.0, "spo2": 97},
                                   headers={**headers[n % 3], "Idempotency-Key": f"pgb-{n}"})
            assert response.status_code == 201, response.get_json()
            retry = client.post("/api/v1/me/reports", json={"temperature_c": 37.0, "spo2": 97},
                                headers={**headers[n % 3], "Idempotency-Key": f"pgb-{n}"})
            assert retry.status_code == 200
            assert clients[(n + 1) % 2].get("/api/v1/queue", headers=staff).status_code == 200
        assert clients[1].get("/api/v1/caseload", headers=dept).status_code == 200
        engine = apps[0].extensions["f0monitor.engine"]
        with engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 12
    finally:
        for a in apps:
            a.extensions["f0monitor.engine"].dispose()


def test_prepared_statements_stay_on_by_default(app):
    engine = app.extensions["f0monitor.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set F0MONITOR_TEST_DATABASE_URL)")
    with engine.connect() as conn:
        assert conn.connection.dbapi_connection.prepare_threshold == 5  # psycopg's default


def test_the_setting_turns_them_off(db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set F0MONITOR_TEST_DATABASE_URL)")
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": db_url,
                      "DATABASE_PREPARED_STATEMENTS": False}, instance_path=str(tmp_path / "i"))
    engine = app.extensions["f0monitor.engine"]
    try:
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.prepare_threshold is None
    finally:
        engine.dispose()

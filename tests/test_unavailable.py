"""A database that cannot be reached answers 503 with Retry-After, never a 500; HSTS is sent.

The app here points at a PostgreSQL port where nothing listens (a database that is down), so
every request that needs the database meets a real connection error from the driver.
"""

from __future__ import annotations

import socket

import pytest

from f0monitor import create_app

from .conftest import CSRF_RE


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def down_app(tmp_path):
    url = f"postgresql://nobody@127.0.0.1:{_free_port()}/gone?connect_timeout=2"
    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url,
                       "DB_RETRY_AFTER": 7}, instance_path=str(tmp_path / "instance"))


def test_api_answers_503_json_with_retry_after(down_app):
    client = down_app.test_client()
    response = client.post("/api/v1/tokens", json={"phone": "+84912345678", "password": "x" * 12})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.get_json()["error"]["code"] == "unavailable"
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "unavailable"


def test_pages_answer_the_friendly_503_page(down_app):
    client = down_app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(html).group(1)
    response = client.post("/login", data={"phone": "0912345678", "password": "x" * 12,
                                           "csrf_token": token})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    text = response.get_data(as_text=True)
    assert "đang khởi động lại" in text and "115" in text and "Traceback" not in text
    # A signed-in visitor: the user loader itself meets the dead database; the page renders
    # without it (as an anonymous visitor) instead of failing again inside the error handler.
    with client.session_transaction() as sess:
        sess["_user_id"] = "1:1"
    client.set_cookie("lang", "en")
    response = client.get("/staff/")
    assert response.status_code == 503
    assert "busy or restarting" in response.get_data(as_text=True)


def _postgres_engine(db_url, ping_after: float):
    import sqlalchemy as sa

    from f0monitor.data.session import make_engine

    if not db_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set F0MONITOR_TEST_DATABASE_URL): SQLite opens no server connection")
    return sa, make_engine(db_url, ping_after=ping_after)


@pytest.mark.postgres
def test_a_connection_killed_while_idle_is_replaced_before_use(db_url):
    """The server ended the pooled connection (a restart, a firewall): the next request gets a
    new one instead of an error, because a connection idle past DATABASE_PING_AFTER is pinged."""
    import time

    sa, engine = _postgres_engine(db_url, ping_after=0.2)
    try:
        with engine.connect() as conn:
            first = conn.scalar(sa.text("SELECT pg_backend_pid()"))
        with engine.connect() as other:  # a second pooled connection kills the first
            with engine.connect() as killer:
                assert killer.scalar(sa.text("SELECT pg_terminate_backend(:p)"), {"p": first}) is True
            del other
        time.sleep(0.3)
        pids = set()
        for _ in range(2):  # whichever pooled connection comes out, it works
            with engine.connect() as conn:
                pids.add(conn.scalar(sa.text("SELECT pg_backend_pid()")))
        assert first not in pids
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_connection_used_a_moment_ago_is_not_pinged(db_url):
    """No round trip more per request under load: only a connection idle past the limit is pinged."""
    import time

    sa, engine = _postgres_engine(db_url, ping_after=0.5)
    pings = []
    ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda dbapi_connection: pings.append(1) or ping(dbapi_connection)
    try:
        for _ in range(5):
            with engine.connect() as conn:
                conn.scalar(sa.text("SELECT 1"))
        assert pings == []  # a new connection, then the same one again and again
        time.sleep(0.6)
        with engine.connect() as conn:
            conn.scalar(sa.text("SELECT 1"))
        assert pings == [1]
    finally:
        engine.dispose()


def test_hsts_outside_debug_only_and_configurable(tmp_path, db_url):
    def app_with(**config):
        return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url, **config},
                          instance_path=str(tmp_path / "instance"))

    response = app_with().test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    api = app_with().test_client().post("/api/v1/assess", json={})
    assert "max-age=" in api.headers["Strict-Transport-Security"]
    sub = app_with(HSTS_INCLUDE_SUBDOMAINS=True).test_client().get("/login")
    assert sub.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in app_with(HSTS_SECONDS=0).test_client().get("/login").headers
    debug = app_with(DEBUG=True)
    debug.debug = True
    assert "Strict-Transport-Security" not in debug.test_client().get("/login").headers


def test_database_errors_never_carry_the_values(app, make_patient):
    """A logged database error names the statement, never the personal data in it.

    SQLAlchemy hides the bound values; PostgreSQL's own DETAIL would repeat the row, so the
    app's logger reduces a database error to its type, SQLSTATE and statement.
    """
    import logging

    import sqlalchemy as sa

    from f0monitor.http.errors import RedactDatabaseErrors

    make_patient(phone="+84912000777")
    engine = app.extensions["f0monitor.engine"]
    with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (phone, role, full_name, created_at, session_version, "
                             "is_active_account, is_available) VALUES (:p, 'doctor', :n, '2026-01-01', 1, true, true)"),
                     [{"p": "+84912000888", "n": "Lý Thị Bí Mật"}, {"p": "+84912000888", "n": "Lý Thị Bí Mật"}])
    assert "parameters hidden" in str(caught.value)
    record = logging.LogRecord("f0monitor", logging.ERROR, __file__, 1, "Exception on %s [%s]",
                               ("/staff/register", "POST"), (type(caught.value), caught.value, caught.value.__traceback__))
    assert any(isinstance(f, RedactDatabaseErrors) for f in app.logger.filters)
    assert RedactDatabaseErrors().filter(record)
    text = logging.Formatter().format(record)
    assert "Exception on /staff/register [POST]" in text and "INSERT INTO users" in text
    assert "Bí Mật" not in text and "+84912000888" not in text and "84912000888" not in text

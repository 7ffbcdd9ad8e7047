"""Fixtures: a real database (SQLite file, or PostgreSQL from F0MONITOR_TEST_DATABASE_URL).

The schema is built once per run by the Alembic migrations (so every run tests them too);
each test then starts from empty tables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from f0monitor import create_app
from f0monitor.data import append_only, name_index
from f0monitor.data.models import Patient, User
from f0monitor.data.session import get_session, make_engine
from f0monitor.data.types import Base
from f0monitor.domain.clock import VN_TZ, utcnow
from f0monitor.services.inputs import RegistrationInput
from f0monitor.services.patients import hash_password, register_patient


def pytest_sessionstart(session) -> None:
    """Compile stale catalogs into the package as the build step does (setup.py, make)."""
    from f0monitor._catalogs import compile_catalogs

    compile_catalogs()


# F0MONITOR_TEST_CLOCK=2026-12-03T16:45:00+00:00 runs the tests that use the local calendar
# as if it were that moment, the clock going on from there (time-machine: datetime, time and
# date in this process). A test that holds only at some hours of the day fails then, not on
# the day CI happens to run at that hour: `make test-clocks` runs them at a minute before
# midnight, just after it and before noon in Vietnam. Tests that start other processes (a
# browser, gunicorn, the job consumer) are left out: those keep the real clock.
TEST_CLOCK = os.environ.get("F0MONITOR_TEST_CLOCK")
_USES_THE_CALENDAR = re.compile(r"today_local|local_date|VN_TZ|timedelta\(hours")
_OTHER_PROCESSES = re.compile(r"playwright|chromium|browser|subprocess|Popen|gunicorn|schemathesis")


def pytest_configure(config) -> None:
    if TEST_CLOCK:
        import time_machine

        config.f0_clock = time_machine.travel(datetime.fromisoformat(TEST_CLOCK), tick=True)
        config.f0_clock.start()


def pytest_unconfigure(config) -> None:
    if getattr(config, "f0_clock", None) is not None:
        config.f0_clock.stop()


def pytest_collection_modifyitems(config, items) -> None:
    if not TEST_CLOCK:
        return
    sources: dict[str, str] = {}
    keep, drop = [], []
    for item in items:
        path = str(item.path)
        if path not in sources:
            sources[path] = item.path.read_text(encoding="utf-8")
        source = sources[path]
        wanted = _USES_THE_CALENDAR.search(source) and not _OTHER_PROCESSES.search(source)
        (keep if wanted else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


PASSWORD = "correct horse 1"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashing is slow: once per run
AN_GIANG = 91
LONG_XUYEN = 30307  # Phường Long Xuyên, An Giang
CHAU_DOC = None  # filled below from the package


def _other_ward() -> int:
    from f0monitor.services import areas

    return next(code for code, _n in areas.wards(AN_GIANG) if code != LONG_XUYEN)


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("F0MONITOR_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate an empty database to head once for the run."""
    url = database_url(tmp_path_factory)
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url},
                     instance_path=str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        engine = app.extensions["f0monitor.engine"]
        with engine.begin() as conn:
            # A leftover schema from an interrupted run must not leak into this one.
            name_index.execute(conn, create=False)
            Base.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        from f0monitor.data.session import upgrade_db

        upgrade_db()
        engine.dispose()
    yield app.config["DATABASE_URL"]
    engine = make_engine(app.config["DATABASE_URL"])
    with engine.begin() as conn:
        name_index.execute(conn, create=False)
        Base.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def _empty_tables(engine: sa.Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            # The audit trail's triggers refuse DELETE (append-only): lifted for the cleanup only.
            append_only.execute(conn, create=False)
            for name in reversed(tables):
                conn.execute(sa.text(f"DELETE FROM {name}"))
            append_only.execute(conn, create=True)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra settings a test module may override."""
    return {}


@pytest.fixture
def app(db_url: str, tmp_path, app_config) -> Iterator[Flask]:
    # STAFF_MFA: "optional" lets the existing tests log staff in with a password; the tests of
    # the second factor set "required" (the production default) through app_config.
    config = {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url,
              "STAFF_MFA": "optional", "QUEUE_COUNT_TTL": 0, "DEPARTMENT_COUNT_TTL": 0, **app_config}
    app = create_app(config, instance_path=str(tmp_path / "instance"))
    yield app
    engine = app.extensions["f0monitor.engine"]
    _empty_tables(engine)
    engine.dispose()


@pytest.fixture
def session(app: Flask):
    """A session of the test's own, outside any app context.

    Pushing an app context for the whole test would make every test-client request reuse it
    (Flask shares an active app context with requests), and with it ``g``: requests would
    share one database session and one CSRF token, which the real server never does.
    """
    db_session = app.extensions["f0monitor.sessionmaker"]()
    yield db_session
    db_session.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    """Return the CSRF token a page of ours hands out (CSRF stays on in tests)."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no csrf token on {url}"
    return match.group(1)


def registration_data(**overrides: Any) -> RegistrationInput:
    today = utcnow().astimezone(VN_TZ).date()
    values: dict[str, Any] = {
        "full_name": "Nguyễn Văn Bình",
        "date_of_birth": date(1985, 6, 1),
        "sex": "male",
        "phone": "+84912345678",
        "province_code": AN_GIANG,
        "ward_code": LONG_XUYEN,
        "address": "12 Trần Hưng Đạo",
        "positive_test_date": today - timedelta(days=2),
        "test_type": "rapid_antigen",
        "fully_vaccinated": True,
        "vaccine_doses": 3,
        "consent": True,
        "password": None,
    }
    values.update(overrides)
    return RegistrationInput(**values)


@pytest.fixture
def make_patient(app: Flask) -> Callable[..., Patient]:
    """Register a patient through the real service; with login=True they get a password."""

    counter = iter(range(1000, 9999))

    def _make(login: bool = False, now: datetime | None = None, **overrides: Any) -> Patient:
        overrides.setdefault("phone", f"+8491234{next(counter):04d}")
        with app.app_context():
            session = get_session()
            data = registration_data(**overrides)
            patient = register_patient(session, data, now=now or utcnow())
            if login:
                patient.user = User(
                    phone=patient.phone,
                    password_hash=_PASSWORD_HASH,
                    role="patient",
                    full_name=patient.full_name,
                    province_code=patient.province_code,
                    ward_codes=[],
                    created_at=utcnow(),
                    is_active_account=True,
                    session_version=1,
                )
            session.commit()
            return patient

    return _make


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(100, 999))

    def _make(role: str = "doctor", province_code: int = AN_GIANG, ward_codes=(), **kw: Any) -> User:
        with app.app_context():
            session = get_session()
            user = User(
                phone=kw.pop("phone", f"+8490800{next(counter):04d}"),
                password_hash=_PASSWORD_HASH,
                role=role,
                full_name=kw.pop("full_name", f"Staff {role}"),
                province_code=province_code,
                ward_codes=list(ward_codes),
                created_at=utcnow(),
                is_active_account=True,
                session_version=1,
                is_available=True,
                **kw,
            )
            session.add(user)
            session.commit()
            return user

    return _make


def login(client: FlaskClient, phone: str, password: str = PASSWORD):
    """Log in through the real form, CSRF token included."""
    token = csrf_token(client, "/login")
    return client.post("/login", data={"phone": phone, "password": password, "csrf_token": token})


def api_token(client: FlaskClient, phone: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/tokens", json={"phone": phone, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": "Bearer " + response.get_json()["token"]}


# The department's fixtures (tests/test_department.py, tests/test_exports.py).

@pytest.fixture
def dept(make_user):
    return make_user("department", full_name="Sở Y tế")


@pytest.fixture
def caseload_data(make_patient):
    now = utcnow()
    make_patient(now=now - timedelta(days=2))
    make_patient(now=now - timedelta(days=1), ward_code=_other_ward())

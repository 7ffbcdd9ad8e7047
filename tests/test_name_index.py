"""SQLite's name index (FTS5 trigrams, data/name_index.py): the search finds what LIKE finds,
uses the index, and follows every change of a name."""

from __future__ import annotations

import random
import re

import pytest
import sqlalchemy as sa

from f0monitor.data import name_index
from f0monitor.data.models import Patient
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.services import queue
from f0monitor.services.queue import QueueFilters, triage_queue

NAMES = ["Nguyễn Thị Lan", "Nguyễn Văn Lâm", "Trần Lan Anh", "Lê Thị Hoa", "Phạm Đức Anh", "Đỗ Thị Thu",
         "Huỳnh Văn An", "Ông Ích Khiêm", "Lan", "Võ Thị Lành"]


def _sqlite(app) -> None:
    with app.app_context():
        if get_session().get_bind().dialect.name != "sqlite":
            pytest.skip("the FTS5 name index is SQLite's; PostgreSQL has pg_trgm (migration 0012)")


def _found(session, q: str, *, indexed: bool) -> set[int]:
    condition = queue._search_condition(q, names_indexed=indexed)
    return set(session.scalars(sa.select(Patient.id).where(condition)))


def _ids(app, user, q: str) -> set[int]:
    with app.app_context():
        session = get_session()
        page = triage_queue(session, session.merge(user), QueueFilters(q=q, per_page=100), now=utcnow())
        return {item.patient.id for item in page.items}


def test_the_migration_made_the_index(app):
    _sqlite(app)
    with app.app_context():
        assert name_index.available(get_session())


def test_the_index_finds_what_like_finds(app, make_patient):
    """Every query, the index and LIKE give the same patients: words of three characters or
    more through the index, shorter ones still by LIKE, quotes and wildcards as plain text."""
    _sqlite(app)
    for name in NAMES:
        make_patient(full_name=name)
    rng = random.Random(7)
    folded = ["nguyen", "lan", "thi", "anh", "an", "la", "duc", "o", "ich", "lanh", "thu", "van lam"]
    queries = folded + [" ".join(rng.sample(folded, 2)) for _ in range(20)]
    queries += ['"lan', 'lan"', "an%", "th_", "NGUYỄN lan", "zzz", "ng uy", "'lan'"]
    # FTS5's own query syntax, typed as text: operators, prefixes, columns, groups, quotes alone
    queries += ["lan*", "^lan", "-lan", "lan AND thi", "NEAR(lan thi)", "name_search:lan", "(lan)", '"""',
                "lan OR", "+thi", "*"]
    with app.app_context():
        session = get_session()
        for q in queries:
            assert _found(session, q, indexed=True) == _found(session, q, indexed=False), q
        # Nguyễn Thị Lan, Trần Lan Anh, Lan, Võ Thị Lành (not Lâm)
        assert len(_found(session, "lan", indexed=True)) == 4
        assert _found(session, "zzz", indexed=True) == set()


def test_the_search_reads_the_index(app, make_patient):
    _sqlite(app)
    make_patient(full_name="Nguyễn Thị Lan")
    with app.app_context():
        session = get_session()
        statement = sa.select(Patient.id).where(queue._search_condition("nguyen lan", names_indexed=True))
        sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(row[-1]) for row in session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
        assert "VIRTUAL TABLE INDEX" in plan and name_index.TABLE in plan, plan
        assert not re.search(r"SCAN patient_names\b(?!_fts)", plan), plan  # no scan of the names


def test_the_index_follows_new_changed_and_deleted_names(app, make_patient, make_user):
    _sqlite(app)
    doctor = make_user("doctor")
    lan = make_patient(full_name="Nguyễn Thị Lan")
    assert _ids(app, doctor, "nguyen lan") == {lan.id}
    with app.app_context():
        session = get_session()
        session.get(Patient, lan.id).full_name = "Trần Thị Huệ"  # corrected at the desk
        session.commit()
    assert _ids(app, doctor, "nguyen lan") == set()
    assert _ids(app, doctor, "tran hue") == {lan.id}
    with app.app_context():
        session = get_session()
        from f0monitor.services import retention

        retention.anonymise(session, session.get(Patient, lan.id), now=utcnow(), reason="test")
        session.commit()
    assert _ids(app, doctor, "tran hue") == set()  # the name is gone from the index too
    other = make_patient(full_name="Lê Văn Lanh")
    with app.app_context():
        session = get_session()
        session.delete(session.get(Patient, other.id))
        session.commit()
        rows = session.execute(sa.text(f"SELECT rowid FROM {name_index.TABLE} WHERE {name_index.TABLE} MATCH 'lanh'"))
        assert rows.all() == []


def test_the_search_keeps_its_like_without_the_index(app, make_patient, make_user):
    """A SQLite without FTS5's trigram tokenizer (or PostgreSQL) searches with LIKE alone."""
    doctor = make_user("doctor")
    lan = make_patient(full_name="Nguyễn Thị Lan")
    make_patient(full_name="Trần Văn Bình")
    condition = queue._search_condition("nguyen lan", names_indexed=False)
    assert name_index.TABLE not in str(condition.compile())
    assert _ids(app, doctor, "nguyen lan") == {lan.id}


# sqlite_stat1 of bench/generate.py's 300,000 patients (7,001 alerts, none open) after ANALYZE
PROVINCE_STATISTICS = [
    ("patients", "ix_patients_province_segment", "300000 75000 75000 18750 1 1"),
    ("patients", "ix_patients_ward_segment", "300000 75000 901 260 1 1"),
    ("patients", "ix_patients_status_last_report", "300000 75000 1 1 1 1"),
    ("alerts", "ix_alerts_state_opened", "7001 3501 1"),
    ("alerts", "ix_alerts_patient_id", "7001 1"),
]


def test_the_open_alerts_of_a_queue_poll_come_through_their_index(app, make_user):
    """Every poll of the queue asks for the area's open alerts: through (state, opened_at), not
    a scan of every alert ever raised (resolved ones stay in the table for the record). With a
    province's statistics and the alerts ordered by id, SQLite chose the scan (0.4 ms a poll
    at 7,000 alerts, growing with every alert)."""
    _sqlite(app)
    doctor = make_user("doctor")
    caught: list[tuple[str, object]] = []
    with app.app_context():
        session = get_session()
        engine = session.get_bind()
        session.execute(sa.text("ANALYZE"))
        session.execute(sa.text("DELETE FROM sqlite_stat1"))
        session.execute(sa.text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (:t, :i, :s)"),
                        [{"t": t, "i": i, "s": s} for t, i, s in PROVINCE_STATISTICS])
        session.execute(sa.text("ANALYZE sqlite_schema"))  # the planner reads them again
        session.commit()

        def catch(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().startswith("SELECT alerts.id"):
                caught.append((statement, parameters))

        sa.event.listen(engine, "before_cursor_execute", catch)
        try:
            queue.unacknowledged_alert_ids(session, session.merge(doctor))
            (statement, parameters), = caught
            cursor = session.connection().connection.driver_connection.cursor()
            plan = " ".join(row[-1] for row in cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters))
        finally:
            sa.event.remove(engine, "before_cursor_execute", catch)
            session.rollback()
            session.execute(sa.text("DROP TABLE sqlite_stat1"))  # the other tests plan without them
            session.commit()
        assert "USING INDEX ix_alerts_state_opened" in plan and "SCAN alerts" not in plan, plan


def test_the_migration_goes_down_and_up_again(tmp_path):
    """Migration 0013 down: the table and its triggers are gone and names still save; up: the
    index is rebuilt from the names stored meanwhile."""
    from alembic import command

    from f0monitor import create_app
    from f0monitor.data.session import alembic_config, get_engine, upgrade_db

    url = f"sqlite:///{tmp_path / 'updown.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url},
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        upgrade_db()
        engine = get_engine()

        def tables() -> set[str]:
            with engine.connect() as conn:
                return set(conn.scalars(sa.text("SELECT name FROM sqlite_master WHERE name LIKE 'patient_names%'")))

        assert {name_index.TABLE, f"{name_index.TABLE}_insert"} <= tables()
        cfg = alembic_config(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005_patient_names")
        assert tables() == {"patient_names"}
        with engine.begin() as conn:  # a name stored while the index is away
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
            conn.execute(sa.text("INSERT INTO patient_names (patient_id, name_search) VALUES (7, 'nguyen thi lan')"))
        upgrade_db()
        with engine.connect() as conn:
            found = conn.scalars(name_index.matching(["nguyen", "lan"])).all()
        assert found == [7]
        engine.dispose()


def test_search_text_with_query_syntax_is_answered_as_text(app, make_patient, make_user):
    """What staff type goes to FTS5 as quoted phrases: its operators are plain text, never a 500."""
    from .conftest import csrf_token, login

    doctor = make_user("doctor")
    make_patient(full_name="Nguyễn Thị Lan")
    client = app.test_client()
    login(client, doctor.phone)
    for q in ('lan"', 'NEAR(lan thi)', "lan*", "name_search:lan", '"""', "-lan", "lan OR", "%_\\"):
        posted = client.post("/staff/", data={"csrf_token": csrf_token(client, "/staff/"), "q": q})
        page = client.get(posted.headers["Location"])
        assert page.status_code == 200, q
        live = client.get("/staff/queue/live")
        assert live.status_code == 200, q
        with app.app_context():
            by_like = bool(_found(get_session(), q, indexed=False))  # what LIKE alone finds
        assert ("Nguyễn Thị Lan" in page.get_data(as_text=True)) == by_like, q

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

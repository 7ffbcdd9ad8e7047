"""The migrations match the models, on SQLite and PostgreSQL alike, and UTC round-trips."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from f0monitor.data import name_index
from f0monitor.data.models import POSTGRESQL_ONLY_INDEXES, Patient
from f0monitor.data.session import get_engine
from f0monitor.data.types import Base, UTCDateTime


def test_migrations_match_models(app):
    with app.app_context(), get_engine().connect() as conn:
        def include(obj, name, type_, reflected, compare_to):
            if type_ == "table" and name.startswith(name_index.TABLE):  # SQLite's FTS5 table and its own
                return False
            return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)

        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], diff


def test_init_db_is_idempotent(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "newest migration" in result.output


def test_utc_datetime_round_trip(app, make_patient, session):
    hanoi = timezone(timedelta(hours=7))
    moment = datetime(2026, 11, 22, 8, 30, tzinfo=hanoi)
    patient = make_patient(now=moment)
    stored = session.get(Patient, patient.id)
    assert stored.registered_at == moment
    assert stored.registered_at.tzinfo is not None
    raw = session.execute(sa.text("SELECT registered_at FROM patients")).scalar_one()
    # Naive UTC in the database (01:30 UTC), whatever the backend.
    assert str(raw).startswith("2026-11-22 01:30")


def test_naive_datetime_refused():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), None)
    assert UTCDateTime().process_bind_param(datetime(2026, 1, 1, tzinfo=UTC), None) == datetime(2026, 1, 1)


def test_foreign_keys_enforced(app, session):
    from f0monitor.data.models import SymptomReport

    session.add(
        SymptomReport(
            patient_id=999999, reported_at=datetime.now(UTC), report_date=datetime.now(UTC).date(),
            slot="morning", channel="self", created_at=datetime.now(UTC), symptoms=[],
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
    session.rollback()

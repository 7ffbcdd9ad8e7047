"""bench/generate.py loads a caseload the app then works on, on SQLite and on PostgreSQL.

The benches (load, faults, reminders, exports) all start from it: a generator that fails at
its last step (resetting PostgreSQL's sequences, once it met a table keyed by another's id)
leaves every bench without data.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from f0monitor.data.models import Patient, PatientName, SymptomReport
from tests.benches import load_bench
from tests.conftest import api_token


def test_generated_caseload_is_complete_and_the_app_writes_after_it(app, client, session, make_patient):
    generator = load_bench("generate")
    now = datetime.now(UTC)
    counts = generator.generate(app.config["DATABASE_URL"], 40, 2, 91, 11, reset=False, now=now, quiet=True)

    assert counts["patients"] == 40
    assert session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 40
    # Every patient's folded name is in its own table (the queue's search reads it).
    assert session.scalar(sa.select(sa.func.count()).select_from(PatientName)) == 40
    reports = session.scalar(sa.select(sa.func.count()).select_from(SymptomReport))
    assert reports == counts["symptom_reports"] > 40

    # New rows after the load get fresh ids (PostgreSQL's sequences were moved past the load).
    patient = make_patient(login=True)
    assert patient.id > 40
    headers = api_token(client, patient.phone)
    answer = client.post("/api/v1/me/reports", json={"temperature_c": 37.0, "spo2": 98}, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["report"]["id"] > reports

"""How many SQL statements the hot paths send, counted by an engine event listener.

A stored report costs at most five statements, whatever the patient's history; the triage
queue page a fixed number, whatever the caseload. A change that adds a query per report or
per row of the queue makes these fail.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import sqlalchemy as sa

from f0monitor.data.models import Patient
from f0monitor.data.session import get_engine, get_session
from f0monitor.domain.clock import utcnow
from f0monitor.services.inputs import ReportInput
from f0monitor.services.reports import Outcome, submit_report

from .conftest import api_token
from .staff_helpers import WARNING, report, sign_in

CALM = ReportInput(temperature_c=37.2, spo2=98, pulse=80)
SIGNS = ReportInput(spo2=92, spo2_recheck=92)
FEVER = ReportInput(temperature_c=38.6, spo2=98, pulse=110)


@contextmanager
def counted(engine: sa.Engine):
    """Collect the statements sent on `engine` inside the block (BEGIN/COMMIT are not sent)."""
    statements: list[str] = []

    def listen(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


def _history(app, patient_id: int, days: int, values: dict, fever_from: int = 0) -> None:
    """Two reports a day for `days` days; the last `fever_from` of them at 38.5 °C."""
    now = utcnow()
    for i in range(days * 2, 0, -1):
        temp = {"temperature_c": 38.5} if i <= fever_from else {}
        report(app, patient_id, when=now - timedelta(hours=12 * i), **{**values, **temp})


def _submit(app, patient_id: int, data: ReportInput, key: str | None = None):
    with app.app_context():
        session = get_session()
        patient = session.get(Patient, patient_id)
        session.flush()
        with counted(get_engine()) as statements:
            outcome = submit_report(session, patient, data, now=utcnow(), channel="self", key=key)
        session.commit()
        return outcome, statements


def _postgresql(app) -> bool:
    return app.extensions["f0monitor.engine"].dialect.name == "postgresql"


def _one_write(app) -> int:
    """The assessment's INSERT and the patient's UPDATE: one statement on PostgreSQL (a WITH),
    two on SQLite (services.assessments.store_assessment)."""
    return 1 if _postgresql(app) else 2


def _stored_with_verdict(app, *, alert: bool = False) -> int:
    """A report whose verdict reads no history, its assessment, the patient's UPDATE and an
    alert: one statement on PostgreSQL (services.assessments.store_report), one each on SQLite."""
    return 1 if _postgresql(app) else 3 + alert


def _is_report_insert(statement: str) -> bool:
    """The statement that inserts the report: alone (SQLite) or heading a WITH (PostgreSQL)."""
    head = "WITH report AS \n(INSERT INTO symptom_reports" if statement.startswith("WITH") else "INSERT INTO symptom_reports"
    return statement.startswith(head) and "ON CONFLICT" in statement


def test_a_calm_report_costs_one_or_three_statements_whatever_the_history(app, make_patient):
    short = make_patient()
    long = make_patient()
    _history(app, long.id, 14, {"temperature_c": 37.0, "spo2": 98})
    first, few = _submit(app, short.id, CALM, key="a")
    later, many = _submit(app, long.id, CALM, key="b")
    assert first.status == later.status == Outcome.STORED
    # INSERT report (the key check too), INSERT assessment, UPDATE patient; the ladder's stop
    # costs the report nothing (services.ladder.sweep_reported)
    assert len(few) == len(many) == _stored_with_verdict(app), many
    assert not any(s.startswith("SELECT") for s in many)
    assert not any("caseload_days" in s for s in many)  # no tier change: no rollup write
    assert _is_report_insert(many[0]), many[0]
    if _postgresql(app):
        assert "INSERT INTO risk_assessments" in many[0] and "UPDATE patients" in many[0]


def test_a_report_opening_an_alert_costs_two_or_five(app, make_patient):
    patient = make_patient()
    _history(app, patient.id, 3, {"temperature_c": 37.0, "spo2": 98})
    outcome, statements = _submit(app, patient.id, SIGNS, key="alert")
    assert outcome.alert_opened
    # and INSERT alert, and ONE upsert of the caseload rollup (services.rollup) counting the
    # alert opened and the tier change together: a calm report writes none
    assert len(statements) == 1 + _stored_with_verdict(app, alert=True), statements
    assert any("INSERT INTO alerts" in s for s in statements)
    assert len([s for s in statements if s.startswith("INSERT INTO caseload_days")]) == 1
    # A second one with the alert still open opens none and reads nothing more.
    again, statements = _submit(app, patient.id, SIGNS, key="again")
    assert not again.alert_opened and again.warning_signs and len(statements) <= 3, statements


def test_a_feverish_child_reads_a_bounded_history_and_stays_within_five(app, make_patient):
    """C2 reads the reports since the latest one at least 48 h old: the INSERT returns them."""
    child = make_patient(date_of_birth=date.today() - timedelta(days=365 * 8))
    # Fever since the report 48 h ago (none of the earlier ones lasted 48 h).
    _history(app, child.id, 14, {"temperature_c": 37.0, "spo2": 98}, fever_from=4)
    outcome, statements = _submit(app, child.id, FEVER, key="c2")
    c2 = [r for r in outcome.result.warning_signs if r.code == "C2"]
    assert c2 and dict(c2[0].params).get("fever_hours") == 48  # the history was read
    assert outcome.alert_opened
    # INSERT report (returning the bounded history), INSERT assessment, UPDATE patient,
    # INSERT alert, and the caseload rollup's one upsert (the alert and the tier change)
    assert len(statements) == 3 + _one_write(app), statements
    assert not any(s.startswith("SELECT") for s in statements)
    assert statements[0].startswith("INSERT INTO symptom_reports") and "max(" in statements[0].lower()


def test_the_history_returned_with_the_insert_is_the_one_read_apart(app, make_patient):
    """The INSERT's history column gives the rules the rows `earlier_reports` reads."""
    from f0monitor.data.session import get_session
    from f0monitor.services.assessments import earlier_reports

    child = make_patient(date_of_birth=date.today() - timedelta(days=365 * 8))
    _history(app, child.id, 5, {"temperature_c": 37.0, "spo2": 98}, fever_from=5)
    report(app, child.id, when=utcnow() - timedelta(hours=30), spo2=97)  # no temperature: not read
    outcome, _ = _submit(app, child.id, FEVER, key="h")
    with app.app_context():
        expected = earlier_reports(get_session(), child.id, outcome.report.reported_at, exclude_id=outcome.report.id)
    assert len(expected) >= 4
    # Scoring the same report on the rows read apart gives the same verdict, hours included.
    from f0monitor.domain import covid as risk
    from f0monitor.services.assessments import to_profile, to_risk_report

    with app.app_context():
        patient = get_session().get(Patient, child.id)
        again = risk.assess(to_profile(patient), to_risk_report(outcome.report), expected)
    assert again.warning_signs == outcome.result.warning_signs


def test_a_retry_is_answered_from_the_insert(app, make_patient):
    patient = make_patient()
    first, _ = _submit(app, patient.id, CALM, key="same")
    retry, statements = _submit(app, patient.id, CALM, key="same")
    assert retry.status == Outcome.DUPLICATE and retry.report.id == first.report.id
    assert retry.assessment is not None
    assert _is_report_insert(statements[0]) and len(statements) <= 3, statements


def test_the_api_request_for_a_report_stays_small(app, client, make_patient):
    """The whole authenticated request: token and user, the patient, then the report."""
    patient = make_patient(login=True)
    headers = api_token(client, patient.phone)
    body = {"temperature_c": 37.1, "spo2": 97}
    with counted(app.extensions["f0monitor.engine"]) as statements:
        response = client.post("/api/v1/me/reports", json=body, headers={**headers, "Idempotency-Key": "k"})
    assert response.status_code == 201
    assert len(statements) <= 8, statements


def _queue_statements(app, client, staff) -> int:
    sign_in(client, staff)
    with counted(app.extensions["f0monitor.engine"]) as statements:
        response = client.get("/staff/?per_page=20")
    assert response.status_code == 200
    return len(statements)


def test_the_queue_page_costs_the_same_whatever_the_caseload(app, client, make_patient, make_user):
    doctor = make_user("doctor")
    few = [make_patient() for _ in range(2)]
    report(app, few[0].id, **WARNING)
    small = _queue_statements(app, client, doctor)
    # Many more patients, in every tier segment, alerts, some never reporting: a page of 20
    # now spans several segments.
    for i in range(36):
        p = make_patient()
        if i % 3 == 0:
            report(app, p.id, **WARNING)
        elif i % 3 == 1:
            report(app, p.id, temperature_c=37.0, spo2=97)
    with app.app_context():
        tiers = set(get_session().scalars(sa.select(Patient.current_tier)))
    assert len(tiers) >= 2
    large = _queue_statements(app, client, doctor)
    assert large == small
    second_page = client.get("/staff/?per_page=20&page=2")
    assert second_page.status_code == 200


def test_a_retried_alert_report_writes_nothing_more(app, make_patient):
    """The key already stored: the report's INSERT does nothing, and so nor does anything fed by it
    (the assessment, the alert, the patient's UPDATE) — on PostgreSQL all one statement."""
    from f0monitor.data.models import Alert, RiskAssessment

    patient = make_patient()
    first, _ = _submit(app, patient.id, SIGNS, key="twice")
    assert first.status == Outcome.STORED and first.alert_opened
    with app.app_context():
        before = get_session().get(Patient, patient.id).alert_opened_at
    retry, _ = _submit(app, patient.id, SIGNS, key="twice")
    assert retry.status == Outcome.DUPLICATE and retry.report.id == first.report.id
    with app.app_context():
        session = get_session()
        count = lambda model: session.scalar(  # noqa: E731
            sa.select(sa.func.count()).select_from(model).where(model.patient_id == patient.id))
        assert count(RiskAssessment) == 1 and count(Alert) == 1
        assert session.get(Patient, patient.id).alert_opened_at == before

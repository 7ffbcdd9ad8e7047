"""The app keeps the department's count of silent patients for ``DEPARTMENT_COUNT_TTL`` seconds:
the dashboard and the caseload API read it from one cache of the app."""

from __future__ import annotations

from datetime import timedelta

import pytest

from f0monitor.data.models import Patient
from f0monitor.data.session import get_session
from f0monitor.domain.clock import local_date, utcnow
from f0monitor.services.inputs import ReportInput
from f0monitor.services.reports import submit_report

from .conftest import api_token


@pytest.fixture
def app_config():
    return {"DEPARTMENT_COUNT_TTL": 600}


def _overdue_today(client, headers) -> int:
    today = local_date(utcnow()).isoformat()
    body = client.get(f"/api/v1/caseload?from={today}&to={today}", headers=headers).get_json()
    return sum(item["overdue"] for item in body["items"])


def test_the_caseload_api_reuses_the_count_within_the_ttl(app, client, dept, make_patient):
    patient = make_patient(now=utcnow() - timedelta(hours=13))  # registered, never reported
    headers = api_token(client, dept.phone)
    assert _overdue_today(client, headers) == 1
    with app.app_context():
        session = get_session()
        submit_report(session, session.get(Patient, patient.id),
                      ReportInput(temperature_c=36.8, spo2=98, pulse=80), now=utcnow(), channel="self")
        session.commit()
    assert _overdue_today(client, headers) == 1  # the count of a moment ago, kept 600 s
    app.extensions["f0monitor.department_counts"].ttl = 0
    assert _overdue_today(client, headers) == 0

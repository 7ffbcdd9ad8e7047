"""Shared helpers of the staff tests: fast logins, reports, alerts."""

from __future__ import annotations

import re
from datetime import datetime

from flask.testing import FlaskClient

from f0monitor.data.models import Alert, Patient
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.services.inputs import ReportInput
from f0monitor.services.reports import submit_report

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def sign_in(client: FlaskClient, user) -> str:
    """Log a user in through the session (no password hashing) and return a CSRF token.

    The browser session gets its stored row as a real login makes it (services.credentials).
    """
    from f0monitor.data.models import User
    from f0monitor.services import credentials

    with client.application.app_context():
        db = get_session()
        sid, _row = credentials.open_session(db, db.get(User, user.id), label="test", now=utcnow())
        db.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}:{user.session_version}"
        sess["_fresh"] = True
        sess["sid"] = sid
    html = client.get("/account/password").get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, "no csrf token"
    return match.group(1)


def report(app, patient_id: int, *, when: datetime | None = None, **values) -> Alert | None:
    """Record a report for a patient through the real service; return the open alert, if any."""
    with app.app_context():
        session = get_session()
        patient = session.get(Patient, patient_id)
        submit_report(session, patient, ReportInput(**values), now=when or utcnow(), channel="self")
        session.commit()
        from sqlalchemy import select

        return session.scalar(
            select(Alert).where(Alert.patient_id == patient_id, Alert.state != "resolved")
        )


WARNING = {"spo2": 90, "spo2_recheck": 90, "symptoms": frozenset({"shortness_of_breath"})}

"""Decree 13/2023 lifecycle: anonymisation after the retention period (the caseload unchanged),
consent withdrawal, the data download, the append-only audit trail, "<5" for publication."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from f0monitor.data.models import (
    Alert,
    ApiToken,
    AuditEvent,
    ContactLog,
    Patient,
    SymptomReport,
    User,
)
from f0monitor.data.session import get_session
from f0monitor.domain.clock import local_date, utcnow
from f0monitor.http.auth import issue_token
from f0monitor.services.caseload import Area, caseload, today_totals
from f0monitor.services.contacts import add_contact
from f0monitor.services.discharge import DischargeInput, discharge
from f0monitor.services.inputs import ReportInput
from f0monitor.services.publication import SMALL, for_publication, publication_total, small
from f0monitor.services.reports import submit_report
from f0monitor.services.retention import initials, run_retention

from .conftest import AN_GIANG, CSRF_RE, LONG_XUYEN, _other_ward, api_token, login
from .staff_helpers import WARNING, sign_in


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


def _history(app, make_patient, make_user):
    """Ended and active cases over the last 300 days, with reports, alerts, notes, contacts."""
    now = utcnow()
    doctor = make_user("doctor")
    ids = {}
    for name, registered, ended, outcome, ward in (
        ("Nguyễn Văn Bình", 300, 290, "deceased", LONG_XUYEN),
        ("Trần Thị Cúc", 260, 250, "withdrawn", _other_ward()),
        ("Lê Văn Dũng", 100, 95, "deceased", LONG_XUYEN),  # within the retention period
        ("Phạm Thị Én", 3, None, None, LONG_XUYEN),  # still followed
    ):
        start = now - timedelta(days=registered)
        patient = make_patient(full_name=name, now=start, ward_code=ward, national_id="012345678901",
                               positive_test_date=local_date(start) - timedelta(days=1), login=True)
        with app.app_context():
            session = get_session()
            patient = session.get(Patient, patient.id)
            for day in range(2):
                values = WARNING if day == 1 else {"spo2": 97}
                submit_report(session, patient, ReportInput(note=f"{name} ho nhiều", **values),
                              now=start + timedelta(days=day, hours=2), channel="self")
            add_contact(session, patient, session.merge(doctor), channel="phone", outcome="reached",
                        text=f"Đã gọi {name}", now=start + timedelta(days=1, hours=3))
            if ended is not None:
                discharge(session, patient, DischargeInput(outcome=outcome, note="ghi chú riêng"),
                          by=session.merge(doctor), now=now - timedelta(days=ended))
            bearer, _row = issue_token(patient.user, now=now)
            session.commit()
            ids[name] = patient.id
    return ids


def _figures(app):
    now = utcnow()
    today = local_date(now)
    with app.app_context():
        session = get_session()
        area = Area(province_code=AN_GIANG)
        items = caseload(session, area, today - timedelta(days=305), today, now=now)
        return items, today_totals(session, area, now=now)


def test_retention_anonymises_ended_cases_and_keeps_every_aggregate(app, make_patient, make_user, runner):
    ids = _history(app, make_patient, make_user)
    before_items, before_today = _figures(app)
    assert sum(i.new for i in before_items) == 4 and sum(i.alerts_opened for i in before_items) == 4
    assert sum(i.deceased for i in before_items) == 2

    result = runner.invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0 and "2 cases are past 180 days" in result.output, result.output
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0 and "Anonymised 2 cases" in result.output, result.output

    after_items, after_today = _figures(app)
    assert after_items == before_items  # every day and ward, every figure
    assert after_today == before_today

    with app.app_context():
        session = get_session()
        old = session.get(Patient, ids["Nguyễn Văn Bình"])
        assert old.full_name == "N. V. B." == initials("Nguyễn Văn Bình")
        assert old.phone.startswith("anon-") and old.address == "" and old.national_id is None
        assert old.date_of_birth == date(1985, 1, 1) and old.discharge_note is None
        assert old.anonymised_at is not None and old.name_search == "n. v. b."
        assert all(r.note is None for r in session.scalars(sa.select(SymptomReport).where(SymptomReport.patient_id == old.id)))
        assert all(c.text is None for c in session.scalars(sa.select(ContactLog).where(ContactLog.patient_id == old.id)))
        user = old.user
        assert user.full_name == "N. V. B." and user.password_hash is None and not user.is_active_account
        assert "0912" not in user.phone
        assert all(t.revoked_at is not None for t in session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)))
        # The vitals, tiers and alerts the figures count are still there.
        assert session.scalar(sa.select(sa.func.count()).select_from(Alert).where(Alert.patient_id == old.id)) == 1
        events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "anonymise")).all()
        assert sorted(e.patient_id for e in events) == sorted([ids["Nguyễn Văn Bình"], ids["Trần Thị Cúc"]])
        assert "180 days" in events[0].detail
        # Within the retention period, or still followed: untouched.
        for name in ("Lê Văn Dũng", "Phạm Thị Én"):
            kept = session.get(Patient, ids[name])
            assert kept.full_name == name and kept.anonymised_at is None and kept.address
        # Nothing personal is left anywhere in the anonymised rows.
        for model in (Patient, User, SymptomReport, ContactLog):
            for row in session.scalars(sa.select(model)):
                text = json.dumps({c.key: str(getattr(row, c.key)) for c in sa.inspect(row).mapper.column_attrs},
                                  ensure_ascii=False)
                if "Bình" in text or "Cúc" in text:
                    pytest.fail(f"personal data left in {model.__name__}: {text[:200]}")

    again = runner.invoke(args=["retention"])
    assert "Anonymised 0 cases" in again.output  # idempotent
    shorter = runner.invoke(args=["retention", "--days", "90"])
    assert "Anonymised 1 cases" in shorter.output
    assert _figures(app)[0] == before_items


def test_the_retention_setting_is_read(app, make_patient, make_user):
    ids = _history(app, make_patient, make_user)
    app.config["RETENTION_DAYS"] = 270
    result = app.test_cli_runner().invoke(args=["retention"])
    assert "Anonymised 1 cases" in result.output
    with app.app_context():
        assert get_session().get(Patient, ids["Nguyễn Văn Bình"]).anonymised_at is not None
        assert get_session().get(Patient, ids["Trần Thị Cúc"]).anonymised_at is None
    with app.app_context(), pytest.raises(ValueError):
        run_retention(get_session(), now=utcnow(), days=0)


def test_audit_trail_is_append_only(app, make_patient, session):
    patient = make_patient()
    with app.app_context():
        s = get_session()
        s.add(AuditEvent(at=utcnow(), user_id=None, patient_id=patient.id, action="read"))
        s.commit()
    engine = app.extensions["f0monitor.engine"]
    for statement in ("UPDATE audit_events SET action = 'nothing'", "DELETE FROM audit_events"):
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as conn:
            conn.execute(sa.text(statement))
        assert "append-only" in str(caught.value)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT action FROM audit_events")).scalars().all() == ["read"]


def _withdraw(client, confirm: bool = True):
    html = client.get("/privacy").get_data(as_text=True)
    token = CSRF_RE.search(html).group(1)
    data = {"csrf_token": token, **({"confirm": "yes"} if confirm else {})}
    return client.post("/privacy/withdraw", data=data)


def test_patient_withdraws_consent_follow_up_stops_and_staff_are_told(app, make_patient, make_user):
    patient = make_patient(login=True, full_name="Võ Thị Hoa")
    from .staff_helpers import report

    report(app, patient.id, **WARNING)  # an open alert, closed by the withdrawal
    doctor = make_user("doctor")
    staff = app.test_client()
    sign_in(staff, doctor)
    assert "Võ Thị Hoa" in staff.get("/staff/").get_data(as_text=True)

    client = app.test_client()
    login(client, patient.phone)
    page = client.get("/privacy")
    assert page.status_code == 200 and "Rút lại sự đồng ý" in page.get_data(as_text=True)
    assert "/privacy" in client.get("/home").get_data(as_text=True)  # linked from home
    # No CSRF token: refused. No confirmation: nothing changes.
    assert client.post("/privacy/withdraw", data={"confirm": "yes"}).status_code == 400
    assert _withdraw(client, confirm=False).status_code == 303
    with app.app_context():
        assert get_session().get(Patient, patient.id).consent_withdrawn_at is None
    response = _withdraw(client)
    assert response.status_code == 303
    with app.app_context():
        session = get_session()
        stored = session.get(Patient, patient.id)
        assert stored.consent_withdrawn_at is not None and stored.status == "withdrawn"
        assert not stored.has_open_alert
        assert session.scalar(sa.select(Alert.state).where(Alert.patient_id == patient.id)) == "resolved"
        assert session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "withdraw_consent",
                                                         AuditEvent.patient_id == patient.id)) is not None
    assert "rút lại sự đồng ý" in client.get("/privacy").get_data(as_text=True)
    # Follow-up stops: no report form any more.
    assert client.get("/report").status_code == 302
    # Staff are told: out of the queue, named in its withdrawals box, flagged on the record.
    queue = staff.get("/staff/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Đã rút lại sự đồng ý (14 ngày qua)" in queue and "Võ Thị Hoa" in queue
    assert f'data-patient-id="{patient.id}"' not in queue
    record = staff.get(f"/staff/patients/{patient.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Đã rút lại sự đồng ý ngày" in record
    # Staff of another area are not told.
    other = make_user("doctor", ward_codes=(_other_ward(),))
    elsewhere = app.test_client()
    sign_in(elsewhere, other)
    assert "Võ Thị Hoa" not in elsewhere.get("/staff/").get_data(as_text=True)
    # Then the legal hold: anonymised 180 days after the withdrawal.
    with app.app_context():
        session = get_session()
        assert run_retention(session, now=utcnow() + timedelta(days=181)).anonymised == 1
        session.commit()
        assert get_session().get(Patient, patient.id).full_name == "V. T. H."


def test_patient_downloads_everything_held_about_them(app, make_patient):
    patient = make_patient(login=True, full_name="Đặng Văn Khoa", national_id="098765432101")
    from .staff_helpers import report

    report(app, patient.id, spo2=96, note="đau đầu")
    client = app.test_client()
    login(client, patient.phone)
    response = client.get("/privacy/my-data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    body = json.loads(response.get_data(as_text=True))
    assert body["patient"]["full_name"] == "Đặng Văn Khoa" and body["patient"]["national_id"] == "098765432101"
    assert body["patient"]["phone"] == patient.phone and body["account"]["phone"] == patient.phone
    assert body["reports"][0]["spo2"] == 96 and body["reports"][0]["note"] == "đau đầu"
    assert body["assessments"] and "tier" in body["assessments"][0]
    text = json.dumps(body)
    assert "password_hash" not in text and "token_hash" not in text
    with app.app_context():
        assert get_session().scalar(sa.select(AuditEvent).where(AuditEvent.action == "export_personal_data")) is not None
    assert any(e["action"] == "export_personal_data" for e in client.get("/privacy/my-data.json").get_json()["processing"])


def test_api_export_and_withdrawal(app, make_patient, make_user):
    patient = make_patient(login=True)
    client = app.test_client()
    headers = api_token(client, patient.phone)
    body = client.get("/api/v1/me/export", headers=headers).get_json()
    assert body["patient"]["id"] == patient.id
    refused = client.post("/api/v1/me/consent/withdraw", json={}, headers=headers)
    assert refused.status_code == 422 and "confirm" in refused.get_json()["error"]["fields"]
    done = client.post("/api/v1/me/consent/withdraw", json={"confirm": True}, headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "withdrawn"
    assert done.get_json()["consent_withdrawn_at"].endswith("Z")
    doctor = make_user("doctor")
    staff_headers = api_token(client, doctor.phone)
    assert client.get("/api/v1/me/export", headers=staff_headers).status_code == 403
    assert client.get("/api/v1/me/export").status_code == 401


def test_small_counts_for_publication():
    assert publication_total(9, [6, SMALL]) == "≈10" and publication_total(12, [6, 6]) == 12
    assert publication_total(3, [SMALL]) == SMALL and publication_total(0, [0]) == 0
    assert [small(v) for v in (0, 1, 4, 5, 12, None, True)] == [0, SMALL, SMALL, 5, 12, None, True]
    row = {"date": "2026-11-01", "ward_code": "3", "active": 3, "new": 0, "by_tier": {"red": 1, "green": 7},
           "median_minutes_to_acknowledge": 2.0}
    assert for_publication(row) == {"date": "2026-11-01", "ward_code": "3", "active": SMALL, "new": 0,
                                    "by_tier": {"red": SMALL, "green": 7}, "median_minutes_to_acknowledge": 2.0}


def test_publication_exports_and_summary_hide_small_counts(app, make_patient, make_user):
    now = utcnow()
    for i in range(3):
        make_patient(now=now - timedelta(hours=1 + i))
    for i in range(6):
        make_patient(now=now - timedelta(hours=1 + i), ward_code=_other_ward())
    dept = make_user("department")
    client = app.test_client()
    sign_in(client, dept)
    today = local_date(now).isoformat()

    def rows(url):
        text = client.get(url).get_data(as_text=True).lstrip("\ufeff")
        return {r["ward_code"]: r for r in csv.DictReader(io.StringIO(text)) if r["date"] == today}

    exact = rows(f"/department/caseload.csv?from={today}&to={today}")
    public = rows(f"/department/caseload.csv?from={today}&to={today}&publication=1")
    assert exact[str(LONG_XUYEN)]["active"] == "3" and public[str(LONG_XUYEN)]["active"] == "<5"
    assert exact[str(_other_ward())]["active"] == public[str(_other_ward())]["active"] == "6"
    assert public[str(LONG_XUYEN)]["recovered"] == "0"
    with app.app_context():
        details = get_session().scalars(sa.select(AuditEvent.detail).where(AuditEvent.action == "export_caseload")).all()
        assert any(d.endswith("publication") for d in details)
    # The dashboard and the API keep exact counts.
    dashboard = client.get("/department/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">&lt;5<" not in dashboard and "Xuất CSV để công bố" in dashboard
    headers = api_token(app.test_client(), dept.phone)
    items = app.test_client().get(f"/api/v1/caseload?from={today}&to={today}", headers=headers).get_json()["items"]
    assert {i["ward_code"]: i["active"] for i in items}[str(LONG_XUYEN)] == 3
    items = app.test_client().get(f"/api/v1/caseload?from={today}&to={today}&publication=1",
                                  headers=headers).get_json()["items"]
    assert {i["ward_code"]: i["active"] for i in items}[str(LONG_XUYEN)] == "<5"
    # The printable daily summary: exact for the department, "<5" for publication.
    page = client.get(f"/department/summary?date={today}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Báo cáo tóm tắt trong ngày" in page and "<td>3</td>" in page and "&lt;5" not in page
    public_page = client.get(f"/department/summary?date={today}&publication=1").get_data(as_text=True)
    assert "<td>&lt;5</td>" in public_page and "<td>3</td>" not in public_page and "<td>6</td>" in public_page
    # The total of a column that hides a count is rounded (9 → ≈10): no subtraction gives it away.
    assert "<td>≈10</td>" in public_page and "<td>9</td>" not in public_page
    assert client.get("/department/summary?date=junk").status_code == 200
    patient_client = app.test_client()
    sign_in(patient_client, make_user("doctor"))
    assert patient_client.get("/department/summary").status_code in (403, 404)

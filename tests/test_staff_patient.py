"""The staff patient page and its actions: audit, reports, contacts, alerts, assignment, claim."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from f0monitor.data.models import Alert, AuditEvent, ContactLog, Patient, SymptomReport, User
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.services.alerts import escalated_alerts
from f0monitor.services.assignment import auto_assign, workload

from .conftest import AN_GIANG, LONG_XUYEN, _other_ward, registration_data
from .staff_helpers import WARNING, report, sign_in


def _count(app, model, *where):
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_every_view_of_the_patient_page_is_audited(app, client, make_patient, make_user):
    doctor = make_user("doctor")
    patient = make_patient()
    sign_in(client, doctor)
    for _ in range(2):
        response = client.get(f"/staff/patients/{patient.id}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert response.status_code == 200
    with app.app_context():
        rows = get_session().scalars(
            sa.select(AuditEvent).where(AuditEvent.patient_id == patient.id, AuditEvent.action == "view")
        ).all()
    assert len(rows) == 2
    assert {r.user_id for r in rows} == {doctor.id} and {r.ip for r in rows} == {"10.1.2.3"}


def test_patient_page_shows_reasons_reports_and_panels(app, client, make_patient, make_user):
    patient = make_patient(comorbidities=("diabetes",))
    report(app, patient.id, spo2=97, temperature_c=38.2, pulse=90)
    sign_in(client, make_user("doctor"))
    html = client.get(f"/staff/patients/{patient.id}").get_data(as_text=True)
    assert patient.full_name in html and "38.2" in html
    assert "staff-report-form" in html and 'id="contacts"' in html
    assert "<details><summary>" in html  # the reasons of each assessment


def test_cross_area_patient_is_404(client, make_patient, make_user):
    outside = make_patient(ward_code=_other_ward())
    sign_in(client, make_user("doctor", ward_codes=(LONG_XUYEN,)))
    assert client.get(f"/staff/patients/{outside.id}").status_code == 404
    assert client.get("/staff/patients/999999").status_code == 404


def test_staff_entered_report_and_bad_input(app, client, make_patient, make_user):
    patient = make_patient()
    doctor = make_user("doctor")
    token = sign_in(client, doctor)
    answers = {name: "no" for name in ("shortness_of_breath", "chest_pain", "altered_consciousness",
                                       "cyanosis", "cannot_drink_or_feed", "other_acute_illness")}
    bad = client.post(f"/staff/patients/{patient.id}/reports",
                      data={"csrf_token": token, "spo2": "abc", "temperature_c": "37,5", "client_key": "k1", **answers})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="spo2-error"' in html and 'value="37,5"' in html
    assert _count(app, SymptomReport) == 0
    ok = client.post(f"/staff/patients/{patient.id}/reports",
                     data={"csrf_token": token, "spo2": "97", "temperature_c": "37,5", "client_key": "k2", **answers})
    assert ok.status_code == 302
    with app.app_context():
        row = get_session().scalar(sa.select(SymptomReport))
        assert row.channel == "staff" and row.entered_by_id == doctor.id and row.temperature_c == 37.5
    again = client.post(f"/staff/patients/{patient.id}/reports",
                        data={"csrf_token": token, "spo2": "97", "client_key": "k2", **answers})
    assert again.status_code == 302 and _count(app, SymptomReport) == 1


def test_contact_log_and_bad_input(app, client, make_patient, make_user):
    patient = make_patient()
    token = sign_in(client, make_user("volunteer"))
    bad = client.post(f"/staff/patients/{patient.id}/contacts",
                      data={"csrf_token": token, "channel": "pigeon", "text": "gọi lại sau"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="channel-error"' in html and 'id="outcome-error"' in html and "gọi lại sau" in html
    assert _count(app, ContactLog) == 0
    ok = client.post(f"/staff/patients/{patient.id}/contacts",
                     data={"csrf_token": token, "channel": "zalo", "outcome": "no_answer", "text": "máy bận"})
    assert ok.status_code == 302
    page = client.get(f"/staff/patients/{patient.id}").get_data(as_text=True)
    assert "máy bận" in page
    assert _count(app, AuditEvent, AuditEvent.action == "contact") == 1


def test_acknowledge_then_resolve_from_pages(app, client, make_patient, make_user):
    patient = make_patient()
    doctor = make_user("doctor")
    alert = report(app, patient.id, when=utcnow() - timedelta(minutes=3), **WARNING)
    token = sign_in(client, doctor)
    response = client.post(f"/staff/alerts/{alert.id}/acknowledge", data={"csrf_token": token, "next": "/staff/"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/")
    with app.app_context():
        row = get_session().get(Alert, alert.id)
        assert row.state == "acknowledged" and row.acknowledged_by_id == doctor.id
        assert 170 <= row.seconds_to_acknowledge <= 400
    twice = client.post(f"/staff/alerts/{alert.id}/acknowledge", data={"csrf_token": token})
    assert twice.status_code == 303  # told who has it, nothing changes
    bad = client.post(f"/staff/alerts/{alert.id}/resolve", data={"csrf_token": token, "outcome": "cured", "note": "xem lại"})
    assert bad.status_code == 422 and 'id="outcome-error"' in bad.get_data(as_text=True)
    ok = client.post(f"/staff/alerts/{alert.id}/resolve", data={"csrf_token": token, "outcome": "advised_at_home"})
    assert ok.status_code == 303
    with app.app_context():
        session = get_session()
        assert session.get(Alert, alert.id).outcome == "advised_at_home"
        assert session.get(Patient, patient.id).has_open_alert is False


def test_escalation_is_stored_and_listed_for_coordinators(app, make_patient, make_user):
    patient = make_patient()
    coordinator = make_user("coordinator")
    alert = report(app, patient.id, when=utcnow() - timedelta(minutes=16), **WARNING)
    with app.app_context():
        session = get_session()
        rows = escalated_alerts(session, session.merge(coordinator), now=utcnow())
        assert [a.id for a in rows] == [alert.id]
        assert rows[0].escalated_at == alert.opened_at + timedelta(minutes=15)
        session.commit()  # the escalation is written at once (one UPDATE); end it like a request
        other = make_user("coordinator", province_code=1)
        assert escalated_alerts(session, session.merge(other), now=utcnow()) == []


def test_two_queues_seeing_one_escalation_at_once_both_answer(app, make_patient, make_user):
    """Two coordinators' pages read the same newly escalated alert before either commits: both
    store it (the same value), neither fails. The ORM's versioned update made the second one
    a StaleDataError, a 500 (bench/load.py, eight connections on one queue)."""
    from f0monitor.services.alerts import record_escalations

    patient = make_patient()
    first_user = make_user("coordinator")
    alert = report(app, patient.id, when=utcnow() - timedelta(minutes=16), **WARNING)
    factory = app.extensions["f0monitor.sessionmaker"]
    now = utcnow()
    with factory() as one, factory() as two:
        seen_one = escalated_alerts(one, one.get(User, first_user.id), now=now)
        seen_two = two.scalars(sa.select(Alert).where(Alert.id == alert.id)).all()
        one.commit()
        assert record_escalations(two, seen_two, now=now) == 1  # it saw it unescalated
        two.commit()
        assert [a.escalated_at for a in seen_one] == [alert.opened_at + timedelta(minutes=15)]
    with app.app_context():
        stored = get_session().get(Alert, alert.id)
        assert stored.escalated_at == alert.opened_at + timedelta(minutes=15)
        assert stored.version == alert.version  # write-once, outside the version counter


def test_assignment_cap_and_roles(app, client, make_patient, make_user):
    patient = make_patient()
    second = make_patient()
    volunteer = make_user("volunteer", max_patients=1)
    coordinator = make_user("coordinator")
    token = sign_in(client, volunteer)
    assert client.post(f"/staff/patients/{patient.id}/assignment",
                       data={"csrf_token": token, "action": "claim"}).status_code == 302
    capped = client.post(f"/staff/patients/{second.id}/assignment", data={"csrf_token": token, "action": "claim"})
    assert capped.status_code == 422 and "staff_id-error" in capped.get_data(as_text=True)
    refused = client.post(f"/staff/patients/{second.id}/assignment",
                          data={"csrf_token": token, "action": "assign", "staff_id": str(coordinator.id)})
    assert refused.status_code == 422
    token = sign_in(client, coordinator)
    ok = client.post(f"/staff/patients/{second.id}/assignment",
                     data={"csrf_token": token, "action": "assign", "staff_id": str(coordinator.id)})
    assert ok.status_code == 302
    with app.app_context():
        session = get_session()
        assert session.get(Patient, patient.id).assigned_to_id == volunteer.id
        assert session.get(Patient, second.id).assigned_to_id == coordinator.id


def test_auto_allocation_least_loaded_ward_staff_first(app, make_patient, make_user):
    province_wide = make_user("doctor")
    ward_a = make_user("volunteer", ward_codes=(LONG_XUYEN,), max_patients=2)
    ward_b = make_user("volunteer", ward_codes=(LONG_XUYEN,), max_patients=2)
    away = make_user("volunteer", ward_codes=(LONG_XUYEN,))
    with app.app_context():
        session = get_session()
        session.get(User, away.id).is_available = False
        session.commit()
    make_user("coordinator")  # coordinators are not given patients automatically
    got = [make_patient(ward_code=LONG_XUYEN).id for _ in range(5)]
    elsewhere = make_patient(ward_code=_other_ward())
    with app.app_context():
        session = get_session()
        owners = [session.get(Patient, pid).assigned_to_id for pid in got]
        assert owners[:4].count(ward_a.id) == 2 and owners[:4].count(ward_b.id) == 2
        assert owners[4] == province_wide.id  # the ward's staff are at their cap
        assert session.get(Patient, elsewhere.id).assigned_to_id == province_wide.id
        rows = {w.user.id: w for w in workload(session, session.merge(make_user("coordinator")), now=utcnow())}
        assert rows[ward_a.id].patients == 2 and rows[ward_a.id].at_cap
        assert rows[province_wide.id].patients == 2


def test_no_staff_leaves_patient_unassigned(app, make_patient):
    patient = make_patient(province_code=1, ward_code=4)
    with app.app_context():
        session = get_session()
        assert session.get(Patient, patient.id).assigned_to_id is None
        assert auto_assign(session, session.get(Patient, patient.id), now=utcnow()) is None


def test_register_a_caller_then_claim_the_account(app, client, make_user):
    volunteer = make_user("volunteer")
    token = sign_in(client, volunteer)
    today = utcnow().date()
    form = {
        "csrf_token": token, "full_name": "Đỗ Thị Gọi", "date_of_birth": "1960-02-03", "sex": "female",
        "phone": "0912 555 111", "province_code": str(AN_GIANG), "ward_code": str(LONG_XUYEN),
        "address": "5 Lý Thái Tổ", "positive_test_date": (today - timedelta(days=1)).isoformat(),
        "test_type": "pcr", "vaccine_doses": "2", "consent": "y",
    }
    bad = client.post("/staff/register", data={**form, "phone": "12", "consent": ""})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="phone-error"' in html and "Đỗ Thị Gọi" in html
    assert _count(app, Patient) == 0
    outside = client.post("/staff/register", data={**form, "province_code": "1", "ward_code": "4"})
    assert outside.status_code == 422 and _count(app, Patient) == 0
    created = client.post("/staff/register", data=form)
    assert created.status_code == 201
    code = __import__("re").search(r'class="claim-code">(\d{8})<', created.get_data(as_text=True)).group(1)
    with app.app_context():
        patient = get_session().scalar(sa.select(Patient))
        assert patient.user_id is None and patient.registered_by_id == volunteer.id
        assert patient.assigned_to_id == volunteer.id  # auto-allocated
    client.post("/logout", data={"csrf_token": token})
    anon = app.test_client()
    page = anon.get("/claim")
    claim_token = __import__("re").search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    wrong = anon.post("/claim", data={"csrf_token": claim_token, "phone": "0912555111", "code": "00000000",
                                      "password": "mật khẩu mới 1", "confirm": "mật khẩu mới 1"})
    assert wrong.status_code == 422 and _count(app, User, User.role == "patient") == 0
    mismatch = anon.post("/claim", data={"csrf_token": claim_token, "phone": "0912555111", "code": code,
                                         "password": "mật khẩu mới 1", "confirm": "khác"})
    assert mismatch.status_code == 422 and 'value="0912555111"' in mismatch.get_data(as_text=True)
    ok = anon.post("/claim", data={"csrf_token": claim_token, "phone": "+84 912 555 111", "code": code,
                                   "password": "mật khẩu mới 1", "confirm": "mật khẩu mới 1"})
    assert ok.status_code == 302
    again = app.test_client()
    t2 = __import__("re").search(r'name="csrf_token"[^>]*value="([^"]+)"', again.get("/claim").get_data(as_text=True)).group(1)
    reuse = again.post("/claim", data={"csrf_token": t2, "phone": "0912555111", "code": code,
                                       "password": "mật khẩu mới 2", "confirm": "mật khẩu mới 2"})
    assert reuse.status_code == 422  # a code works once
    assert registration_data  # the same validation as self-registration


def test_new_claim_code_from_patient_page(app, client, make_patient, make_user):
    patient = make_patient()
    token = sign_in(client, make_user("doctor"))
    response = client.post(f"/staff/patients/{patient.id}/claim-code", data={"csrf_token": token})
    assert response.status_code == 200 and 'class="claim-code"' in response.get_data(as_text=True)
    with_login = make_patient(login=True)
    assert client.post(f"/staff/patients/{with_login.id}/claim-code", data={"csrf_token": token}).status_code == 302


def test_the_age_is_counted_in_words_of_the_language(app, client, make_patient, make_user):
    """"1 year" and "3 years" in English, "1 tuổi" in Vietnamese (ngettext, not one form)."""
    today = utcnow().date()
    baby = make_patient(date_of_birth=today.replace(year=today.year - 1) - timedelta(days=30))
    child = make_patient(date_of_birth=today.replace(year=today.year - 3) - timedelta(days=30))
    doctor = make_user("doctor", locale="en")
    sign_in(client, doctor)
    assert "1 year ·" in client.get(f"/staff/patients/{baby.id}").get_data(as_text=True)
    assert "3 years ·" in client.get(f"/staff/patients/{child.id}").get_data(as_text=True)
    with app.app_context():
        get_session().get(User, doctor.id).locale = "vi"
        get_session().commit()
    assert "1 tuổi ·" in client.get(f"/staff/patients/{baby.id}").get_data(as_text=True)

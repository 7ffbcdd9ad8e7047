"""The call-round pages and the follow-up switch in the workspace (Flask test client, CSRF on)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from f0monitor.data.models import AuditEvent, CallTask, FollowUpChange, Patient, SymptomReport
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.domain.vitals import VITALS
from f0monitor.services import followup
from f0monitor.web.staff.calls import CALL_QUESTIONS

from .conftest import LONG_XUYEN
from .staff_helpers import sign_in

ANSWERS_FINE = {
    "outcome": "reached",
    "spo2": "97",
    "temperature_c": "37,2",
    "pulse": "84",
    **{name: "no" for name in ("shortness_of_breath", "chest_pain", "altered_consciousness", "cyanosis",
                               "cannot_drink_or_feed", "other_acute_illness")},
}


def _phone_patient(app, make_patient, **kw) -> Patient:
    patient = make_patient(now=utcnow() - timedelta(days=1), **kw)
    with app.app_context():
        session = get_session()
        followup.set_channel(session, session.get(Patient, patient.id), "phone", by=None, now=utcnow())
        session.commit()
    return patient


def _one(app, stmt):
    with app.app_context():
        return get_session().execute(stmt).all()


def test_every_vital_of_the_spec_has_a_question():
    assert set(CALL_QUESTIONS) == {spec.name for spec in VITALS}


def test_worklist_next_call_screen_and_answers(app, client, make_patient, make_user):
    volunteer = make_user("volunteer", full_name="Tình nguyện viên Hoa")
    patient = _phone_patient(app, make_patient, full_name="Bà Năm Không Smartphone")
    token = sign_in(client, volunteer)

    page = client.get("/staff/calls").get_data(as_text=True)
    assert "Bà Năm Không Smartphone" in page and "Gọi theo lịch" in page and "Người bệnh tiếp theo" in page

    response = client.post("/staff/calls/next", data={"csrf_token": token})
    assert response.status_code == 303
    (task_id,) = _one(app, sa.select(CallTask.id))[0]
    assert response.headers["Location"].endswith(f"/staff/calls/{task_id}")

    screen = client.get(f"/staff/calls/{task_id}").get_data(as_text=True)
    assert "Anh/chị vui lòng đo nhiệt độ ngay bây giờ" in screen  # the questions, in Vietnamese
    assert "khó thở" in screen.lower()
    assert "Xin chào, tôi là Tình nguyện viên Hoa" in screen
    assert f'href="tel:{patient.phone}"' in screen

    # A missing answer to a warning question is refused at the field, typed values kept.
    bad = client.post(f"/staff/calls/{task_id}", data={**ANSWERS_FINE, "chest_pain": "", "csrf_token": token})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "hãy chọn Có hoặc Không" in html
    assert 'value="37,2"' in html
    assert _one(app, sa.select(SymptomReport.id)) == []

    done = client.post(f"/staff/calls/{task_id}", data={**ANSWERS_FINE, "csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/calls")
    rows = _one(app, sa.select(SymptomReport.channel, SymptomReport.entered_by_id, SymptomReport.temperature_c))
    assert rows == [("phone", volunteer.id, 37.2)]
    assert _one(app, sa.select(CallTask.state, CallTask.outcome)) == [("done", "reached")]
    audited = {a for (a,) in _one(app, sa.select(AuditEvent.action).where(AuditEvent.patient_id == patient.id))}
    assert {"call_claim", "view", "call"} <= audited

    # The patient page shows the report's channel.
    patient_page = client.get(f"/staff/patients/{patient.id}").get_data(as_text=True)
    assert 'class="channel channel-phone">cuộc gọi<' in patient_page


def test_warning_answers_alert_and_go_to_the_patient(app, client, make_patient, make_user):
    volunteer = make_user("volunteer")
    patient = _phone_patient(app, make_patient)
    token = sign_in(client, volunteer)
    client.post("/staff/calls/next", data={"csrf_token": token})
    (task_id,) = _one(app, sa.select(CallTask.id))[0]
    response = client.post(f"/staff/calls/{task_id}", data={
        **ANSWERS_FINE, "spo2": "91", "spo2_recheck": "91", "shortness_of_breath": "yes", "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/patients/{patient.id}#alert")
    assert _one(app, sa.select(Patient.has_open_alert).where(Patient.id == patient.id)) == [(True,)]


def test_no_answer_needs_no_answers_and_comes_back(app, client, make_patient, make_user):
    volunteer = make_user("volunteer")
    _phone_patient(app, make_patient)
    token = sign_in(client, volunteer)
    client.post("/staff/calls/next", data={"csrf_token": token})
    (task_id,) = _one(app, sa.select(CallTask.id))[0]
    response = client.post(f"/staff/calls/{task_id}", data={"outcome": "no_answer", "csrf_token": token},
                           follow_redirects=True)
    assert "Không nghe máy: cuộc gọi này sẽ quay lại lúc" in response.get_data(as_text=True)
    assert _one(app, sa.select(CallTask.state, CallTask.attempts)) == [("due", 1)]
    # Posting the same form twice does not record a second call on a closed or moved task.
    again = client.post(f"/staff/calls/{task_id}", data={"outcome": "no_answer", "csrf_token": token})
    assert again.status_code == 303


def test_outcome_is_required_and_csrf_is_checked(app, client, make_patient, make_user):
    volunteer = make_user("volunteer")
    _phone_patient(app, make_patient)
    token = sign_in(client, volunteer)
    client.post("/staff/calls/next", data={"csrf_token": token})
    (task_id,) = _one(app, sa.select(CallTask.id))[0]
    assert client.post(f"/staff/calls/{task_id}", data={"csrf_token": token}).status_code == 422
    assert client.post(f"/staff/calls/{task_id}", data={"outcome": "refused"}).status_code == 400
    assert client.post("/staff/calls/next", data={}).status_code == 400


def test_other_areas_and_patients_cannot_reach_calls(app, client, make_patient, make_user):
    _phone_patient(app, make_patient)
    owner = make_user("volunteer")
    token = sign_in(client, owner)
    client.post("/staff/calls/next", data={"csrf_token": token})
    (task_id,) = _one(app, sa.select(CallTask.id))[0]
    other = app.test_client()
    sign_in(other, make_user("volunteer", province_code=1))
    assert other.get(f"/staff/calls/{task_id}").status_code == 404
    assert "Hiện không có ai cần gọi" in other.get("/staff/calls").get_data(as_text=True)
    patient_client = app.test_client()
    patient = make_patient(login=True)
    with app.app_context():
        user = get_session().get(Patient, patient.id).user
    sign_in(patient_client, user)
    assert patient_client.get("/staff/calls").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/staff/calls").status_code == 302


def test_follow_up_switch_on_the_patient_page(app, client, make_patient, make_user):
    coordinator = make_user("coordinator")
    patient = make_patient()
    token = sign_in(client, coordinator)
    page = client.get(f"/staff/patients/{patient.id}").get_data(as_text=True)
    assert 'name="channel" value="app" checked' in page
    response = client.post(f"/staff/patients/{patient.id}/follow-up",
                           data={"channel": "phone", "reason": "mất điện thoại", "csrf_token": token})
    assert response.status_code == 303
    assert _one(app, sa.select(Patient.follow_up_channel).where(Patient.id == patient.id)) == [("phone",)]
    rows = _one(app, sa.select(FollowUpChange.from_channel, FollowUpChange.to_channel, FollowUpChange.by_id,
                                FollowUpChange.reason))
    assert rows == [("app", "phone", coordinator.id, "mất điện thoại")]
    page = client.get(f"/staff/patients/{patient.id}").get_data(as_text=True)
    assert "mất điện thoại" in page and "Theo dõi qua: cuộc gọi điện thoại" in page
    bad = client.post(f"/staff/patients/{patient.id}/follow-up", data={"channel": "fax", "csrf_token": token})
    assert bad.status_code == 422
    assert _one(app, sa.select(sa.func.count()).select_from(FollowUpChange)) == [(1,)]
    audited = _one(app, sa.select(AuditEvent.detail).where(AuditEvent.action == "follow_up"))
    assert audited == [("app -> phone",)]


def test_a_silent_phone_patient_is_due_for_a_call_not_overdue(app, client, make_patient, make_user):
    doctor = make_user("doctor")
    phone = _phone_patient(app, make_patient, full_name="Gọi Điện")
    make_patient(now=utcnow() - timedelta(days=1), full_name="Dùng App")
    sign_in(client, doctor)
    html = client.get("/staff/").get_data(as_text=True)
    rows = {name: row for row in html.split("<tr")[1:] for name in ("Gọi Điện", "Dùng App") if name in row}
    assert "☎ Cần gọi điện" in rows["Gọi Điện"] and "flag-missing" not in rows["Gọi Điện"]
    assert "flag-missing" in rows["Dùng App"] and "Cần gọi điện" not in rows["Dùng App"]
    page = client.get(f"/staff/patients/{phone.id}").get_data(as_text=True)
    assert "☎ Cần gọi điện" in page


def test_registering_a_caller_puts_them_on_phone_or_sms(app, client, make_user):
    volunteer = make_user("volunteer", ward_codes=[LONG_XUYEN])
    token = sign_in(client, volunteer)
    form = client.get("/staff/register").get_data(as_text=True)
    assert 'name="follow_up" value="phone" checked' in form
    today = utcnow().date()
    data = {
        "csrf_token": token, "full_name": "Ông Sáu Điện Thoại Cục Gạch", "date_of_birth": "1950-02-03",
        "sex": "male", "phone": "0912 777 666", "province_code": "91", "ward_code": str(LONG_XUYEN),
        "address": "ấp 3", "positive_test_date": (today - timedelta(days=1)).isoformat(),
        "test_type": "rapid_antigen", "consent": "y", "follow_up": "sms",
    }
    response = client.post("/staff/register", data=data)
    assert response.status_code == 201, response.get_data(as_text=True)[:2000]
    rows = _one(app, sa.select(Patient.follow_up_channel, FollowUpChange.from_channel, FollowUpChange.to_channel)
                .join(FollowUpChange, FollowUpChange.patient_id == Patient.id))
    assert rows == [("sms", None, "sms")]

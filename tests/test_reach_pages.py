"""The pages of issue 10: the patient's reminder settings, the outbox, the staff timeline."""

from __future__ import annotations

from datetime import timedelta

from f0monitor.data.models import Patient
from f0monitor.domain.clock import utcnow
from f0monitor.services import outbox, preferences

from .conftest import LONG_XUYEN, _other_ward, csrf_token, login


def test_the_patient_changes_reminders_and_opts_out(client, make_patient, session):
    patient = make_patient(login=True)
    login(client, patient.phone)
    page = client.get("/reminders")
    assert page.status_code == 200 and 'value="21:00"' in page.get_data(as_text=True)
    token = csrf_token(client, "/reminders")
    bad = client.post("/reminders", data={"csrf_token": token, "channels": ["email"], "email": "",
                                          "quiet_start": "21:00", "quiet_end": "07:00"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "email-error" in html
    assert 'value="21:00"' in html  # typed values kept
    assert preferences.get(session, session.get(Patient, patient.id)) == preferences.DEFAULTS
    bad_time = client.post("/reminders", data={"csrf_token": token, "channels": ["sms"],
                                               "quiet_start": "25:99", "quiet_end": "07:00"})
    assert bad_time.status_code == 422 and 'value="25:99"' in bad_time.get_data(as_text=True)
    ok = client.post("/reminders", data={"csrf_token": token, "channels": ["sms", "zalo"],
                                         "quiet_start": "22:00", "quiet_end": "06:00"})
    assert ok.status_code == 302
    session.expire_all()
    prefs = preferences.get(session, session.get(Patient, patient.id))
    assert prefs.channels == ("sms", "zalo") and prefs.quiet_hours == ("22:00", "06:00")
    client.post("/reminders", data={"csrf_token": token, "channels": ["sms"], "quiet_start": "22:00",
                                    "quiet_end": "06:00", "opted_out": "y"})
    session.expire_all()
    assert preferences.get(session, session.get(Patient, patient.id)).opted_out
    assert client.post("/reminders", data={"channels": ["sms"]}).status_code == 400  # no CSRF


def test_the_outbox_shows_failures_first_and_only_the_area(client, make_patient, make_user, session):
    coordinator = make_user("coordinator", ward_codes=[LONG_XUYEN])
    volunteer = make_user("volunteer", ward_codes=[LONG_XUYEN])
    mine = session.get(Patient, make_patient(full_name="Phạm Thị Mai").id)
    theirs = session.get(Patient, make_patient(full_name="Võ Văn Xa", ward_code=_other_ward()).id)
    now = utcnow()
    ok = outbox.enqueue(session, patient=mine, purpose="confirmation", slot="a", text_or_msg="Đã nhận OK", now=now)
    ok.status = "delivered"
    bad = outbox.enqueue(session, patient=mine, purpose="reminder", slot="b", text_or_msg="Nhắc lỗi",
                         now=now - timedelta(hours=1))
    bad.status, bad.error, bad.attempts = "failed", "eSMS 103: balance", 1
    outbox.enqueue(session, patient=theirs, purpose="reminder", slot="c", text_or_msg="Không thấy", now=now)
    session.commit()
    login(client, volunteer.phone)
    assert client.get("/staff/outbox").status_code == 403
    client.get("/logout")
    login(client, coordinator.phone)
    html = client.get("/staff/outbox").get_data(as_text=True)
    assert html.index("Nhắc lỗi") < html.index("Đã nhận OK")  # the failure first, though older
    assert "eSMS 103: balance" in html and "Không thấy" not in html
    failed_only = client.get("/staff/outbox?status=failed").get_data(as_text=True)
    assert "Nhắc lỗi" in failed_only and "Đã nhận OK" not in failed_only
    page = client.get(f"/staff/patients/{mine.id}").get_data(as_text=True)
    assert 'id="timeline"' in page and "Nhắc lỗi" in page and "eSMS 103: balance" in page

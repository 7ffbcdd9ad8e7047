"""POST /api/v1/hooks/sms: the gateway's inbound check-ins, stored once through submit_report."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from f0monitor.data.models import CallTask, Patient, ReminderPreference, SmsCheckin, SymptomReport

HOOK = "/api/v1/hooks/sms"
TOKEN = "hook-secret-1"


@pytest.fixture
def app_config():
    return {"SMS_HOOK_TOKEN": TOKEN}


def _send(client, text, message_id="m-1", sender=None, token=TOKEN, **extra):
    body = {"message_id": message_id, "from": sender, "text": text, **extra}
    headers = {"X-F0-Hook-Token": token} if token is not None else {}
    return client.post(HOOK, json=body, headers=headers)


@pytest.fixture
def patient(make_patient):
    return make_patient(phone="+84912000111")


def test_the_hook_token_is_required(client, patient):
    assert _send(client, "SPO2 97", sender="0912000111", token=None).status_code == 401
    assert _send(client, "SPO2 97", sender="0912000111", token="wrong").status_code == 401
    response = _send(client, "SPO2 97", sender="0912000111", token=TOKEN)
    assert response.status_code == 200


@pytest.mark.parametrize("app_config", [{"SMS_HOOK_TOKEN": ""}])
def test_no_configured_token_refuses_everything(client, patient):
    assert _send(client, "SPO2 97", sender="0912000111", token="").status_code == 401


def test_a_readable_reply_is_stored_as_an_sms_report_and_answered(client, session, patient):
    response = _send(client, "SPO2 98 NHIET 36,8 MACH 80", sender="0912 000 111")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    report = session.get(SymptomReport, body["report_id"])
    assert (report.channel, report.spo2, report.temperature_c, report.pulse) == ("sms", 98, 36.8, 80)
    assert report.assessment is not None  # scored on the one submission path
    assert "SpO2 98%" in body["reply"] and "36,8°C" in body["reply"] and "mạch 80" in body["reply"]
    assert "115" not in body["reply"]
    assert session.get(Patient, patient.id).last_report_at is not None


def test_a_warning_sign_gets_call_115_now(client, session, patient):
    body = _send(client, "SPO2 96 NHIET 38,5 MACH 100 KHO THO", sender="+84912000111").get_json()
    assert "GỌI 115 NGAY" in body["reply"]
    assert "khó thở" in body["reply"]
    report = session.get(SymptomReport, body["report_id"])
    assert "shortness_of_breath" in report.symptoms and report.assessment.alert
    assert session.get(Patient, patient.id).has_open_alert


def test_the_same_message_twice_is_stored_once_and_answered_the_same(client, session, patient):
    first = _send(client, "spo2 97 khong kho tho", sender="0912000111", message_id="abc").get_json()
    again = _send(client, "spo2 97 khong kho tho", sender="0912000111", message_id="abc").get_json()
    assert again == first
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(SmsCheckin)) == 1
    other = _send(client, "spo2 97", sender="0912000111", message_id="abd").get_json()
    assert other["report_id"] != first["report_id"]


def test_an_unreadable_reply_gets_the_format_and_opens_a_call(client, session, patient):
    body = _send(client, "em khoe 97", sender="0912000111", message_id="u1").get_json()
    assert body["report_id"] is None
    assert "SPO2 96 NHIET 37,5 MACH 90" in body["reply"]
    assert "97" in body["reply"]  # it says what it could not read
    task = session.scalars(sa.select(CallTask)).one()
    assert (task.patient_id, task.reason, task.state) == (patient.id, "unreadable_sms", "due")
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 0
    # The same unreadable message again opens no second call.
    _send(client, "em khoe 97", sender="0912000111", message_id="u1")
    assert session.scalar(sa.select(sa.func.count()).select_from(CallTask)) == 1


def test_an_implausible_value_is_not_stored_but_called(client, session, patient):
    body = _send(client, "spo2 60", sender="0912000111").get_json()
    assert body["report_id"] is None and "SpO2 60" in body["reply"]
    assert session.scalars(sa.select(CallTask.reason)).all() == ["unreadable_sms"]


def test_stop_opts_out(client, session, patient):
    body = _send(client, "STOP", sender="0912000111").get_json()
    assert body["report_id"] is None and "115" in body["reply"]
    prefs = session.get(ReminderPreference, patient.id)
    assert prefs.opted_out and prefs.opted_out_via == "sms"


def test_wants_a_call_opens_a_call_task(client, session, patient):
    body = _send(client, "spo2 97 goi lai cho toi", sender="0912000111").get_json()
    assert body["report_id"] is not None
    assert session.scalars(sa.select(CallTask.reason)).all() == ["wants_call"]


def test_an_unknown_number_stores_nothing(client, session, patient):
    body = _send(client, "SPO2 97", sender="0987654321").get_json()
    assert body == {"reply": body["reply"], "report_id": None}
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 0
    assert session.scalars(sa.select(SmsCheckin.outcome)).all() == ["unknown_sender"]


def test_an_ended_treatment_stores_nothing(client, session, patient):
    row = session.get(Patient, patient.id)
    row.status = "recovered"
    session.commit()
    body = _send(client, "SPO2 97", sender="0912000111").get_json()
    assert body["report_id"] is None
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 0


def test_an_english_patient_is_answered_in_english(client, session, make_patient):
    patient = make_patient(phone="+84912000222", login=True)
    row = session.get(Patient, patient.id)
    row.user.locale = "en"
    session.commit()
    body = _send(client, "SPO2 96 NHIET 38,5 KHO THO", sender="0912000222").get_json()
    assert "CALL 115 NOW" in body["reply"] and "38.5°C" in body["reply"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message_id": "x", "from": "0912000111"},
        {"message_id": "", "from": "0912000111", "text": "spo2 97"},
        {"message_id": "x" * 65, "from": "0912000111", "text": "spo2 97"},
        {"message_id": "x", "from": "0912000111", "text": "spo2 97", "received_at": "yesterday"},
        {"message_id": 5, "from": "0912000111", "text": "spo2 97"},
    ],
)
def test_bad_bodies_name_the_field(client, patient, body):
    response = client.post(HOOK, json=body, headers={"X-F0-Hook-Token": TOKEN})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]


def test_not_json_is_a_400(client, patient):
    response = client.post(HOOK, data="spo2 97", headers={"X-F0-Hook-Token": TOKEN})
    assert response.status_code == 400

"""The follow-up endpoints of api.md: preferences, the timeline, delivery receipts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from f0monitor.data.models import OutboxMessage, Patient
from f0monitor.domain.clock import utcnow
from f0monitor.services import calls, delivery, outbox
from f0monitor.services.inputs import ReportInput
from f0monitor.services.reports import submit_report

from .conftest import LONG_XUYEN, _other_ward, api_token


@pytest.fixture
def app_config():
    return {"SMS_HOOK_TOKEN": "hook-secret"}


def test_me_shows_and_patch_changes_the_reminder_preferences(client, make_patient):
    patient = make_patient(login=True)
    headers = api_token(client, patient.phone)
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["reminders"] == {"channels": ["sms"], "email": None, "quiet_hours": ["21:00", "07:00"],
                               "opted_out": False}
    bad = client.patch("/api/v1/me/preferences", headers=headers, json={"channels": ["email"]})
    assert bad.status_code == 422 and list(bad.get_json()["error"]["fields"]) == ["email"]
    bad = client.patch("/api/v1/me/preferences", headers=headers, json={"channels": ["fax"]})
    assert bad.status_code == 422 and "channels.0" in bad.get_json()["error"]["fields"]
    bad = client.patch("/api/v1/me/preferences", headers=headers, json={"quiet_hours": ["9pm", "7am"]})
    assert bad.status_code == 422 and "quiet_hours" in bad.get_json()["error"]["fields"]
    ok = client.patch("/api/v1/me/preferences", headers=headers,
                      json={"channels": ["zalo", "email"], "email": "an@example.vn",
                            "quiet_hours": ["22:00", "06:00"]})
    assert ok.status_code == 200
    assert ok.get_json() == {"channels": ["zalo", "email"], "email": "an@example.vn",
                             "quiet_hours": ["22:00", "06:00"], "opted_out": False}
    out = client.patch("/api/v1/me/preferences", headers=headers, json={"opted_out": True})
    assert out.get_json()["opted_out"] is True
    assert client.get("/api/v1/me", headers=headers).get_json()["reminders"]["opted_out"] is True
    assert client.patch("/api/v1/me/preferences", json={"opted_out": True}).status_code == 401


def test_the_timeline_lists_everything_newest_first(app, client, make_patient, make_user, session):
    staff = make_user("volunteer", ward_codes=[LONG_XUYEN])
    outsider = make_user("volunteer", ward_codes=[_other_ward()])
    patient = session.get(Patient, make_patient().id)
    now = utcnow()
    submit_report(session, patient, ReportInput(spo2=97), now=now - timedelta(hours=3), channel="self")
    msg = outbox.enqueue(session, patient=patient, purpose="confirmation", slot="x:1", text_or_msg="Đã nhận",
                         now=now - timedelta(hours=2))
    calls.open_task(session, patient=patient, reason="missed_report", now=now - timedelta(hours=1))
    session.commit()
    ids = delivery.claim(session, now=now)
    session.commit()
    from f0monitor.channels.console import ConsoleChannel

    delivery.send_claimed(session, ids, {"sms": ConsoleChannel()}, now=now)
    session.commit()
    headers = api_token(client, staff.phone)
    body = client.get(f"/api/v1/patients/{patient.id}/timeline", headers=headers).get_json()
    assert [i["kind"] for i in body["items"]] == ["call", "message", "assessment", "report"]
    assert body["total"] == 4
    message = body["items"][1]
    assert (message["id"], message["purpose"], message["channel"], message["status"], message["error"]) == (
        msg.id, "confirmation", "sms", "delivered", None)
    assert body["items"][3]["channel"] == "self" and body["items"][0]["reason"] == "missed_report"
    assert body["items"][0]["at"].endswith("Z")
    page2 = client.get(f"/api/v1/patients/{patient.id}/timeline?page=2&per_page=3", headers=headers).get_json()
    assert [i["kind"] for i in page2["items"]] == ["report"]
    other = api_token(client, outsider.phone)
    assert client.get(f"/api/v1/patients/{patient.id}/timeline", headers=other).status_code == 404
    from f0monitor.data.models import AuditEvent

    assert session.query(AuditEvent).filter_by(patient_id=patient.id, detail="api timeline").count() == 2  # both pages


def test_delivery_receipts_need_the_hook_token(client, make_patient, session):
    patient = session.get(Patient, make_patient().id)
    now = utcnow()
    msg = outbox.enqueue(session, patient=patient, purpose="advice", slot="a", text_or_msg="x", now=now)
    msg.status, msg.provider_message_id = "sent", "esms-77"
    session.commit()
    url = "/api/v1/hooks/sms/status"
    body = {"message_id": "esms-77", "status": "failed", "error": "handset off"}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers={"X-F0-Hook-Token": "wrong"}).status_code == 401
    good = {"X-F0-Hook-Token": "hook-secret"}
    assert client.post(url, json={"message_id": "esms-77", "status": "lost"}, headers=good).status_code == 422
    assert client.post(url, json={**body, "message_id": "nope"}, headers=good).status_code == 404
    answer = client.post(url, json=body, headers=good)
    assert answer.status_code == 200 and answer.get_json() == {"message_id": "esms-77", "status": "failed"}
    session.expire_all()
    row = session.get(OutboxMessage, msg.id)
    assert row.status == "failed" and row.error == "handset off"

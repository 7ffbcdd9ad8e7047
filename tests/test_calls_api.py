"""The call-round and follow-up endpoints of the JSON API (api.md, "Follow-up channels")."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from f0monitor.data.models import CallTask, Patient, SymptomReport
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.services import followup

from .conftest import api_token


def _phone_patient(app, make_patient, **kw) -> Patient:
    patient = make_patient(now=utcnow() - timedelta(days=1), **kw)
    with app.app_context():
        session = get_session()
        followup.set_channel(session, session.get(Patient, patient.id), "phone", by=None, now=utcnow())
        session.commit()
    return patient


FINE = {"spo2": 97, "temperature_c": 37.0, "pulse": 80, "symptoms": []}


def test_list_claim_and_record_a_call(app, client, make_patient, make_user):
    patient = _phone_patient(app, make_patient)
    caller = make_user("volunteer")
    headers = api_token(client, caller.phone)

    listed = client.get("/api/v1/calls", headers=headers).get_json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert {k: item[k] for k in ("patient_id", "reason", "attempts", "claimed_by")} == {
        "patient_id": patient.id, "reason": "phone_round", "attempts": 0, "claimed_by": None}
    assert item["due_at"].endswith("Z")

    claimed = client.post("/api/v1/calls/next", headers=headers)
    assert claimed.status_code == 200
    task = claimed.get_json()
    assert task["id"] == item["id"] and task["claimed_by"]["id"] == caller.id
    assert client.get("/api/v1/calls?state=claimed", headers=headers).get_json()["total"] == 1

    other = api_token(client, make_user("doctor").phone)
    nothing = client.post("/api/v1/calls/next", headers=other)
    assert nothing.status_code == 404 and nothing.get_json()["error"]["code"] == "no_call_due"
    taken = client.post(f"/api/v1/calls/{task['id']}/outcome", headers=other, json={"outcome": "reached"})
    assert taken.status_code == 409

    done = client.post(f"/api/v1/calls/{task['id']}/outcome", headers=headers,
                       json={"outcome": "reached", "report": FINE, "note": "khỏe"})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["task"]["state"] == "done" and body["report"]["channel"] == "phone"
    assert body["assessment"]["tier"] in ("green", "yellow", "orange", "red")
    with app.app_context():
        assert get_session().scalars(sa.select(SymptomReport.channel)).all() == ["phone"]
    assert client.get("/api/v1/calls?state=done", headers=headers).get_json()["total"] == 1
    again = client.post(f"/api/v1/calls/{task['id']}/outcome", headers=headers, json={"outcome": "reached"})
    assert again.status_code == 409


def test_no_answer_reports_the_retry(app, client, make_patient, make_user):
    _phone_patient(app, make_patient)
    headers = api_token(client, make_user("volunteer").phone)
    task = client.post("/api/v1/calls/next", headers=headers).get_json()
    body = client.post(f"/api/v1/calls/{task['id']}/outcome", headers=headers,
                       json={"outcome": "no_answer"}).get_json()
    assert body["task"]["state"] == "due" and body["task"]["attempts"] == 1 and body["retry_at"]
    assert client.get("/api/v1/calls?state=later", headers=headers).get_json()["total"] == 1
    assert client.get("/api/v1/calls?state=due", headers=headers).get_json()["total"] == 0


def test_bad_outcomes_name_the_field(app, client, make_patient, make_user):
    _phone_patient(app, make_patient)
    headers = api_token(client, make_user("volunteer").phone)
    task = client.post("/api/v1/calls/next", headers=headers).get_json()
    url = f"/api/v1/calls/{task['id']}/outcome"
    for body, field in (
        ({"outcome": "busy"}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "no_answer", "report": FINE}, "report"),
        ({"outcome": "reached", "report": {**FINE, "spo2": 150}}, "report.spo2"),
        ({"outcome": "reached", "note": "x" * 1001}, "note"),
    ):
        response = client.post(url, headers=headers, json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["error"]["fields"], response.get_json()
    assert client.get("/api/v1/calls?state=nope", headers=headers).status_code == 422
    with app.app_context():
        assert get_session().scalar(sa.select(CallTask.attempts)) == 0  # nothing half-stored


def test_calls_are_scoped_and_staff_only(app, client, make_patient, make_user):
    _phone_patient(app, make_patient)
    owner = api_token(client, make_user("volunteer").phone)
    task = client.post("/api/v1/calls/next", headers=owner).get_json()
    elsewhere = api_token(client, make_user("volunteer", province_code=1).phone)
    assert client.get("/api/v1/calls", headers=elsewhere).get_json()["total"] == 0
    assert client.post(f"/api/v1/calls/{task['id']}/outcome", headers=elsewhere,
                       json={"outcome": "reached"}).status_code == 404
    patient = make_patient(login=True)
    as_patient = api_token(client, patient.phone)
    assert client.get("/api/v1/calls", headers=as_patient).status_code == 403
    assert client.get("/api/v1/calls").status_code == 401


def test_patch_follow_up(app, client, make_patient, make_user):
    patient = make_patient()
    headers = api_token(client, make_user("doctor").phone)
    url = f"/api/v1/patients/{patient.id}/follow-up"
    response = client.patch(url, headers=headers, json={"channel": "sms", "reason": "điện thoại cục gạch"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["follow_up"] == "sms"
    assert [(h["from_channel"], h["to_channel"], h["reason"]) for h in body["history"]] == [
        ("app", "sms", "điện thoại cục gạch")]
    assert client.patch(url, headers=headers, json={"channel": "fax"}).status_code == 422
    assert client.patch(url, headers=headers, json={"reason": "x"}).status_code == 422
    assert client.patch(f"/api/v1/patients/{patient.id + 999}/follow-up", headers=headers,
                        json={"channel": "app"}).status_code == 404
    elsewhere = api_token(client, make_user("doctor", province_code=1).phone)
    assert client.patch(url, headers=elsewhere, json={"channel": "app"}).status_code == 404


def test_me_says_how_the_patient_is_followed(app, client, make_patient):
    patient = make_patient(login=True)
    headers = api_token(client, patient.phone)
    assert client.get("/api/v1/me", headers=headers).get_json()["follow_up"] == "app"
    with app.app_context():
        session = get_session()
        followup.set_channel(session, session.get(Patient, patient.id), "sms", by=None, now=utcnow())
        session.commit()
    assert client.get("/api/v1/me", headers=headers).get_json()["follow_up"] == "sms"

"""The staff endpoints of api.md: shapes, status codes, scope (404) and refused transitions (409)."""

from __future__ import annotations

import sqlalchemy as sa

from f0monitor.data.models import AuditEvent
from f0monitor.data.session import get_session

from .conftest import LONG_XUYEN, _other_ward, api_token
from .staff_helpers import WARNING, report


def test_queue_shape_and_order(app, client, make_patient, make_user):
    doctor = make_user("doctor")
    make_patient(full_name="Bình Thường")
    sick = make_patient(full_name="Khó Thở")
    alert = report(app, sick.id, **WARNING)
    headers = api_token(client, doctor.phone)
    body = client.get("/api/v1/queue?per_page=10", headers=headers).get_json()
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 10
    first = body["items"][0]
    assert first["id"] == sick.id and "alert" in first["flags"]
    assert set(first) >= {"id", "full_name", "phone", "ward_code", "tier", "baseline_tier", "flags",
                          "open_alert", "last_report_at", "assigned_to"}
    assert first["open_alert"]["id"] == alert.id and first["open_alert"]["acknowledged_at"] is None
    assert first["assigned_to"] == {"id": doctor.id, "name": doctor.full_name}
    assert client.get("/api/v1/queue?flag=alert", headers=headers).get_json()["total"] == 1
    assert client.get("/api/v1/queue?page=x", headers=headers).status_code == 422
    # The contract's ?q= search (accent-insensitive, by word).
    found = client.get("/api/v1/queue?q=kho tho", headers=headers).get_json()
    assert [i["id"] for i in found["items"]] == [sick.id]


def test_patient_record_is_audited_and_scoped(app, client, make_patient, make_user):
    inside = make_patient(ward_code=LONG_XUYEN)
    outside = make_patient(ward_code=_other_ward())
    report(app, inside.id, spo2=97)
    headers = api_token(client, make_user("doctor", ward_codes=(LONG_XUYEN,)).phone)
    body = client.get(f"/api/v1/patients/{inside.id}", headers=headers).get_json()
    assert body["id"] == inside.id and len(body["reports"]) == 1 and body["reports"][0]["assessment"]["tier"]
    assert body["open_alert"] is None and "baseline_reasons" in body
    missing = client.get(f"/api/v1/patients/{outside.id}", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    for path in ("reports", "notes", "assignment"):
        assert client.post(f"/api/v1/patients/{outside.id}/{path}", json={}, headers=headers).status_code == 404
    with app.app_context():
        assert get_session().scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.patient_id == inside.id)
        ) == 1


def test_staff_report_note_and_assignment(app, client, make_patient, make_user):
    patient = make_patient()
    coordinator = make_user("coordinator")
    volunteer = make_user("volunteer", max_patients=1)
    headers = api_token(client, coordinator.phone)
    created = client.post(f"/api/v1/patients/{patient.id}/reports", json={"spo2": 91, "spo2_recheck": 91},
                          headers={**headers, "Idempotency-Key": "abc"})
    assert created.status_code == 201 and created.get_json()["assessment"]["alert"] is True
    assert created.get_json()["report"]["channel"] == "staff"
    retry = client.post(f"/api/v1/patients/{patient.id}/reports", json={"spo2": 91}, headers={**headers, "Idempotency-Key": "abc"})
    assert retry.status_code == 200
    bad = client.post(f"/api/v1/patients/{patient.id}/reports", json={"spo2": 500}, headers=headers)
    assert bad.status_code == 422 and "spo2" in bad.get_json()["error"]["fields"]
    note = client.post(f"/api/v1/patients/{patient.id}/notes", json={"channel": "phone", "outcome": "reached", "text": "ổn"}, headers=headers)
    assert note.status_code == 201 and note.get_json()["staff"]["id"] == coordinator.id
    bad_note = client.post(f"/api/v1/patients/{patient.id}/notes", json={"channel": "fax", "outcome": "reached"}, headers=headers)
    assert bad_note.status_code == 422 and "channel" in bad_note.get_json()["error"]["fields"]
    assigned = client.post(f"/api/v1/patients/{patient.id}/assignment", json={"staff_id": volunteer.id}, headers=headers)
    assert assigned.status_code == 200 and assigned.get_json()["assigned_to"]["id"] == volunteer.id
    other = make_patient()
    full = client.post(f"/api/v1/patients/{other.id}/assignment", json={"staff_id": volunteer.id}, headers=headers)
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "cap_reached"
    mine = client.post(f"/api/v1/patients/{other.id}/assignment", json={}, headers=headers)
    assert mine.get_json()["assigned_to"]["id"] == coordinator.id
    nobody = client.post(f"/api/v1/patients/{other.id}/assignment", json={"staff_id": 99999}, headers=headers)
    assert nobody.status_code == 422 and "staff_id" in nobody.get_json()["error"]["fields"]
    vol_headers = api_token(client, volunteer.phone)
    refused = client.post(f"/api/v1/patients/{other.id}/assignment", json={"staff_id": coordinator.id}, headers=vol_headers)
    assert refused.status_code == 403


def test_alert_acknowledge_resolve_and_409(app, client, make_patient, make_user):
    patient = make_patient()
    alert = report(app, patient.id, **WARNING)
    doctor = make_user("doctor")
    headers = api_token(client, doctor.phone)
    bad = client.post(f"/api/v1/alerts/{alert.id}/resolve", json={"outcome": "cured"}, headers=headers)
    assert bad.status_code == 422 and "outcome" in bad.get_json()["error"]["fields"]
    ack = client.post(f"/api/v1/alerts/{alert.id}/acknowledge", headers=headers)
    assert ack.status_code == 200
    body = ack.get_json()
    assert body["state"] == "acknowledged" and body["acknowledged_by"]["id"] == doctor.id
    assert body["seconds_to_acknowledge"] is not None
    again = client.post(f"/api/v1/alerts/{alert.id}/acknowledge", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["state"] == "acknowledged"
    assert "acknowledged" in again.get_json()["error"]["message"]
    done = client.post(f"/api/v1/alerts/{alert.id}/resolve", json={"outcome": "false_alarm"}, headers=headers)
    assert done.status_code == 200 and done.get_json()["outcome"] == "false_alarm"
    late = client.post(f"/api/v1/alerts/{alert.id}/resolve", json={"outcome": "transfer"}, headers=headers)
    assert late.status_code == 409 and late.get_json()["error"]["state"] == "resolved"
    queue = client.get("/api/v1/queue?flag=alert", headers=headers).get_json()
    assert queue["total"] == 0


def test_alert_outside_area_is_404(app, client, make_patient, make_user):
    patient = make_patient(ward_code=_other_ward())
    alert = report(app, patient.id, **WARNING)
    headers = api_token(client, make_user("doctor", ward_codes=(LONG_XUYEN,)).phone)
    assert client.post(f"/api/v1/alerts/{alert.id}/acknowledge", headers=headers).status_code == 404
    assert client.post(f"/api/v1/alerts/{alert.id}/resolve", json={"outcome": "transfer"}, headers=headers).status_code == 404
    assert client.post("/api/v1/alerts/999999/acknowledge", headers=headers).status_code == 404


def test_patients_and_department_cannot_use_staff_endpoints(client, make_patient, make_user):
    patient = make_patient(login=True)
    headers = api_token(client, patient.phone)
    assert client.get("/api/v1/queue", headers=headers).status_code == 403
    dept = api_token(client, make_user("department").phone)
    assert client.get(f"/api/v1/patients/{patient.id}", headers=dept).status_code == 403
    assert client.get("/api/v1/queue").status_code == 401

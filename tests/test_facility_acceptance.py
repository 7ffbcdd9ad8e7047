"""Transfers with bed types and acceptance by the receiving facility."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Facility, Transfer, TransferEvent
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow

from .conftest import AN_GIANG, api_token
from .staff_helpers import sign_in


@pytest.fixture
def hospitals(app):
    with app.app_context():
        session = get_session()
        a = Facility(name="BV Đa khoa Trung tâm An Giang", province_code=AN_GIANG, general_capacity=50, general_free=5, updated_at=utcnow())
        b = Facility(name="BV Sản Nhi An Giang", province_code=AN_GIANG, general_capacity=20, general_free=2, updated_at=utcnow())
        session.add_all([a, b])
        session.commit()
        return a.id, b.id


def _open(client, headers, patient_id, facility_id, bed_type="oxygen"):
    r = client.post(f"/api/v1/patients/{patient_id}/transfers",
                    json={"reason": "SpO2 91%", "facility_id": facility_id, "bed_type": bed_type}, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_facility_accepts_then_the_coordinator_dispatches(client, app, make_patient, make_user, hospitals):
    ours, theirs = hospitals
    patient = make_patient(full_name="Võ Thị Oxy")
    other = make_patient(full_name="Người khác")
    coordinator = make_user("coordinator", locale="en")
    headers = api_token(client, coordinator.phone)
    body = _open(client, headers, patient.id, ours)
    assert body["bed_type"] == "oxygen" and body["state"] == "requested"
    _open(client, headers, other.id, theirs, "general")  # not ours: not shown to our staff
    duty = make_user("facility", facility_id=ours, locale="en", full_name="BS. trực cấp cứu")
    token = sign_in(client, duty)
    page = client.get("/facility/").get_data(as_text=True)
    assert "Võ Thị Oxy" in page and "Người khác" not in page and "Bed with oxygen" in page
    # refusing needs a reason; another facility's transfer is out of reach (404)
    r = client.post(f"/facility/transfers/{body['id']}", data={"csrf_token": token, "action": "refuse", "note": ""})
    assert r.status_code == 303
    assert "give the reason" in client.get("/facility/").get_data(as_text=True)
    with app.app_context():
        other_id = get_session().scalar(sa.select(Transfer.id).where(Transfer.patient_id == other.id))
    assert client.post(f"/facility/transfers/{other_id}", data={"csrf_token": token, "action": "accept"}).status_code == 404
    r = client.post(f"/facility/transfers/{body['id']}", data={"csrf_token": token, "action": "accept"})
    assert r.status_code == 303
    # the facility user may do nothing else: not the queue, not a dispatch
    assert client.get("/staff/").status_code == 403
    client.post("/logout", data={"csrf_token": token})
    r = client.post(f"/api/v1/transfers/{body['id']}/events", json={"action": "dispatch", "ambulance_ref": "115-1"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["state"] == "dispatched"
    with app.app_context():
        steps = get_session().scalars(sa.select(TransferEvent).where(TransferEvent.transfer_id == body["id"]).order_by(TransferEvent.id)).all()
        assert [(s.action, s.by_id) for s in steps] == [("request", coordinator.id), ("accept", duty.id), ("dispatch", coordinator.id)]


def test_dispatch_before_acceptance_needs_a_coordinators_override(client, app, make_patient, make_user, hospitals):
    ours, _theirs = hospitals
    patient = make_patient()
    doctor = make_user("doctor")
    coordinator = make_user("coordinator")
    body = _open(client, api_token(client, doctor.phone), patient.id, ours)
    doctor_headers = api_token(client, doctor.phone)
    r = client.post(f"/api/v1/transfers/{body['id']}/events",
                    json={"action": "dispatch", "ambulance_ref": "115-2", "override": True}, headers=doctor_headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "needs_acceptance"  # a doctor may not override
    r = client.post(f"/api/v1/transfers/{body['id']}/events",
                    json={"action": "dispatch", "ambulance_ref": "115-2", "override": True},
                    headers=api_token(client, coordinator.phone))
    assert r.status_code == 200
    with app.app_context():
        step = get_session().scalar(sa.select(TransferEvent).where(TransferEvent.action == "dispatch"))
        assert "dispatch without acceptance" in step.note


def test_unknown_bed_type_is_refused_at_the_field(client, make_patient, make_user, hospitals):
    patient = make_patient()
    headers = api_token(client, make_user("coordinator").phone)
    r = client.post(f"/api/v1/patients/{patient.id}/transfers", json={"reason": "x", "bed_type": "hammock"}, headers=headers)
    assert r.status_code in (400, 422) and "bed_type" in str(r.get_json())


def test_transfer_history_with_filters_and_minutes(client, app, make_patient, make_user, hospitals):
    ours, _theirs = hospitals
    coordinator = make_user("coordinator", locale="en")
    headers = api_token(client, coordinator.phone)
    done = _open(client, headers, make_patient().id, ours)
    for event in ({"action": "accept"}, {"action": "dispatch", "ambulance_ref": "A"}, {"action": "admit"}):
        assert client.post(f"/api/v1/transfers/{done['id']}/events", json=event, headers=headers).status_code == 200
    _open(client, headers, make_patient().id, ours)
    sign_in(client, coordinator)
    under_way = client.get("/staff/transfers").get_data(as_text=True)
    assert under_way.count('href="/staff/transfers/') == 1
    closed = client.get("/staff/transfers?state=closed").get_data(as_text=True)
    assert f'href="/staff/transfers/{done["id"]}"' in closed and "Minutes to acceptance" in closed
    assert re.search(r"request to admission (0|1)\b", closed)
    everything = client.get(f"/staff/transfers?state=all&facility={ours}").get_data(as_text=True)
    assert everything.count('href="/staff/transfers/') == 2


def test_patient_sees_the_accepting_facility(client, app, make_patient, make_user, hospitals):
    ours, _theirs = hospitals
    patient = make_patient(login=True)
    headers = api_token(client, make_user("coordinator").phone)
    body = _open(client, headers, patient.id, ours)
    client.post(f"/api/v1/transfers/{body['id']}/events", json={"action": "accept"}, headers=headers)
    from .conftest import login

    login(client, patient.phone)
    home = client.get("/home").get_data(as_text=True)
    assert "BV Đa khoa Trung tâm An Giang đã có giường và đang chờ bạn" in home


def test_admin_creates_a_facility_account(client, app, make_user, hospitals):
    ours, _theirs = hospitals
    admin = make_user("admin", locale="en")
    token = sign_in(client, admin)
    page = client.get("/staff/admin/users").get_data(as_text=True)
    assert "BV Đa khoa Trung tâm An Giang" in page
    form = {"csrf_token": token, "role": "facility", "full_name": "BS. Trực Cấp Cứu", "phone": "0912 777 001",
            "province_code": str(AN_GIANG), "password": "Trực-cấp-cứu-đêm-2026"}
    r = client.post("/staff/admin/users", data=form)
    assert r.status_code == 422 and "choose the facility this account answers for" in r.get_data(as_text=True)
    r = client.post("/staff/admin/users", data={**form, "facility_id": str(ours)})
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:500]
    from f0monitor.data.models import User

    with app.app_context():
        user = get_session().scalar(sa.select(User).where(User.phone == "+84912777001"))
        assert user.role == "facility" and user.facility_id == ours


def test_create_user_command_makes_a_facility_account(app, runner, hospitals):
    ours, _theirs = hospitals
    result = runner.invoke(args=["create-user", "--role", "facility", "--phone", "0912777002", "--name",
                                 "Khoa Cấp cứu", "--province", str(AN_GIANG), "--facility", str(ours),
                                 "--password", "Trực-cấp-cứu-đêm-2026"])
    assert result.exit_code == 0, result.output
    missing = runner.invoke(args=["create-user", "--role", "facility", "--phone", "0912777003", "--name",
                                  "Khoa Cấp cứu", "--province", str(AN_GIANG), "--password", "Trực-cấp-cứu-đêm-2026"])
    assert missing.exit_code != 0 and "--facility" in missing.output


def test_admission_takes_a_bed_of_the_type_asked_for(client, app, make_patient, make_user, hospitals):
    ours, _theirs = hospitals
    with app.app_context():
        session = get_session()
        f = session.get(Facility, ours)
        f.oxygen_capacity, f.oxygen_free = 10, 3
        session.commit()
    headers = api_token(client, make_user("coordinator").phone)
    body = _open(client, headers, make_patient().id, ours, "oxygen")
    for event in ({"action": "accept"}, {"action": "dispatch", "ambulance_ref": "A"}, {"action": "admit"}):
        assert client.post(f"/api/v1/transfers/{body['id']}/events", json=event, headers=headers).status_code == 200
    with app.app_context():
        f = get_session().get(Facility, ours)
        assert (f.oxygen_free, f.general_free) == (2, 5)

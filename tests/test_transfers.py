"""Emergency transfers: pages, API, scope, beds, and the patient's own view of it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from f0monitor.data.models import AuditEvent, Facility, Patient, Transfer, TransferEvent
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow

from .conftest import AN_GIANG, _other_ward, api_token, csrf_token, login


@pytest.fixture
def facility(app):
    with app.app_context():
        session = get_session()
        f = Facility(name="BV Đa khoa An Giang", province_code=AN_GIANG, bed_capacity=10,
                     free_beds=1, updated_at=utcnow())
        other = Facility(name="BV Chợ Rẫy", province_code=79, bed_capacity=10, free_beds=5,
                         updated_at=utcnow())
        session.add_all([f, other])
        session.commit()
        return {"id": f.id, "other_id": other.id}


def _snapshot(app):
    """Every transfer, transfer event, facility and patient row: what a refusal must not touch."""
    with app.app_context():
        session = get_session()
        return {
            model.__tablename__: session.execute(
                sa.select(model.__table__).order_by(*model.__table__.primary_key.columns)
            ).all()
            for model in (Transfer, TransferEvent, Facility, Patient)
        }


def _field_errors(html):
    """Every field error on a page, as (id of the message or "", text)."""
    return re.findall(r'<p class="field-error"(?: id="([^"]+)")?[^>]*>(.*?)</p>', html, re.S)


@pytest.fixture
def coord(make_user):
    return make_user("coordinator")


@pytest.fixture
def headers(client, coord):
    return api_token(client, coord.phone)


def test_api_full_journey_and_patient_sees_it(client, app, make_patient, coord, headers, facility):
    patient = make_patient(login=True)
    r = client.post(f"/api/v1/patients/{patient.id}/transfers", json={"reason": "SpO2 92", "facility_id": facility["id"]}, headers=headers)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["state"] == "requested" and body["facility"]["id"] == facility["id"]
    tid = body["id"]
    second = client.post(f"/api/v1/patients/{patient.id}/transfers", json={"reason": "again"}, headers=headers)
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "transfer_open"

    early = client.post(f"/api/v1/transfers/{tid}/events", json={"action": "dispatch", "ambulance_ref": "115-0812"}, headers=headers)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "needs_acceptance"
    r = client.post(f"/api/v1/transfers/{tid}/events", json={"action": "accept"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["state"] == "accepted"
    r = client.post(f"/api/v1/transfers/{tid}/events", json={"action": "dispatch", "ambulance_ref": "115-0812"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["state"] == "dispatched"
    refused = client.post(f"/api/v1/transfers/{tid}/events", json={"action": "dispatch", "ambulance_ref": "x"}, headers=headers)
    assert refused.status_code == 409
    err = refused.get_json()["error"]
    assert err["code"] == "invalid_transition" and err["state"] == "dispatched"
    r = client.post(f"/api/v1/transfers/{tid}/events", json={"action": "admit"}, headers=headers)
    body = r.get_json()
    assert r.status_code == 200 and body["state"] == "admitted"
    assert [e["action"] for e in body["events"]] == ["request", "accept", "dispatch", "admit"]
    assert all(e["by"]["id"] == coord.id and e["at"].endswith("Z") for e in body["events"])
    got = client.get(f"/api/v1/transfers/{tid}", headers=headers).get_json()
    assert got["state"] == "admitted"

    with app.app_context():
        session = get_session()
        assert session.get(Patient, patient.id).status == "transferred"
        assert session.get(Facility, facility["id"]).free_beds == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action.like("transfer.%"))) >= 4
    # The patient's own page and API show it.
    me = client.__class__(app)  # a fresh client: a fresh cookie jar
    login(me, patient.phone)
    page = me.get("/home").get_data(as_text=True)
    assert "BV Đa khoa An Giang" in page
    api = me.get("/api/v1/me", headers=api_token(me, patient.phone)).get_json()
    assert api["transfer"]["state"] == "admitted"


def test_free_beds_never_below_zero(client, app, make_patient, headers, facility):
    ids = []
    for _ in range(2):
        p = make_patient()
        r = client.post(f"/api/v1/patients/{p.id}/transfers", json={"reason": "r", "facility_id": facility["id"]}, headers=headers)
        ids.append(r.get_json()["id"])
    for tid in ids:
        client.post(f"/api/v1/transfers/{tid}/events", json={"action": "dispatch", "ambulance_ref": "A1", "override": True}, headers=headers)
        assert client.post(f"/api/v1/transfers/{tid}/events", json={"action": "admit"}, headers=headers).status_code == 200
    with app.app_context():
        assert get_session().get(Facility, facility["id"]).free_beds == 0


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"action": "dispatch", "override": True}, "ambulance_ref", "nhập mã xe cấp cứu (mã cuộc gọi 115 hoặc biển số xe)"),
        ({"action": "dispatch", "ambulance_ref": "x" * 65, "override": True}, "ambulance_ref", None),
        ({"action": "cancel"}, "note", "nêu lý do"),
        ({"action": "fly"}, "action", "phải là một trong: accept, dispatch, arrive, admit, cancel, refuse"),
        ({"action": "admit", "facility_id": 999999}, "facility_id", "chọn một cơ sở của tỉnh này trong danh sách"),
        ({"action": "cancel", "note": "n", "extra": 1}, "extra", None),
    ],
)
def test_api_bad_event_names_the_field(client, app, make_patient, headers, payload, field, message):
    p = make_patient()
    tid = client.post(f"/api/v1/patients/{p.id}/transfers", json={"reason": "r"}, headers=headers).get_json()["id"]
    if payload["action"] == "admit":
        client.post(f"/api/v1/transfers/{tid}/events", json={"action": "dispatch", "ambulance_ref": "A", "override": True}, headers=headers)
    before = _snapshot(app)
    r = client.post(f"/api/v1/transfers/{tid}/events", json=payload, headers=headers)
    assert r.status_code == 422, r.get_json()
    fields = r.get_json()["error"]["fields"]
    assert list(fields) == [field]
    if message is not None:  # the others are the schema library's own words
        assert fields[field] == [message]
    assert _snapshot(app) == before  # nothing changed: no event, same state and version


def test_api_admit_without_any_facility_is_refused_at_the_field(client, app, make_patient, headers):
    p = make_patient()
    tid = client.post(f"/api/v1/patients/{p.id}/transfers", json={"reason": "r"}, headers=headers).get_json()["id"]
    client.post(f"/api/v1/transfers/{tid}/events", json={"action": "dispatch", "ambulance_ref": "A", "override": True}, headers=headers)
    before = _snapshot(app)
    r = client.post(f"/api/v1/transfers/{tid}/events", json={"action": "admit"}, headers=headers)
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"] == {"facility_id": ["chọn cơ sở tiếp nhận người bệnh"]}
    assert _snapshot(app) == before  # still dispatched, the patient still active


@pytest.mark.parametrize(
    ("payload", "field"), [({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "r", "facility_id": "x"}, "facility_id")]
)
def test_api_bad_open_request(client, app, make_patient, headers, payload, field):
    p = make_patient()
    before = _snapshot(app)
    r = client.post(f"/api/v1/patients/{p.id}/transfers", json=payload, headers=headers)
    assert r.status_code == 422
    assert list(r.get_json()["error"]["fields"]) == [field]
    assert _snapshot(app) == before  # no transfer opened


def test_api_facility_of_another_province_is_refused(client, app, make_patient, headers, facility):
    p = make_patient()
    before = _snapshot(app)
    r = client.post(f"/api/v1/patients/{p.id}/transfers", json={"reason": "r", "facility_id": facility["other_id"]}, headers=headers)
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"] == {"facility_id": ["chọn một cơ sở của tỉnh này trong danh sách"]}
    assert _snapshot(app) == before


def test_api_stale_version_is_a_conflict_naming_the_state(client, make_patient, headers):
    p = make_patient()
    body = client.post(f"/api/v1/patients/{p.id}/transfers", json={"reason": "r"}, headers=headers).get_json()
    client.post(f"/api/v1/transfers/{body['id']}/events", json={"action": "dispatch", "ambulance_ref": "A", "override": True}, headers=headers)
    r = client.post(f"/api/v1/transfers/{body['id']}/events", json={"action": "cancel", "note": "n", "version": body["version"]}, headers=headers)
    assert r.status_code == 409
    assert r.get_json()["error"]["state"] == "dispatched"


def test_outside_the_area_is_404(client, make_patient, make_user, headers):
    p = make_patient(ward_code=_other_ward())
    tid = client.post(f"/api/v1/patients/{p.id}/transfers", json={"reason": "r"}, headers=headers).get_json()["id"]
    from .conftest import LONG_XUYEN

    ward_doc = make_user("doctor", ward_codes=[LONG_XUYEN])
    other_province = make_user("coordinator", province_code=79)
    for user in (ward_doc, other_province):
        h = api_token(client, user.phone)
        assert client.get(f"/api/v1/transfers/{tid}", headers=h).status_code == 404
        assert client.post(f"/api/v1/transfers/{tid}/events", json={"action": "arrive"}, headers=h).status_code == 404
        assert client.post(f"/api/v1/patients/{p.id}/transfers", json={"reason": "r"}, headers=h).status_code == 404
        assert client.post(f"/api/v1/patients/{p.id}/discharge", json={"outcome": "withdrawn"}, headers=h).status_code == 404
    login(client, ward_doc.phone)
    assert client.get(f"/staff/transfers/{tid}").status_code == 404
    assert client.get(f"/staff/patients/{p.id}/transfers/new").status_code == 404
    assert client.get(f"/staff/patients/{p.id}/discharge").status_code == 404


def test_roles(client, make_patient, make_user, headers):
    p = make_patient(login=True)
    tid = client.post(f"/api/v1/patients/{p.id}/transfers", json={"reason": "r"}, headers=headers).get_json()["id"]
    volunteer = api_token(client, make_user("volunteer").phone)
    assert client.post(f"/api/v1/transfers/{tid}/events", json={"action": "cancel", "note": "n"}, headers=volunteer).status_code == 403
    patient_h = api_token(client, p.phone)
    assert client.get(f"/api/v1/transfers/{tid}", headers=patient_h).status_code == 403
    assert client.get(f"/api/v1/transfers/{tid}").status_code == 401


def _post(client, url, data, page):
    data = {"csrf_token": csrf_token(client, page), **data}
    return client.post(url, data=data)


def test_pages_open_dispatch_refused_action_and_admit(client, app, make_patient, coord, facility):
    p = make_patient()
    login(client, coord.phone)
    new = f"/staff/patients/{p.id}/transfers/new"
    page = client.get(new).get_data(as_text=True)
    assert "BV Đa khoa An Giang" in page and "BV Chợ Rẫy" not in page
    # Bad input: message at the field, typed values kept, nothing stored.
    before = _snapshot(app)
    r = _post(client, new, {"reason": "", "facility_id": str(facility["id"])}, new)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and f'value="{facility["id"]}" checked' in html
    assert _field_errors(html) == [("reason-error", "nêu lý do người bệnh cần chuyển viện")]
    assert re.search(r'<textarea id="transfer-reason" name="reason"[^>]*aria-invalid="true" aria-describedby="reason-error"', html)
    r = _post(client, new, {"reason": "Khó thở", "facility_id": "nope"}, new)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Khó thở" in html
    assert _field_errors(html) == [("", "chọn một cơ sở của tỉnh này trong danh sách")]
    assert 'class="field facility-choice has-error" id="facility_id"' in html
    assert _snapshot(app) == before
    with app.app_context():
        assert get_session().scalar(sa.select(sa.func.count()).select_from(Transfer)) == 0
    r = _post(client, new, {"reason": "Khó thở", "facility_id": str(facility["id"])}, new)
    assert r.status_code == 303
    with app.app_context():
        tid = get_session().scalar(sa.select(Transfer.id))
    detail = f"/staff/transfers/{tid}"
    # A second open transfer is refused with a message.
    r = _post(client, new, {"reason": "again"}, detail)
    assert r.status_code == 303 and r.headers["Location"].endswith(detail)
    events = f"/staff/transfers/{tid}/events"
    before = _snapshot(app)
    r = _post(client, events, {"action": "dispatch", "ambulance_ref": "XE-51B"}, detail)
    assert r.status_code == 303  # not accepted yet and no override: refused with a message
    assert "flash-danger" in client.get(detail).get_data(as_text=True)
    assert _snapshot(app) == before
    r = _post(client, events, {"action": "dispatch", "ambulance_ref": "", "override": "1"}, detail)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'aria-invalid="true"' in html
    assert _field_errors(html) == [
        (f"ambulance_ref-{tid}-error", "nhập mã xe cấp cứu (mã cuộc gọi 115 hoặc biển số xe)")
    ]
    assert _snapshot(app) == before  # still requested
    r = _post(client, events, {"action": "dispatch", "ambulance_ref": "XE-51B", "override": "1"}, detail)
    assert r.status_code == 303
    # An action not allowed now: a clear message naming the current state.
    r = _post(client, events, {"action": "dispatch", "ambulance_ref": "XE-2"}, detail)
    assert r.status_code == 303
    page = client.get(detail).get_data(as_text=True)
    assert "flash-danger" in page and ("ambulance dispatched" in page or "đã điều xe" in page)
    # A stale page: someone else moved it on since.
    with app.app_context():
        version = get_session().get(Transfer, tid).version
    r = _post(client, events, {"action": "cancel", "note": "n", "version": str(version - 1)}, detail)
    page = client.get(detail).get_data(as_text=True)
    assert r.status_code == 303 and "flash-danger" in page
    r = _post(client, events, {"action": "admit", "facility_id": str(facility["id"]), "version": str(version)}, detail)
    assert r.status_code == 303
    with app.app_context():
        session = get_session()
        assert session.get(Transfer, tid).state == "admitted"
        steps = session.scalars(sa.select(TransferEvent).where(TransferEvent.transfer_id == tid).order_by(TransferEvent.id)).all()
        assert [(s.from_state, s.to_state) for s in steps] == [(None, "requested"), ("requested", "dispatched"), ("dispatched", "admitted")]
        assert all(s.by_id == coord.id for s in steps)
    assert client.get("/staff/transfers").status_code == 200


def test_cancel_needs_a_reason_and_frees_the_patient(client, app, make_patient, coord):
    p = make_patient()
    login(client, coord.phone)
    new = f"/staff/patients/{p.id}/transfers/new"
    _post(client, new, {"reason": "r"}, new)
    with app.app_context():
        tid = get_session().scalar(sa.select(Transfer.id))
    events = f"/staff/transfers/{tid}/events"
    before = _snapshot(app)
    r = _post(client, events, {"action": "refuse", "note": " "}, f"/staff/transfers/{tid}")
    assert r.status_code == 422
    assert _field_errors(r.get_data(as_text=True)) == [(f"note-{tid}-error", "nêu lý do")]
    assert _snapshot(app) == before  # not refused
    r = _post(client, events, {"action": "refuse", "note": "Hết giường"}, f"/staff/transfers/{tid}")
    assert r.status_code == 303
    # A new transfer can be opened after a refusal.
    assert _post(client, new, {"reason": "r2"}, new).status_code == 303


def test_facilities_page_updates_beds_with_a_version_check(client, app, coord, make_user, facility):
    login(client, coord.phone)
    page = client.get("/staff/facilities").get_data(as_text=True)
    assert "BV Đa khoa An Giang" in page and "BV Chợ Rẫy" not in page
    fid = facility["id"]
    with app.app_context():
        version = get_session().get(Facility, fid).version
    base = {"facility_id": str(fid), "version": str(version)}
    before = _snapshot(app)
    for bad, field, message in (
        ({"bed_capacity": "abc", "free_beds": "1"}, "bed_capacity", "nhập số nguyên từ 0 trở lên"),
        ({"bed_capacity": "5", "free_beds": "-1"}, "free_beds", "nhập số nguyên từ 0 trở lên"),
        ({"bed_capacity": "5", "free_beds": "6"}, "free_beds", "không được lớn hơn tổng số giường"),
    ):
        r = _post(client, "/staff/facilities", {**base, **bad}, "/staff/facilities")
        html = r.get_data(as_text=True)
        assert r.status_code == 422 and bad["bed_capacity"] in html
        assert _field_errors(html) == [(f"{field}-{fid}-error", message)], bad
        assert _snapshot(app) == before, bad
    r = _post(client, "/staff/facilities", {**base, "bed_capacity": "12", "free_beds": "7"}, "/staff/facilities")
    assert r.status_code == 303
    with app.app_context():
        f = get_session().get(Facility, fid)
        assert (f.bed_capacity, f.free_beds, f.updated_by_id) == (12, 7, coord.id)
    # The same (now stale) form again: refused, told what the beds are now.
    r = _post(client, "/staff/facilities", {**base, "bed_capacity": "12", "free_beds": "3"}, "/staff/facilities")
    assert r.status_code == 303
    assert "flash-danger" in client.get("/staff/facilities").get_data(as_text=True)
    r = _post(client, "/staff/facilities", {"facility_id": str(facility["other_id"]), "bed_capacity": "1", "free_beds": "1"}, "/staff/facilities")
    assert r.status_code == 404
    doctor = make_user("doctor")
    other = app.test_client()
    login(other, doctor.phone)
    assert other.get("/staff/facilities").status_code == 200
    assert _post(other, "/staff/facilities", {**base, "bed_capacity": "1", "free_beds": "1"}, "/staff/facilities").status_code == 403


def test_panels_render_in_the_staff_patient_page(client, make_patient, coord, facility):
    p = make_patient()
    login(client, coord.phone)
    html = client.get(f"/staff/patients/{p.id}").get_data(as_text=True)
    assert 'id="transfer"' in html and 'id="discharge"' in html

"""Discharge: the §7 rule at its boundaries, the certificate, its QR code and the public check."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Alert, Patient
from f0monitor.data.session import get_session
from f0monitor.domain.clock import local_date, utcnow
from f0monitor.http.certificates import qr_svg
from f0monitor.services.discharge import (
    DischargeInput,
    DischargeNotAllowed,
    discharge,
    format_code,
    masked_name,
)

from .conftest import api_token, csrf_token, login


def _today():
    return local_date(utcnow())


def _on_day(make_patient, day, vaccinated=True, **kw):
    return make_patient(positive_test_date=_today() - timedelta(days=day - 1), fully_vaccinated=vaccinated, **kw)


# (day, fully vaccinated, negative test on day 7 or later given, allowed)
CASES = [
    (6, True, True, False), (7, True, True, True), (7, True, False, False), (9, True, False, False),
    (10, True, False, True), (9, False, True, True), (13, False, False, False), (14, False, False, True),
    (10, False, False, False), (6, False, True, False),
]


@pytest.mark.parametrize(("day", "vaccinated", "tested", "allowed"), CASES)
def test_recovery_rule_boundaries(client, app, make_patient, make_user, day, vaccinated, tested, allowed):
    p = _on_day(make_patient, day, vaccinated)
    h = api_token(client, make_user("doctor").phone)
    body = {"outcome": "recovered"}
    if tested:
        body["negative_test_date"] = _today().isoformat()
    r = client.post(f"/api/v1/patients/{p.id}/discharge", json=body, headers=h)
    if allowed:
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["status"] == "recovered"
        assert re.fullmatch(r"[A-Z2-7]{16}", r.get_json()["certificate_code"])
    else:
        assert r.status_code == 409, r.get_json()
        err = r.get_json()["error"]
        assert err["code"] == "recovery_not_allowed"
        assert err["reason"]["code"] in ("RECOVERY_BEFORE_DAY_7", "RECOVERY_NEEDS_NEGATIVE_TEST")
        with app.app_context():
            assert get_session().get(Patient, p.id).status == "active"


def _assert_nothing_stored(app, patient_id):
    """A refused discharge leaves the patient under treatment, with no certificate."""
    with app.app_context():
        row = get_session().get(Patient, patient_id)
        assert (row.status, row.discharged_at, row.certificate_code) == ("active", None, None)
        assert row.negative_test_date is None


def test_negative_test_before_day_7_does_not_count(client, app, make_patient, make_user):
    p = _on_day(make_patient, 8)
    h = api_token(client, make_user("doctor").phone)
    early = (_today() - timedelta(days=3)).isoformat()  # day 5
    r = client.post(f"/api/v1/patients/{p.id}/discharge", json={"outcome": "recovered", "negative_test_date": early}, headers=h)
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"] == {
        "negative_test_date": ["xét nghiệm âm tính chỉ được tính từ ngày điều trị thứ 7"]
    }
    future = (_today() + timedelta(days=1)).isoformat()
    r = client.post(f"/api/v1/patients/{p.id}/discharge", json={"outcome": "recovered", "negative_test_date": future}, headers=h)
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"] == {"negative_test_date": ["ngày xét nghiệm không được ở tương lai"]}
    _assert_nothing_stored(app, p.id)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "outcome"),
        ({"outcome": "cured"}, "outcome"),
        ({"outcome": "recovered", "negative_test_date": "31/12/2020"}, "negative_test_date"),
    ],
)
def test_api_bad_discharge_input(client, app, make_patient, make_user, payload, field):
    p = _on_day(make_patient, 15)  # recovery allowed: only the input is at fault
    h = api_token(client, make_user("doctor").phone)
    r = client.post(f"/api/v1/patients/{p.id}/discharge", json=payload, headers=h)
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == [field]
    if payload.get("outcome") == "cured":
        assert error["fields"]["outcome"] == ["phải là một trong: recovered, deceased, withdrawn"]
    _assert_nothing_stored(app, p.id)


def test_deceased_and_withdrawn_close_open_alerts_and_end_treatment(client, app, make_patient, make_user):
    h = api_token(client, make_user("coordinator").phone)
    for outcome in ("deceased", "withdrawn"):
        p = make_patient()
        with app.app_context():
            session = get_session()
            session.add(Alert(patient_id=p.id, state="open", opened_at=utcnow(), reason_codes=["W1"]))
            session.get(Patient, p.id).has_open_alert = True
            session.commit()
        r = client.post(f"/api/v1/patients/{p.id}/discharge", json={"outcome": outcome, "note": "x"}, headers=h)
        assert r.status_code == 200 and r.get_json()["certificate_code"] is None
        with app.app_context():
            session = get_session()
            row = session.get(Patient, p.id)
            assert row.status == outcome and not row.has_open_alert and row.discharged_at
            assert session.scalar(sa.select(Alert.state).where(Alert.patient_id == p.id)) == "resolved"
        again = client.post(f"/api/v1/patients/{p.id}/discharge", json={"outcome": "withdrawn"}, headers=h)
        assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_active"


def test_recovery_refused_while_an_alert_or_a_transfer_is_open(client, app, make_patient, make_user):
    h = api_token(client, make_user("coordinator").phone)
    p = _on_day(make_patient, 15)
    with app.app_context():
        session = get_session()
        session.add(Alert(patient_id=p.id, state="acknowledged", opened_at=utcnow(), reason_codes=["W1"]))
        session.commit()
    r = client.post(f"/api/v1/patients/{p.id}/discharge", json={"outcome": "recovered"}, headers=h)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "alert_open"
    q = _on_day(make_patient, 15)
    client.post(f"/api/v1/patients/{q.id}/transfers", json={"reason": "r"}, headers=h)
    r = client.post(f"/api/v1/patients/{q.id}/discharge", json={"outcome": "recovered"}, headers=h)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "transfer_open"


def test_volunteer_may_not_discharge(client, make_patient, make_user):
    p = make_patient()
    h = api_token(client, make_user("volunteer").phone)
    assert client.post(f"/api/v1/patients/{p.id}/discharge", json={"outcome": "withdrawn"}, headers=h).status_code == 403


def _form(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def test_discharge_form_shows_the_reason_when_refused_and_keeps_input(client, app, make_patient, make_user):
    p = _on_day(make_patient, 8)
    login(client, make_user("doctor").phone)
    url = f"/staff/patients/{p.id}/discharge"
    assert client.get(url).status_code == 200
    r = _form(client, url, {"outcome": "recovered", "note": "ghi chú giữ lại"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "ngày 10" in html or "day 10" in html  # the rule's own words
    assert "ghi chú giữ lại" in html and 'value="recovered" checked' in html
    _assert_nothing_stored(app, p.id)
    for data, field, message in (
        ({"outcome": ""}, "outcome", "chọn kết quả điều trị tại nhà"),
        ({"outcome": "recovered", "negative_test_date": "not a date"}, "negative_test_date", "nhập ngày hợp lệ"),
    ):
        r = _form(client, url, data)
        assert r.status_code == 422, data
        html = r.get_data(as_text=True)
        errors = re.findall(r'<p class="field-error" id="([^"]+)-error"[^>]*>(.*?)</p>', html, re.S)
        assert errors == [(field, message)], data
        assert f'<a href="#{field}">' in html  # the error summary links to the field
        _assert_nothing_stored(app, p.id)
    r = _form(client, url, {"outcome": "recovered", "negative_test_date": _today().isoformat()})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/staff/patients/{p.id}/certificate")


def test_certificate_qr_and_public_verification(client, app, make_patient, make_user):
    p = _on_day(make_patient, 11, full_name="Trần Thị Mỹ Linh", national_id="001099012345")
    staff = make_user("doctor")
    with app.app_context():
        session = get_session()
        row = session.get(Patient, p.id)
        discharge(session, row, DischargeInput("recovered"), by=staff, now=utcnow())
        session.commit()
        code = row.certificate_code
    login(client, staff.phone)
    cert = client.get(f"/staff/patients/{p.id}/certificate").get_data(as_text=True)
    assert "Trần Thị Mỹ Linh" in cert and "<svg" in cert and "<?xml" not in cert
    assert f"/verify/{code}" in cert and "GIẤY XÁC NHẬN" in cert
    _assert_certificate_shows(cert, p, code)
    public = app.test_client()
    r = public.get(f"/verify/{code}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Trần T. M. L." in html and "Trần Thị Mỹ Linh" not in html
    for private in (p.phone, "001099012345", "Trần Hưng Đạo", p.date_of_birth.strftime("%d/%m/%Y")):
        assert private not in html
    assert str(p.date_of_birth.year) in html
    # Family name and initials, year of birth, the treatment dates and the issuing station.
    assert (
        f"Trần T. M. L., sinh năm {p.date_of_birth.year}, đã hoàn thành điều trị COVID-19 tại nhà "
        f"từ {_dmy(p.positive_test_date)} đến {_dmy(_today())}."
    ) in html
    assert "<dd>Trạm Y tế Phường Long Xuyên, An Giang</dd>" in html
    assert f'<span class="code">{format_code(code)}</span>' in html
    # Typed with dashes and lower case: the same certificate.
    dashed = "-".join(code[i:i + 4] for i in range(0, 16, 4)).lower()
    assert public.get(f"/verify/{dashed}").status_code == 200
    assert public.get("/verify/AAAAAAAAAAAAAAAA").status_code == 404
    assert public.get("/verify/x").status_code == 404
    assert public.get("/verify?code=abc").status_code == 302


def test_certificate_of_an_active_patient_is_404(client, make_patient, make_user):
    p = make_patient()
    login(client, make_user("doctor").phone)
    assert client.get(f"/staff/patients/{p.id}/certificate").status_code == 404


def test_patient_sees_own_certificate(client, app, make_patient, make_user):
    p = _on_day(make_patient, 14, login=True)
    with app.app_context():
        session = get_session()
        discharge(session, session.get(Patient, p.id), DischargeInput("recovered"), by=None, now=utcnow())
        session.commit()
    login(client, p.phone)
    r = client.get("/certificate")
    assert r.status_code == 200
    with app.app_context():
        code = get_session().get(Patient, p.id).certificate_code
    _assert_certificate_shows(r.get_data(as_text=True), p, code)
    # Another patient, still under treatment, has no certificate to see.
    other = make_patient(login=True)
    login(client, other.phone)
    assert client.get("/certificate").status_code == 404


def _dmy(day):
    return day.strftime("%d/%m/%Y")


def _assert_certificate_shows(html, patient, code):
    """The printed certificate: full name, birth date, treatment dates, station, QR and code."""
    assert f"<dd><strong>{patient.full_name}</strong></dd>" in html
    assert f"<dd>{_dmy(patient.date_of_birth)}</dd>" in html
    assert f"từ ngày {_dmy(patient.positive_test_date)} đến ngày {_dmy(_today())}" in html
    assert "<strong>TRẠM Y TẾ PHƯỜNG LONG XUYÊN</strong>" in html and "<p>AN GIANG</p>" in html
    today = _today()
    assert f"Phường Long Xuyên, ngày {today.day} tháng {today.month} năm {today.year}" in html
    assert f"Mã xác nhận / Mã: <strong class=\"code\">{format_code(code)}</strong>" in html
    url = re.search(rf'<span class="url">(https?://[^<]+/verify/{code})</span>', html)
    assert url
    # The QR code drawn is the one of that public verification address.
    qr = re.search(r'<figure class="cert-qr">(<svg .*?</svg>)', html, re.S)
    assert qr and qr.group(1) == str(qr_svg(url.group(1)))


def test_masked_name():
    assert masked_name("Nguyễn Văn Bình") == "Nguyễn V. B."
    assert masked_name("Lan") == "Lan"
    assert masked_name("") == ""


def test_service_refuses_inactive_patient(app, make_patient):
    p = make_patient()
    with app.app_context():
        session = get_session()
        row = session.get(Patient, p.id)
        row.status = "transferred"
        with pytest.raises(DischargeNotAllowed):
            discharge(session, row, DischargeInput("withdrawn"), by=None, now=utcnow())

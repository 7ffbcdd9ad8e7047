"""The patient's journey as JSON: register, token, me, reports (with Idempotency-Key)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Alert, ApiToken, Patient, SymptomReport
from f0monitor.domain.clock import today_local

from .conftest import AN_GIANG, LONG_XUYEN, PASSWORD, api_token


def registration(**overrides):
    body = {
        "full_name": "Lê Thị Mai",
        "date_of_birth": "1990-02-03",
        "sex": "female",
        "phone": "0918 765 432",
        "password": "mật khẩu dài",
        "province_code": str(AN_GIANG),
        "ward_code": str(LONG_XUYEN),
        "address": "9 Nguyễn Huệ",
        "positive_test_date": (today_local() - timedelta(days=1)).isoformat(),
        "test_type": "pcr",
        "comorbidities": ["asthma"],
        "fully_vaccinated": True,
        "consent": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_register_then_token_then_me(client, session):
    response = client.post("/api/v1/patients", json=registration())
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["phone"] == "+84918765432"
    assert created["tier"] == created["baseline_tier"] == "orange"  # asthma under 65
    assert "password" not in created
    token = client.post("/api/v1/tokens", json={"phone": "0918765432", "password": "mật khẩu dài"})
    assert token.status_code == 201
    body = token.get_json()
    assert body["role"] == "patient" and body["expires_at"].endswith("Z")
    stored = session.scalar(sa.select(ApiToken))
    assert stored.token_hash != body["token"] and len(stored.token_hash) == 64  # only a hash is kept
    me = client.get("/api/v1/me", headers={"Authorization": "Bearer " + body["token"]}).get_json()
    assert me["id"] == created["id"]
    assert me["day_of_treatment"] == 2
    assert me["alert"] is False and me["transfer"] is None
    assert me["next_report_due"]


def test_duplicate_phone_is_409(client, session):
    assert client.post("/api/v1/patients", json=registration()).status_code == 201
    response = client.post("/api/v1/patients", json=registration(phone="+84918765432", full_name="Khác"))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "phone_taken"
    assert session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "123"}, "phone"),
        ({"ward_code": "26734"}, "ward_code"),  # a Hồ Chí Minh ward, not An Giang
        ({"province_code": "abc"}, "province_code"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"positive_test_date": "1980-01-01"}, "positive_test_date"),
        ({"consent": False}, "consent"),
        ({"consent": None}, "consent"),
        ({"password": "short"}, "password"),
        ({"sex": "x"}, "sex"),
        ({"test_type": "smell"}, "test_type"),
        ({"comorbidities": ["flu"]}, "comorbidities"),
        ({"full_name": None}, "full_name"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_registration_errors_name_the_field(client, session, overrides, field):
    response = client.post("/api/v1/patients", json=registration(**overrides))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 0


def test_bad_credentials_and_missing_token(client, make_patient):
    make_patient(login=True, phone="+84912000301")
    response = client.post("/api/v1/tokens", json={"phone": "0912000301", "password": "wrong"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_session_cookie_does_not_authenticate_the_api(client, make_patient):
    from .conftest import login

    make_patient(login=True, phone="+84912000302")
    login(client, "0912000302")
    assert client.get("/home").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_token_revocation(client, make_patient):
    make_patient(login=True, phone="+84912000303")
    headers = api_token(client, "0912000303")
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_report_idempotency_and_history(client, session, make_patient):
    make_patient(login=True, phone="+84912000304")
    headers = {**api_token(client, "0912000304"), "Idempotency-Key": "abc-123"}
    body = {"temperature_c": 38.1, "spo2": 97, "pulse": 92, "respiratory_rate": 18, "symptoms": ["cough"], "note": "ho nhiều"}
    first = client.post("/api/v1/me/reports", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/me/reports", json=body, headers=headers)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 1
    result = first.get_json()
    assert result["report"]["temperature_c"] == 38.1
    assert result["assessment"]["rules_version"] == "VN-2022.2"
    # client_id in the body works like the header
    client.post("/api/v1/me/reports", json={**body, "client_id": "k2"}, headers={"Authorization": headers["Authorization"]})
    client.post("/api/v1/me/reports", json={**body, "client_id": "k2"}, headers={"Authorization": headers["Authorization"]})
    history = client.get("/api/v1/me/reports?per_page=1", headers=headers).get_json()
    assert history["total"] == 2 and history["per_page"] == 1 and len(history["items"]) == 1
    assert history["items"][0]["client_id"] == "k2"  # newest first


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"spo2": 49}, "spo2"),
        ({"spo2": 97.5}, "spo2"),
        ({"temperature_c": 43.5}, "temperature_c"),
        ({"pulse": 300}, "pulse"),
        ({"respiratory_rate": 2}, "respiratory_rate"),
        ({"systolic_bp": 100, "diastolic_bp": 120}, "diastolic_bp"),
        ({"pulse": 190}, "pulse"),  # implausible: needs confirm_unusual
        ({"symptoms": ["hiccups"]}, "symptoms"),
        ({"spo2": "high"}, "spo2"),
        ({"reported_at": "yesterday"}, "reported_at"),
    ],
)
def test_report_validation(client, session, make_patient, body, field):
    make_patient(login=True, phone="+84912000305")
    headers = api_token(client, "0912000305")
    response = client.post("/api/v1/me/reports", json=body, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 0


def test_implausible_value_accepted_when_confirmed(client, make_patient):
    make_patient(login=True, phone="+84912000306")
    headers = api_token(client, "0912000306")
    response = client.post("/api/v1/me/reports", json={"pulse": 190, "confirm_unusual": True}, headers=headers)
    assert response.status_code == 201
    assert response.get_json()["assessment"]["alert"] is True  # W4: pulse > 120


def test_web_and_api_give_the_same_stored_assessment(app, client, session, make_patient):
    """One code path: the same vitals through the form and the API are assessed alike."""
    from .conftest import csrf_token, login
    from .test_report import report_form

    make_patient(login=True, phone="+84912000307", date_of_birth=__import__("datetime").date(1950, 1, 1))
    make_patient(login=True, phone="+84912000308", date_of_birth=__import__("datetime").date(1950, 1, 1))
    web = app.test_client()
    login(web, "0912000307")
    web.post("/report", data=report_form(web, temperature_c="38.6", spo2="95", spo2_recheck="94",
                                         pulse="112", respiratory_rate="22", shortness_of_breath="yes"))
    headers = api_token(client, "0912000308")
    client.post("/api/v1/me/reports", headers=headers, json={
        "temperature_c": 38.6, "spo2": 95, "spo2_recheck": 94, "pulse": 112, "respiratory_rate": 22,
        "symptoms": ["shortness_of_breath"]})
    rows = session.scalars(sa.select(SymptomReport).order_by(SymptomReport.id)).all()
    assert [r.channel for r in rows] == ["self", "api"]
    a, b = (r.assessment for r in rows)
    fields = ("tier", "baseline_tier", "clinical_tier", "alert", "warning_signs", "reasons",
              "news2_score", "news2_band", "news2_complete", "severity", "eligible_home_care", "rules_version")
    assert {f: getattr(a, f) for f in fields} == {f: getattr(b, f) for f in fields}
    assert a.alert and a.tier == "red"
    assert session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 2  # one per patient
    _ = csrf_token


def test_openapi_is_generated(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/assess" in spec["paths"] and "/api/v1/me/reports" in spec["paths"]
    assert "ReportIn" in spec["components"]["schemas"]
    assert "spo2" in spec["components"]["schemas"]["ReportIn"]["properties"]
    # Every endpoint of the contract is described, with its body where it takes one.
    for path, method, body in [
        ("/api/v1/patients/{patient_id}/notes", "post", "NoteIn"),
        ("/api/v1/transfers/{transfer_id}/events", "post", "TransferEventIn"),
        ("/api/v1/patients/{patient_id}/discharge", "post", "DischargeIn"),
        ("/api/v1/tokens", "post", "TokenIn"),
        ("/api/v1/me/reports", "post", "ReportIn"),
    ]:
        op = spec["paths"][path][method]
        assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(body)
    assert spec["paths"]["/api/v1/queue"]["get"]["security"] == [{"bearer": []}]
    assert spec["paths"]["/api/v1/assess"]["post"]["security"] == []  # no token needed
    assert "/api/v1/caseload" in spec["paths"]


def test_api_never_answers_html(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert client.put("/api/v1/assess", json={}).get_json()["error"]["code"] == "method_not_allowed"
    _ = PASSWORD


def test_each_report_is_checked_against_its_own_patients_birth(client, make_patient):
    """The report schema is reused by a worker's thread (api.schemas.report_in): the window of
    §1 must still be each patient's own, whatever was loaded before."""
    from datetime import UTC, datetime

    older = make_patient(login=True, phone="+84912000401")
    # Born today: 40 hours ago is before the birth day at any hour of the day (born yesterday, it
    # was so only before 16:00 in Vietnam, and CI once ran after).
    newborn = make_patient(login=True, phone="+84912000402", date_of_birth=today_local())
    at = (datetime.now(UTC) - timedelta(hours=40)).isoformat()  # before the newborn's birth, in the window
    answers = []
    for patient in (older, newborn, older):
        headers = api_token(client, patient.phone)
        answers.append(client.post("/api/v1/me/reports", json={"temperature_c": 37.0, "spo2": 98, "reported_at": at},
                                   headers=headers))
    assert [a.status_code for a in answers] == [201, 422, 201], [a.get_json() for a in answers]
    assert "reported_at" in answers[1].get_json()["error"]["fields"]

"""The risk calculator: POST /api/v1/assess and the hotline page."""

from datetime import date

import pytest

from f0monitor.domain import covid as risk

from .conftest import csrf_token, login

EXAMPLE = {
    "profile": {
        "date_of_birth": "1958-03-14",
        "sex": "male",
        "comorbidities": ["diabetes", "hypertension"],
        "comorbidities_stable": True,
        "pregnant": False,
        "postpartum": False,
        "fully_vaccinated": True,
        "height_cm": 165,
        "weight_kg": 70,
        "positive_test_date": "2026-11-20",
    },
    "report": {
        "reported_at": "2026-11-22T08:00:00+07:00",
        "temperature_c": 37.5, "spo2": 97, "spo2_recheck": None,
        "pulse": 88, "respiratory_rate": 18, "systolic_bp": 150, "diastolic_bp": 90,
        "symptoms": ["cough"],
    },
    "previous_reports": [],
}


def test_contract_example(client):
    response = client.post("/api/v1/assess", json=EXAMPLE)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"tier", "baseline_tier", "alert", "warning_signs", "reasons", "news2",
                         "severity", "eligible_home_care", "rules_version"}
    assert body["tier"] == "red" and body["baseline_tier"] == "red"
    assert body["alert"] is False and body["warning_signs"] == []
    assert "AGE_65_COMORBID" in [r["code"] for r in body["reasons"]]
    assert all(r["message"] for r in body["reasons"])
    assert body["news2"] == {"score": 0, "band": "low", "complete": True}
    assert body["rules_version"] == risk.RULES_VERSION


def test_same_function_as_stored_reports(client):
    """The calculator's answer is the pure module's answer, in the API's shape."""
    body = client.post("/api/v1/assess", json=EXAMPLE, headers={"Accept-Language": "en"}).get_json()
    profile = risk.Profile(
        date_of_birth=date(1958, 3, 14), sex="male", comorbidities=frozenset({"diabetes", "hypertension"}),
        comorbidities_stable=True, fully_vaccinated=True, height_cm=165, weight_kg=70,
        positive_test_date=date(2026, 11, 20),
    )
    from datetime import datetime

    report = risk.Report(
        reported_at=datetime.fromisoformat("2026-11-22T08:00:00+07:00"), temperature_c=37.5, spo2=97,
        pulse=88, respiratory_rate=18, systolic_bp=150, diastolic_bp=90, symptoms=frozenset({"cough"}),
    )
    from tests.labels_helpers import assessment_body

    assert body == assessment_body(risk.assess(profile, report), "en")


def test_warning_sign_and_language(client):
    payload = {**EXAMPLE, "report": {**EXAMPLE["report"], "spo2": 93, "symptoms": ["shortness_of_breath"]}}
    vi = client.post("/api/v1/assess", json=payload).get_json()
    en = client.post("/api/v1/assess", json=payload, headers={"Accept-Language": "en"}).get_json()
    assert vi["alert"] and {s["code"] for s in vi["warning_signs"]} == {"W1", "W3"}
    assert vi["warning_signs"][0]["message"] != en["warning_signs"][0]["message"]


def test_news2_null_for_children(client):
    payload = {"profile": {"date_of_birth": "2020-01-01"}, "report": {"spo2": 98}}
    body = client.post("/api/v1/assess", json=payload).get_json()
    assert body["news2"] is None


def test_c2_uses_previous_reports(client):
    payload = {
        "profile": {"date_of_birth": "2018-01-01"},
        "report": {"reported_at": "2026-11-22T08:00:00+07:00", "temperature_c": 38.5},
        "previous_reports": [
            {"reported_at": "2026-11-20T08:00:00+07:00", "temperature_c": 38.4},
            {"reported_at": "2026-11-21T08:00:00+07:00", "temperature_c": 38.6},
        ],
    }
    body = client.post("/api/v1/assess", json=payload).get_json()
    assert [s["code"] for s in body["warning_signs"]] == ["C2"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"profile": {"date_of_birth": "1990-01-01"}, "report": {"spo2": 101}}, "report.spo2"),
        ({"profile": {"date_of_birth": "1990-01-01"}, "report": {"temperature_c": "hot"}}, "report.temperature_c"),
        ({"profile": {"date_of_birth": "1990-01-01"}, "report": {"pulse": 80.5}}, "report.pulse"),
        ({"profile": {"date_of_birth": "1990-01-01"}, "report": {"systolic_bp": 90, "diastolic_bp": 95}}, "report.diastolic_bp"),
        ({"profile": {"date_of_birth": "1990-01-01"}, "report": {"symptoms": ["sneezing"]}}, "report.symptoms"),
        ({"profile": {"date_of_birth": "2999-01-01"}, "report": {}}, "profile.date_of_birth"),
        ({"profile": {"date_of_birth": "1990-01-01", "comorbidities": ["flu"]}, "report": {}}, "profile.comorbidities"),
        ({"profile": {"date_of_birth": "1990-01-01", "height_cm": 400}, "report": {}}, "profile.height_cm"),
        ({"profile": {}, "report": {}}, "profile.date_of_birth"),
        ({"report": {}}, "profile"),
        ({"profile": {"date_of_birth": "1990-01-01"}, "report": {}, "extra": 1}, "extra"),
    ],
)
def test_validation_errors_name_the_field(client, payload, field):
    response = client.post("/api/v1/assess", json=payload)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/assess", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert client.post("/api/v1/assess", json=[1, 2]).status_code == 400


def test_rate_limited_with_retry_after(app, client):
    app.config["ASSESS_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert client.post("/api/v1/assess", json=EXAMPLE).status_code == 200
    response = client.post("/api/v1/assess", json=EXAMPLE)
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


def test_no_cookie_or_csrf_needed(app):
    other = app.test_client(use_cookies=False)
    assert other.post("/api/v1/assess", json=EXAMPLE).status_code == 200


def test_calculator_page_for_staff(client, make_user):
    user = make_user("volunteer")
    login(client, user.phone)
    token = csrf_token(client, "/staff/calculator/")
    response = client.post(
        "/staff/calculator/",
        data={"csrf_token": token, "date_of_birth": "1950-05-05", "sex": "female", "spo2": "93",
              "spo2_recheck": "93", "fully_vaccinated": "y", "pulse": "100"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đỏ – nguy cơ rất cao" in text
    assert "W3" in text
    # NEWS2 and severity are told in words, not field names or codes.
    news2 = text.split("<dt>NEWS2</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert news2.startswith("chưa đủ: thiếu") and "nhịp thở" in news2 and "respiratory_rate" not in news2
    severity = text.split("Mức độ bệnh</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert severity == "nặng"  # SpO2 93 % is severe whatever the breathing rate


def test_calculator_page_bad_input(client, make_user):
    user = make_user("doctor")
    login(client, user.phone)
    token = csrf_token(client, "/staff/calculator/")
    response = client.post("/staff/calculator/", data={"csrf_token": token, "date_of_birth": "1950-05-05", "spo2": "120"})
    assert response.status_code == 422
    assert 'id="spo2-error"' in response.get_data(as_text=True)
    assert 'value="120"' in response.get_data(as_text=True)


def test_calculator_page_not_for_patients(client, make_patient):
    make_patient(login=True, phone="+84912000999")
    login(client, "0912000999")
    assert client.get("/staff/calculator/").status_code == 403

"""The twice-daily report in the web form: ranges, confirmation, recheck, idempotency, home."""

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Alert, RiskAssessment, SymptomReport

from .conftest import csrf_token, login

NO_SIGNS = {
    "shortness_of_breath": "no",
    "chest_pain": "no",
    "altered_consciousness": "no",
    "cyanosis": "no",
    "cannot_drink_or_feed": "no",
    "other_acute_illness": "no",
}


@pytest.fixture
def patient_client(client, make_patient):
    make_patient(login=True, phone="+84912555666")
    assert login(client, "0912555666").status_code == 302
    return client


def report_form(client, **values):
    html = client.get("/report").get_data(as_text=True)
    key = html.split('name="client_key"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    data = {"csrf_token": csrf_token(client, "/report"), "client_key": key, **NO_SIGNS}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def count(session, model):
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_normal_report_is_stored_and_assessed(patient_client, session):
    data = report_form(patient_client, temperature_c="37,8", spo2="98", pulse="88", respiratory_rate="18", symptoms=["cough"])
    response = patient_client.post("/report", data=data)
    assert response.status_code == 302
    report = session.scalar(sa.select(SymptomReport))
    assert report.temperature_c == 37.8 and report.spo2 == 98 and report.symptoms == ["cough"]
    assert report.channel == "self"
    assert report.assessment.rules_version == "VN-2022.2"
    assert count(session, Alert) == 0
    home = patient_client.get("/home").get_data(as_text=True)
    assert "Ngày 3 điều trị tại nhà" in home
    assert "37.8" in home


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("spo2", "49", "50 và 100"),
        ("spo2", "101", "50 và 100"),
        ("spo2", "97.5", "số nguyên"),
        ("temperature_c", "33.9", "34.0 và 43.0"),
        ("temperature_c", "43.1", "34.0 và 43.0"),
        ("temperature_c", "ba bảy", "nhập một số"),
        ("pulse", "24", "25 và 250"),
        ("pulse", "251", "25 và 250"),
        ("respiratory_rate", "4", "5 và 80"),
        ("respiratory_rate", "81", "5 và 80"),
        ("systolic_bp", "49", "50 và 260"),
        ("systolic_bp", "261", "50 và 260"),
        ("diastolic_bp", "29", "30 và 160"),
        ("diastolic_bp", "161", "30 và 160"),
    ],
)
def test_out_of_range_value_rejected_at_field(patient_client, session, field, value, expected):
    data = report_form(patient_client, **{"temperature_c": "37.2", "pulse": "80", field: value})
    response = patient_client.post("/report", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    error = text.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert expected in error
    assert f'value="{value}"' in text  # what was typed stays
    assert count(session, SymptomReport) == 0


def test_diastolic_must_be_below_systolic(patient_client, session):
    response = patient_client.post("/report", data=report_form(patient_client, systolic_bp="90", diastolic_bp="95"))
    assert response.status_code == 422
    assert 'id="diastolic_bp-error"' in response.get_data(as_text=True)
    assert count(session, SymptomReport) == 0


@pytest.mark.parametrize(("field", "value"), [("spo2", "65"), ("pulse", "190"), ("temperature_c", "41.8")])
def test_implausible_value_needs_confirmation(patient_client, session, field, value):
    data = report_form(patient_client, **{field: value, "spo2_recheck": "65" if field == "spo2" else None})
    response = patient_client.post("/report", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'name="confirm_unusual"' in text
    assert '<div id="confirm-block" class="">' in text  # shown, not only present for the offline check
    assert count(session, SymptomReport) == 0
    data["confirm_unusual"] = "y"
    assert patient_client.post("/report", data=data).status_code == 302
    assert count(session, SymptomReport) == 1


def test_unanswered_warning_question_is_asked_again(patient_client, session):
    data = report_form(patient_client, chest_pain=None, temperature_c="37")
    response = patient_client.post("/report", data=data)
    assert response.status_code == 422
    assert 'id="chest_pain-error"' in response.get_data(as_text=True)
    assert count(session, SymptomReport) == 0


def test_low_spo2_asks_for_a_second_reading_then_stores_it(patient_client, session):
    data = report_form(patient_client, spo2="95", pulse="90")
    response = patient_client.post("/report", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="recheck-notice"' in text
    assert count(session, SymptomReport) == 0
    data.update(spo2_recheck="97", recheck_asked="1")
    assert patient_client.post("/report", data=data).status_code == 302
    report = session.scalar(sa.select(SymptomReport))
    assert (report.spo2, report.spo2_recheck) == (95, 97)
    assert not report.assessment.alert  # the second reading replaces the first


def test_warning_sign_opens_one_alert_and_shows_call_115(patient_client, session):
    data = report_form(patient_client, shortness_of_breath="yes")
    assert patient_client.post("/report", data=data).status_code == 302
    home = patient_client.get("/home").get_data(as_text=True)
    assert 'href="tel:115"' in home
    assert "Trạm y tế của bạn đã được báo" in home
    # A second report with signs does not open a second alert.
    data2 = report_form(patient_client, shortness_of_breath="yes", spo2="94", spo2_recheck="94")
    assert patient_client.post("/report", data=data2).status_code == 302
    assert count(session, Alert) == 1
    assert count(session, RiskAssessment) == 2


def test_double_submit_stores_once(patient_client, session):
    data = report_form(patient_client, temperature_c="37.5")
    assert patient_client.post("/report", data=data).status_code == 302
    again = patient_client.post("/report", data=data)  # double tap, back button, retry
    assert again.status_code == 302
    assert count(session, SymptomReport) == 1


def test_no_oximeter_with_value_is_refused(patient_client, session):
    response = patient_client.post("/report", data=report_form(patient_client, spo2="97", no_oximeter="y"))
    assert response.status_code == 422
    assert count(session, SymptomReport) == 0
    ok = patient_client.post("/report", data=report_form(patient_client, no_oximeter="y", temperature_c="37"))
    assert ok.status_code == 302
    report = session.scalar(sa.select(SymptomReport))
    assert report.no_oximeter and report.spo2 is None


def test_home_before_any_report_says_not_assessed(patient_client):
    text = patient_client.get("/home").get_data(as_text=True)
    assert "Chưa đánh giá" in text
    assert "Gửi báo cáo ngay" in text


def test_home_shows_history_and_charts(patient_client):
    for temp in ("37.5", "38.2"):
        patient_client.post("/report", data=report_form(patient_client, temperature_c=temp, spo2="98", pulse="80"))
    text = patient_client.get("/home").get_data(as_text=True)
    # Drawn on the server: a line per measured vital, and the day's worst values in a table.
    assert text.count('class="spark"') == 3  # temperature, SpO2, pulse
    assert "<svg" in text and 'class="spark-line"' in text
    assert "38.2" in text and "37.5" in text
    # plotly.js and the figures are not in the page: they load when asked for.
    assert "data-figure" not in text
    assert "/assets/plotly.min.js?v=" in text  # named for charts.js, fetched only on demand
    assert "cdn" not in text.lower()
    charts = patient_client.get("/home/charts.json").get_json()["figures"]
    assert [f["name"] for f in charts] == ["temperature_c", "spo2", "pulse"]
    import json

    layout = json.loads(charts[0]["figure"])["layout"]
    stops = layout["xaxis"]["tickformatstops"]  # within a day the axis says the times
    assert any("%H:%M" in stop["value"] and stop["dtickrange"][0] is None for stop in stops)


def test_patient_pages_need_login(client):
    for url in ("/home", "/report"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_plotly_served_locally_compressed_and_cached(client):
    response = client.get("/assets/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert len(response.data) < 1_500_000
    etag = response.headers["ETag"].strip('"')
    assert client.get("/assets/plotly.min.js", headers={"If-None-Match": f'"{etag}"'}).status_code == 304

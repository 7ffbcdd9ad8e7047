"""§1 report times (VN-2022.2): the window, at every entry point, and no 500 on any time.

The rule is one function (``risk.report_time_problem``); these tests hold every channel to
it: the patient's form and API, the staff form and API, the calculator page and API. A
property test throws random aware and naive datetimes at all six and finds no server error,
and nothing outside the window stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from f0monitor.data.models import Alert, Patient, SymptomReport
from f0monitor.domain import covid as risk
from f0monitor.domain.clock import VN_TZ, utcnow
from f0monitor.services.inputs import ReportInput
from f0monitor.services.reassess import reassess_all
from f0monitor.services.reports import Outcome, submit_report

from .conftest import api_token, csrf_token, login

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
DOB = date(1958, 3, 14)


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported_at", "stored", "problem"),
    [
        (NOW, True, None),
        (NOW + timedelta(minutes=10), True, None),  # the tolerance itself is fine
        (NOW + timedelta(minutes=10, seconds=1), True, "future"),
        (NOW + timedelta(minutes=10, seconds=1), False, "future"),  # the calculator too
        (NOW - timedelta(hours=72), True, None),
        (NOW - timedelta(hours=72, seconds=1), True, "too_old"),
        (NOW - timedelta(hours=72, seconds=1), False, None),  # the calculator: any past moment
        (datetime(1970, 1, 1, tzinfo=UTC), False, None),
        (datetime(1970, 1, 1, tzinfo=UTC), True, "too_old"),
        # the date of birth on the Vietnam calendar: 14 March 1958 starts at 13/03 17:00 UTC
        (datetime(1958, 3, 13, 16, 59, tzinfo=UTC), False, "before_birth"),
        (datetime(1958, 3, 13, 17, 0, tzinfo=UTC), False, None),
        (datetime(1958, 3, 13, 23, 0), False, "before_birth"),  # naive: Vietnam time
        (datetime(1958, 3, 14, 0, 0), False, None),
        # the edges of datetime: no conversion to UTC exists, still an answer
        (datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))), True, "future"),
        (datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))), False, "future"),
        (datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=12))), True, "before_birth"),
        (datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=12))), False, "before_birth"),
        (datetime.max, True, "future"),
        (datetime.min, False, "before_birth"),
    ],
)
def test_report_time_window(reported_at: datetime, stored: bool, problem: str | None) -> None:
    assert risk.report_time_problem(reported_at, DOB, NOW, stored=stored) == problem


def test_before_birth_wins_over_too_old() -> None:
    newborn = date(2026, 11, 21)
    assert risk.report_time_problem(datetime(2020, 1, 1, tzinfo=UTC), newborn, NOW) == "before_birth"


# --- the patient's API and the staff API -----------------------------------------------------

BAD_TIMES = {
    "before_birth": "1950-01-01T08:00:00+07:00",
    "future": "9999-12-31T23:59-12:00",
    "too_old": "1970-01-01T07:00:00+07:00",
    "future_2030": "2030-01-01T08:00:00+07:00",
}


@pytest.fixture
def patient(make_patient):
    return make_patient(login=True, date_of_birth=DOB, comorbidities=("diabetes",), phone="+84912000111")


@pytest.mark.parametrize("case", sorted(BAD_TIMES))
def test_patient_api_refuses_at_the_field(client, session, patient, case):
    headers = {**api_token(client, patient.phone), "Accept-Language": "vi"}
    response = client.post("/api/v1/me/reports", json={"reported_at": BAD_TIMES[case], "spo2": 97}, headers=headers)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == ["reported_at"]
    assert "phút" in error["fields"]["reported_at"][0] or "giờ" in error["fields"]["reported_at"][0] \
        or "ngày sinh" in error["fields"]["reported_at"][0]
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 0


@pytest.mark.parametrize("case", sorted(BAD_TIMES))
def test_staff_api_refuses_at_the_field(client, session, patient, make_user, case):
    doctor = make_user("doctor")
    headers = api_token(client, doctor.phone)
    response = client.post(
        f"/api/v1/patients/{patient.id}/reports", json={"reported_at": BAD_TIMES[case], "spo2": 97}, headers=headers
    )
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["error"]["fields"]) == ["reported_at"]
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 0


def test_a_report_typed_offline_hours_ago_is_stored_with_its_time(client, session, patient):
    headers = api_token(client, patient.phone)
    measured = (utcnow() - timedelta(hours=71)).replace(microsecond=0)
    response = client.post("/api/v1/me/reports", json={"reported_at": measured.isoformat(), "spo2": 97}, headers=headers)
    assert response.status_code == 201, response.get_json()
    stored = session.scalar(sa.select(SymptomReport))
    assert stored.reported_at == measured
    # the 68-year-old diabetic stays red: the rules ran on their real age
    assert stored.assessment.tier == "red"


def test_the_service_refuses_what_a_caller_forgot_to_check(session, patient):
    """submit_report itself answers ``refused`` (one submission path keeps every channel honest)."""
    row = session.get(Patient, patient.id)
    outcome = submit_report(
        session, row, ReportInput(spo2=97, reported_at=datetime(2030, 1, 1, tzinfo=UTC)), now=utcnow(), channel="api"
    )
    assert outcome.status == Outcome.REFUSED and list(outcome.errors) == ["reported_at"]
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 0


def test_a_newborns_report_with_cyanosis_is_stored_and_alerts(client, session, make_patient):
    today = utcnow().astimezone(VN_TZ).date()
    baby = make_patient(login=True, date_of_birth=today, phone="+84912000222", positive_test_date=today)
    headers = api_token(client, baby.phone)
    body = {"reported_at": utcnow().isoformat(), "respiratory_rate": 70, "symptoms": ["cyanosis"]}
    response = client.post("/api/v1/me/reports", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    codes = [s["code"] for s in response.get_json()["assessment"]["warning_signs"]]
    assert codes == ["W2", "W8"]
    assert session.scalar(sa.select(Alert.patient_id)) == baby.id


# --- the calculator's narrower rule --------------------------------------------------------------


def _assess_body(reported_at: str | None, dob: str = "1958-03-14", previous: list | None = None) -> dict:
    report = {"spo2": 96, "symptoms": []}
    if reported_at is not None:
        report["reported_at"] = reported_at
    return {"profile": {"date_of_birth": dob, "comorbidities": ["diabetes"]}, "report": report,
            "previous_reports": previous or []}


def test_calculator_api_asks_about_any_past_moment(client):
    # 1 January 1970: the diabetic born in 1958 was 11; a child's SpO2 rule applies (< 96).
    response = client.post("/api/v1/assess", json=_assess_body("1970-01-01T08:00:00+07:00"))
    assert response.status_code == 200, response.get_json()
    assert [s["code"] for s in response.get_json()["warning_signs"]] == []
    now = client.post("/api/v1/assess", json=_assess_body(None)).get_json()
    assert now["tier"] == "red" and [s["code"] for s in now["warning_signs"]] == ["W3"]


@pytest.mark.parametrize(
    ("reported_at", "field"),
    [
        ("1950-01-01T08:00:00+07:00", "report.reported_at"),
        ("9999-12-31T23:59-12:00", "report.reported_at"),
        ("2030-01-01T08:00:00", "report.reported_at"),
    ],
)
def test_calculator_api_refuses_before_birth_and_future(client, reported_at, field):
    response = client.post("/api/v1/assess", json=_assess_body(reported_at), headers={"Accept-Language": "vi"})
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["error"]["fields"]) == [field]


def test_calculator_api_refuses_a_previous_report_before_birth(client):
    previous = [{"reported_at": "1950-01-01T08:00:00+07:00", "temperature_c": 38.5}]
    response = client.post("/api/v1/assess", json=_assess_body(None, previous=previous))
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["previous_reports.0.reported_at"]


def test_calculator_ignores_previous_reports_after_the_report(client):
    # A child with fever now; the only "48 h earlier" fever report is dated after this one.
    report = {"reported_at": "2026-01-01T08:00:00+07:00", "temperature_c": 38.5}
    later = [{"reported_at": "2026-01-03T08:00:00+07:00", "temperature_c": 38.5},
             {"reported_at": "2026-01-04T08:00:00+07:00", "temperature_c": 38.5}]
    body = {"profile": {"date_of_birth": "2020-01-01"}, "report": report, "previous_reports": later}
    response = client.post("/api/v1/assess", json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["warning_signs"] == []


# --- the web forms -----------------------------------------------------------------------------

REPORT_FORM = {
    "temperature_c": "37,0", "spo2": "97", "pulse": "80", "respiratory_rate": "16",
    **{q: "no" for q in ("shortness_of_breath", "chest_pain", "altered_consciousness", "cyanosis",
                         "cannot_drink_or_feed", "other_acute_illness")},
}


def test_patient_form_refuses_a_future_time_at_the_field(client, session, patient):
    login(client, patient.phone)
    token = csrf_token(client, "/report")
    response = client.post("/report", data={**REPORT_FORM, "csrf_token": token, "reported_at": "2030-01-01T08:00"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="reported_at-error"' in html and "đồng hồ điện thoại" in html
    assert 'value="2030-01-01T08:00"' in html  # what was typed is kept
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 0


def test_patient_form_accepts_a_time_measured_earlier(client, session, patient):
    login(client, patient.phone)
    token = csrf_token(client, "/report")
    measured = (utcnow() - timedelta(hours=3)).astimezone(VN_TZ).replace(second=0, microsecond=0)
    data = {**REPORT_FORM, "csrf_token": token, "reported_at": measured.strftime("%Y-%m-%dT%H:%M")}
    response = client.post("/report", data=data)
    assert response.status_code == 302
    assert session.scalar(sa.select(SymptomReport.reported_at)) == measured


def test_staff_form_refuses_a_time_before_birth(client, session, patient, make_user):
    doctor = make_user("doctor")
    login(client, doctor.phone)
    url = f"/staff/patients/{patient.id}"
    token = csrf_token(client, url)
    response = client.post(f"{url}/reports", data={**REPORT_FORM, "csrf_token": token, "reported_at": "1950-01-01T08:00"})
    assert response.status_code == 422
    assert 'id="reported_at-error"' in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(SymptomReport)) == 0


def test_calculator_page_refuses_the_future_but_not_the_past(client, make_user):
    doctor = make_user("doctor")
    login(client, doctor.phone)
    token = csrf_token(client, "/staff/calculator/")
    base = {**REPORT_FORM, "csrf_token": token, "date_of_birth": "1958-03-14", "sex": "male"}
    future = client.post("/staff/calculator/", data={**base, "reported_at": "2030-01-01T08:00"})
    assert future.status_code == 422 and 'id="reported_at-error"' in future.get_data(as_text=True)
    past = client.post("/staff/calculator/", data={**base, "reported_at": "1970-01-01T08:00"})
    assert past.status_code == 200


# --- the newest in-window report sets the tier -------------------------------------------------


def test_a_future_dated_report_does_not_freeze_the_tier(session, patient):
    row = session.get(Patient, patient.id)
    now = utcnow()
    # A row stored before VN-2022.2 refused wrong clocks: dated 2030, calm.
    submit_report(session, row, ReportInput(spo2=98), now=datetime(2030, 1, 1, tzinfo=UTC), channel="api")
    session.commit()
    row.current_tier = "green"  # as VN-2022.1 had left it for the 2030 row (no comorbidity counted)
    session.commit()
    # A real report now with NEWS2 7 and nothing else.
    news2_7 = ReportInput(pulse=111, systolic_bp=100, temperature_c=39.5, respiratory_rate=10, spo2=97)
    outcome = submit_report(session, row, news2_7, now=now, channel="api")
    session.commit()
    assert [s.code for s in outcome.result.warning_signs] == ["W12"]
    session.refresh(row)
    assert row.current_tier == "red" and row.last_report_at == outcome.report.reported_at
    assert row.has_open_alert
    # reassess picks the same newest in-window report, and drops the 2030 time
    reassess_all(session, now=now + timedelta(minutes=1))
    session.refresh(row)
    assert row.current_tier == "red" and row.last_report_at == outcome.report.reported_at


# --- no 500 on any time, at every entry point ------------------------------------------------------

OFFSETS = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m))
)
ANY_TIME = st.one_of(
    st.datetimes(timezones=OFFSETS),  # aware, any offset
    st.datetimes(),  # naive
    st.datetimes(  # and often near now, where the window's edges are
        min_value=datetime(2026, 1, 1), max_value=datetime(2031, 1, 1), timezones=st.sampled_from([UTC, VN_TZ])
    ),
)


def _text(moment: datetime, form: bool) -> str:
    if form and moment.utcoffset() is None:
        return moment.strftime("%Y-%m-%dT%H:%M") if moment.year >= 1000 else moment.isoformat()
    return moment.isoformat()


_CLIENTS: dict[int, tuple] = {}


def _clients(app, patient, make_user) -> tuple:
    """Log in once per test (hypothesis reuses the fixtures): the login limit stays far."""
    if id(app) not in _CLIENTS:
        doctor = make_user("doctor", phone="+84908009999")
        api = app.test_client()
        web, staff_web = app.test_client(), app.test_client()
        assert login(web, patient.phone).status_code == 302
        assert login(staff_web, doctor.phone).status_code == 302
        _CLIENTS.clear()
        _CLIENTS[id(app)] = (api, api_token(api, patient.phone), api_token(api, doctor.phone), web, staff_web)
    return _CLIENTS[id(app)]


def _not_to_login(response) -> int:
    """The status of a web answer, checking that it was really handled (not sent to log in)."""
    assert "/login" not in response.headers.get("Location", ""), "logged out: the form was not tried"
    return response.status_code


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=ANY_TIME)
def test_no_time_raises_a_server_error_anywhere(app, patient, make_user, moment):
    client, me, staff, web, staff_web = _clients(app, patient, make_user)
    iso = _text(moment, form=False)
    answers = [
        client.post("/api/v1/assess", json=_assess_body(iso)).status_code,
        client.post("/api/v1/me/reports", json={"reported_at": iso, "spo2": 97}, headers=me).status_code,
        client.post(f"/api/v1/patients/{patient.id}/reports", json={"reported_at": iso, "spo2": 97},
                    headers=staff).status_code,
    ]
    typed = _text(moment, form=True)
    answers.append(_not_to_login(web.post("/report", data={
        **REPORT_FORM, "csrf_token": csrf_token(web, "/report"), "reported_at": typed})))
    url = f"/staff/patients/{patient.id}"
    answers.append(_not_to_login(staff_web.post(f"{url}/reports", data={
        **REPORT_FORM, "csrf_token": csrf_token(staff_web, url), "reported_at": typed})))
    answers.append(_not_to_login(staff_web.post("/staff/calculator/", data={
        **REPORT_FORM, "csrf_token": csrf_token(staff_web, "/staff/calculator/"), "date_of_birth": "1958-03-14",
        "sex": "male", "reported_at": typed})))
    assert all(code < 500 for code in answers), (moment, answers)
    assert all(code in (200, 201, 302, 422) for code in answers), (moment, answers)
    # whatever was stored lies inside the window of the moment it was sent
    with app.app_context():
        from f0monitor.data.session import get_session

        for at, created in get_session().execute(sa.select(SymptomReport.reported_at, SymptomReport.created_at)):
            assert risk.report_time_problem(at, DOB, created) is None, at

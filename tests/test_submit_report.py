"""One submission path: `services.reports.submit_report` and the four callers that translate it.

The service decides, in one order for every channel: the key (cut to 64), a stored key is
"duplicate" (even after treatment ended), a patient no longer active is "ended", a race on
the key is lost by the INSERT ... ON CONFLICT DO NOTHING and answered "duplicate", else the report is "stored".
"""

from __future__ import annotations

import threading
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from f0monitor.data.models import Alert, AuditEvent, Patient, RiskAssessment, SymptomReport
from f0monitor.data.session import get_engine, get_session
from f0monitor.domain.clock import utcnow
from f0monitor.domain.states import PatientStatus
from f0monitor.services import reports
from f0monitor.services.inputs import ReportInput
from f0monitor.services.reports import KEY_LENGTH, Outcome, submit_report
from f0monitor.services.summary import patient_summary

from .conftest import api_token, csrf_token, login
from .staff_helpers import sign_in

ENDED = [s for s in PatientStatus if s != PatientStatus.ACTIVE]
CALM = ReportInput(temperature_c=37.2, spo2=98, pulse=80)
SIGNS = ReportInput(spo2=93, spo2_recheck=93)  # SpO2 below 94: a warning sign


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def _patient(session, make_patient, **kw) -> Patient:
    return session.get(Patient, make_patient(**kw).id)


def _end(session, patient: Patient, status: str = PatientStatus.RECOVERED) -> None:
    patient.status = status
    session.commit()


# --- the service -------------------------------------------------------------------------


def test_stored_report_is_scored_and_says_so(session, make_patient, make_user):
    patient = _patient(session, make_patient)
    doctor = make_user("doctor")
    outcome = submit_report(session, patient, CALM, now=utcnow(), channel="staff", entered_by=doctor, key="k1")
    session.commit()
    assert outcome.status == Outcome.STORED == "stored"
    assert outcome.report.id is not None and outcome.report.client_key == "k1"
    assert outcome.report.channel == "staff" and outcome.report.entered_by_id == doctor.id
    assert outcome.assessment is outcome.report.assessment and outcome.assessment.tier == outcome.result.tier.value
    assert not outcome.warning_signs and not outcome.alert_opened
    assert (_count(session, SymptomReport), _count(session, RiskAssessment), _count(session, Alert)) == (1, 1, 0)


def test_warning_signs_open_an_alert_once(session, make_patient):
    patient = _patient(session, make_patient)
    first = submit_report(session, patient, SIGNS, now=utcnow(), channel="self")
    second = submit_report(session, patient, SIGNS, now=utcnow(), channel="self")
    session.commit()
    assert first.warning_signs and first.alert_opened
    assert second.warning_signs and not second.alert_opened  # the alert is already open
    assert _count(session, Alert) == 1


def test_same_key_again_is_the_first_report(session, make_patient):
    patient = _patient(session, make_patient)
    first = submit_report(session, patient, CALM, now=utcnow(), channel="api", key="tap")
    session.commit()
    again = submit_report(session, patient, SIGNS, now=utcnow(), channel="api", key="tap")
    session.commit()
    assert again.status == Outcome.DUPLICATE
    assert again.report.id == first.report.id and again.assessment.id == first.assessment.id
    assert again.result is None and not again.warning_signs and not again.alert_opened
    assert _count(session, SymptomReport) == 1 and _count(session, Alert) == 0


def test_key_in_the_data_counts_like_the_key_argument(session, make_patient):
    patient = _patient(session, make_patient)
    first = submit_report(session, patient, ReportInput(spo2=97, client_key="body"), now=utcnow(), channel="api")
    by_arg = submit_report(session, patient, CALM, now=utcnow(), channel="api", key="body")
    assert first.status == Outcome.STORED and by_arg.status == Outcome.DUPLICATE
    # The key argument (an Idempotency-Key header) wins over the key in the data.
    header = submit_report(session, patient, ReportInput(spo2=97, client_key="body"), now=utcnow(),
                           channel="api", key="header")
    assert header.status == Outcome.STORED and header.report.client_key == "header"


def test_key_is_cut_to_64_in_one_place(session, make_patient):
    patient = _patient(session, make_patient)
    long_key = "x" * 64 + "tail-that-is-dropped"
    first = submit_report(session, patient, CALM, now=utcnow(), channel="self", key=long_key)
    session.commit()
    assert KEY_LENGTH == 64 and first.report.client_key == "x" * 64
    for retry in (long_key, "x" * 64, "x" * 64 + "another-tail"):
        assert submit_report(session, patient, CALM, now=utcnow(), channel="self", key=retry).status == Outcome.DUPLICATE
    assert reports.submission_key("") is None and reports.submission_key(None) is None
    # No key (or an empty one) is no key: every such report is stored.
    for empty in ("", None):
        assert submit_report(session, patient, CALM, now=utcnow(), channel="self", key=empty).status == Outcome.STORED
    session.commit()
    assert _count(session, SymptomReport) == 3
    assert session.scalars(sa.select(SymptomReport.client_key).order_by(SymptomReport.id)).all() == ["x" * 64, None, None]


@pytest.mark.parametrize("status", ENDED)
def test_ended_treatment_stores_nothing(session, make_patient, status):
    patient = _patient(session, make_patient)
    _end(session, patient, status)
    outcome = submit_report(session, patient, SIGNS, now=utcnow(), channel="self", key="late")
    session.commit()
    assert outcome.status == Outcome.ENDED
    assert outcome.report is None and outcome.assessment is None and outcome.result is None
    assert (_count(session, SymptomReport), _count(session, Alert)) == (0, 0)


def test_every_status_but_active_is_ended():
    assert set(ENDED) == {"transferred", "recovered", "deceased", "withdrawn"}


@pytest.mark.parametrize("status", ENDED)
def test_duplicate_is_answered_before_ended(session, make_patient, status):
    """A report received before treatment ended was received: its retry is "duplicate"."""
    patient = _patient(session, make_patient)
    first = submit_report(session, patient, CALM, now=utcnow(), channel="self", key="before")
    session.commit()
    _end(session, patient, status)
    retry = submit_report(session, patient, CALM, now=utcnow(), channel="self", key="before")
    new = submit_report(session, patient, CALM, now=utcnow(), channel="self", key="after")
    assert retry.status == Outcome.DUPLICATE and retry.report.id == first.report.id
    assert new.status == Outcome.ENDED
    assert reports.check_submission(session, patient, "before").status == Outcome.DUPLICATE
    assert reports.check_submission(session, patient, None).status == Outcome.ENDED


def test_lost_race_answers_the_winner(app, session, make_patient):
    """Another connection stores the same key just before our INSERT: ours inserts nothing.

    The INSERT ... ON CONFLICT DO NOTHING is the idempotency check itself, so the race is
    staged right before it goes out: the other request commits the same key first.
    """
    patient = _patient(session, make_patient)
    engine = app.extensions["f0monitor.engine"]
    factory = sessionmaker(engine, expire_on_commit=False)
    winner: dict[str, int] = {}

    def race(conn, _cursor, statement, _params, _context, _many):
        # the report's INSERT: alone, or heading the WITH of its verdict (PostgreSQL)
        if winner or "INSERT INTO symptom_reports" not in statement[:60]:
            return
        winner["id"] = 0  # the other request's own INSERT must not race again
        with factory() as other:  # the other request, committed first
            won = submit_report(other, other.get(Patient, patient.id), SIGNS, now=utcnow(),
                                channel="api", key="same")
            other.commit()
            winner["id"] = won.report.id

    sa.event.listen(engine, "before_cursor_execute", race)
    try:
        outcome = submit_report(session, patient, CALM, now=utcnow(), channel="self", key="same")
    finally:
        sa.event.remove(engine, "before_cursor_execute", race)
    assert outcome.status == Outcome.DUPLICATE
    assert outcome.report.id == winner["id"] and outcome.assessment is not None
    assert outcome.result is None and not outcome.alert_opened
    # Nothing was broken: the session goes on and commits what follows.
    later = submit_report(session, patient, CALM, now=utcnow(), channel="self", key="next")
    session.commit()
    assert later.status == Outcome.STORED
    assert _count(session, SymptomReport) == 2 and _count(session, RiskAssessment) == 2


def test_other_integrity_errors_are_not_taken_for_a_race(session):
    # no such patient: the foreign key breaks
    ghost = SimpleNamespace(id=987654, status=PatientStatus.ACTIVE, date_of_birth=date(1980, 1, 1), sex="male",
                            comorbidities=[], comorbidities_stable=True, pregnant=False, postpartum=False,
                            fully_vaccinated=True, height_cm=None, weight_kg=None, positive_test_date=None,
                            news2_scale=1, last_report_at=None, current_tier=None, baseline_tier=None,
                            tier_since=None, has_open_alert=False, alert_opened_at=None, baseline_reasons=None,
                            eligible_home_care=None, eligibility_reasons=None, ward_code="00001",
                            province_code="01")
    with pytest.raises(sa.exc.IntegrityError):
        submit_report(session, ghost, CALM, now=utcnow(), channel="self", key="fk")
    session.rollback()
    assert _count(session, SymptomReport) == 0


def test_a_stored_report_is_undone_by_a_rollback(session, make_patient):
    """Nothing is committed early: a later failure in the request undoes the report too."""
    patient = _patient(session, make_patient)
    stored = submit_report(session, patient, CALM, now=utcnow(), channel="self", key="undo")
    assert stored.status == Outcome.STORED
    session.rollback()  # e.g. the audit entry after it failed
    assert _count(session, SymptomReport) == 0 and _count(session, RiskAssessment) == 0


@pytest.mark.postgres
def test_two_requests_with_one_key_store_one_report(app, make_patient):
    with app.app_context():
        if get_engine().dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (set F0MONITOR_TEST_DATABASE_URL): SQLite has one writer at a time")
        patient_id = make_patient().id
        factory = sessionmaker(get_engine(), expire_on_commit=False)
        both_ready = threading.Barrier(2, timeout=10)
        local = threading.local()
        results: dict[str, tuple[str, int]] = {}

        def ready(_conn, _cursor, statement, _params, _context, _many):
            if "INSERT INTO symptom_reports" in statement[:60] and not getattr(local, "waited", False):
                local.waited = True
                both_ready.wait()  # both INSERTs go out together: neither has committed

        def send(name: str) -> None:
            with factory() as s:
                outcome = submit_report(s, s.get(Patient, patient_id), CALM, now=utcnow(), channel="api", key="twice")
                s.commit()
                results[name] = (outcome.status, outcome.report.id)

        sa.event.listen(get_engine(), "before_cursor_execute", ready)
        threads = [threading.Thread(target=send, args=(n,)) for n in ("a", "b")]
        for th in threads:
            th.start()
        for th in threads:
            th.join(20)
        sa.event.remove(get_engine(), "before_cursor_execute", ready)
        assert sorted(status for status, _id in results.values()) == ["duplicate", "stored"]
        assert len({report_id for _s, report_id in results.values()}) == 1  # the loser got the winner's
        session = get_session()
        assert _count(session, SymptomReport) == 1 and _count(session, RiskAssessment) == 1


# --- the patient summary -----------------------------------------------------------------


def test_summary_before_and_after_a_report(session, make_patient):
    patient = _patient(session, make_patient)
    now = utcnow()
    empty = patient_summary(session, patient, now=now)
    assert empty.open_alert is None and empty.latest_transfer is None
    assert empty.latest_report is None and empty.latest_assessment is None
    assert empty.day_of_treatment == 3  # tested positive two days ago
    first = submit_report(session, patient, CALM, now=now, channel="self")
    signs = submit_report(session, patient, SIGNS, now=now, channel="self")
    session.commit()
    summary = patient_summary(session, patient, now=now)
    assert summary.latest_report.id == signs.report.id != first.report.id
    assert summary.latest_assessment.id == signs.assessment.id
    assert summary.open_alert is not None and summary.open_alert.report_id == signs.report.id
    assert summary.reporting_flag is None and summary.next_report_due > now


# --- the callers: each only translates the outcome ---------------------------------------

WEB_SIGNS = {name: "no" for name in ("shortness_of_breath", "chest_pain", "altered_consciousness",
                                     "cyanosis", "cannot_drink_or_feed", "other_acute_illness")}


def _flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as sess:
        return list(sess.pop("_flashes", []))


def test_patient_form_translates_each_outcome(client, session, make_patient):
    patient = _patient(session, make_patient, login=True, phone="+84912777001")
    login(client, "0912777001")
    token = csrf_token(client, "/report")
    _flashes(client)

    def post(key, **values):
        data = {"csrf_token": token, "client_key": key, **WEB_SIGNS, "spo2": "98", **values}
        response = client.post("/report", data=data)
        assert response.status_code == 302 and response.headers["Location"].endswith("/home")
        return _flashes(client)

    assert post("w1") == [("success", "Đã nhận báo cáo. Cảm ơn bạn.")]
    assert post("w1") == [("info", "Báo cáo của bạn đã được nhận trước đó.")]
    assert post("w2", chest_pain="yes") == [("danger", "Đã nhận báo cáo. Có dấu hiệu cảnh báo: xem ngay việc cần làm.")]
    _end(session, patient)
    assert post("w1") == [("info", "Báo cáo của bạn đã được nhận trước đó.")]  # duplicate before ended
    ended = [("info", "Bạn đã kết thúc điều trị tại nhà; không cần gửi báo cáo nữa.")]
    assert post("w3") == ended
    page = client.get("/report")  # the form is not shown any more
    assert page.status_code == 302 and _flashes(client) == ended
    assert _count(session, SymptomReport) == 2


def test_staff_page_translates_each_outcome(app, client, session, make_patient, make_user):
    patient = _patient(session, make_patient)
    token = sign_in(client, make_user("doctor"))
    url = f"/staff/patients/{patient.id}/reports"

    def post(key, **values):
        response = client.post(url, data={"csrf_token": token, "client_key": key, **WEB_SIGNS, "spo2": "97", **values})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/staff/patients/{patient.id}")
        return _flashes(client)

    assert post("s1") == [("success", "Đã lưu báo cáo.")]
    assert post("s1") == [("info", "Báo cáo này đã được lưu.")]
    assert post("s2", chest_pain="yes") == [("danger", "Đã lưu báo cáo. Có dấu hiệu cảnh báo: một cảnh báo đã được mở.")]
    _end(session, patient, PatientStatus.TRANSFERRED)
    assert post("s2") == [("info", "Báo cáo này đã được lưu.")]
    assert post("s3") == [("danger", "Đã kết thúc điều trị tại nhà; không nhận báo cáo nữa.")]
    assert post("s4", spo2="abc") == [("danger", "Đã kết thúc điều trị tại nhà; không nhận báo cáo nữa.")]  # before the form
    assert _count(session, SymptomReport) == 2
    audits = session.scalars(sa.select(AuditEvent.detail).where(AuditEvent.action == "report")).all()
    assert sorted(audits) == sorted(f"report {r}" for r in session.scalars(sa.select(SymptomReport.id)))


def test_patient_api_translates_each_outcome(client, session, make_patient):
    patient = _patient(session, make_patient, login=True, phone="+84912777002")
    auth = api_token(client, "0912777002")

    def post(key=None, **body):
        headers = {**auth, **({"Idempotency-Key": key} if key else {})}
        return client.post("/api/v1/me/reports", json={"spo2": 98, **body}, headers=headers)

    stored = post("a1")
    assert stored.status_code == 201 and stored.get_json()["report"]["client_id"] == "a1"
    retry = post("a1", spo2=500)  # a retry is answered before its body is read
    assert retry.status_code == 200 and retry.get_json() == stored.get_json()
    by_body = post(client_id="a2")
    assert by_body.status_code == 201 and post(client_id="a2").get_json() == by_body.get_json()
    long_key = "k" * 70
    assert post(long_key).status_code == 201 and post("k" * 64).status_code == 200
    _end(session, patient, PatientStatus.WITHDRAWN)
    assert post("a1").status_code == 200 and post(client_id="a2").status_code == 200
    ended = post("a3")
    assert ended.status_code == 409 and ended.get_json()["error"]["code"] == "not_active"
    assert ended.get_json()["error"]["message"] == "Đã kết thúc điều trị tại nhà; không nhận báo cáo nữa."
    assert post(spo2=500).status_code == 422  # without a key, the body is read first, as before
    assert _count(session, SymptomReport) == 3


def test_staff_api_translates_each_outcome(client, session, make_patient, make_user):
    patient = _patient(session, make_patient)
    auth = api_token(client, make_user("doctor").phone)
    url = f"/api/v1/patients/{patient.id}/reports"

    def post(key=None, **body):
        headers = {**auth, **({"Idempotency-Key": key} if key else {})}
        return client.post(url, json={"spo2": 97, **body}, headers=headers)

    stored = post("b1")
    assert stored.status_code == 201 and stored.get_json()["report"]["channel"] == "staff"
    retry = post("b1", spo2=500)
    assert retry.status_code == 200 and retry.get_json() == stored.get_json()
    _end(session, patient, PatientStatus.DECEASED)
    assert post("b1").status_code == 200
    ended = post("b2")
    assert ended.status_code == 409 and ended.get_json()["error"]["code"] == "not_active"
    assert _count(session, SymptomReport) == 1
    audits = session.scalars(sa.select(AuditEvent.detail).where(AuditEvent.action == "report")).all()
    assert audits == [f"report {stored.get_json()['report']['id']} (api)"]

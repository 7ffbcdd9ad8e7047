"""The patient's home page in every state: status × alert × acknowledged × transfer × consult.

Each row of the table renders the real page through the test client, in Vietnamese and in
English, and checks that it says the right thing for that state (and nothing of the others).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import sqlalchemy as sa

from f0monitor.data.models import Alert, ConsultRequest, Facility, Patient, Transfer, User
from f0monitor.domain.clock import VN_TZ, utcnow
from f0monitor.services.summary import PAGE_STATES, page_state

from .conftest import csrf_token, login

STATUSES = ("active", "recovered", "deceased", "withdrawn", "transferred")
ALERTS = (None, "open", "acknowledged")
TRANSFERS = (None, "requested", "accepted", "dispatched", "arrived", "admitted", "cancelled")
CONSULT = (False, True)

ANSWER = "Uống nhiều nước và nghỉ ngơi."
HOSPITAL = "Bệnh viện Đa khoa An Giang"
HOSPITAL_PHONE = "02963852989"
DOCTOR = "Bác sĩ Trần Thị Hoa"


def _expected_state(status: str, alert: str | None, transfer: str | None) -> str:
    if status in ("recovered", "deceased", "withdrawn"):
        return status
    if status == "transferred" or transfer == "admitted":
        return "admitted"
    if transfer in ("requested", "accepted", "dispatched", "arrived"):
        return f"transfer_{transfer}"
    if alert:
        return f"alert_{alert}"
    return "active"


def _set_up(session, patient: Patient, doctor_id: int, status, alert, transfer, consult) -> dict:
    now = utcnow()
    for model in (Alert, Transfer, ConsultRequest):
        session.execute(sa.delete(model))
    patient.status = status
    patient.status_changed_at = now - timedelta(hours=1)
    patient.discharged_at = now - timedelta(hours=1) if status != "active" else None
    patient.certificate_code = "F0-TEST-0001" if status == "recovered" else None
    times: dict = {}
    if alert:
        acked = alert == "acknowledged"
        times["ack"] = (now - timedelta(minutes=20)).replace(second=0, microsecond=0)
        session.add(Alert(patient_id=patient.id, state=alert, reason_codes=["W3"], opened_at=now - timedelta(hours=1),
                          acknowledged_at=times["ack"] if acked else None,
                          acknowledged_by_id=doctor_id if acked else None))
        patient.has_open_alert = True
    else:
        patient.has_open_alert = False
    if transfer:
        facility = session.scalar(sa.select(Facility).where(Facility.name == HOSPITAL))
        if facility is None:
            facility = Facility(name=HOSPITAL, province_code=91, phone=HOSPITAL_PHONE, general_capacity=10, general_free=3)
            session.add(facility)
            session.flush()
        times["requested"] = now - timedelta(minutes=50)
        times["updated"] = now - timedelta(minutes=10)
        session.add(Transfer(patient_id=patient.id, state=transfer, reason="W3", facility_id=facility.id,
                             requested_at=times["requested"], updated_at=times["updated"]))
    if consult:
        session.add(ConsultRequest(patient_id=patient.id, phone=patient.phone, category="medical",
                                   question="Tôi có cần uống thuốc hạ sốt không?", created_at=now - timedelta(hours=3),
                                   state="answered", answer=ANSWER, handled_by_id=doctor_id, handled_at=now))
    session.commit()
    return times


def _hm(moment) -> str:
    return moment.astimezone(VN_TZ).strftime("%H:%M")


def test_page_state_function_covers_every_state():
    seen = {
        _expected_state(s, a, t)
        for s, a, t in itertools.product(STATUSES, ALERTS, TRANSFERS)
    }
    assert seen == set(PAGE_STATES)


def test_every_state_renders_and_says_the_right_thing(client, session, make_patient, make_user):
    doctor = make_user("doctor", full_name=DOCTOR)
    patient = session.get(Patient, make_patient(login=True).id)
    assert login(client, patient.phone).status_code == 302
    failures = []
    for status, alert, transfer, consult in itertools.product(STATUSES, ALERTS, TRANSFERS, CONSULT):
        case = (status, alert, transfer, consult)
        times = _set_up(session, patient, doctor.id, *case)
        state = _expected_state(status, alert, transfer)
        alert_row = session.scalar(sa.select(Alert))
        transfer_row = session.scalar(sa.select(Transfer))
        assert page_state(status, alert_row, transfer_row) == state, case
        pages = {}
        for lang in ("en", "vi"):
            session.execute(sa.update(User).where(User.id == patient.user_id).values(locale=lang))
            session.commit()
            response = client.get("/home")
            if response.status_code != 200:
                failures.append((case, lang, response.status_code))
                continue
            pages[lang] = response.get_data(as_text=True)
        if len(pages) < 2:
            continue
        en, vi = pages["en"], pages["vi"]
        routine = state in ("active", "alert_open", "alert_acknowledged") or state.startswith("transfer_")
        checks = {
            "report button only in the routine": ("Send a report now" in en) is routine,
            "treatment day only in the routine": ("of home treatment" in en) is routine,
            "no link into an error": "public.certificate" not in en,
            "consult answer shown (not on the end page)": (ANSWER in en) is (consult and state != "deceased"),
            "vi page is in Vietnamese": "Send a report now" not in vi and 'lang="vi"' in vi,
        }
        if state == "recovered":
            checks["certificate"] = 'href="/certificate"' in en and "You have completed home treatment" in en
            checks["what next"] = "What to do now" in en and "You no longer need to send reports." in en
        elif state == "deceased":
            checks["respectful"] = "With our deepest sympathy" in en and "Day " not in en and "Risk" not in en
        elif state == "withdrawn":
            checks["ended"] = "Follow-up at home has ended" in en
        elif state == "admitted":
            since = transfer_row.updated_at.astimezone(VN_TZ).strftime("%d/%m %H:%M") if transfer_row else None
            checks["where"] = (f"You are at {HOSPITAL} since {since}" in en) if transfer_row else ("You are in hospital" in en)
            checks["no more reports"] = "you no longer need to send reports" in en
            checks["family can call"] = (f'href="tel:{HOSPITAL_PHONE}"' in en) if transfer_row else ("health station" in en)
        elif state == "transfer_requested":
            checks["requested"] = f"An ambulance was requested at {_hm(times['requested'])}." in en
        elif state == "transfer_accepted":
            checks["accepted"] = f"{HOSPITAL} has a bed for you and is waiting for you." in en
        elif state == "transfer_dispatched":
            checks["dispatched"] = f"The ambulance left at {_hm(times['updated'])} and is on its way to you." in en
        elif state == "transfer_arrived":
            checks["arrived"] = f"The ambulance arrived at {_hm(times['updated'])}." in en
        if state.startswith("transfer_"):
            checks["destination"] = f"Destination: {HOSPITAL}." in en
        if routine and alert == "acknowledged":
            checks["who took the case"] = f"{DOCTOR} took your case at {_hm(times['ack'])} and will call you." in en
            checks["vi who"] = f"{DOCTOR} đã nhận" in vi
            checks["not 'will call' only"] = "Your health station has been alerted" not in en
        if routine and alert == "open":
            checks["alerted"] = "Your health station has been alerted and will call you." in en
        if not routine:
            checks["no alert box after the end"] = "Warning signs: act now" not in en
        failures.extend((case, name) for name, ok in checks.items() if not ok)
    assert failures == [], failures[:20]


def test_a_recovered_patient_reaches_the_certificate_from_home_and_report(client, session, make_patient, make_user):
    doctor = make_user("doctor")
    patient = session.get(Patient, make_patient(login=True).id)
    _set_up(session, patient, doctor.id, "recovered", None, None, False)
    login(client, patient.phone)
    report = client.get("/report")
    assert report.status_code == 302 and report.headers["Location"].endswith("/home")
    home = client.get("/home")
    assert home.status_code == 200
    assert client.get("/certificate").status_code == 200


def test_the_error_page_never_links_into_an_error(app, client, make_patient, session):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    patient = session.get(Patient, make_patient(login=True).id)
    login(client, patient.phone)
    # A 404 of the patient's own home (no record behind the account) must not link "home".
    session.execute(sa.update(Patient).where(Patient.id == patient.id).values(user_id=None))
    session.commit()
    page = client.get("/home")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "Back to the start" not in html and "Về trang đầu" not in html
    assert 'href="tel:115"' in html
    # A 404 elsewhere still offers the start page, which works.
    other = client.get("/no-such-page").get_data(as_text=True)
    assert 'href="/"' in other
    assert csrf_token(client, "/login")


def test_charts_and_numbers_speak_vietnamese(client, session, make_patient):
    from f0monitor.services.inputs import ReportInput
    from f0monitor.services.reports import submit_report

    patient = session.get(Patient, make_patient(login=True).id)
    submit_report(session, patient, ReportInput(temperature_c=37.5, pulse=88, respiratory_rate=18), now=utcnow(), channel="self")
    session.commit()
    login(client, patient.phone)
    vi = client.get("/home").get_data(as_text=True)
    figures = _figures(client)  # the home page loads its plotly charts on demand
    assert "Mạch (lần/phút)" in [f["layout"]["title"]["text"] for f in figures]
    assert {f["layout"]["separators"] for f in figures} == {",."}  # 37,5 on the axes too
    assert "37,5" in vi
    session.execute(sa.update(User).where(User.id == patient.user_id).values(locale="en"))
    session.commit()
    en = client.get("/home").get_data(as_text=True)
    assert "Pulse (/min)" in [f["layout"]["title"]["text"] for f in _figures(client)]
    assert "37.5" in en


def _figures(client) -> list[dict]:
    import json

    return [json.loads(f["figure"]) for f in client.get("/home/charts.json").get_json()["figures"]]

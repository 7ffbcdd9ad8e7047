"""The queue as a worklist, the patient page that starts with the patient, bulk assignment."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Alert, Patient
from f0monitor.data.session import get_session
from f0monitor.domain.clock import VN_TZ, utcnow
from f0monitor.services.assignment import bulk_assign
from f0monitor.services.queue import QueueFilters, triage_queue

from .conftest import LONG_XUYEN, _other_ward
from .live import browser, chromium_or_skip, live_server
from .staff_helpers import WARNING, report, sign_in

GREEN = {"spo2": 98, "temperature_c": 36.8, "pulse": 80, "respiratory_rate": 16}
NOW = utcnow()


@pytest.fixture
def alerts(app, make_patient):
    """Three patients with unacknowledged alerts:
    - `fallen`: alerted six days ago, red then, green now (a later calm report);
    - `one`: red, one warning sign, alerted 40 minutes ago;
    - `two`: red, two warning signs, alerted 5 minutes ago.
    And one green patient without an alert."""
    fallen = make_patient(full_name="Phạm Văn Cũ", now=NOW - timedelta(days=7))
    report(app, fallen.id, when=NOW - timedelta(days=6), **WARNING)
    report(app, fallen.id, when=NOW - timedelta(hours=2), **GREEN)
    one = make_patient(full_name="Lê Thị Một", now=NOW - timedelta(days=2))
    report(app, one.id, when=NOW - timedelta(minutes=40), spo2=91, spo2_recheck=91)
    two = make_patient(full_name="Trần Văn Hai", now=NOW - timedelta(days=2))
    report(app, two.id, when=NOW - timedelta(minutes=5), spo2=90, spo2_recheck=90,
           symptoms=frozenset({"shortness_of_breath", "chest_pain"}))
    calm = make_patient(full_name="Ngô Văn Khỏe", now=NOW - timedelta(days=1))
    report(app, calm.id, when=NOW - timedelta(hours=1), **GREEN)
    return {"fallen": fallen.id, "one": one.id, "two": two.id, "calm": calm.id}


def test_alerts_come_most_severe_first(app, make_user, alerts):
    doctor = make_user("doctor", ward_codes=[LONG_XUYEN])
    with app.app_context():
        session = get_session()
        page = triage_queue(session, session.merge(doctor), QueueFilters(), now=utcnow())
    order = [item.patient.id for item in page.items]
    assert order[:3] == [alerts["two"], alerts["one"], alerts["fallen"]]
    first = page.items[0]
    assert {r["code"] for r in first.alert_reasons} >= {"W1", "W3", "W6"}
    assert 4 <= first.waited_minutes <= 7
    fallen = next(i for i in page.items if i.patient.id == alerts["fallen"])
    assert fallen.alert_tier == "red" and fallen.patient.current_tier == "green" and fallen.tier_fell
    assert not first.tier_fell


@pytest.mark.parametrize(("lang", "words"), [
    ("vi", ("SpO2 thấp 90%", "chờ", "phút", "mức nguy cơ đã giảm từ đỏ", "Thứ tự:")),
    ("en", ("low SpO2 90%", "waiting", "min", "tier has since fallen from red", "Order:")),
])
def test_rows_say_why_how_long_and_since_when(client, make_user, alerts, lang, words):
    doctor = make_user("doctor", ward_codes=[LONG_XUYEN], locale=lang)
    sign_in(client, doctor)
    html = client.get("/staff/").get_data(as_text=True)
    for word in words:
        assert word in html, word
    # the alert from six days ago carries its date, today's only the time
    six_days_ago = (utcnow() - timedelta(days=6)).astimezone(VN_TZ).strftime("%d/%m")
    assert re.search(r"flag-alert\">⚠ [^<]*" + re.escape(six_days_ago), html)
    assert 'aria-keyshortcuts="a"' in html and 'aria-keyshortcuts="Enter"' in html


def test_patient_page_starts_with_the_latest_report(client, make_user, alerts):
    doctor = make_user("doctor", ward_codes=[LONG_XUYEN])
    sign_in(client, doctor)
    calm = client.get(f"/staff/patients/{alerts['calm']}").get_data(as_text=True)
    latest, contacts, reports = (calm.index('id="latest"'), calm.index('id="contacts"'), calm.index('id="reports"'))
    assert latest < contacts < reports
    # no open alert: the transfer form waits behind its button, closed
    assert re.search(r'<details class="card transfer-panel transfer-request" id="transfer">', calm)
    assert latest < calm.index('id="transfer"')
    alerted = client.get(f"/staff/patients/{alerts['two']}").get_data(as_text=True)
    assert re.search(r'<details class="card transfer-panel transfer-request" id="transfer" open>', alerted)


def test_bulk_assignment_respects_caps(app, make_patient, make_user):
    coordinator = make_user("coordinator")
    volunteer = make_user("volunteer", ward_codes=[LONG_XUYEN], max_patients=2)
    ids = [make_patient(full_name=f"Người bệnh {i}").id for i in range(4)]
    with app.app_context():
        session = get_session()
        session.execute(sa.update(Patient).values(assigned_to_id=None))
        result = bulk_assign(session, ids, to=session.merge(volunteer), by=session.merge(coordinator), now=utcnow())
        session.commit()
        assert result.total == 2 and result.left_at_cap == 2
        assigned = session.scalars(sa.select(Patient.assigned_to_id).where(Patient.id.in_(ids))).all()
    assert sorted(a for a in assigned if a) == [volunteer.id, volunteer.id]


def test_bulk_assignment_by_ward_from_the_workload_page(client, app, make_patient, make_user):
    coordinator = make_user("coordinator", locale="en")
    here = make_user("volunteer", ward_codes=[LONG_XUYEN], full_name="Tình nguyện viên A")
    other_ward = _other_ward()
    there = make_user("doctor", ward_codes=[other_ward], full_name="Bác sĩ B")
    mine = [make_patient(full_name=f"LX {i}").id for i in range(3)]
    theirs = [make_patient(full_name=f"OW {i}", ward_code=other_ward).id for i in range(2)]
    with app.app_context():
        session = get_session()
        session.execute(sa.update(Patient).values(assigned_to_id=None))
        session.commit()
    token = sign_in(client, coordinator)
    page = client.get("/staff/workload").get_data(as_text=True)
    assert "Patients without a carer" in page and "LX 0" in page
    response = client.post("/staff/workload/assign", data={"csrf_token": token, "to": "auto", "all": "1"})
    assert response.status_code == 302
    summary = client.get("/staff/workload").get_data(as_text=True)
    assert "5 patients assigned" in summary
    with app.app_context():
        rows = dict(get_session().execute(sa.select(Patient.id, Patient.assigned_to_id)).all())
    assert {rows[i] for i in mine} == {here.id}
    assert {rows[i] for i in theirs} == {there.id}


def test_bulk_assignment_refuses_nothing_selected_and_non_coordinators(client, make_user, make_patient):
    coordinator = make_user("coordinator", locale="en")
    make_patient()
    token = sign_in(client, coordinator)
    response = client.post("/staff/workload/assign", data={"csrf_token": token, "to": "auto"})
    assert response.status_code == 422 and "Select at least one patient." in response.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    volunteer = make_user("volunteer")
    token = sign_in(client, volunteer)
    assert client.post("/staff/workload/assign", data={"csrf_token": token, "all": "1"}).status_code == 403


def test_login_page_links_to_the_claim_page(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/claim"' in html


@pytest.mark.browser
def test_queue_worked_by_keyboard_alone(app, make_user, alerts):
    chromium_or_skip()
    from .conftest import PASSWORD  # noqa: F401  (the doctor logs in through the real form)

    doctor = make_user("doctor", ward_codes=[LONG_XUYEN], locale="en")
    with live_server(app) as base, browser() as b:
        page = b.new_page(viewport={"width": 1280, "height": 800})
        page.goto(base + "/login")
        page.fill("#phone", doctor.phone)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")  # the whole journey by keyboard, the login included
        page.goto(base + "/staff/")
        assert "Order:" in page.inner_text("#queue-order")
        page.keyboard.press("j")
        assert page.get_attribute("tr.is-current", "data-patient-id") == str(alerts["two"])
        page.keyboard.press("j")
        assert page.get_attribute("tr.is-current", "data-patient-id") == str(alerts["one"])
        page.keyboard.press("k")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/staff/patients/{alerts['two']}")
        page.go_back()
        page.wait_for_selector("table.queue")
        page.keyboard.press("j")
        with page.expect_navigation():
            page.keyboard.press("a")  # acknowledge the first (most severe) alert
        page.wait_for_selector("tr.is-current")
        # the acknowledged alert left the top; the next one is current
        assert page.get_attribute("tr.is-current", "data-patient-id") == str(alerts["one"])
        page.keyboard.press("?")
        assert page.is_visible("#keys-help")
        page.keyboard.press("Escape")
        assert not page.is_visible("#keys-help")
        # 15 rows fit on a 1280×800 screen: the mean compact row (alert rows are the tallest)
        height = page.evaluate("""() => { const rows = [...document.querySelectorAll('table.queue tbody tr')];
            return rows.reduce((s, r) => s + r.getBoundingClientRect().height, 0) / rows.length; }""")
        assert height * 15 <= 800, height
    with app.app_context():
        acked = get_session().scalar(sa.select(Alert).where(Alert.patient_id == alerts["two"]))
        assert acked.state == "acknowledged"


def test_api_queue_items_say_the_signs_and_the_wait(client, make_user, alerts):
    from .conftest import api_token

    doctor = make_user("doctor", ward_codes=[LONG_XUYEN])
    body = client.get("/api/v1/queue", headers=api_token(client, doctor.phone)).get_json()
    first = body["items"][0]
    assert first["id"] == alerts["two"]
    assert set(first["open_alert"]["signs"]) >= {"W1", "W3", "W6"}
    assert 4 <= first["open_alert"]["waiting_minutes"] <= 7

"""Real Chromium: a coordinator drives a transfer for an alerted patient; the patient sees it."""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from f0monitor.db import get_session
from f0monitor.models import Alert, Facility, Patient
from f0monitor.timeutil import utcnow

from .conftest import AN_GIANG, PASSWORD

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
    # Flask-Compress leaves a static file's handle to the garbage collector when the browser
    # drops a connection mid-stream in the live server's threads: noise, not a bug of ours.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _login(page, base, phone):
    page.goto(base + "/login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").last.click()


def test_coordinator_transfer_shows_on_patient_home(app, live_server, make_patient, make_user):
    sync_api = pytest.importorskip("playwright.sync_api")
    patient = make_patient(login=True)
    coord = make_user("coordinator")
    with app.app_context():
        session = get_session()
        session.add(Facility(name="BV Đa khoa Trung tâm An Giang", province_code=AN_GIANG,
                             bed_capacity=120, free_beds=18, updated_at=utcnow()))
        session.add(Alert(patient_id=patient.id, state="open", opened_at=utcnow(), reason_codes=["W3"]))
        row = session.get(Patient, patient.id)
        row.has_open_alert, row.alert_opened_at, row.current_tier = True, utcnow(), "red"
        session.commit()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            staff = browser.new_page(viewport={"width": 1280, "height": 800})
            _login(staff, live_server, coord.phone)
            staff.goto(f"{live_server}/staff/patients/{patient.id}")
            staff.fill("#transfer-reason", "SpO2 91%, khó thở")
            staff.get_by_text("BV Đa khoa Trung tâm An Giang").click()
            staff.locator("form.open-transfer button[type=submit]").click()
            staff.wait_for_selector("input[name=ambulance_ref]")
            staff.fill("input[name=ambulance_ref]", "115-0812")
            staff.locator("form.action-form:has(input[value=dispatch]) button").click()
            staff.wait_for_selector("form.action-form:has(input[value=admit])")
            staff.locator("form.action-form:has(input[value=admit]) button").click()
            staff.wait_for_selector(".flash-success")
            assert "flash-danger" not in staff.content()

            home = browser.new_page(viewport={"width": 390, "height": 844})
            _login(home, live_server, patient.phone)
            home.goto(live_server + "/home")
            box = home.locator(".transfer-box").inner_text()
            assert "BV Đa khoa Trung tâm An Giang" in box
        finally:
            browser.close()
    with app.app_context():
        assert get_session().get(Patient, patient.id).status == "transferred"

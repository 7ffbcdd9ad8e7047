"""Real Chromium: a patient reports a warning sign; it reaches a doctor's open queue by itself."""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from .conftest import PASSWORD

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
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def test_warning_sign_reaches_open_queue_without_reload(app, live_server, make_patient, make_user):
    sync_api = pytest.importorskip("playwright.sync_api")
    make_patient(full_name="Trần Văn Ổn")
    patient = make_patient(login=True, full_name="Lê Thị Khó Thở")
    doctor = make_user("doctor")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            queue = browser.new_page(viewport={"width": 1280, "height": 800})
            _login(queue, live_server, doctor.phone)
            queue.goto(live_server + "/staff/")
            assert queue.locator("tr.row-alert").count() == 0
            queue.evaluate("window.__same_page = true")  # gone if the page reloads

            phone = browser.new_page(viewport={"width": 390, "height": 844})
            _login(phone, live_server, patient.phone)
            phone.goto(live_server + "/report")
            phone.fill("#spo2", "90")
            if phone.locator("#spo2_recheck").is_visible():
                phone.fill("#spo2_recheck", "90")
            for name in ("shortness_of_breath", "chest_pain", "altered_consciousness", "cyanosis",
                         "cannot_drink_or_feed", "other_acute_illness"):
                value = "yes" if name == "shortness_of_breath" else "no"
                phone.locator(f"input[name={name}][value={value}]").check()
            phone.locator("#report-form button[type=submit]").last.click()
            phone.wait_for_selector(".alert-box")

            queue.wait_for_selector("tr.row-alert", timeout=15000)
            assert "Lê Thị Khó Thở" in queue.locator("table.queue tbody tr").first.inner_text()
            assert queue.evaluate("window.__same_page") is True  # no reload happened
            assert queue.locator("#new-alerts").is_visible()
            assert "1" in queue.locator("#new-alerts").inner_text()

            queue.locator("tr.row-alert form button[type=submit]").first.click()
            queue.wait_for_selector(".flash-success")
            assert queue.locator("tr.row-alert").count() == 0
        finally:
            browser.close()

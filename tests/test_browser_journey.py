"""The whole journey in real Chromium, as the issue describes it.

A patient reports a warning sign → it appears at the top of a doctor's open queue without a
reload → the doctor acknowledges it → a coordinator opens a transfer, dispatches, admits → the
patient's own page shows it. Skips with a reason where no Chromium is installed.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Alert, Facility, Patient
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow

from .conftest import AN_GIANG, PASSWORD
from .live import browser, chromium_or_skip, live_server

pytestmark = pytest.mark.browser


def _login(page, base, phone):
    page.goto(base + "/login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def test_warning_sign_to_admission(app, make_patient, make_user):
    chromium_or_skip()
    make_patient(full_name="Trần Văn Ổn")  # another patient, already in the queue
    patient = make_patient(login=True, full_name="Lê Thị Khó Thở")
    doctor = make_user("doctor")
    coordinator = make_user("coordinator")
    with app.app_context():
        hospital = Facility(name="BV Đa khoa Trung tâm An Giang", province_code=AN_GIANG,
                            bed_capacity=120, free_beds=18, updated_at=utcnow())
        get_session().add(hospital)
        get_session().commit()
        hospital_id = hospital.id
    duty = make_user("facility", facility_id=hospital_id, full_name="BS. trực cấp cứu")
    with live_server(app) as base, browser() as b:
        queue = b.new_page(viewport={"width": 1280, "height": 800})
        _login(queue, base, doctor.phone)
        queue.goto(base + "/staff/")
        assert queue.locator("tr.row-alert").count() == 0
        queue.evaluate("window.__same_page = true")  # gone if the page reloads

        phone = b.new_page(viewport={"width": 390, "height": 844})
        _login(phone, base, patient.phone)
        phone.goto(base + "/report")
        phone.fill("#spo2", "90")
        phone.fill("#spo2_recheck", "90")
        for name in ("shortness_of_breath", "chest_pain", "altered_consciousness", "cyanosis",
                     "cannot_drink_or_feed", "other_acute_illness"):
            phone.check(f"input[name={name}][value={'yes' if name == 'shortness_of_breath' else 'no'}]")
        phone.locator("#report-form button[type=submit]").last.click()
        phone.wait_for_selector(".alert-box a.btn-call[href='tel:115']")

        # The doctor's open queue shows it on top, by itself.
        queue.wait_for_selector("tr.row-alert", timeout=15000)
        assert "Lê Thị Khó Thở" in queue.locator("table.queue tbody tr").first.inner_text()
        assert queue.evaluate("window.__same_page") is True
        assert "1" in queue.locator("#new-alerts").inner_text()
        queue.locator("tr.row-alert form button[type=submit]").first.click()
        queue.wait_for_selector(".flash-success")
        assert queue.locator("tr.row-alert").count() == 0

        # A coordinator drives the transfer to admission.
        staff = b.new_page(viewport={"width": 1280, "height": 800})
        _login(staff, base, coordinator.phone)
        staff.goto(f"{base}/staff/patients/{patient.id}")
        staff.fill("#transfer-reason", "SpO2 90%, khó thở")
        staff.get_by_text("BV Đa khoa Trung tâm An Giang").click()
        staff.locator("form.open-transfer button[type=submit]").click()
        staff.wait_for_selector("input[name=ambulance_ref]")
        # The receiving facility's duty doctor accepts it from their own page.
        hospital = b.new_page(viewport={"width": 390, "height": 844})
        _login(hospital, base, duty.phone)
        hospital.wait_for_selector("section.incoming")
        assert "Lê Thị Khó Thở" in hospital.locator("section.incoming").first.inner_text()
        hospital.locator("section.incoming form:has(input[value=accept]) button").click()
        hospital.wait_for_selector(".flash-success")
        phone.goto(base + "/home")
        assert "BV Đa khoa Trung tâm An Giang đã có giường" in phone.locator(".transfer-box").inner_text()
        staff.reload()
        staff.wait_for_selector("input[name=ambulance_ref]")
        staff.fill("input[name=ambulance_ref]", "115-0812")
        staff.locator("form.action-form:has(input[value=dispatch]) button").click()
        staff.wait_for_selector("form.action-form:has(input[value=admit])")
        phone.goto(base + "/home")
        assert "Xe cấp cứu đã xuất phát lúc" in phone.locator(".transfer-box").inner_text()
        staff.locator("form.action-form:has(input[value=admit]) button").click()
        staff.wait_for_selector(".flash-success")
        assert "flash-danger" not in staff.content()

        phone.goto(base + "/home")
        box = phone.locator(".transfer-box").inner_text()
        assert "BV Đa khoa Trung tâm An Giang" in box and "Đã nhập viện lúc" in box
    with app.app_context():
        session = get_session()
        assert session.get(Patient, patient.id).status == "transferred"
        alert = session.scalar(sa.select(Alert).where(Alert.patient_id == patient.id))
        assert alert.acknowledged_by_id == doctor.id and alert.seconds_to_acknowledge is not None

"""The report form on a phone that loses its network, in real Chromium (`set_offline`).

The patient fills the report with the network cut: the page keeps it (IndexedDB, with its
submission key and the time it was made), says it is not sent yet and, for a warning sign,
"GỌI 115 NGAY" at once. The network returns: the report is sent by itself, stored exactly once
with the time it was made, and the doctor's queue shows it. A report kept longer than the
rules allow is not silently dropped: the page tells the patient to call the health station.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from f0monitor.data.models import SymptomReport

from .live import browser, chromium_or_skip, live_server

pytestmark = pytest.mark.browser

QUESTIONS = ("shortness_of_breath", "chest_pain", "altered_consciousness", "cyanosis",
             "cannot_drink_or_feed", "other_acute_illness")


def _login(page, base: str, phone: str) -> None:
    page.goto(base + "/login")
    page.fill("#phone", "0" + phone[3:])
    page.fill("#password", "correct horse 1")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url("**/home")


def _until(page, js: str, timeout: float = 20) -> None:
    """Wait until a JavaScript expression is true (the page's CSP forbids Playwright's eval polling)."""
    end = time.monotonic() + timeout
    while not page.evaluate(js):
        if time.monotonic() > end:
            raise AssertionError(f"never true: {js}")
        time.sleep(0.2)


def _ready_offline(page, base: str) -> None:
    """Open the report page with the service worker in control and the pages kept."""
    page.goto(base + "/report")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now the page is served through the service worker
    _until(page, "navigator.serviceWorker.controller !== null")
    _until(page, "caches.open('f0-pages-v1').then(c => c.match('/report/warning-signs.json')).then(r => !!r)")
    _until(page, "caches.open('f0-pages-v1').then(c => c.match('/report')).then(r => !!r)")


def _reports(session, patient_id: int) -> list[SymptomReport]:
    session.expire_all()
    return list(session.scalars(sa.select(SymptomReport).where(SymptomReport.patient_id == patient_id)))


def test_report_made_offline_is_kept_then_stored_once_with_its_time(app, session, make_patient, make_user):
    chromium_or_skip()
    patient = make_patient(login=True, full_name="Võ Thị Mất Sóng", date_of_birth=datetime(1956, 3, 4).date())
    doctor = make_user("doctor")
    with live_server(app) as base, browser() as b:
        context = b.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        _login(page, base, patient.phone)
        _ready_offline(page, base)

        context.set_offline(True)
        page.reload()  # from the phone's copy: the form still opens without network
        assert page.locator("#report-form").is_visible()
        page.click("#none-of-these")  # six "No" in one tap ...
        assert all(page.is_checked(f"input[name={q}][value=no]") for q in QUESTIONS)
        page.check("input[name=chest_pain][value=yes]")  # ... and each can still be changed
        page.fill("#temperature_c", "37,8")
        page.fill("#spo2", "97")
        page.fill("#pulse", "88")
        made = datetime.now(UTC)
        page.click("button[type=submit].btn-primary")

        pending = page.locator("#pending")
        pending.wait_for(state="visible")
        assert "chưa gửi được – sẽ tự gửi khi có mạng" in pending.inner_text()
        alarm = page.locator("#offline-115")
        assert alarm.is_visible() and "GỌI 115 NGAY" in alarm.inner_text()
        assert "Đau hoặc tức ngực" in alarm.inner_text() or "ngực" in alarm.inner_text()
        assert page.locator("#offline-115 a[href='tel:115']").is_visible()
        assert _reports(session, patient.id) == []  # nothing reached the server

        page.goto(base + "/home")  # another page, still offline: the kept report is there too
        page.locator("#pending-list li").first.wait_for()  # listed once IndexedDB has answered
        assert "chưa gửi được" in page.locator("#pending").inner_text()
        time.sleep(2)  # the report must keep the time it was made, not the time it was sent
        assert _reports(session, patient.id) == []

        context.set_offline(False)
        _until(page, "F0Queue.all().then(rows => rows.length === 0)")
        stored = _reports(session, patient.id)
        assert len(stored) == 1
        report = stored[0]
        reported = report.reported_at if report.reported_at.tzinfo else report.reported_at.replace(tzinfo=UTC)
        assert abs((reported - made).total_seconds()) < 2  # its own time, not the sending's
        assert report.temperature_c == 37.8 and "chest_pain" in report.symptoms
        assert report.assessment.alert  # the server's rules agree: a warning sign

        # Sent again (a second tab, Background Sync and the page racing): still stored once.
        page.evaluate(
            """([key, owner]) => F0Queue.put({key: key, owner: owner, reported_at: new Date().toISOString(),
                 fields: [["chest_pain", "yes"]], status: "pending"}).then(() => F0Queue.sendAll())""",
            [report.client_key, patient.user_id],
        )
        assert len(_reports(session, patient.id)) == 1

        # The doctor's queue shows it, as an alert.
        staff = b.new_page(viewport={"width": 1280, "height": 800})
        staff.goto(base + "/login")
        staff.fill("#phone", "0" + doctor.phone[3:])
        staff.fill("#password", "correct horse 1")
        staff.click("button[type=submit].btn-primary")
        staff.goto(base + "/staff/")
        row = staff.locator("table.queue tbody tr", has_text="Võ Thị Mất Sóng")
        assert row.count() == 1
        assert "row-alert" in (row.get_attribute("class") or "")
        context.close()


def test_report_kept_more_than_72_hours_tells_the_patient_to_call(app, session, make_patient):
    chromium_or_skip()
    patient = make_patient(login=True, full_name="Đặng Văn Chờ Mạng")
    with live_server(app) as base, browser() as b:
        context = b.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        _login(page, base, patient.phone)
        page.goto(base + "/report")
        old = (datetime.now(UTC) - timedelta(hours=73)).isoformat()
        fields = [[q, "no"] for q in QUESTIONS] + [["temperature_c", "37.2"]]
        page.evaluate(
            "([row]) => F0Queue.put(row)",
            [{"key": "k" * 32, "owner": patient.user_id, "reported_at": old, "fields": fields,
              "status": "pending"}],
        )
        page.reload()  # the next page load sends it: the network is there, the server decides
        item = page.locator("#pending-list li")
        item.wait_for()
        _until(page, "!!document.querySelector('#pending-list li .too-old')")
        text = item.inner_text()
        assert "hơn 72 giờ" in text and "gọi trạm y tế" in text.lower()
        assert _reports(session, patient.id) == []  # refused by the server's window, not stored
        page.click("#pending-retry")  # tried again: still refused, still on the phone
        page.reload()  # not silently dropped: still on the phone, still saying what to do
        page.locator("#pending-list li .too-old").wait_for()
        assert _reports(session, patient.id) == []
        row = page.evaluate("F0Queue.all().then(rows => rows[0])")
        assert row["status"] == "refused" and "reported_at" in row["errors"]
        context.close()

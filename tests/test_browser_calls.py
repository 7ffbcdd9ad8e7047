"""The issue's journey in real Chromium: a missed 08:00 report climbs the ladder to a call.

A patient misses the 08:00 report → the reminder is in the outbox → nothing by overdue → a
call task appears for the volunteer → the volunteer takes the next patient, reads the
questions, enters the answers → the report is stored with channel ``phone``, scored, and the
ladder stops. The ladder is run by its own service (``services.ladder.tick``, what the job
queue runs every minute) at the moments of the story, the day before the test runs.

With ``F0MONITOR_SHOTS=<dir>`` the worklist and the call screen are saved as PNGs, phone
(390×844) and desktop (1280×800), in Vietnamese and English.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from f0monitor.data.models import CallTask, OutboxMessage, Patient, SymptomReport
from f0monitor.data.session import get_session
from f0monitor.domain.clock import VN_TZ, utcnow
from f0monitor.services import ladder

from .conftest import PASSWORD
from .live import browser, chromium_or_skip, live_server

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


def _login(page, base, phone):
    page.goto(base + "/login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def _shoot(page, name: str) -> None:
    folder = os.environ.get("F0MONITOR_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    lang = page.locator("html").get_attribute("lang")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(folder) / f"{name}-{lang}-{size}.png"))  # the first screen
        page.screenshot(path=str(Path(folder) / f"{name}-{lang}-{size}-full.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def _switch_language(page, to: str) -> None:
    page.locator(f"header button[lang={to}]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == to


def test_missed_report_to_a_phone_report(app, make_patient, make_user):
    chromium_or_skip()
    yesterday = (utcnow().astimezone(VN_TZ) - timedelta(days=1)).date()
    at = lambda h, m=0: datetime(yesterday.year, yesterday.month, yesterday.day, h, m, tzinfo=VN_TZ)  # noqa: E731
    patient = make_patient(login=True, full_name="Trần Thị Quên Báo", now=at(0, 30))
    volunteer = make_user("volunteer", full_name="Lê Văn Gọi")

    with app.app_context():
        session = get_session()
        # 07:31: the reminder before the 08:00 slot is queued.
        assert ladder.tick(session, now=at(7, 31)).reminders == 1
        session.commit()
        reminder = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.patient_id == patient.id)).one()
        assert (reminder.purpose, reminder.status, reminder.slot) == ("reminder", "queued", f"{yesterday}:morning:1")
        # 10:01: still nothing, a second reminder; 12:31: overdue, a call task for the callers.
        assert ladder.tick(session, now=at(10, 1)).second_reminders == 1
        assert ladder.tick(session, now=at(12, 31)).call_tasks == 1
        session.commit()
        task = session.scalars(sa.select(CallTask)).one()
        assert (task.patient_id, task.reason, task.state) == (patient.id, "missed_report", "due")

    with live_server(app) as base, browser() as b:
        page = b.new_page(viewport={"width": 1280, "height": 800})
        _login(page, base, volunteer.phone)
        page.goto(base + "/staff/calls")
        row = page.locator(f"tr[data-task-id='{task.id}']")
        assert "Trần Thị Quên Báo" in row.inner_text() and "Bỏ lỡ báo cáo" in row.inner_text()
        _shoot(page, "worklist")
        _switch_language(page, "en")
        assert "Missed report" in page.locator(f"tr[data-task-id='{task.id}']").inner_text()
        _shoot(page, "worklist")

        page.locator("#next-patient").click()
        page.wait_for_selector("#call-form")
        assert page.url.endswith(f"/staff/calls/{task.id}")
        assert "Please take your temperature now" in page.locator("#q-temperature_c").inner_text()
        _shoot(page, "call-screen")
        _switch_language(page, "vi")
        assert "Anh/chị vui lòng đo nhiệt độ" in page.locator("#q-temperature_c").inner_text()
        assert page.locator("legend", has_text="khó thở").count() >= 1  # the warning questions, read aloud
        _shoot(page, "call-screen")
        page.locator("#vitals-title").scroll_into_view_if_needed()
        _shoot(page, "call-screen-questions")

        page.check("input[name=outcome][value=reached]")
        for name in ("shortness_of_breath", "chest_pain", "altered_consciousness", "cyanosis",
                     "cannot_drink_or_feed", "other_acute_illness"):
            page.check(f"input[name={name}][value=no]")
        page.fill("#temperature_c", "37,4")
        page.fill("#spo2", "97")
        page.fill("#pulse", "82")
        page.locator("#call-form button[type=submit]").last.click()
        page.wait_for_selector(".flash-success")
        assert page.url.endswith("/staff/calls")
        _shoot(page, "worklist-after")

    with app.app_context():
        session = get_session()
        report = session.scalars(sa.select(SymptomReport)).one()
        assert (report.patient_id, report.channel, report.entered_by_id) == (patient.id, "phone", volunteer.id)
        assert (report.temperature_c, report.spo2, report.pulse) == (37.4, 97, 82)
        assert report.assessment is not None and report.assessment.tier  # scored on the same path
        done = session.get(CallTask, task.id)
        assert (done.state, done.outcome, done.claimed_by_id) == ("done", "reached", volunteer.id)
        # The ladder stopped: its next tick opens nothing and records the two reminders as
        # cancelled (the sender would not have sent them anyway).
        after = ladder.tick(session, now=utcnow())
        session.commit()
        statuses = session.scalars(sa.select(OutboxMessage.status).where(
            OutboxMessage.patient_id == patient.id, OutboxMessage.purpose == "reminder")).all()
        assert "queued" not in statuses and len(statuses) == 2
        assert session.scalar(sa.select(sa.func.count()).select_from(CallTask).where(
            CallTask.state.in_(("due", "claimed")))) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.patient_id == patient.id, OutboxMessage.status == "queued")) == 0
        assert after.call_tasks == 0
        assert session.get(Patient, patient.id).last_report_at is not None

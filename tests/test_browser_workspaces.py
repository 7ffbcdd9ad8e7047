"""The workspaces in real Chromium: axe finds no serious or critical violation on any of them,
at desktop and phone size, in Vietnamese and English."""

from __future__ import annotations

from datetime import timedelta

import pytest

from f0monitor.data.models import Facility
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow

from .conftest import AN_GIANG, LONG_XUYEN, PASSWORD
from .live import browser, chromium_or_skip, live_server
from .staff_helpers import WARNING, report
from .test_browser_patient import serious_violations

pytestmark = pytest.mark.browser


def _login(page, base, phone):
    page.goto(base + "/login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_workspace_pages_have_no_serious_accessibility_violation(app, make_patient, make_user, lang):
    chromium_or_skip()
    now = utcnow()
    alerted = make_patient(full_name="Nguyễn Thị Cảnh Báo", now=now - timedelta(days=2))
    report(app, alerted.id, when=now - timedelta(minutes=20), **WARNING)
    make_patient(full_name="Trần Văn Chưa Ai Theo Dõi")
    with app.app_context():
        hospital = Facility(name="BV Đa khoa Trung tâm An Giang", province_code=AN_GIANG, general_capacity=40,
                            general_free=4, updated_at=utcnow())
        get_session().add(hospital)
        get_session().commit()
        hospital_id = hospital.id
    coordinator = make_user("coordinator", locale=lang, ward_codes=[LONG_XUYEN])
    department = make_user("department", locale=lang)
    duty = make_user("facility", locale=lang, facility_id=hospital_id)
    pages = {
        coordinator.phone: ["/staff/", f"/staff/patients/{alerted.id}", "/staff/workload", "/staff/transfers?state=all"],
        department.phone: ["/department/", "/department/daily"],
        duty.phone: ["/facility/"],
    }
    with live_server(app) as base, browser() as b:
        for width, height in ((1280, 800), (390, 844)):
            for phone, paths in pages.items():
                context = b.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                _login(page, base, phone)
                for path in paths:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    assert page.evaluate("document.documentElement.lang") == lang
                    assert serious_violations(page) == [], (path, width)
                context.close()

"""The patient's journey in real Chromium: register, report a wrong value, correct it, see it.

Also checks with axe-core that the key pages have no serious or critical accessibility
violation. Skips with a reason where no Chromium is installed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from f0monitor.domain.clock import today_local

from .live import browser, chromium_or_skip, live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(app):
    chromium_or_skip()
    with live_server(app) as url:
        yield url


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_register_report_correct_and_see_chart(base_url):
    with browser() as b:
        page = b.new_page(viewport={"width": 390, "height": 844})
        page.goto(base_url + "/register")
        assert serious_violations(page) == []
        page.fill("#full_name", "Phạm Văn Tâm")
        page.fill("#date_of_birth", "1975-08-09")
        page.check("input[name=sex][value=male]")
        page.fill("#phone", "0916 111 222")
        page.fill("#password", "mật khẩu dài")
        page.select_option("#ward_code", "30307")
        page.fill("#address", "22 Lý Thái Tổ")
        page.fill("#positive_test_date", (today_local() - timedelta(days=2)).isoformat())
        page.check("input[name=test_type][value=rapid_antigen]")
        page.check("#fully_vaccinated")
        page.check("#consent")
        page.click("button[type=submit].btn-primary")
        page.wait_for_url("**/report")

        # A wrong value: the message sits at the field and what was typed stays.
        assert serious_violations(page) == []
        for name in ("shortness_of_breath", "chest_pain", "altered_consciousness", "cyanosis",
                     "cannot_drink_or_feed", "other_acute_illness"):
            page.check(f"input[name={name}][value=no]")
        page.fill("#temperature_c", "3.8")
        page.fill("#spo2", "98")
        page.fill("#pulse", "84")
        page.click("button[type=submit].btn-primary")
        error = page.locator("#temperature_c-error")
        assert "34.0" in error.inner_text()
        assert page.input_value("#spo2") == "98"
        assert page.locator("#temperature_c").get_attribute("aria-invalid") == "true"

        # Corrected: stored, and shown on the home page's chart and table.
        page.fill("#temperature_c", "38.3")
        page.click("button[type=submit].btn-primary")
        page.wait_for_url("**/home")
        assert "38,3" in page.locator("table.days").inner_text()  # the server-drawn summary, in Vietnamese decimals
        assert page.locator(".spark svg").count() >= 3
        assert page.locator(".chart .main-svg").count() == 0  # a phone loads no plotly by itself
        page.click("#show-charts")
        page.wait_for_selector(".chart .main-svg", timeout=15000)  # plotly drew the chart
        assert page.locator(".chart .main-svg").count() >= 3
        ticks = page.eval_on_selector_all(".chart .xtick text", "els => els.map(e => e.textContent)")
        assert any(":" in t for t in ticks), ticks  # the x-axis says the times
        assert serious_violations(page) == []


def test_low_spo2_shows_recheck_field_and_alert_box(base_url, make_patient):
    make_patient(login=True, phone="+84912000777")
    with browser() as b:
        page = b.new_page(viewport={"width": 390, "height": 844})
        page.goto(base_url + "/login")
        assert serious_violations(page) == []
        page.fill("#phone", "0912000777")
        page.fill("#password", "correct horse 1")
        page.click("button[type=submit].btn-primary")
        page.wait_for_url("**/home")
        page.goto(base_url + "/report")
        assert not page.locator("#spo2_recheck").is_visible()
        page.fill("#spo2", "94")
        assert page.locator("#spo2_recheck").is_visible()  # asked at once, without a round trip
        page.fill("#spo2_recheck", "93")
        page.check("input[name=shortness_of_breath][value=yes]")
        for name in ("chest_pain", "altered_consciousness", "cyanosis", "cannot_drink_or_feed",
                     "other_acute_illness"):
            page.check(f"input[name={name}][value=no]")
        page.click("button[type=submit].btn-primary")
        page.wait_for_url("**/home")
        call = page.locator("a.btn-call[href='tel:115']")
        assert call.is_visible()
        box = call.bounding_box()
        assert box["y"] + box["height"] <= 844  # on screen without scrolling
        assert serious_violations(page) == []


def _tab_to(page, predicate_js: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate_js):
            return
    raise AssertionError(f"never reached by Tab: {predicate_js}")


def test_keyboard_only_login_and_report(base_url, make_patient):
    make_patient(login=True, phone="+84912000778")
    with browser() as b:
        page = b.new_page(viewport={"width": 390, "height": 844})
        page.goto(base_url + "/login")
        _tab_to(page, "document.activeElement.id === 'phone'")
        page.keyboard.type("0912000778")
        page.keyboard.press("Tab")
        page.keyboard.type("correct horse 1")
        page.keyboard.press("Enter")
        page.wait_for_url("**/home")
        _tab_to(page, "document.activeElement.classList.contains('btn-primary')")
        page.keyboard.press("Enter")
        page.wait_for_url("**/report")
        # Each yes/no question: Tab into the group, Space picks the focused answer ("No").
        for name in ("shortness_of_breath", "chest_pain", "altered_consciousness", "cyanosis",
                     "cannot_drink_or_feed", "other_acute_illness"):
            _tab_to(page, f"document.activeElement.name === '{name}'")
            page.keyboard.press("Space")
        _tab_to(page, "document.activeElement.id === 'temperature_c'")
        page.keyboard.type("37.6")
        _tab_to(page, "document.activeElement.matches('button[type=submit].btn-primary')", limit=80)
        page.keyboard.press("Enter")
        page.wait_for_url("**/home")
        assert "37,6" in page.locator("table.history").inner_text()  # Vietnamese decimals

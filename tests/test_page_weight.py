"""Under 60 KB a page on a phone's first visit: login, register, report and home, in Chromium.

Bytes on the wire as the Chrome DevTools Protocol counts them (compressed, headers included),
with an empty cache, everything the page fetches until the network is idle: the page, its CSS
and scripts, the icons, and the copies a patient page keeps for offline use. plotly.js must not
be among them on a phone. Also: every text type arrives compressed, and axe-core finds no
serious or critical violation on these pages, the offline box and the 115 advice shown.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from f0monitor.domain.clock import utcnow

from .live import browser, chromium_or_skip, live_server
from .staff_helpers import report

pytestmark = pytest.mark.browser

BUDGET = 60 * 1024
TEXT_TYPES = ("text/html", "text/css", "text/javascript", "application/javascript",
              "application/json", "application/manifest+json", "image/svg+xml")


def _axe(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
            for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]


def _measure(context, page, url: str) -> dict:
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    responses: dict[str, dict] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda e: responses.__setitem__(e["requestId"], e["response"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    time.sleep(0.5)
    cdp.detach()
    urls = {rid: r["url"] for rid, r in responses.items()}
    plain = [
        r["url"] for r in responses.values()
        if r["url"].startswith("http") and r.get("mimeType") in TEXT_TYPES and r.get("status") == 200
        and not {k.lower(): v for k, v in r["headers"].items()}.get("content-encoding")
        and int({k.lower(): v for k, v in r["headers"].items()}.get("content-length", "1000")) >= 500
    ]
    return {"bytes": sum(sizes.values()), "urls": urls, "plain": plain}


def test_patient_pages_are_under_60_kb_on_a_first_visit(app, make_patient):
    chromium_or_skip()
    patient = make_patient(login=True, full_name="Huỳnh Thị Nhẹ Máy",
                           positive_test_date=(utcnow() - timedelta(days=5)).date())
    for hours in range(100, 0, -8):  # twelve reports over four days: a realistic home page
        report(app, patient.id, when=utcnow() - timedelta(hours=hours),
               temperature_c=37.5, spo2=97, pulse=84, respiratory_rate=16)
    figures: dict[str, float] = {}
    with live_server(app) as base, browser() as b:
        for name, path in (("login", "/login"), ("register", "/register"), ("report", "/report"), ("home", "/home")):
            context = b.new_context(viewport={"width": 390, "height": 844}, service_workers="block")
            page = context.new_page()
            if path in ("/report", "/home"):
                page.goto(base + "/login")
                page.fill("#phone", "0" + patient.phone[3:])
                page.fill("#password", "correct horse 1")
                page.click("button[type=submit].btn-primary")
                page.wait_for_url("**/home")
            m = _measure(context, page, base + path)
            figures[name] = m["bytes"] / 1024
            assert m["bytes"] < BUDGET, (name, m["bytes"], sorted(m["urls"].values()))
            assert not any("plotly" in u for u in m["urls"].values()), name  # not on a phone
            assert m["plain"] == [], (name, m["plain"])  # every text type compressed
            assert _axe(page) == [], name
            context.close()
    print("KB per page:", {k: round(v, 1) for k, v in figures.items()})


def test_offline_box_and_115_advice_are_accessible(app, make_patient):
    chromium_or_skip()
    patient = make_patient(login=True)
    with live_server(app) as base, browser() as b:
        context = b.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(base + "/login")
        page.fill("#phone", "0" + patient.phone[3:])
        page.fill("#password", "correct horse 1")
        page.click("button[type=submit].btn-primary")
        page.wait_for_url("**/home")
        page.goto(base + "/report")
        page.evaluate("fetch('/report/warning-signs.json').then(r => r.json())")
        context.set_offline(True)
        page.click("#none-of-these")
        page.check("input[name=cyanosis][value=yes]")
        page.click("button[type=submit].btn-primary")
        page.locator("#offline-115").wait_for(state="visible")
        assert _axe(page) == []
        context.set_offline(False)
        context.close()

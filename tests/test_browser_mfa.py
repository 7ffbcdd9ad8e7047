"""The staff's second factor in real Chromium, with STAFF_MFA = "required".

A doctor's first login leads to the enrolment page; they type the key shown under the QR code
into an "app" (pyotp here), confirm, keep the recovery codes; the next login asks a code after
the password; the security page lists the sessions, and one of them is ended from another
browser. With F0MONITOR_SHOTS=<folder> it also saves the pages at 390×844 and 1280×800, in
Vietnamese and English.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyotp
import pytest

from .conftest import PASSWORD
from .live import browser, chromium_or_skip, live_server

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("F0MONITOR_SHOTS")
VIEWPORTS = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 800}}


@pytest.fixture
def app_config():
    return {"STAFF_MFA": "required"}


def _password_step(page, base, phone):
    page.goto(base + "/login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def _shoot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _english(page):
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()


def test_enrol_then_log_in_with_a_code(app, make_user):
    chromium_or_skip()
    make_user("doctor", phone="+84908000801", full_name="Bác sĩ Phạm Thu")
    with live_server(app) as base, browser() as b:
        page = b.new_page(viewport=VIEWPORTS["390"])
        _password_step(page, base, "0908000801")
        assert page.url.endswith("/account/mfa")  # sent to enrolment, nothing else opens
        page.goto(base + "/staff/")
        assert page.url.endswith("/account/mfa")
        assert page.locator(".mfa-qr svg").count() == 1
        _shoot(page, "enrol-first-390-vi")
        secret = page.locator("code.code").inner_text().replace(" ", "")
        page.fill("#code", pyotp.TOTP(secret).now())
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_selector("ul.recovery-codes")
        codes = [c.strip() for c in page.locator("ul.recovery-codes code").all_inner_texts()]
        assert len(codes) == 10 and all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{8}", c) for c in codes)
        page.get_by_role("link").filter(has_text=re.compile("tiếp tục")).click()
        page.wait_for_load_state()
        assert "/staff/" in page.url

        # Another browser: password, then the code page; a recovery code lets it in.
        other = b.new_page(viewport=VIEWPORTS["1280"])
        _password_step(other, base, "0908000801")
        assert other.url.endswith("/login/code")
        other.fill("#code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
        other.locator("main form button[type=submit]").click()
        other.wait_for_selector("#code-error")
        other.fill("#code", codes[0])
        other.locator("main form button[type=submit]").click()
        other.wait_for_load_state()
        assert "/staff/" in other.url

        # The first browser lists two sessions and ends the other one.
        page.goto(base + "/account/security")
        assert page.locator("#sessions + ul li").count() == 2
        _shoot(page, "security-two-sessions-390-vi")
        page.locator("#sessions + ul li form button").first.click()
        page.wait_for_selector(".flash-success")
        assert page.locator("#sessions + ul li").count() == 1
        other.goto(base + "/staff/")
        assert "/login" in other.url

        if SHOTS:
            spare = iter(codes[1:])
            for size in VIEWPORTS:
                for lang in ("vi", "en"):
                    shot = b.new_page(viewport=VIEWPORTS[size])
                    shot.goto(base + "/login")
                    if lang == "en":
                        _english(shot)
                    _password_step(shot, base, "0908000801")
                    shot.fill("#code", "12")
                    shot.locator("main form button[type=submit]").click()
                    shot.wait_for_selector("#code-error")
                    _shoot(shot, f"login-code-{size}-{lang}")
                    shot.fill("#code", next(spare))
                    shot.locator("main form button[type=submit]").click()
                    shot.wait_for_load_state()
                    shot.goto(base + "/account/mfa")
                    _shoot(shot, f"enrol-{size}-{lang}")
                    shot.goto(base + "/account/security")
                    _shoot(shot, f"security-{size}-{lang}")
                    shot.context.close()

"""Bytes a cheap phone downloads for every patient and staff page, axe-core results, screenshots.

    python bench/page_weight.py [--shots DIR] [--lang vi|en|both]

Starts f0monitor on a temporary SQLite database with a small demo caseload, opens each page in
headless Chromium (through the Chrome DevTools Protocol) with an empty cache, as a first visit
on a weak network would, and prints the bytes on the wire (compressed, headers included) in
three parts: until the page's load event; after it (a patient page keeps copies of itself for
offline use; charts a large screen draws by itself); and plotly.js, counted apart. Service
workers are blocked while measuring (their fetches are not the page's in the protocol). Also the
number of requests and the serious / critical axe-core violations (Vietnamese, phone size).
With --shots it saves full-page screenshots at phone (390x844) and desktop (1280x800) sizes.
Prints figures; asserts nothing (tests/test_page_weight.py asserts the patient pages' budget).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from f0monitor import create_app  # noqa: E402
from f0monitor.cli.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_PATIENT_PHONE, seed_demo  # noqa: E402
from f0monitor.data.models import Patient  # noqa: E402
from f0monitor.data.session import get_session, upgrade_db  # noqa: E402
from f0monitor.domain.clock import utcnow  # noqa: E402
from tests.live import CHROMIUM_ARGS, live_server  # noqa: E402

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
PHONES = {role: phone for role, phone, _name in DEMO_ACCOUNTS}
PHONES["patient"] = DEMO_PATIENT_PHONE


def pages(patient_id: int) -> list[tuple[str, str | None, str]]:
    """(name, role logged in or None, path) of every page a person opens."""
    return [
        ("login", None, "/login"),
        ("register", None, "/register"),
        ("ask", None, "/ask"),
        ("verify", None, "/verify"),
        ("claim", None, "/claim"),
        ("report", "patient", "/report"),
        ("home", "patient", "/home"),
        ("password", "patient", "/account/password"),
        ("queue", "doctor", "/staff/"),
        ("patient", "doctor", f"/staff/patients/{patient_id}"),
        ("profile", "doctor", f"/staff/patients/{patient_id}/profile"),
        ("register-caller", "doctor", "/staff/register"),
        ("transfers", "doctor", "/staff/transfers"),
        ("facilities", "doctor", "/staff/facilities"),
        ("consults", "doctor", "/staff/consults"),
        ("calculator", "doctor", "/staff/calculator/"),
        ("workload", "coordinator", "/staff/workload"),
        ("consult-stats", "coordinator", "/staff/consults/stats"),
        ("users", "admin", "/staff/admin/users"),
        ("audit", "admin", f"/staff/admin/patients/{patient_id}/audit"),
        ("department", "department", "/department/"),
    ]


def measure(page, cdp, url: str) -> dict[str, int]:
    """Load ``url`` with an empty cache; return the bytes on the wire before/after load, plotly."""
    urls: dict[str, str] = {}
    done: dict[str, tuple[float, int]] = {}
    loaded: list[float] = []

    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: done.__setitem__(e["requestId"], (e["timestamp"], int(e["encodedDataLength"]))))
    cdp.on("Page.loadEventFired", lambda e: loaded.append(e["timestamp"]))
    cdp.send("Network.clearBrowserCache")
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    time.sleep(0.5)
    load_at = loaded[0] if loaded else float("inf")
    out = {"load": 0, "after": 0, "plotly": 0, "requests": len(done)}
    for rid, (at, n) in done.items():
        if "plotly" in urls.get(rid, ""):
            out["plotly"] += n
        elif at <= load_at:
            out["load"] += n
        else:
            out["after"] += n
    return out


def login(page, base: str, role: str) -> None:
    page.goto(base + "/login")
    page.fill("#phone", PHONES[role])
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].btn-primary")
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", default=None, help="folder for screenshots")
    parser.add_argument("--lang", default="vi", choices=("vi", "en", "both"))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    # Staff log in with the password only, as in the demo (make run sets STAFF_MFA = optional).
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "STAFF_MFA": "optional",
                      "DATABASE_URL": f"sqlite:///{os.path.join(tmp, 'w.sqlite')}"}, instance_path=tmp)
    with app.app_context():
        upgrade_db()
        seed_demo(get_session(), now=utcnow(), n_patients=12)
        get_session().commit()
        patient_id = get_session().scalar(sa.select(Patient.id).order_by(Patient.id).limit(1))
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    langs = ("vi", "en") if args.lang == "both" else (args.lang,)
    with live_server(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for lang in langs:
            for size_name, (w, h) in SIZES.items():
                print(f"\n{lang}, {size_name} {w}x{h}: KB on the wire, first visit (empty cache)")
                print(f"{'page':<16} {'to load':>8} {'after':>7} {'plotly':>7} {'total':>7} {'req':>4}  axe serious/critical")
                role_now: str | None = "-"
                context = None
                for name, role, path in pages(patient_id):
                    if role != role_now:  # a fresh browser profile per person
                        if context is not None:
                            context.close()
                        # Service workers blocked: Chromium does not report the bytes of what a
                        # service worker fetches to the page; its own two files (sw.js and
                        # reportqueue.js, ~3 KB) come once, the first time a patient logs in.
                        context = browser.new_context(viewport={"width": w, "height": h},
                                                      service_workers="block")
                        page = context.new_page()
                        if lang == "en":
                            page.goto(base + "/login")
                            page.click("header form button.linkish[lang=en]")
                        if role:
                            login(page, base, role)
                        role_now = role
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Page.enable")
                    m = measure(page, cdp, base + path)
                    cdp.detach()
                    axe = ""
                    if size_name == "phone":
                        violations = [v["id"] for v in Axe().run(page).response["violations"]
                                      if v["impact"] in ("serious", "critical")]
                        axe = f"{len(violations)} {violations if violations else ''}"
                    total = m["load"] + m["after"] + m["plotly"]
                    print(f"{name:<16} {m['load'] / 1024:>8.1f} {m['after'] / 1024:>7.1f} "
                          f"{m['plotly'] / 1024:>7.1f} {total / 1024:>7.1f} {m['requests']:>4}  {axe}")
                    if args.shots:
                        Path(args.shots).mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=f"{args.shots}/{name}-{size_name}-{lang}.png", full_page=True)
                if context is not None:
                    context.close()
        browser.close()


if __name__ == "__main__":
    main()

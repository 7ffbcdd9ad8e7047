"""Bytes a cheap phone downloads for the patient pages, axe-core results, and screenshots.

    python bench/page_weight.py [--shots DIR]

Starts f0monitor on a temporary SQLite database with a small demo caseload, opens each page in
headless Chromium with an empty cache (as a first visit on a weak network would), and prints
the bytes transferred (compressed, as sent on the wire) before and after the charts load, and
the serious / critical axe-core violations. With --shots it saves screenshots at phone
(390x844) and desktop (1280x800) sizes in Vietnamese and English. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from f0monitor import create_app  # noqa: E402
from f0monitor.cli.demo import DEMO_PASSWORD, DEMO_PATIENT_PHONE, seed_demo  # noqa: E402
from f0monitor.data.session import get_session, upgrade_db  # noqa: E402
from f0monitor.domain.clock import utcnow  # noqa: E402
from tests.live import CHROMIUM_ARGS, live_server  # noqa: E402

PAGES = [("login", "/login", False), ("register", "/register", False),
         ("report", "/report", True), ("home", "/home", True)]
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


def measure(page, cdp, url: str) -> tuple[int, int]:
    """Return (bytes of the page without plotly.js, bytes of plotly.js) on the wire."""
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}

    def on_response(event):
        urls[event["requestId"]] = event["response"]["url"]

    def on_finished(event):
        sizes[event["requestId"]] = int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    charts = sum(n for rid, n in sizes.items() if "plotly" in urls.get(rid, ""))
    return sum(sizes.values()) - charts, charts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", default=None, help="folder for screenshots")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "DATABASE_URL": f"sqlite:///{os.path.join(tmp, 'w.sqlite')}"}, instance_path=tmp)
    with app.app_context():
        upgrade_db()
        seed_demo(get_session(), now=utcnow(), n_patients=12)
        get_session().commit()
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    chromium = "/usr/bin/chromium"
    with live_server(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        print(f"{'page':<10} {'page (KB)':>10} {'plotly.js (KB)':>15}  axe serious/critical")
        for lang in ("vi", "en"):
            for size_name, (w, h) in SIZES.items():
                context = browser.new_context(viewport={"width": w, "height": h})
                page = context.new_page()
                if lang == "en":
                    page.goto(base + "/login")
                    page.click("header form button.linkish[lang=en]")
                for name, path, needs_login in PAGES:
                    if needs_login and name == "report":  # log in once, before the first private page
                        page.goto(base + "/login")
                        page.fill("#phone", DEMO_PATIENT_PHONE)
                        page.fill("#password", DEMO_PASSWORD)
                        page.click("button[type=submit].btn-primary")
                        page.wait_for_load_state("networkidle")
                    # A first visit: nothing in the cache.
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.clearBrowserCache")
                    at_load, total = measure(page, cdp, base + path)
                    cdp.detach()
                    if lang == "vi" and size_name == "phone":
                        violations = [v for v in Axe().run(page).response["violations"]
                                      if v["impact"] in ("serious", "critical")]
                        print(f"{name:<10} {at_load / 1024:>10.1f} {total / 1024:>15.1f}  "
                              f"{len(violations)} {[v['id'] for v in violations]}")
                    if args.shots:
                        Path(args.shots).mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=f"{args.shots}/{name}-{size_name}-{lang}.png", full_page=True)
                context.close()
        browser.close()


if __name__ == "__main__":
    main()

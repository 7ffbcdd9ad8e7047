"""No personal data in the server's access log: a journey through a live gunicorn, then its log.

A patient logs in, sends a report through the page and the API, looks at their home and data
pages and downloads their data; a doctor logs in, searches the queue by the patient's name and
by the phone (submitting the search form the way its HTML says, as a browser would), opens the
record. The access log must then hold none of the name, the phone in any format, the national
id, the passwords or the bearer token, while it does hold every request of the journey.
"""

from __future__ import annotations

import http.cookiejar
import re
import tempfile
import urllib.parse
import urllib.request
import uuid

from .benches import load_bench

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NAME = "Hoàng Thị Mỹ Duyên"
PHONE_FORMS = ("0912 777 345", "0912777345", "912777345", "84912777345", "+84912777345", "%2B84912777345")
NATIONAL_ID = "079123456789"
PASSWORD = "correct horse 1"


def _faults():
    return load_bench("faults")


class Browser:
    """Cookies, redirects and CSRF tokens, as a browser has them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict[str, str], method: str = "post") -> str:
        data = urllib.parse.urlencode(fields)
        if method.lower() == "get":
            return self.get(path + "?" + data)
        with self.opener.open(self.base + path, data=data.encode(), timeout=30) as response:
            return response.read().decode()

    def form(self, path: str, fields: dict[str, str]) -> str:
        token = CSRF.search(self.get(path)).group(1)
        return self.post(path, {"csrf_token": token, **fields})


def _seed(url: str) -> dict[str, int]:
    from f0monitor import create_app
    from f0monitor.data.models import User
    from f0monitor.data.session import get_session, upgrade_db
    from f0monitor.domain.clock import utcnow
    from f0monitor.services.patients import register_patient

    from .conftest import _PASSWORD_HASH, registration_data

    app = create_app({"TESTING": True, "SECRET_KEY": "seed", "DATABASE_URL": url},
                     instance_path=tempfile.mkdtemp(prefix="f0log-"))
    with app.app_context():
        upgrade_db()
        session = get_session()
        now = utcnow()
        patient = register_patient(session, registration_data(full_name=NAME, phone="+84912777345",
                                                              national_id=NATIONAL_ID), now=now)
        patient.user = User(phone=patient.phone, password_hash=_PASSWORD_HASH, role="patient",
                            full_name=NAME, province_code=91, ward_codes=[], created_at=now,
                            is_active_account=True, session_version=1)
        doctor = User(phone="+84908111222", password_hash=_PASSWORD_HASH, role="doctor",
                      full_name="Bác sĩ Trương Quang Vinh", province_code=91, ward_codes=[],
                      created_at=now, is_active_account=True, session_version=1, is_available=True)
        session.add(doctor)
        session.commit()
        ids = {"patient": patient.id}
    app.extensions["f0monitor.engine"].dispose()
    return ids


def test_a_journey_leaves_no_personal_data_in_the_access_log(tmp_path):
    faults = _faults()
    url = f"sqlite:///{tmp_path / 'journey.sqlite'}"
    ids = _seed(url)
    # Plain http on loopback: the cookie must not be Secure-only here (TLS is at the proxy).
    server = faults.Gunicorn(url, tmp_path, workers=1, SESSION_COOKIE_SECURE="false")
    base = f"http://127.0.0.1:{server.port}"
    try:
        patient = Browser(base)
        patient.form("/login", {"phone": "0912 777 345", "password": PASSWORD})
        report_page = patient.get("/report")
        found = re.search(r'name="client_key"[^>]*value="([^"]+)"', report_page)
        key = found.group(1) if found else uuid.uuid4().hex  # the page's script makes one per report
        home = patient.post("/report", {"csrf_token": CSRF.search(report_page).group(1), "client_key": key,
                                        "spo2": "97", "temperature_c": "37,2", "pulse": "82",
                                        "note": f"{NAME} gọi 0912777345",
                                        **{q: "no" for q in ("shortness_of_breath", "chest_pain",
                                                             "altered_consciousness", "cyanosis",
                                                             "cannot_drink_or_feed", "other_acute_illness")}})
        assert "97" in home
        assert NAME in patient.get("/privacy/my-data.json")
        patient.get("/privacy")

        status, _h, body, _s = faults.request(server.port, "POST", "/api/v1/tokens",
                                              {"phone": "+84912777345", "password": PASSWORD})
        assert status == 201, body
        token = body["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert faults.request(server.port, "GET", "/api/v1/me", headers=bearer)[0] == 200
        assert faults.request(server.port, "POST", "/api/v1/me/reports", {"spo2": 96},
                              {**bearer, "Idempotency-Key": "journey-1"})[0] == 201
        assert faults.request(server.port, "GET", "/api/v1/me/export", headers=bearer)[0] == 200

        doctor = Browser(base)
        doctor.form("/login", {"phone": "0908111222", "password": PASSWORD})
        queue = doctor.get("/staff/")
        form = re.search(r'<form method="(\w+)" action="([^"]+)" class="filters', queue)
        for query in ("my duyen", "0912 777 345"):
            page = doctor.post(form.group(2), {"csrf_token": CSRF.search(queue).group(1), "q": query},
                               method=form.group(1))
            assert NAME in page, query
        assert NAME in doctor.get("/staff/queue/live")
        assert NAME in doctor.get(f"/staff/patients/{ids['patient']}")
    finally:
        server.stop()

    log = server.access_log.read_text(encoding="utf-8", errors="replace")
    decoded = urllib.parse.unquote_plus(log)
    for path in ("/login", "/report", "/privacy/my-data.json", "/api/v1/tokens", "/api/v1/me/reports",
                 "/api/v1/me/export", "/staff/queue/live", f"/staff/patients/{ids['patient']}"):
        assert path in log, path  # the log is the journey's
    folded = "hoang thi my duyen"
    for secret in (NAME, *NAME.split()[1:], folded, "my+duyen", "my duyen", *PHONE_FORMS, "0908111222",
                   "84908111222", NATIONAL_ID, PASSWORD, token, "Trương Quang Vinh"):
        assert secret.lower() not in log.lower(), secret
        assert secret.lower() not in decoded.lower(), secret
    # And the app's own error log carries none of them either.
    errors = server.error_log.read_text(encoding="utf-8", errors="replace")
    for secret in (NAME, "0912777345", "84912777345", token):
        assert secret not in errors, secret


def test_the_old_get_search_is_redirected_without_the_search(app, make_patient, make_user):
    from .staff_helpers import sign_in

    make_patient(full_name="Nguyễn Thị Lan")
    make_patient(full_name="Trần Văn Bình")
    client = app.test_client()
    sign_in(client, make_user("doctor"))
    response = client.get("/staff/?q=Nguyen+Lan&tier=&flag=alert")
    assert response.status_code == 303
    assert response.headers["Location"] in ("/staff/?flag=alert", "http://localhost/staff/?flag=alert")
    page = client.get("/staff/").get_data(as_text=True)
    assert "Trần Văn Bình" in page  # the GET did not search
    assert client.get("/staff/queue/live?q=Nguyen").status_code == 200  # ignored there

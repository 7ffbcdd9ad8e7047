"""Vietnamese everywhere: every form submitted empty and wrong in vi, every API error with
Accept-Language: vi, shows no English word in its messages."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from .conftest import api_token, csrf_token, login

# Words that only English messages have (the Vietnamese catalog never uses them).
ENGLISH = re.compile(
    r"\b(this|field|required|valid|must|choice|choices|enter|the|not|is|characters?|between|"
    r"token|missing|invalid|number|value|date|length|unknown|least|most)\b",
    re.I,
)
ERROR_BITS = re.compile(r'<p class="field-error"[^>]*>(.*?)</p>|<div class="error-summary".*?</div>', re.S)


def _errors(html: str) -> list[str]:
    texts = []
    for match in ERROR_BITS.finditer(html):
        text = re.sub(r"<[^>]+>", " ", match.group(0))
        texts.append(" ".join(html_lib.unescape(text).split()))
    return texts


def _english(texts: list[str]) -> list[str]:
    # Field values the person typed are echoed back in some messages: "abc" is not ours.
    return [t for t in texts if ENGLISH.search(t.replace("SpO2", ""))]


WRONG = {
    "full_name": "x", "date_of_birth": "31/02/1990", "sex": "robot", "phone": "12", "password": "a",
    "province_code": "abc", "ward_code": "zz", "address": "", "positive_test_date": "hôm qua",
    "test_type": "blood", "height_cm": "cao", "weight_kg": "-5", "pregnancy_weeks": "x",
    "temperature_c": "nóng", "spo2": "97.5", "pulse": "1000", "respiratory_rate": "0,5",
    "systolic_bp": "abc", "diastolic_bp": "300", "reported_at": "sáng nay", "shortness_of_breath": "maybe",
    "role": "king", "max_patients": "nhiều", "ward_codes": "x", "channel": "fax", "outcome": "?",
    "current_password": "", "new_password": "a", "confirm": "b", "news2_scale": "9",
    "category": "x", "question": "", "code": "?",
}


def _forms(patient_id: int) -> list[tuple[str, str, str]]:
    """(who, page to get the token, url to post to)."""
    return [
        ("nobody", "/register", "/register"),
        ("nobody", "/login", "/login"),
        ("nobody", "/claim", "/claim"),
        ("nobody", "/ask", "/ask"),
        ("patient", "/report", "/report"),
        ("patient", "/account/password", "/account/password"),
        ("doctor", f"/staff/patients/{patient_id}", f"/staff/patients/{patient_id}/reports"),
        ("doctor", f"/staff/patients/{patient_id}", f"/staff/patients/{patient_id}/contacts"),
        ("doctor", "/staff/calculator/", "/staff/calculator/"),
        ("admin", "/staff/admin/users", "/staff/admin/users"),
    ]


@pytest.mark.parametrize("how", ["empty", "wrong", "no_csrf"])
def test_every_form_answers_in_vietnamese(app, make_patient, make_user, how):
    patient = make_patient(login=True)
    users = {"patient": patient.phone, "doctor": make_user("doctor").phone, "admin": make_user("admin").phone}
    checked = 0
    for who, page, url in _forms(patient.id):
        client = app.test_client()
        if who != "nobody":
            assert login(client, users[who]).status_code == 302
        token = csrf_token(client, page)
        data = {} if how == "no_csrf" else {"csrf_token": token}
        if how == "wrong":
            data.update(WRONG)
        response = client.post(url, data=data)
        assert response.status_code < 500, (url, how)
        body = response.get_data(as_text=True)
        if response.status_code in (302, 303):
            continue  # nothing to correct (e.g. a CSRF refusal sent back to a page)
        texts = _errors(body)
        assert _english(texts) == [], (url, how, _english(texts))
        checked += bool(texts)
    assert checked >= 5 or how == "no_csrf"  # the forms really answered with messages


API_CALLS = [
    ("post", "/api/v1/assess", {}),
    ("post", "/api/v1/assess", {"profile": {"date_of_birth": "x", "sex": 3, "news2_scale": 7}, "report": {"spo2": "a",
     "reported_at": "hôm qua", "symptoms": ["ho"], "temperature_c": 50}, "extra": 1}),
    ("post", "/api/v1/patients", {}),
    ("post", "/api/v1/patients", {"full_name": "x", "date_of_birth": "1990-13-01", "sex": "?", "phone": "1",
     "province_code": "x", "ward_code": "y", "address": "", "positive_test_date": 5, "test_type": "?",
     "consent": "perhaps", "national_id": "1"}),
    ("post", "/api/v1/tokens", {}),
    ("post", "/api/v1/tokens", {"phone": "0912", "password": "sai"}),
    ("get", "/api/v1/me", None),
    ("get", "/api/v1/no-such-thing", None),
    ("delete", "/api/v1/assess", None),
    ("post", "/api/v1/me/reports", {"spo2": 120, "reported_at": "2030-01-01T08:00:00+07:00", "pulse": "x"}),
    ("post", "/api/v1/me/reports", {"wat": 1}),
    ("get", "/api/v1/me/reports?page=x", None),
]


def _api_texts(body: dict) -> list[str]:
    error = body.get("error", {})
    texts = [error.get("message", "")]
    for messages in (error.get("fields") or {}).values():
        texts.extend(messages if isinstance(messages, list) else [str(messages)])
    return texts


def test_every_api_error_answers_in_vietnamese(client, make_patient):
    patient = make_patient(login=True)
    auth = api_token(client, patient.phone)
    problems = []
    for method, url, body in API_CALLS:
        headers = {"Accept-Language": "vi"}
        if url.startswith("/api/v1/me/"):
            headers.update(auth)
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code >= 400, url
        assert response.status_code < 500, url
        texts = _api_texts(response.get_json())
        english = [t for t in texts if ENGLISH.search(t.replace("SpO2", "").replace("NEWS2", ""))]
        problems.extend((url, t) for t in english)
    assert problems == [], problems

"""The input guard (http.inputguard): NUL bytes and deeply nested JSON are refused with 400
on every route, before CSRF, login or any parser sees them.

Generated from the URL map, as the junk-input test is, so a new route is covered the day it
is added. Answers: the API's JSON error under /api/, the friendly error page elsewhere.
"""

from __future__ import annotations

import json

import pytest

from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.http.auth import issue_token
from f0monitor.http.inputguard import json_depth_and_nul

from .staff_helpers import sign_in

IDS = {"patient_id": 1, "alert_id": 1, "transfer_id": 1, "consult_id": 1, "user_id": 1,
       "code": "vi", "province_code": 91, "filename": "css/app.css", "token_id": 1,
       "session_id": 1}
FIELDS = ["phone", "password", "full_name", "question", "text", "client_key", "note", "q",
          "reason", "answer", "address"]
CSRF_MESSAGE = "expired"


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


def _url(rule) -> str:
    return rule.build({k: IDS.get(k, 1) for k in rule.arguments}, append_unknown=False)[1]


def _assert_refused(response, url: str, how: str) -> None:
    assert response.status_code == 400, (url, how, response.status_code)
    if url.startswith("/api/"):
        body = response.get_json()
        assert body and body["error"]["code"] == "bad_request", (url, how)
    elif url.startswith("/fhir"):  # the FHIR feed answers in its own error shape
        assert response.mimetype == "application/fhir+json", (url, how)
        assert response.get_json()["resourceType"] == "OperationOutcome", (url, how)
    else:
        assert response.mimetype == "text/html", (url, how)
        text = response.get_data(as_text=True)
        assert "<h1>" in text and CSRF_MESSAGE not in text, (url, how)


def _clients(app, make_user, make_patient):
    """An anonymous visitor, a patient and a doctor, each with a CSRF token and a bearer."""
    patient = make_patient(login=True, phone="+84912000960")
    doctor = make_user("doctor")
    out = [(app.test_client(), "", {})]
    for user in (patient.user, doctor):
        client = app.test_client()
        token = sign_in(client, user)
        with app.app_context():
            bearer, _row = issue_token(get_session().merge(user), now=utcnow())
            get_session().commit()
        out.append((client, token, {"Authorization": f"Bearer {bearer}"}))
    return out


def test_nul_bytes_are_refused_on_every_route(app, make_user, make_patient):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    posts = [r for r in rules if "POST" in r.methods]
    gets = [r for r in rules if "GET" in r.methods]
    assert len(posts) > 20 and len(gets) > 20
    for client, token, headers in _clients(app, make_user, make_patient):
        for rule in posts:
            url = _url(rule)
            form = {name: "a\x00b" for name in FIELDS} | {"csrf_token": token}
            _assert_refused(client.post(url, data=form, headers=headers), url, "form")
            # A multipart form carries the NUL raw, not %00.
            multipart = {name: "a\x00b" for name in FIELDS} | {"csrf_token": token}
            response = client.post(url, data=multipart, content_type="multipart/form-data",
                                   headers=headers)
            _assert_refused(response, url, "multipart")
            body = json.dumps({name: "a\x00b" for name in FIELDS})  # the \u0000 escape
            assert "\\u0000" in body
            response = client.post(url, data=body, content_type="application/json", headers=headers)
            _assert_refused(response, url, "json")
            response = client.post(url, data=b'{"note": "a\x00b"}', content_type="application/json",
                                   headers=headers)
            _assert_refused(response, url, "raw json")
        for rule in gets:
            url = _url(rule)
            _assert_refused(client.get(url + "?q=a%00b", headers=headers), url, "query")
            _assert_refused(client.get(url, query_string={"page": "1\x00"}, headers=headers), url, "query raw")


def test_nul_in_the_path_is_refused(client):
    for path in ("/staff/patients/1%00", "/verify/AB%00CD", "/api/v1/transfers/1%00", "/login%00"):
        response = client.get(path)
        assert response.status_code == 400, path
        if path.startswith("/api/"):
            assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("depth", [50_000, 33])
def test_deeply_nested_json_is_refused_on_every_api_route(app, make_user, make_patient, depth):
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods and r.rule.startswith("/api/")]
    body = "[" * depth + "]" * depth
    for client, _token, headers in _clients(app, make_user, make_patient):
        for rule in posts:
            url = _url(rule)
            response = client.post(url, data=body, content_type="application/json", headers=headers)
            _assert_refused(response, url, f"depth {depth}")
    # Unbalanced, as an attacker sends it (100 KB of "["): still a 400, never a RecursionError.
    response = app.test_client().post("/api/v1/assess", data="[" * 100_000,
                                      content_type="application/json")
    _assert_refused(response, "/api/v1/assess", "unbalanced")


def test_ordinary_json_and_look_alikes_pass(client):
    body = {"profile": {"date_of_birth": "1980-01-01"},
            "report": {"spo2": 97, "symptoms": ["cough"]}, "previous_reports": []}
    assert client.post("/api/v1/assess", json=body).status_code == 200
    # Text that only looks like a NUL or a bracket is not one.
    assert json_depth_and_nul(b'{"note": "100%00 [[[[ \\\\u0000"}') == (1, False)
    assert json_depth_and_nul(b'{"a": [[{"b": "\\u0000"}]]}') == (4, True)
    assert json_depth_and_nul(b'["\\\\\\u0000"]') == (1, True)  # \\ then a real \u0000
    # At the limit the body reaches the schema, which names the unknown field (422, not 400).
    nested = "1"
    for _ in range(31):
        nested = '{"a": ' + nested + "}"
    response = client.post("/api/v1/assess", data='{"profile": ' + nested + "}",
                           content_type="application/json")
    assert response.status_code == 422, response.get_json()

"""No input a person can type or post gives a 500: junk sent to every POST route.

Generated from the URL map, so a new form or endpoint is covered the day it is added. Each
route gets form fields and JSON bodies full of wrong types, huge numbers, empty and very long
strings, as an anonymous visitor, a patient and the staff roles that may use it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Alert, ConsultRequest, Facility, Transfer
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.domain.vitals import NAMES as VITAL_NAMES
from f0monitor.http.auth import issue_token
from f0monitor.services.calls import open_task
from f0monitor.services.transfers import open_transfer

from .staff_helpers import WARNING, report, sign_in

JUNK_VALUES = ["", "abc", "-1", "1e309", "99999999999999999999", "x" * 3000, "<script>", "0", "1.5", "null"]
JUNK_JSON = [
    {},
    [],
    "text",
    {"phone": 5, "password": None, "spo2": "high", "temperature_c": [1], "symptoms": "cough"},
    {"action": "fly", "outcome": 7, "channel": None, "staff_id": "me", "facility_id": "x", "reason": ""},
    {"profile": {"date_of_birth": "1990-13-45"}, "report": {"reported_at": "soon", "pulse": 1e400}},
    {"full_name": "", "date_of_birth": "x", "province_code": 91, "ward_code": [], "consent": "yes"},
    # Every vital of the spec, with a wrong type or a number no column holds.
    {name: junk for name, junk in zip(VITAL_NAMES, [1e400, "high", [1], {"a": 1}, True, -1e308, "9" * 400] * 3, strict=False)},
    {"report": {name: "x" for name in VITAL_NAMES}, "profile": {"date_of_birth": "1990-01-01"}},
]


def _fields(app, rule) -> list[str]:
    """Every field name any of our forms or schemas uses, posted to every route."""
    return ["phone", "password", "full_name", "date_of_birth", "sex", "province_code", "ward_code",
            "address", "positive_test_date", "test_type", *VITAL_NAMES, "symptoms", "note",
            "client_key", "confirm_unusual", "reason", "facility_id", "ambulance_ref", "action",
            "outcome", "channel", "text", "staff_id", "q", "tier", "ward", "flag", "version",
            "negative_test_date", "general_free", "general_capacity", "answer", "forward_to", "category",
            "question", "code", "new_password", "confirm", "current_password", "role", "max_patients",
            "comorbidities", "height_cm", "weight_kg", "vaccine_doses", "news2_scale", "from", "to"]


@pytest.fixture
def app_config():
    # Throttling would answer 429 before the junk reached the forms; here the forms must see it.
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def world(app, make_patient, make_user):
    """One of everything a route id can point at, in the staff's area."""
    patient = make_patient(login=True, phone="+84912000950")
    other = make_patient(phone="+84912000951")
    report(app, other.id, **WARNING)
    users = {role: make_user(role) for role in ("volunteer", "doctor", "coordinator", "admin", "department",
                                                 "integration")}
    with app.app_context():
        session = get_session()
        session.add(Facility(name="BV", province_code=91, general_capacity=10, general_free=2, updated_at=utcnow()))
        session.add(ConsultRequest(phone="+84912000951", category="medical", question="?",
                                   created_at=utcnow(), state="open", province_code=91))
        session.flush()
        open_transfer(session, session.merge(other), reason="r", facility_id=None,
                      by=session.merge(users["coordinator"]), now=utcnow())
        task = open_task(session, patient=session.merge(other), reason="missed_report", now=utcnow())
        session.commit()
        ids = {
            "patient_id": other.id,
            "alert_id": session.scalar(sa.select(Alert.id)),
            "transfer_id": session.scalar(sa.select(Transfer.id)),
            "consult_id": session.scalar(sa.select(ConsultRequest.id)),
            "task_id": task.id,
            "user_id": users["volunteer"].id,
            "session_id": 1,
            "token_id": 1,
            "code": "vi",
            "province_code": 91,
            "filename": "css/app.css",
            "facility_id": session.scalar(sa.select(Facility.id)),
            "resource_id": "1",
            "questionnaire_id": "f0-symptoms",
            "job": "0" * 32,
            "name": "Patient.ndjson",
        }
    return {"patient": patient, "users": users, "ids": ids}


def test_junk_posted_anywhere_never_gives_a_500(app, world):
    # Logging out would end the session the rest of the run needs; it takes no input anyway.
    routes = [r for r in app.url_map.iter_rules()
              if "POST" in r.methods and r.endpoint not in ("static", "auth.logout")]
    assert len(routes) > 20
    actors = ["anonymous", "patient", "volunteer", "doctor", "coordinator", "admin", "department",
              "integration"]
    failures = []
    seen: set[int] = set()
    for actor in actors:
        client = app.test_client()
        token, headers = "", {}
        user = world["patient"].user if actor == "patient" else world["users"].get(actor)
        if user is not None:
            # A service account has no page session: it calls with its bearer token only.
            token = sign_in(client, user) if actor != "integration" else ""
            with app.app_context():
                bearer, _row = issue_token(get_session().merge(user), now=utcnow())
                get_session().commit()
            headers = {"Authorization": f"Bearer {bearer}"}
        for rule in routes:
            url = rule.build({k: world["ids"][k] for k in rule.arguments}, append_unknown=False)[1]
            for value in JUNK_VALUES:
                data = {name: value for name in _fields(app, rule)}
                data["csrf_token"] = token
                response = client.post(url, data=data)
                seen.add(response.status_code)
                if response.status_code >= 500:
                    failures.append((actor, url, "form", value[:20], response.status_code))
            if rule.rule.startswith("/api/"):
                for body in JUNK_JSON:
                    response = client.post(url, json=body, headers=headers)
                    seen.add(response.status_code)
                    if response.status_code >= 500:
                        failures.append((actor, url, "json", str(body)[:40], response.status_code))
    assert failures == []
    # The junk reached the validation (field errors, refused actions), not only the guards.
    assert 422 in seen, seen


def test_ids_no_column_can_hold_are_not_found(app, world):
    client = app.test_client()
    sign_in(client, world["users"]["coordinator"])
    assert client.get("/staff/patients/99999999999999999999").status_code == 404
    assert client.get(f"/staff/patients/{2**31}").status_code == 404
    with app.app_context():
        bearer, _row = issue_token(get_session().merge(world["users"]["coordinator"]), now=utcnow())
        get_session().commit()
    headers = {"Authorization": f"Bearer {bearer}"}
    response = client.post(f"/api/v1/patients/{world['ids']['patient_id']}/assignment",
                           json={"staff_id": 10**20}, headers=headers)
    assert response.status_code == 422 and "staff_id" in response.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/transfers/{10**20}", headers=headers).status_code == 404


def test_junk_query_strings_never_give_a_500(app, world):
    routes = [r for r in app.url_map.iter_rules()
              if "GET" in r.methods and r.endpoint not in ("static", "web.plotly_js")]
    names = ["page", "per_page", "from", "to", "tier", "ward", "flag", "q", "province", "sort",
             "assigned", "next", "code", "v", "lang", "state",
             # the FHIR search and export parameters
             "_count", "_page", "_id", "patient", "subject", "date", "authored", "_lastUpdated",
             "_since", "_type", "_outputFormat"]
    failures = []
    for actor in ("anonymous", "patient", "doctor", "coordinator", "admin", "department", "integration"):
        client = app.test_client()
        user = world["patient"].user if actor == "patient" else world["users"].get(actor)
        headers = {}
        if user is not None:
            if actor != "integration":
                sign_in(client, user)
            with app.app_context():
                bearer, _row = issue_token(get_session().merge(user), now=utcnow())
                get_session().commit()
            headers = {"Authorization": f"Bearer {bearer}"}
        for rule in routes:
            # Arguments a rule sets itself (the export format of /caseload.csv) are not filled in.
            values = {k: world["ids"][k] for k in rule.arguments if k not in (rule.defaults or {})}
            url = rule.build(values, append_unknown=False)[1]
            for value in ("abc", "-5", "99999999999999999999", "1e400", "", "2026-02-30"):
                response = client.get(url, query_string={n: value for n in names}, headers=headers)
                response.close()  # a streamed download is closed in its turn, as a server would
                if response.status_code >= 500:
                    failures.append((actor, url, value, response.status_code))
    assert failures == []

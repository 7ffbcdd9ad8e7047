"""The FHIR R4 feed: every resource validates, the round trip holds, scope, audit, export.

Resources are validated twice: with ``fhir.resources`` (its R4B models, the R4 release it
ships) and with ``fhirclient``'s R4 (4.0.1) models, which refuse unknown elements and wrong
types. A FHIR client (fhirclient) reads a patient, their Observations and their RiskAssessment
from a live server.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fhir.resources.R4B import get_fhir_model_class

from f0monitor.data.models import AuditEvent, Facility
from f0monitor.data.session import get_session
from f0monitor.domain import vitals
from f0monitor.domain.clock import local_date, utcnow

from .conftest import api_token
from .live import live_server

REPORT = {
    "temperature_c": 38.6, "spo2": 93, "spo2_recheck": 94, "pulse": 104,
    "respiratory_rate": 22, "systolic_bp": 128, "diastolic_bp": 84,
    "symptoms": ["fever", "cough", "shortness_of_breath"],
}
EXPECTED = {  # LOINC -> (value, UCUM code, unit) for the report above
    "8310-5": (38.6, "Cel", "°C"),
    "59408-5": (93, "%", "%"),
    "8867-4": (104, "/min", "/min"),
    "9279-1": (22, "/min", "/min"),
}


def validate(resource: dict) -> None:
    """Validate with fhir.resources (R4B) and fhirclient (R4); raise on any problem."""
    kind = resource["resourceType"]
    get_fhir_model_class(kind).model_validate(resource)
    module = __import__(f"fhirclient.models.{kind.lower()}", fromlist=[kind])
    getattr(module, kind)(resource, strict=True)


def validate_bundle(bundle: dict) -> list[dict]:
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    validate(bundle)
    resources = [e["resource"] for e in bundle.get("entry", [])]
    for resource in resources:
        validate(resource)
    return resources


@pytest.fixture
def feed(app, client, make_patient, make_user):
    """A patient who reported through the API (with a warning sign) and was transferred."""
    patient = make_patient(login=True, phone="+84912000301")
    other = make_patient(phone="+84912000302", province_code=79, ward_code=26734)
    integration = make_user("integration", phone="+84908000301")
    coordinator = make_user("coordinator", phone="+84908000302")
    elsewhere = make_user("integration", province_code=79, phone="+84908000303")
    with app.app_context():
        session = get_session()
        session.add(Facility(name="BV Đa khoa An Giang", province_code=91, general_capacity=10,
                             general_free=3, icu_capacity=2, icu_free=1, updated_at=utcnow()))
        session.commit()
        facility_id = session.scalar(sa.select(Facility.id))
    r = client.post("/api/v1/me/reports", json=REPORT, headers=api_token(client, patient.phone))
    assert r.status_code == 201, r.get_json()
    report = r.get_json()["report"]
    staff = api_token(client, coordinator.phone)
    t = client.post(f"/api/v1/patients/{patient.id}/transfers", json={"reason": "SpO2 93%", "facility_id": facility_id},
                    headers=staff)
    assert t.status_code == 201, t.get_json()
    tid = t.get_json()["id"]
    assert client.post(f"/api/v1/transfers/{tid}/events", json={"action": "dispatch", "ambulance_ref": "115-7", "override": True},
                       headers=staff).status_code == 200
    assert client.post(f"/api/v1/transfers/{tid}/events", json={"action": "admit"}, headers=staff).status_code == 200
    return {
        "patient": patient, "other": other, "report": report, "transfer_id": tid,
        "headers": {**api_token(client, integration.phone), "Accept": "application/fhir+json"},
        "elsewhere": api_token(client, elsewhere.phone), "integration": integration,
        "staff": staff,
    }


def _get(client, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/fhir+json"
    return response.get_json()


def test_metadata_is_a_valid_capability_statement(client):
    body = _get(client, "/fhir/metadata", {})
    validate(body)
    assert body["fhirVersion"] == "4.0.1"
    types = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert {"Patient", "Observation", "QuestionnaireResponse", "RiskAssessment", "Encounter"} <= set(types)
    assert {"patient", "date", "code"} <= {p["name"] for p in types["Observation"]["searchParam"]}
    assert body["rest"][0]["operation"][0]["name"] == "export"


def test_a_report_sent_through_the_api_comes_out_as_matching_observations(client, feed):
    pid = feed["patient"].id
    bundle = _get(client, f"/fhir/Observation?patient={pid}", feed["headers"])
    observations = validate_bundle(bundle)
    by_code: dict[str, list[dict]] = {}
    for obs in observations:
        assert obs["subject"] == {"reference": f"Patient/{pid}"}
        assert obs["category"][0]["coding"][0]["code"] == "vital-signs"
        assert obs["effectiveDateTime"] == feed["report"]["reported_at"]
        by_code.setdefault(obs["code"]["coding"][0]["code"], []).append(obs)
    for code, (value, ucum, unit) in EXPECTED.items():
        quantity = by_code[code][0]["valueQuantity"]
        assert by_code[code][0]["code"]["coding"][0]["system"] == "http://loinc.org"
        assert (quantity["value"], quantity["code"], quantity["unit"], quantity["system"]) == (
            value, ucum, unit, "http://unitsofmeasure.org")
    # The second SpO2 reading is its own Observation with the same code.
    assert sorted(o["valueQuantity"]["value"] for o in by_code["59408-5"]) == [93, 94]
    (bp,) = by_code["85354-9"]
    parts = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert parts["8480-6"]["value"] == 128 and parts["8462-4"]["value"] == 84
    assert parts["8480-6"]["code"] == vitals.vital("systolic_bp").ucum == "mm[Hg]"
    assert bundle["total"] == len(observations) == 6
    # Each Observation reads back by its id, the same resource.
    one = by_code["8867-4"][0]
    assert _get(client, f"/fhir/Observation/{one['id']}", feed["headers"]) == one
    # code= keeps one vital.
    only = validate_bundle(_get(client, f"/fhir/Observation?patient={pid}&code=http://loinc.org|8867-4",
                                feed["headers"]))
    assert [o["valueQuantity"]["value"] for o in only] == [104]


def test_symptoms_risk_and_transfer_resources(client, feed):
    pid = feed["patient"].id
    (qr,) = validate_bundle(_get(client, f"/fhir/QuestionnaireResponse?patient={pid}", feed["headers"]))
    answers = {i["linkId"]: i["answer"][0]["valueBoolean"] for i in qr["item"]}
    assert answers["fever"] and answers["shortness_of_breath"] and not answers["diarrhea"]
    questionnaire = _get(client, "/fhir/Questionnaire/f0-symptoms", feed["headers"])
    validate(questionnaire)
    assert qr["questionnaire"] == questionnaire["url"]

    (ra,) = validate_bundle(_get(client, f"/fhir/RiskAssessment?patient={pid}", feed["headers"]))
    tier = feed["report"]["tier"]
    assert ra["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == tier
    assert ra["method"]["coding"][0]["code"].startswith("VN-")
    basis = {b.get("identifier", {}).get("value") for b in ra["basis"]}
    assert "W1" in basis  # the warning sign (shortness of breath) is the basis
    assert {"reference": f"QuestionnaireResponse/{qr['id']}"} in ra["basis"]

    (enc,) = validate_bundle(_get(client, f"/fhir/Encounter?patient={pid}", feed["headers"]))
    assert enc["status"] == "finished" and enc["class"]["code"] == "EMER"
    assert [h["status"] for h in enc["statusHistory"]] == ["planned", "in-progress", "finished"]
    assert enc["hospitalization"]["destination"]["display"] == "BV Đa khoa An Giang"

    patient = _get(client, f"/fhir/Patient/{pid}", feed["headers"])
    validate(patient)
    assert patient["name"][0]["family"] == "Nguyễn" and patient["gender"] == "male"
    assert patient["active"] is False  # admitted: home treatment ended


def test_search_by_date_last_updated_and_paging(client, feed, make_patient):
    for i in range(3):
        make_patient(phone=f"+8491200040{i}")
    h = feed["headers"]
    first = _get(client, "/fhir/Patient?_count=2", h)
    assert first["total"] == 4 and len(validate_bundle(first)) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "next" in links and "previous" not in links
    second = _get(client, links["next"].split("localhost", 1)[-1], h)
    seen = {e["resource"]["id"] for e in first["entry"]} | {e["resource"]["id"] for e in second["entry"]}
    assert len(seen) == 4 and "next" not in {link["relation"] for link in second["link"]}
    # A date without a time is a Vietnamese day (from 17:00 UTC the UTC date is a day behind)
    future = (local_date(utcnow()) + timedelta(days=1)).isoformat()
    assert _get(client, f"/fhir/Patient?_lastUpdated=ge{future}", h)["total"] == 0
    assert _get(client, f"/fhir/Patient?_lastUpdated=lt{future}", h)["total"] == 4
    pid = feed["patient"].id
    assert _get(client, f"/fhir/Observation?patient={pid}&date=ge{future}", h)["total"] == 0
    assert _get(client, f"/fhir/Observation?patient={pid}&date=lt{future}", h)["total"] == 6
    bad = client.get("/fhir/Observation?date=yesterday", headers=h)
    assert bad.status_code == 400 and bad.get_json()["resourceType"] == "OperationOutcome"
    assert "date" in bad.get_json()["issue"][0]["diagnostics"]


def test_scope_auth_and_audit(client, app, feed):
    pid = feed["patient"].id
    # Another province's service account sees none of it; a record outside is "not found".
    assert _get(client, "/fhir/Patient", feed["elsewhere"])["total"] == 1  # their own patient only
    assert client.get(f"/fhir/Patient/{pid}", headers=feed["elsewhere"]).status_code == 404
    assert _get(client, f"/fhir/Observation?patient={pid}", feed["elsewhere"])["total"] == 0
    # No token: 401 in FHIR's error shape; staff tokens: 403.
    anonymous = client.get("/fhir/Patient")
    assert anonymous.status_code == 401 and anonymous.get_json()["issue"][0]["code"] == "login"
    assert client.get("/fhir/Patient", headers=feed["staff"]).status_code == 403
    with app.app_context():
        before = get_session().scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.patient_id == pid, AuditEvent.action.like("fhir.%")))
    _get(client, f"/fhir/RiskAssessment?patient={pid}", feed["headers"])
    _get(client, f"/fhir/Patient/{pid}", feed["headers"])
    with app.app_context():
        rows = get_session().scalars(sa.select(AuditEvent).where(
            AuditEvent.patient_id == pid, AuditEvent.action.like("fhir.%")).order_by(AuditEvent.id)).all()
    assert len(rows) == before + 2
    assert rows[-1].user_id == feed["integration"].id and rows[-1].detail == f"Patient/{pid}"


def test_the_integration_role_is_refused_everywhere_but_fhir(app, client, feed):
    h = feed["headers"]
    # Its own credentials (get, list and revoke its tokens) and the public routes; nothing else.
    allowed = {"api.create_token", "api.revoke_token", "api.openapi", "api.docs", "api.assess",
               "api.list_tokens", "api.revoke_token_by_id", "api.list_sessions", "api.revoke_session"}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in allowed:
            continue
        url = rule.build({a: 1 for a in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, json={}, headers=h)
            # The SMS gateway's hooks take no bearer token at all: without the hook token, 401.
            expected = 401 if rule.endpoint in ("api.sms_inbound", "api.sms_status_hook") else 403
            assert response.status_code == expected, (method, url, response.status_code)
    # No page session: the login form refuses a service account, and a session cookie is ignored.
    from .conftest import login

    response = login(client, feed["integration"].phone)
    assert response.status_code == 403
    assert "service account" in response.get_data(as_text=True) or "tài khoản dịch vụ" in response.get_data(as_text=True)
    assert client.get("/staff/", follow_redirects=False).status_code in (302, 303)


def test_bulk_export_streams_ndjson_of_the_province(app, client, feed):
    h = feed["headers"]
    kick = client.get("/fhir/$export", headers={**h, "Prefer": "respond-async"})
    assert kick.status_code == 202, kick.get_data(as_text=True)
    status_url = kick.headers["Content-Location"].split("localhost", 1)[-1]
    for _ in range(100):
        poll = client.get(status_url, headers=h)
        if poll.status_code != 202:
            break
        assert poll.headers["X-Progress"]
        time.sleep(0.1)
    assert poll.status_code == 200, poll.get_data(as_text=True)
    manifest = poll.get_json()
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts == {"Patient": 1, "Observation": 6, "QuestionnaireResponse": 1,
                      "RiskAssessment": 1, "Encounter": 1}
    for output in manifest["output"]:
        response = client.get(output["url"].split("localhost", 1)[-1], headers=h)
        assert response.status_code == 200 and response.mimetype == "application/fhir+ndjson"
        lines = response.get_data(as_text=True).splitlines()
        response.close()
        assert len(lines) == output["count"]
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == output["type"]
            validate(resource)
    # Other callers cannot poll or download it; the one patient exported is in the audit trail.
    assert client.get(status_url, headers=feed["elsewhere"]).status_code == 404
    assert client.get(manifest["output"][0]["url"].split("localhost", 1)[-1]).status_code == 401
    with app.app_context():
        audited = get_session().scalars(sa.select(AuditEvent.patient_id).where(AuditEvent.action == "fhir.export")).all()
    assert audited == [feed["patient"].id]  # not the patient of the other province
    assert client.delete(status_url, headers=h).status_code == 202
    assert client.get(status_url, headers=h).status_code == 404
    assert client.get("/fhir/$export?_type=Medication", headers=h).status_code == 400


def test_a_fhir_client_reads_patient_observations_and_risk(app, feed):
    from fhirclient import client as fhir_client
    from fhirclient.models.observation import Observation
    from fhirclient.models.patient import Patient
    from fhirclient.models.riskassessment import RiskAssessment

    pid = str(feed["patient"].id)
    with live_server(app) as base:
        smart = fhir_client.FHIRClient(settings={"app_id": "f0monitor-test", "api_base": base + "/fhir/"})
        smart.server.session.headers["Authorization"] = feed["headers"]["Authorization"]
        patient = Patient.read(pid, smart.server)
        assert patient.name[0].text == feed["patient"].full_name
        observations = list(Observation.where(struct={"patient": pid}).perform_resources_iter(smart.server))
        heart = [o for o in observations if o.code.coding[0].code == "8867-4"]
        assert heart[0].valueQuantity.value == 104 and heart[0].valueQuantity.code == "/min"
        (risk,) = list(RiskAssessment.where(struct={"patient": pid}).perform_resources_iter(smart.server))
        assert risk.prediction[0].qualitativeRisk.coding[0].code == feed["report"]["tier"]

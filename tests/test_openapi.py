"""The OpenAPI description tells the truth: every API route, every answer, the docs page.

The spec is compared with the URL map (a route missing from it, or a path it invents, fails),
every view declares its answers with @documented, and real answers of the facilities and
transfers endpoints are checked against the schemas the spec gives for them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Facility, Transfer
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow

from .conftest import AN_GIANG, api_token


def _spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_every_api_route_is_in_the_spec_and_nothing_else(app, client):
    spec = _spec(client)
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    assert len(routes) >= 24


def test_every_view_declares_its_answers(app):
    undeclared = [
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and getattr(app.view_functions[rule.endpoint], "openapi", None) is None
    ]
    assert undeclared == [], "add @documented(...) to these views: " + ", ".join(undeclared)


def test_operations_carry_their_errors_roles_and_pages(client):
    spec = _spec(client)
    paths = spec["paths"]
    error = {"$ref": "#/components/schemas/Error"}
    for path, ops in paths.items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == error or schema["$ref"].endswith("ConflictOut"), (path, method, status)
            if op["security"] == [{"bearer": []}]:
                assert {"401", "403"} <= set(op["responses"]) and op["x-roles"], (path, method)
            if "{" in path:
                assert "404" in op["responses"], (path, method)
            if "requestBody" in op:
                assert {"400", "422"} <= set(op["responses"]), (path, method)
    assert set(paths["/api/v1/tokens"]["post"]["responses"]) >= {"201", "401", "429"}
    assert set(paths["/api/v1/tokens/current"]["delete"]["responses"]) >= {"204"}
    assert "content" not in paths["/api/v1/tokens/current"]["delete"]["responses"]["204"]
    assert set(paths["/api/v1/me/reports"]["post"]["responses"]) >= {"200", "201", "409", "422"}
    queue = paths["/api/v1/queue"]["get"]
    assert queue["x-roles"] == ["admin", "coordinator", "doctor", "volunteer"]
    assert {p["name"] for p in queue["parameters"]} >= {"page", "per_page", "tier", "flag", "ward"}
    page = queue["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert spec["components"]["schemas"][page]["required"] == ["items", "page", "per_page", "total"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    # Stateful links: a registration leads to the operations that take its patient_id.
    links = paths["/api/v1/patients"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} >= {"staff_patient", "create_transfer", "staff_report"}
    assert paths["/api/v1/facilities/{facility_id}"]["patch"]["responses"]["409"]["content"][
        "application/json"]["schema"]["$ref"].endswith("FacilityConflictOut")


@pytest.fixture
def facilities(app):
    with app.app_context():
        session = get_session()
        main = Facility(name="BV Đa khoa Trung tâm An Giang", province_code=AN_GIANG, general_capacity=120,
                        general_free=18, oxygen_capacity=40, oxygen_free=6, icu_capacity=12, icu_free=2,
                        updated_at=utcnow())
        other = Facility(name="BV Chợ Rẫy", province_code=79, general_capacity=10, general_free=5, updated_at=utcnow())
        session.add_all([main, other])
        session.commit()
        return {"id": main.id, "other": other.id}


def test_facilities_list_beds_by_type(client, make_user, facilities):
    volunteer = api_token(client, make_user("volunteer").phone)
    body = client.get("/api/v1/facilities", headers=volunteer).get_json()
    assert body["total"] == 1  # own province only
    (item,) = body["items"]
    assert item["beds"] == {"general": {"capacity": 120, "free": 18}, "oxygen": {"capacity": 40, "free": 6},
                            "icu": {"capacity": 12, "free": 2}}  # no ventilator beds: absent
    assert item["version"] == 1 and item["province_code"] == "91"
    assert client.get("/api/v1/facilities?province=79", headers=volunteer).status_code == 404
    assert client.get("/api/v1/facilities").status_code == 401


def test_patch_facility_checks_version_and_figures(client, make_user, facilities):
    coord = api_token(client, make_user("coordinator").phone)
    url = f"/api/v1/facilities/{facilities['id']}"
    r = client.patch(url, json={"beds": {"icu": {"capacity": 12, "free": 0},
                                         "ventilator": {"capacity": 4, "free": 4}, "oxygen": None},
                                "version": 1}, headers=coord)
    assert r.status_code == 200, r.get_json()
    beds = r.get_json()["beds"]
    assert beds["icu"] == {"capacity": 12, "free": 0} and beds["ventilator"] == {"capacity": 4, "free": 4}
    assert "oxygen" not in beds and beds["general"] == {"capacity": 120, "free": 18}
    assert r.get_json()["version"] == 2
    stale = client.patch(url, json={"beds": {"general": {"capacity": 1, "free": 1}}, "version": 1}, headers=coord)
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "conflict"
    assert stale.get_json()["facility"]["beds"]["icu"]["free"] == 0  # the current figures
    bad = client.patch(url, json={"beds": {"icu": {"capacity": 2, "free": 3}}, "version": 2}, headers=coord)
    assert bad.status_code == 422 and list(bad.get_json()["error"]["fields"]) == ["beds.icu.free"]
    gone = client.patch(url, json={"beds": {"general": None}, "version": 2}, headers=coord)
    assert gone.status_code == 422
    # Nothing half-stored by the refusals; doctors may not change beds; other provinces are 404.
    assert client.get("/api/v1/facilities", headers=coord).get_json()["items"][0]["version"] == 2
    doctor = api_token(client, make_user("doctor").phone)
    assert client.patch(url, json={"beds": {}, "version": 2}, headers=doctor).status_code == 403
    assert client.patch(f"/api/v1/facilities/{facilities['other']}", json={"beds": {}, "version": 1},
                        headers=coord).status_code == 404


def test_transfers_list_with_milestones(app, client, make_patient, make_user, facilities):
    coord = api_token(client, make_user("coordinator").phone)
    first, second = make_patient(phone="+84912000501"), make_patient(phone="+84912000502")
    t1 = client.post(f"/api/v1/patients/{first.id}/transfers", json={"reason": "SpO2 90", "facility_id": facilities["id"]},
                     headers=coord).get_json()["id"]
    client.post(f"/api/v1/patients/{second.id}/transfers", json={"reason": "ngực đau"}, headers=coord)
    with app.app_context():  # move the first transfer's request 30 minutes back
        session = get_session()
        transfer = session.get(Transfer, t1)
        transfer.requested_at -= timedelta(minutes=30)
        transfer.events[0].at -= timedelta(minutes=30)
        session.commit()
    client.post(f"/api/v1/transfers/{t1}/events", json={"action": "dispatch", "ambulance_ref": "115-1", "override": True}, headers=coord)
    client.post(f"/api/v1/transfers/{t1}/events", json={"action": "admit"}, headers=coord)
    open_ = client.get("/api/v1/transfers", headers=coord).get_json()
    assert [i["patient_id"] for i in open_["items"]] == [second.id] and open_["total"] == 1
    closed = client.get("/api/v1/transfers?state=closed", headers=coord).get_json()
    (item,) = closed["items"]
    assert item["state"] == "admitted" and item["dispatched_at"] and item["admitted_at"]
    assert item["minutes"]["request_to_dispatch"] == 30 and item["minutes"]["dispatch_to_admit"] == 0
    assert item["minutes"]["request_to_admit"] == 30
    assert client.get("/api/v1/transfers?state=all", headers=coord).get_json()["total"] == 2
    assert client.get("/api/v1/transfers?state=nope", headers=coord).status_code == 422
    elsewhere = api_token(client, make_user("coordinator", province_code=79, phone="+84908000777").phone)
    assert client.get("/api/v1/transfers?state=all", headers=elsewhere).get_json()["total"] == 0
    with app.app_context():
        from f0monitor.data.models import AuditEvent

        listed = get_session().scalars(sa.select(AuditEvent.patient_id).where(AuditEvent.action == "transfer.list")).all()
    assert set(listed) == {first.id, second.id}


def test_docs_page_serves_the_viewer_or_the_fallback(app, client):
    from f0monitor.api.docs import viewer_installed

    response = client.get("/api/v1/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "https://" not in html.split("<body>")[0]  # nothing from another host in the head
    with app.app_context():
        installed = viewer_installed()
    if installed:
        assert "swagger-ui-bundle.js" in html and 'data-spec-url="/api/v1/openapi.json"' in html
    else:
        assert "make assets" in html
    assert "/api/v1/queue" in html  # every operation is listed (the fallback, and in <noscript>)

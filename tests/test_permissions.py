"""The permission matrix: every route of the app × every role (and anonymous).

Generated from the URL map, so a new route is covered the day it is added: a view without an
``@access`` rule fails here. The expected outcome comes from the declared roles, and for the
routes of the staff workspace also from explicit expectations, so a rule loosened by mistake
fails too. Cross-area access is a 404, never a 403 (ids cannot be probed).
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from f0monitor.data.models import ROLES, Facility, User
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.http.access import ACCESS_ATTR, PUBLIC, STAFF
from f0monitor.http.auth import issue_token

from .conftest import LONG_XUYEN, _other_ward
from .staff_helpers import WARNING, report, sign_in

ANONYMOUS = "anonymous"
MISSING_ID = 987654

STAFF_SET = frozenset(STAFF)
EXPLICIT = {
    "staff.index": STAFF_SET,
    "staff.queue_live": STAFF_SET,
    "staff.patient": STAFF_SET,
    "staff.add_report": STAFF_SET,
    "staff.add_contact_view": STAFF_SET,
    "staff.assign_view": STAFF_SET,
    "staff.claim_code": STAFF_SET,
    "staff.acknowledge_alert": STAFF_SET,
    "staff.resolve_alert": STAFF_SET,
    "staff.register_caller": STAFF_SET,
    "staff.workload_view": frozenset({"coordinator", "admin"}),
    "staff.admin_users": frozenset({"admin"}),
    "staff.admin_deactivate": frozenset({"admin"}),
    "staff.admin_reactivate": frozenset({"admin"}),
    "staff.admin_audit": frozenset({"admin"}),
    "api.queue": STAFF_SET,
    "api.staff_patient": STAFF_SET,
    "api.staff_report": STAFF_SET,
    "api.staff_note": STAFF_SET,
    "api.staff_assignment": STAFF_SET,
    "api.alert_acknowledge": STAFF_SET,
    "api.alert_resolve": STAFF_SET,
    "claim.claim": frozenset({PUBLIC}),
    # Transfers, discharge, consults, profile, calculator: pinned so a loosened rule fails.
    "api.create_transfer": STAFF_SET,
    "api.get_transfer": STAFF_SET,
    "api.transfer_event": frozenset({"doctor", "coordinator", "admin"}),
    "api.discharge": frozenset({"doctor", "coordinator", "admin"}),
    "staff.transfers": STAFF_SET,
    "staff.transfer": STAFF_SET,
    "staff.new_transfer": STAFF_SET,
    "staff.transfer_event": frozenset({"doctor", "coordinator", "admin"}),
    "staff.discharge_patient": frozenset({"doctor", "coordinator", "admin"}),
    "staff.certificate": STAFF_SET,
    "staff.facilities": STAFF_SET,
    "staff.consults": STAFF_SET,
    "staff.consult": STAFF_SET,
    "staff.consult_stats": frozenset({"coordinator", "admin"}),
    "staff.edit_profile": STAFF_SET,
    "calculator.page": STAFF_SET,
    "public.my_certificate": frozenset({"patient"}),
    "api.create_own_report": frozenset({"patient"}),
    "api.list_own_reports": frozenset({"patient"}),
    # Every login (a FHIR service account never holds a page session, so never gets there).
    "auth.change_password": frozenset(ROLES),
    "api.list_facilities": STAFF_SET,
    "api.patch_facility": frozenset({"coordinator", "admin"}),
    "api.list_transfers": STAFF_SET,
    "fhir.search_patient": frozenset({"integration", "admin"}),
    "fhir.search_observation": frozenset({"integration", "admin"}),
    "fhir.export_start": frozenset({"integration", "admin"}),
    "patients.home": frozenset({"patient"}),
    "patients.new_report": frozenset({"patient"}),
    "api.me": frozenset({"patient"}),
    "api.caseload_list": frozenset({"department", "admin"}),
    "department.index": frozenset({"department", "admin"}),
    "department.export": frozenset({"department", "admin"}),
    # The line lists (issue 11): personal data of an area, for those who coordinate it.
    "staff.line_list": frozenset({"coordinator", "admin"}),
    "staff.report_list": frozenset({"coordinator", "admin"}),
    "staff.outbox": frozenset({"coordinator", "admin"}),
    "api.patient_timeline": STAFF_SET,
    "api.update_preferences": frozenset({"patient"}),
    "patients.reminders": frozenset({"patient"}),
    # Call rounds and follow-up channels (issue 10): every member of staff, nobody else.
    "staff.calls": STAFF_SET,
    "staff.next_call": STAFF_SET,
    "staff.claim_call": STAFF_SET,
    "staff.call": STAFF_SET,
    "staff.save_call": STAFF_SET,
    "staff.change_follow_up": STAFF_SET,
    "api.calls": STAFF_SET,
    "api.next_call": STAFF_SET,
    "api.call_outcome": STAFF_SET,
    "api.patch_follow_up": STAFF_SET,
    "api.sms_inbound": frozenset({PUBLIC}),
}

# Public routes that still turn some logged-in roles away, on purpose.
STATUS_OVERRIDES = {
    # Registration by token is for staff (a caller) or nobody (oneself): not for other logins.
    ("api.create_patient", "patient"): 403,
    ("api.create_patient", "department"): 403,
    # The SMS gateway's hooks need no login but the shared hook token: without it, 401 for all.
    **{("api.sms_status_hook", r): 401 for r in (*ROLES, ANONYMOUS)},
    **{("api.sms_inbound", r): 401 for r in (*ROLES, ANONYMOUS)},
    ("api.create_patient", "integration"): 403,
    ("api.create_patient", "facility"): 403,
}


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        methods = rule.methods - {"HEAD", "OPTIONS"}
        method = "GET" if "GET" in methods else sorted(methods)[0]
        values = {}
        for name, converter in rule._converters.items():
            is_int = isinstance(converter, IntegerConverter)
            values[name] = MISSING_ID if is_int else "vi" if name == "code" else "x"
        yield rule, method, values


def test_every_route_declares_its_access(app):
    undeclared = [r.endpoint for r, _m, _v in _routes(app)
                  if getattr(app.view_functions[r.endpoint], ACCESS_ATTR, None) is None]
    assert undeclared == [], f"views without an @access rule: {undeclared}"


def test_explicit_expectations_match_declarations(app):
    for endpoint, expected in EXPLICIT.items():
        view = app.view_functions.get(endpoint)
        assert view is not None, f"{endpoint} is gone: update the matrix"
        assert getattr(view, ACCESS_ATTR) == expected, endpoint
    for rule, _m, _v in _routes(app):
        declared = getattr(app.view_functions[rule.endpoint], ACCESS_ATTR)
        if rule.endpoint.startswith("staff."):
            # The workspace never serves patients; no staff route is public unless listed.
            assert "patient" not in declared, rule.endpoint
            assert PUBLIC not in declared or EXPLICIT.get(rule.endpoint) == {PUBLIC} or "certificate" in rule.endpoint or "verify" in rule.endpoint, rule.endpoint


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_matrix(app, make_user, make_patient, role):
    user = None
    if role == "patient":
        patient = make_patient(login=True)
        with app.app_context():
            user = get_session().get(User, patient.user_id)
    elif role == "facility":  # a hospital's staff: scoped to their facility
        with app.app_context():
            session = get_session()
            facility = Facility(name="BV Đa khoa An Giang", province_code=91, general_capacity=10,
                                general_free=5, updated_at=utcnow())
            session.add(facility)
            session.commit()
            facility_id = facility.id
        user = make_user(role, facility_id=facility_id)
    elif role != ANONYMOUS:
        user = make_user(role)
    failures = []
    for rule, method, values in _routes(app):
        declared = getattr(app.view_functions[rule.endpoint], ACCESS_ATTR)
        client = app.test_client()
        url = rule.build(values, append_unknown=False)[1]
        api = url.startswith(("/api/", "/fhir"))  # bearer tokens, answers 401 / 403
        headers = {}
        data = None
        if api:
            if user is not None:
                with app.app_context():
                    token, _row = issue_token(get_session().get(User, user.id), now=utcnow())
                    get_session().commit()
                headers["Authorization"] = "Bearer " + token
            kwargs = {"json": {}} if method != "GET" else {}
        else:
            token = sign_in(client, user) if user is not None and role != "integration" else re.search(
                r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)
            ).group(1)
            data = {"csrf_token": token}
            kwargs = {"data": data} if method != "GET" else {}
        response = client.open(url, method=method, headers=headers, **kwargs)
        status = response.status_code
        # A streamed download (the exports) is closed here, in the request's turn, as a WSGI
        # server would: left to the garbage collector, its context would be popped out of turn.
        response.close()
        location = response.headers.get("Location", "")
        if (rule.endpoint, role) in STATUS_OVERRIDES:
            expected = str(STATUS_OVERRIDES[(rule.endpoint, role)])
            ok = status == STATUS_OVERRIDES[(rule.endpoint, role)]
        elif PUBLIC in declared:
            ok = status not in (401, 403) and status < 500
            expected = "not 401/403/5xx"
        elif role == ANONYMOUS or (role == "integration" and not api):
            # A service account has no page session: every page sends it to the login form.
            ok = status == 401 if api else (status == 302 and "/login" in location)
            expected = "401" if api else "redirect to login"
        elif role in declared:
            ok = status not in (401, 403) and status < 500 and "/login" not in location
            expected = "allowed"
        else:
            ok = status == 403
            expected = "403"
        if not ok:
            failures.append(f"{method} {url} ({rule.endpoint}) as {role}: {status} {location}, expected {expected}")
    assert failures == []


def test_cross_area_is_404_on_pages_and_api(app, client, make_patient, make_user):
    outside = make_patient(ward_code=_other_ward())
    alert = report(app, outside.id, **WARNING)
    doctor = make_user("doctor", ward_codes=(LONG_XUYEN,))
    token = sign_in(client, doctor)
    for url in (f"/staff/patients/{outside.id}",):
        assert client.get(url).status_code == 404
    for url in (f"/staff/patients/{outside.id}/contacts", f"/staff/patients/{outside.id}/reports",
                f"/staff/patients/{outside.id}/assignment", f"/staff/patients/{outside.id}/claim-code",
                f"/staff/alerts/{alert.id}/acknowledge", f"/staff/alerts/{alert.id}/resolve"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    admin_elsewhere = make_user("admin", province_code=1)
    token = sign_in(client, admin_elsewhere)
    assert client.get(f"/staff/admin/patients/{outside.id}/audit").status_code == 404
    assert client.get(f"/staff/patients/{outside.id}").status_code == 404
    with app.app_context():
        headers = {"Authorization": "Bearer " + issue_token(get_session().get(User, doctor.id), now=utcnow())[0]}
        get_session().commit()
    assert client.get(f"/api/v1/patients/{outside.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/alerts/{alert.id}/acknowledge", headers=headers).status_code == 404

"""The health department's API and pages: figures, CSV, validation, scope, permissions, audit."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from f0monitor.data.models import AuditEvent
from f0monitor.data.session import get_session
from f0monitor.domain.clock import local_date, utcnow

from .conftest import AN_GIANG, LONG_XUYEN, api_token, login
from .staff_helpers import sign_in

FIELDS = {"date", "ward_code", "active", "new", "recovered", "transferred", "deceased", "by_tier",
          "overdue", "alerts_opened", "median_minutes_to_acknowledge"}
CSV_COLUMNS = ["date", "ward_code", "active", "new", "recovered", "transferred", "deceased",
               "by_tier_green", "by_tier_yellow", "by_tier_orange", "by_tier_red",
               "overdue", "alerts_opened", "median_minutes_to_acknowledge"]



def _exports(app) -> list[AuditEvent]:
    with app.app_context():
        return get_session().scalars(sa.select(AuditEvent).where(AuditEvent.action == "export_caseload")).all()


def test_api_items_have_exactly_the_documented_fields(client, dept, caseload_data):
    headers = api_token(client, dept.phone)
    response = client.get("/api/v1/caseload", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert body["total"] == 14 * 2  # the last 14 days, two wards with patients
    item = body["items"][0]
    assert set(item) == FIELDS
    assert set(item["by_tier"]) == {"green", "yellow", "orange", "red"}
    assert isinstance(item["ward_code"], str)
    today = [i for i in body["items"] if i["date"] == local_date(utcnow()).isoformat()]
    page2 = client.get("/api/v1/caseload?per_page=5&page=2", headers=headers).get_json()
    assert (page2["page"], page2["per_page"], len(page2["items"])) == (2, 5, 5)
    assert page2["items"][0] == body["items"][5]
    last = client.get("/api/v1/caseload?per_page=200", headers=headers).get_json()["items"]
    today = [i for i in last if i["date"] == local_date(utcnow()).isoformat()]
    assert sum(i["active"] for i in today) == 2
    assert sum(sum(i["by_tier"].values()) for i in today) == 2


def test_api_ward_and_province_filters(client, dept, caseload_data):
    headers = api_token(client, dept.phone)
    items = client.get(f"/api/v1/caseload?ward={LONG_XUYEN}&province={AN_GIANG}", headers=headers).get_json()["items"]
    assert {i["ward_code"] for i in items} == {str(LONG_XUYEN)}
    assert sum(i["new"] for i in items) == 1


def test_csv_has_the_same_columns_and_is_audited(app, client, dept, caseload_data):
    headers = {**api_token(client, dept.phone), "Accept": "text/csv"}
    response = client.get("/api/v1/caseload", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == CSV_COLUMNS
    assert len(rows) == 1 + 28
    events = _exports(app)
    assert len(events) == 1 and events[0].patient_id is None and events[0].user_id == dept.id


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-10&to=2026-03-01", "from"),
        ("from=2024-01-01&to=2025-06-01", "to"),
        ("ward=99999999", "ward"),
        ("ward=abc", "ward"),
        ("province=999", "province"),
        ("page=x", "page"),
    ],
)
def test_validation_errors_name_the_field(client, dept, query, field):
    response = client.get("/api/v1/caseload?" + query, headers=api_token(client, dept.phone))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_outside_the_users_province_is_not_found(client, dept):
    from f0monitor.services import areas

    headers = api_token(client, dept.phone)
    assert client.get("/api/v1/caseload?province=1", headers=headers).status_code == 404
    ward_elsewhere = areas.wards(1)[0][0]
    assert client.get(f"/api/v1/caseload?ward={ward_elsewhere}", headers=headers).status_code == 404


def test_a_department_of_another_province_sees_nothing_of_ours(client, make_user, caseload_data):
    other = make_user("department", province_code=1)
    body = client.get("/api/v1/caseload", headers=api_token(client, other.phone)).get_json()
    assert body["items"] == [] and body["total"] == 0
    sign_in(client, other)
    html = client.get("/department/").get_data(as_text=True)
    assert str(LONG_XUYEN) not in html


@pytest.mark.parametrize("role", ["patient", "doctor", "volunteer", "coordinator"])
def test_other_roles_are_refused(app, client, make_user, make_patient, role):
    if role == "patient":
        patient = make_patient(login=True)
        phone = patient.phone
        with app.app_context():
            from f0monitor.data.models import User

            user = get_session().get(User, patient.user_id)
    else:
        user = make_user(role)
        phone = user.phone
    assert client.get("/api/v1/caseload", headers=api_token(client, phone)).status_code == 403
    sign_in(client, user)
    assert client.get("/department/").status_code == 403
    assert client.get("/department/caseload.csv").status_code == 403
    assert _exports(app) == []


def test_anonymous(client):
    assert client.get("/api/v1/caseload").status_code == 401
    response = client.get("/department/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_department_lands_on_its_dashboard(client, dept):
    response = login(client, dept.phone)
    assert response.status_code == 302 and response.headers["Location"].endswith("/department/")


@pytest.mark.parametrize(("locale", "texts"), [
    ("vi", ["Hôm nay", "Theo phường, xã", "Xuất CSV"]),
    ("en", ["Today", "By ward", "Export CSV"]),
])
def test_dashboard_renders_in_both_languages(client, make_user, caseload_data, locale, texts):
    user = make_user("department", locale=locale)
    sign_in(client, user)
    response = client.get("/department/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in texts:
        assert text in html
    assert "data-figure" in html and "/assets/plotly.min.js" in html
    assert "Long Xuyên" in html  # the ward table names the wards


def test_dashboard_sorts_and_keeps_bad_input_at_the_field(client, dept, caseload_data):
    sign_in(client, dept)
    assert client.get("/department/?sort=overdue&dir=asc").status_code == 200
    response = client.get("/department/?from=2026-03-10&to=2026-03-01")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "error-summary" in html
    assert client.get("/department/?province=1").status_code == 404


def test_page_export_is_audited(app, client, dept, caseload_data):
    sign_in(client, dept)
    response = client.get(f"/department/caseload.csv?ward={LONG_XUYEN}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CSV_COLUMNS and {r[1] for r in rows[1:]} == {str(LONG_XUYEN)}
    events = _exports(app)
    assert len(events) == 1 and events[0].patient_id is None


def test_admin_without_province_sees_every_province(client, make_user, make_patient):
    make_patient(province_code=1, ward_code=__import__("f0monitor.services.areas", fromlist=["wards"]).wards(1)[0][0])
    make_patient()
    admin = make_user("admin", province_code=None)
    body = client.get("/api/v1/caseload", headers=api_token(client, admin.phone)).get_json()
    today = local_date(utcnow()).isoformat()
    assert sum(i["new"] for i in body["items"] if i["date"] == today) == 2
    one = client.get("/api/v1/caseload?province=1", headers=api_token(client, admin.phone)).get_json()
    assert sum(i["new"] for i in one["items"] if i["date"] == today) == 1

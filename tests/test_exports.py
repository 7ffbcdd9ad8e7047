"""Streamed exports (issue 11): the caseload in CSV and XLSX, the coordinators' line lists.

Content and headers, the area (scope), who may download, the audit trail, the filters, that
the responses are streamed from a server-side cursor, and publication's "<5".
"""

from __future__ import annotations

import csv
import glob
import inspect
import io
import os
import re
import tempfile
import zipfile
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from f0monitor.data.models import AuditEvent
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.services import areas, exports

from .conftest import LONG_XUYEN, _other_ward
from .staff_helpers import WARNING, report, sign_in

BOM = "\ufeff".encode()
CASELOAD_COLUMNS = ["date", "ward_code", "active", "new", "recovered", "transferred", "deceased",
                    "by_tier_green", "by_tier_yellow", "by_tier_orange", "by_tier_red",
                    "overdue", "alerts_opened", "median_minutes_to_acknowledge"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(BOM), "CSV for spreadsheets starts with the UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group(0)
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _xlsx(data: bytes) -> list[list[str]]:
    """Read the first sheet back: openpyxl when installed, else the sheet's XML in the zip."""
    try:
        import openpyxl
    except ImportError:
        openpyxl = None
    if openpyxl is not None:  # pragma: no cover - not installed here
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert book.testzip() is None
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(si.itertext()) for si in root.findall("m:si", NS)]
        root = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in root.iter(f"{{{NS['m']}}}row"):
        cells: list[str] = []
        for cell in row.findall("m:c", NS):
            kind = cell.get("t")
            if kind == "inlineStr":
                value = "".join(cell.find("m:is", NS).itertext())
            elif kind == "s":
                value = shared[int(cell.find("m:v", NS).text)]
            else:
                v = cell.find("m:v", NS)
                value = "" if v is None else v.text
            at = _column(cell.get("r"))
            cells.extend([""] * (at - len(cells)))
            cells.append(value)
        rows.append(cells)
    return rows


@pytest.fixture
def area(app, make_patient):
    """Three patients: two in Long Xuyên (one with an open alert), one in another ward."""
    calm = make_patient(full_name="Trần Thị Lan", phone="+84912340001")
    alerted = make_patient(full_name="Lê Văn Hùng", phone="+84912340002")
    other = make_patient(full_name="Phạm Minh Tâm", phone="+84912340003", ward_code=_other_ward())
    report(app, alerted.id, **WARNING)
    return {"calm": calm, "alerted": alerted, "other": other}


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return get_session().scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


# --- the line list ---------------------------------------------------------------------------


def test_line_list_csv_has_one_row_per_patient_of_the_area(client, make_user, area):
    sign_in(client, make_user("coordinator", locale="en"))
    response = client.get("/staff/line-list.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert re.fullmatch(r'attachment; filename="line-list-\d{4}-\d\d-\d\d\.csv"',
                        response.headers["Content-Disposition"])
    assert response.headers["Cache-Control"] == "no-store"
    rows = _csv(response)
    header, body = rows[0], rows[1:]
    assert header == ["Patient number", "Full name", "Date of birth", "Age", "Sex", "Phone number", "Ward",
                      "Registered", "Date of the positive test", "Status", "Tier", "Last report", "Alert",
                      "Assigned"]
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in body}
    assert set(by_id) == {p.id for p in area.values()}
    lan = by_id[area["calm"].id]
    assert lan["Full name"] == "Trần Thị Lan" and lan["Date of birth"] == "1985-06-01"
    assert lan["Sex"] == "Male" and lan["Phone number"] == "0912 340 001"
    assert lan["Ward"] == areas.ward_name(LONG_XUYEN)
    assert lan["Status"] == "under home treatment" and lan["Alert"] == "no" and lan["Last report"] == ""
    assert int(lan["Age"]) >= 40
    hung = by_id[area["alerted"].id]
    assert hung["Alert"] == "yes" and hung["Tier"] == "red"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", hung["Last report"])
    assert by_id[area["other"].id]["Ward"] == areas.ward_name(_other_ward())


def test_line_list_speaks_the_users_language(client, make_user, area):
    sign_in(client, make_user("coordinator", locale="vi"))
    header = _csv(client.get("/staff/line-list.csv"))[0]
    assert "Họ và tên" in header and "Số điện thoại" in header and "Ngày sinh" in header
    assert "Full name" not in header


def test_line_list_xlsx_opens_back_with_the_same_rows(client, make_user, area):
    sign_in(client, make_user("coordinator", locale="en"))
    response = client.get("/staff/line-list.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX and response.is_streamed
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    data = response.get_data()
    assert data[:2] == b"PK"
    rows = _xlsx(data)
    assert rows[0][:3] == ["Patient number", "Full name", "Date of birth"]
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(p.id for p in area.values())
    names = {r[1] for r in rows[1:]}
    assert names == {"Trần Thị Lan", "Lê Văn Hùng", "Phạm Minh Tâm"}
    # Dates are real dates (a serial number with a date format), not text.
    lan = next(r for r in rows[1:] if r[1] == "Trần Thị Lan")
    assert float(lan[2]) > 30000


def test_xlsx_leaves_no_temporary_file(client, make_user, area):
    pattern = os.path.join(tempfile.gettempdir(), "f0monitor-export-*.xlsx")
    before = set(glob.glob(pattern))
    sign_in(client, make_user("coordinator"))
    assert client.get("/staff/line-list.xlsx").get_data()[:2] == b"PK"
    # An abandoned download removes its file too.
    body = exports.xlsx_chunks(["a"], ([i] for i in range(10)), chunk_bytes=100)
    next(body)
    assert len(set(glob.glob(pattern)) - before) == 1
    body.close()
    assert set(glob.glob(pattern)) == before


def test_a_coordinator_of_another_area_sees_none_of_them(client, make_user, area):
    sign_in(client, make_user("coordinator", province_code=1))
    rows = _csv(client.get("/staff/line-list.csv"))
    assert len(rows) == 1  # the header alone
    sign_in(client, make_user("coordinator", ward_codes=(_other_ward(),)))
    rows = _csv(client.get("/staff/line-list.csv"))
    assert [int(r[0]) for r in rows[1:]] == [area["other"].id]
    sign_in(client, make_user("admin", province_code=None))
    assert len(_csv(client.get("/staff/line-list.csv"))) == 1 + 3


@pytest.mark.parametrize("role", ["volunteer", "doctor", "department", "facility"])
def test_only_coordinators_and_admins_download_it(app, client, make_user, area, role):
    user = make_user(role)
    sign_in(client, user)
    for url in ("/staff/line-list.csv", "/staff/line-list.xlsx", "/staff/reports.csv", "/staff/reports.xlsx"):
        response = client.get(url)
        assert response.status_code == 403, (url, response.status_code)
        assert "Trần Thị Lan" not in response.get_data(as_text=True)
    assert _events(app, "export_line_list") == []


def test_patients_and_anonymous_people_are_refused(client, make_patient, area):
    response = client.get("/staff/line-list.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    patient = make_patient(login=True, phone="+84912340009")
    from f0monitor.data.models import User

    with client.application.app_context():
        user = get_session().get(User, patient.user_id)
    sign_in(client, user)
    assert client.get("/staff/line-list.csv").status_code == 403


def test_each_download_is_audited_once_without_personal_data(app, client, make_user, area):
    coordinator = make_user("coordinator")
    sign_in(client, coordinator)
    client.get(f"/staff/line-list.csv?status=active&ward={LONG_XUYEN}").get_data()
    client.get("/staff/line-list.xlsx").get_data()
    events = _events(app, "export_line_list")
    assert len(events) == 2
    assert {e.user_id for e in events} == {coordinator.id}
    assert all(e.patient_id is None for e in events)
    assert {e.detail for e in events} == {f"status=active ward={LONG_XUYEN} tier=* format=csv",
                                          "status=* ward=* tier=* format=xlsx"}
    for e in events:
        assert "Lan" not in e.detail and "0912" not in e.detail and "+84" not in e.detail


def test_the_audit_trail_names_the_download(app, client, make_user, area):
    sign_in(client, make_user("coordinator"))
    client.get("/staff/line-list.csv").get_data()
    sign_in(client, make_user("admin", locale="en"))
    # The admin's trail page words the action (not the bare code).
    from f0monitor.http.labels import AUDIT_ACTION_LABELS

    assert "export_line_list" in AUDIT_ACTION_LABELS and "export_report_list" in AUDIT_ACTION_LABELS


def test_filters_narrow_the_list(client, make_user, area):
    sign_in(client, make_user("coordinator"))

    def ids(query: str) -> set[int]:
        response = client.get("/staff/line-list.csv?" + query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return {int(r[0]) for r in _csv(response)[1:]}

    everyone = {p.id for p in area.values()}
    assert ids("") == everyone
    assert ids("status=active") == everyone
    assert ids("status=recovered") == set()
    assert ids(f"ward={LONG_XUYEN}") == {area["calm"].id, area["alerted"].id}
    assert ids("tier=red") == {area["alerted"].id}
    assert ids(f"tier=red&ward={_other_ward()}") == set()


@pytest.mark.parametrize("query, field", [
    ("status=alive", "status"), ("tier=purple", "tier"), ("ward=abc", "ward"),
    ("ward=101", "ward"),  # a ward of another province: outside the coordinator's area
    ("ward=99999999999999999999", "ward"),
])
def test_a_bad_filter_is_a_400_with_a_message(app, client, make_user, area, query, field):
    sign_in(client, make_user("coordinator", locale="en"))
    response = client.get("/staff/line-list.csv?" + query)
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert text.startswith(f"{field}: ") and len(text) > len(field) + 4
    assert _events(app, "export_line_list") == []


def test_the_line_list_is_streamed_from_a_server_side_cursor(app, client, make_user, area, monkeypatch):
    coordinator = make_user("coordinator")
    seen: list[dict] = []

    def spy(state):
        seen.append(dict(state.execution_options) | {"sql": str(state.statement)})

    reading = []
    original_all, original_rows = sa.engine.Result.all, exports.line_list_rows

    def refuse_all(self):
        if reading:  # pragma: no cover - only on a regression
            raise AssertionError("the download read every row at once with .all()")
        return original_all(self)  # the audit row's INSERT … RETURNING, on PostgreSQL

    def watched_rows(*args, **kwargs):
        reading.append(True)
        try:
            yield from original_rows(*args, **kwargs)
        finally:
            reading.clear()

    sign_in(client, coordinator)
    event.listen(Session, "do_orm_execute", spy)
    try:
        # No .all() while the rows are read: every row comes through the cursor.
        monkeypatch.setattr(sa.engine.Result, "all", refuse_all)
        monkeypatch.setattr(exports, "line_list_rows", watched_rows)
        response = client.get("/staff/line-list.csv")
        assert response.is_streamed
        assert len(_csv(response)) == 1 + 3
    finally:
        monkeypatch.undo()
        event.remove(Session, "do_orm_execute", spy)
    line_list = [s for s in seen if "patients.full_name" in s["sql"] and "ORDER BY patients.id" in s["sql"]]
    assert len(line_list) == 1
    assert line_list[0]["stream_results"] is True and line_list[0]["yield_per"] == exports.YIELD_PER
    with app.app_context():
        rows = exports.line_list_rows(get_session(), coordinator, exports.LineListFilters(),
                                      _words(), now=utcnow())
        assert inspect.isgenerator(rows)
        assert inspect.isgenerator(exports.csv_chunks(["a"], iter(())))
        assert inspect.isgenerator(exports.xlsx_chunks(["a"], iter(())))
        rows.close()


def test_a_download_gives_its_connection_back_finished_or_abandoned(app, client, make_user, area):
    pool = app.extensions["f0monitor.engine"].pool
    sign_in(client, make_user("coordinator"))
    for url in ("/staff/line-list.csv", "/staff/line-list.xlsx", "/staff/reports.csv"):
        response = client.get(url)
        response.get_data()
        assert pool.checkedout() == 0, url
    # Abandoned after its first chunk (the test client reads one): the cursor's session closes.
    response = client.get("/staff/line-list.csv")
    response.close()
    assert pool.checkedout() == 0


def _words() -> exports.Words:
    return exports.Words(status={}, sex={}, tier={}, yes="y", no="n", slot={}, channel={}, symptom=str)


def test_the_workload_page_links_to_the_line_list(client, make_user):
    sign_in(client, make_user("coordinator"))
    html = client.get("/staff/workload").get_data(as_text=True)
    assert 'href="/staff/line-list.csv"' in html and 'href="/staff/line-list.xlsx"' in html
    assert 'href="/staff/reports.csv"' in html


# --- the reports line list -------------------------------------------------------------------


def test_reports_line_list_has_a_row_per_report_and_no_names(app, client, make_user, area):
    report(app, area["calm"].id, spo2=98, symptoms=frozenset({"cough"}))
    coordinator = make_user("coordinator", locale="en")
    sign_in(client, coordinator)
    response = client.get("/staff/reports.csv")
    assert response.status_code == 200 and response.is_streamed
    assert re.fullmatch(r'attachment; filename="reports-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv"',
                        response.headers["Content-Disposition"])
    rows = _csv(response)
    assert len(rows) == 1 + 2
    body = response.get_data(as_text=True)
    assert "Lan" not in body and "Hùng" not in body and "0912" not in body
    by_patient = {int(r[0]): r for r in rows[1:]}
    assert set(by_patient) == {area["calm"].id, area["alerted"].id}
    assert by_patient[area["alerted"].id][7] == "90" and by_patient[area["alerted"].id][-1] == "yes"
    assert by_patient[area["calm"].id][12] == "Cough" or "ough" in by_patient[area["calm"].id][12].lower()
    events = _events(app, "export_report_list")
    assert len(events) == 1 and events[0].user_id == coordinator.id and "format=csv" in events[0].detail
    # Another province sees none; a bad range is refused.
    sign_in(client, make_user("coordinator", province_code=1))
    assert len(_csv(client.get("/staff/reports.csv"))) == 1
    assert client.get("/staff/reports.csv?from=yesterday").status_code == 400
    assert client.get("/staff/reports.xlsx?from=2026-01-01&to=2026-03-01").status_code == 400
    rows = _xlsx(client.get("/staff/reports.xlsx").get_data())
    assert len(rows) == 1


# --- the caseload ----------------------------------------------------------------------------



def test_caseload_csv_is_streamed_with_a_bom(client, dept, caseload_data):
    sign_in(client, dept)
    response = client.get("/department/caseload.csv")
    assert response.status_code == 200 and response.is_streamed and response.mimetype == "text/csv"
    rows = _csv(response)
    assert rows[0] == CASELOAD_COLUMNS and len(rows) == 1 + 28


def test_caseload_xlsx_has_the_csv_columns_and_is_audited(app, client, dept, caseload_data):
    sign_in(client, dept)
    response = client.get("/department/caseload.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX and response.is_streamed
    assert re.fullmatch(r'attachment; filename="caseload-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.xlsx"',
                        response.headers["Content-Disposition"])
    rows = _xlsx(response.get_data())
    assert rows[0] == CASELOAD_COLUMNS and len(rows) == 1 + 28
    assert sum(int(r[2]) for r in rows[1:]) > 0
    events = _events(app, "export_caseload")
    assert len(events) == 1 and events[0].detail.endswith("format=xlsx")


def test_caseload_for_publication_hides_small_counts_in_both_formats(client, dept, caseload_data):
    sign_in(client, dept)
    rows = _csv(client.get("/department/caseload.csv?publication=1"))
    active = [r[2] for r in rows[1:]]
    assert "<5" in active and "1" not in active and "2" not in active
    rows = _xlsx(client.get("/department/caseload.xlsx?publication=1").get_data())
    active = [r[2] for r in rows[1:]]
    assert "<5" in active and "1" not in active
    exact = _xlsx(client.get("/department/caseload.xlsx").get_data())
    assert "1" in [r[2] for r in exact[1:]]


def test_dashboard_offers_both_formats(client, dept, caseload_data):
    sign_in(client, dept)
    html = client.get("/department/").get_data(as_text=True)
    assert 'href="/department/caseload.csv?' in html and 'href="/department/caseload.xlsx?' in html
    assert re.search(r'href="/department/caseload\.xlsx\?[^"]*publication=1', html)


def test_the_caseload_refuses_staff(client, make_user, caseload_data):
    sign_in(client, make_user("coordinator"))
    assert client.get("/department/caseload.xlsx").status_code == 403


def test_api_caseload_csv_is_streamed(client, dept, caseload_data):
    from .conftest import api_token

    headers = {**api_token(client, dept.phone), "Accept": "text/csv"}
    response = client.get("/api/v1/caseload", headers=headers)
    assert response.status_code == 200 and response.is_streamed
    body = response.get_data()
    assert not body.startswith(BOM)
    assert body.decode().splitlines()[0] == ",".join(CASELOAD_COLUMNS)


# --- the writers -----------------------------------------------------------------------------


def test_csv_chunks_are_bounded_and_neutralise_formulas():
    rows = ([i, "=HYPERLINK(\"http://x\")" if i == 0 else f"tên {i}", None] for i in range(2500))
    chunks = list(exports.csv_chunks(["n", "name", "empty"], rows, chunk_rows=1000))
    assert len(chunks) == 3
    assert chunks[0].startswith(BOM)
    text = b"".join(chunks).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == 2501
    assert lines[1] == ["0", "'=HYPERLINK(\"http://x\")", ""]
    assert lines[2500] == ["2499", "tên 2499", ""]


def test_xlsx_writes_formulas_as_text():
    data = b"".join(exports.xlsx_chunks(["name"], [["=1+1"], ["+84912"]]))
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "=1+1" in sheet


def test_xlsx_rows_beyond_a_sheets_limit_go_on_to_a_next_sheet(monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)  # a heading and 3 rows per sheet
    data = b"".join(exports.xlsx_chunks(["n"], ([i] for i in range(7)), sheet="Reports"))
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        names = sorted(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
        workbook = book.read("xl/workbook.xml").decode()
    assert names == ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"]
    assert 'name="Reports"' in workbook and 'name="Reports (2)"' in workbook
    assert [r[0] for r in _xlsx(data)] == ["n", "0", "1", "2"]

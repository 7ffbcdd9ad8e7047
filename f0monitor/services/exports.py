"""Exports streamed to completion: CSV and XLSX written chunk by chunk, whatever their size.

An export of a million rows must neither hold its rows nor its file in the worker's memory
(issue 11). So:

- rows come from the database through a server-side cursor (``stream_results`` with
  ``yield_per``: a named cursor on PostgreSQL), a few thousand at a time, never ``.all()``;
- ``csv_chunks`` encodes them into CSV a thousand lines at a time, the UTF-8 byte-order mark
  first so that spreadsheet programs read Vietnamese;
- ``xlsx_chunks`` writes them with xlsxwriter in ``constant_memory`` mode (each row is flushed
  to a temporary file as soon as the next begins), then streams that file in chunks and
  removes it, also when the download is abandoned.

The column headings and the words in cells (status, sex, tier, yes/no) are given by the
caller in the reader's language: this module knows no Flask and no translations.

Two line lists live here, both for the coordinators of an area (``scope.scope_clause``
decides it, exactly as for the triage queue): one row per patient (``line_list_rows``) and
one row per daily report (``report_rows``, pseudonymous: the patient's number, no name).
The caseload export iterates the caseload's items (``caseload_rows``), publication-safe on
demand (``publication.for_publication``).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from ..data.models import Patient, RiskAssessment, SymptomReport, User
from ..domain.clock import VN_TZ, local_date
from ..domain.covid.age import age_on
from . import areas
from .phones import display_phone
from .publication import flat_row, for_publication
from .scope import scope_clause

BOM = "\ufeff"
CSV_CHUNK_ROWS = 1000  # lines per chunk sent
XLSX_CHUNK_BYTES = 64 * 1024  # bytes per chunk of the finished workbook
YIELD_PER = 2000  # rows fetched from the server-side cursor at a time
XLSX_MAX_ROWS = 1_048_576  # a worksheet's limit, heading included; more rows go to a next sheet
# A cell starting with one of these is a formula to a spreadsheet program ("CSV injection"):
# a patient's name such as "=HYPERLINK(…)" is written with a leading apostrophe instead.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


# --- writers ---------------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = True,
               chunk_rows: int = CSV_CHUNK_ROWS) -> Iterator[bytes]:
    """Yield the CSV of `rows` under `header` as UTF-8 chunks of `chunk_rows` lines.

    Dates are ISO (YYYY-MM-DD), times local "YYYY-MM-DD HH:MM", None an empty cell.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write(BOM)
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet",
                chunk_bytes: int = XLSX_CHUNK_BYTES) -> Iterator[bytes]:
    """Yield an XLSX workbook of `rows` under `header`, in chunks of `chunk_bytes`.

    The workbook is written to a temporary file in constant-memory mode, then read back in
    chunks; the file is removed when the generator ends or is closed (download abandoned).
    Rows beyond a worksheet's limit continue on a next sheet ("Sheet (2)"), heading repeated.
    The first chunk comes once the last row is written: the whole export is read first.
    """
    import xlsxwriter  # here, not at the top: a worker that writes no workbook does not hold it (RSS)

    handle, path = tempfile.mkstemp(prefix="f0monitor-export-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {
            "constant_memory": True, "in_memory": False,
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        })
        bold = workbook.add_format({"bold": True})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheets = 0

        def new_sheet() -> Any:
            nonlocal sheets
            sheets += 1
            name = sheet[:31] if sheets == 1 else f"{sheet[:25]} ({sheets})"
            worksheet = workbook.add_worksheet(name)
            worksheet.write_row(0, 0, list(header), bold)
            worksheet.freeze_panes(1, 0)
            return worksheet

        worksheet = new_sheet()
        r = 0
        for row in rows:
            r += 1
            if r >= XLSX_MAX_ROWS:
                worksheet, r = new_sheet(), 1
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime):
                    worksheet.write_datetime(r, c, value, moment)
                elif isinstance(value, date):
                    worksheet.write_datetime(r, c, value, day)
                elif isinstance(value, str):
                    worksheet.write_string(r, c, value)
                else:
                    worksheet.write(r, c, value)
        workbook.close()
        with open(path, "rb") as stream:
            while chunk := stream.read(chunk_bytes):
                yield chunk
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:  # pragma: no cover - removed already
            pass


def chunks(fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet",
           bom: bool = True) -> Iterator[bytes]:
    """Yield the export of `rows` in `fmt` ("csv" or "xlsx")."""
    if fmt == "xlsx":
        return xlsx_chunks(header, rows, sheet=sheet)
    if fmt == "csv":
        return csv_chunks(header, rows, bom=bom)
    raise ValueError(f"unknown export format {fmt!r}")


def mimetype(fmt: str) -> str:
    """Return the media type of an export format."""
    return XLSX_MIMETYPE if fmt == "xlsx" else CSV_MIMETYPE


def streamed(session: Session, stmt: Any) -> Iterator[Any]:
    """Yield the rows of `stmt` from a server-side cursor, `YIELD_PER` at a time."""
    result = session.execute(stmt.execution_options(stream_results=True, yield_per=YIELD_PER))
    try:
        for partition in result.partitions():
            yield from partition
    finally:
        result.close()


def _local(moment: datetime | None) -> datetime | None:
    """A stored (UTC) time as Vietnam's local time without a zone (spreadsheets have none)."""
    return moment.astimezone(VN_TZ).replace(tzinfo=None) if moment is not None else None


# --- the caseload ----------------------------------------------------------------------------


def caseload_rows(items: Iterable[Any], columns: Sequence[str], *, publication: bool = False) -> Iterator[list[Any]]:
    """Yield the caseload's items (``DayWard``) as rows of `columns`; 1–4 as "<5" for publication."""
    for item in items:
        row = item.as_dict()
        row["ward_code"] = int(row["ward_code"])
        if publication:
            row = for_publication(row)
        values = flat_row(row, columns)
        if isinstance(values[0], str) and columns[0] == "date":
            values[0] = date.fromisoformat(values[0])
        yield values


# --- the line list of patients ---------------------------------------------------------------


@dataclass(frozen=True)
class LineListFilters:
    """What the coordinator asked for (validated by the caller); None: any."""

    status: str | None = None
    ward: int | None = None
    tier: str | None = None

    def describe(self) -> str:
        """Say the filters for the audit trail (no personal data)."""
        return f"status={self.status or '*'} ward={self.ward or '*'} tier={self.tier or '*'}"


@dataclass(frozen=True)
class Words:
    """The words of the cells, in the reader's language (given by the page)."""

    status: Mapping[str, str]
    sex: Mapping[str, str]
    tier: Mapping[str, str]
    yes: str
    no: str
    slot: Mapping[str, str]
    channel: Mapping[str, str]
    symptom: Callable[[str], str]


LINE_LIST_COLUMNS = ("patient_number", "full_name", "date_of_birth", "age", "sex", "phone",
                     "ward", "registered_at", "positive_test_date", "status", "current_tier",
                     "last_report_at", "open_alert", "assigned_to")


def line_list_statement(user: Any, filters: LineListFilters) -> sa.Select[Any]:
    """Return the SELECT of the line list: the patients of `user`'s area (as the queue scopes)."""
    assignee = aliased(User)
    stmt = (
        sa.select(Patient.id, Patient.full_name, Patient.date_of_birth, Patient.sex, Patient.phone,
                  Patient.ward_code, Patient.registered_at, Patient.positive_test_date,
                  Patient.status, Patient.current_tier, Patient.last_report_at,
                  Patient.has_open_alert, assignee.full_name)
        .outerjoin(assignee, assignee.id == Patient.assigned_to_id)
        .where(scope_clause(user))
        .order_by(Patient.id)
    )
    if filters.status is not None:
        stmt = stmt.where(Patient.status == filters.status)
    if filters.ward is not None:
        stmt = stmt.where(Patient.ward_code == filters.ward)
    if filters.tier is not None:
        stmt = stmt.where(Patient.current_tier == filters.tier)
    return stmt


def line_list_rows(session: Session, user: Any, filters: LineListFilters, words: Words, *,
                   now: datetime) -> Iterator[list[Any]]:
    """Yield one row per patient of `user`'s area (columns ``LINE_LIST_COLUMNS``)."""
    today = local_date(now)
    wards: dict[int, str] = {}
    for (pid, name, dob, sex, phone, ward, registered, positive, status, tier, last_report,
         alert, assigned) in streamed(session, line_list_statement(user, filters)):
        if ward not in wards:
            wards[ward] = areas.ward_name(ward) or str(ward)
        try:
            age: int | None = age_on(dob, today)[0]
        except ValueError:
            age = None
        yield [pid, name, dob, age, words.sex.get(sex, sex), display_phone(phone), wards[ward],
               _local(registered), positive, words.status.get(status, status),
               words.tier.get(tier, tier) if tier else None, _local(last_report),
               words.yes if alert else words.no, assigned]


# --- the line list of reports ----------------------------------------------------------------


REPORT_COLUMNS = ("patient_number", "ward", "report_date", "slot", "reported_at", "channel",
                  "temperature_c", "spo2", "pulse", "respiratory_rate", "systolic_bp",
                  "diastolic_bp", "symptoms", "tier", "alert")
MAX_REPORT_DAYS = 31


@dataclass(frozen=True)
class ReportFilters:
    """The days of the reports line list (local report dates, both included), and a ward."""

    first: date
    last: date
    ward: int | None = None

    def describe(self) -> str:
        """Say the filters for the audit trail (no personal data)."""
        return f"{self.first.isoformat()}..{self.last.isoformat()} ward={self.ward or '*'}"


def report_statement(user: Any, filters: ReportFilters) -> sa.Select[Any]:
    """Return the SELECT of the reports of `user`'s area on the days asked, with their tier."""
    stmt = (
        sa.select(SymptomReport.patient_id, Patient.ward_code, SymptomReport.report_date,
                  SymptomReport.slot, SymptomReport.reported_at, SymptomReport.channel,
                  SymptomReport.temperature_c, SymptomReport.spo2, SymptomReport.pulse,
                  SymptomReport.respiratory_rate, SymptomReport.systolic_bp,
                  SymptomReport.diastolic_bp, SymptomReport.symptoms, RiskAssessment.tier,
                  RiskAssessment.alert)
        .join(Patient, Patient.id == SymptomReport.patient_id)
        .outerjoin(RiskAssessment, RiskAssessment.report_id == SymptomReport.id)
        .where(scope_clause(user), SymptomReport.report_date.between(filters.first, filters.last))
        .order_by(SymptomReport.id)
    )
    if filters.ward is not None:
        stmt = stmt.where(Patient.ward_code == filters.ward)
    return stmt


def report_rows(session: Session, user: Any, filters: ReportFilters, words: Words) -> Iterator[list[Any]]:
    """Yield one row per report of `user`'s area (columns ``REPORT_COLUMNS``); no names."""
    wards: dict[int, str] = {}
    for (pid, ward, day, slot, at, channel, temperature, spo2, pulse, rate, systolic, diastolic,
         symptoms, tier, alert) in streamed(session, report_statement(user, filters)):
        if ward not in wards:
            wards[ward] = areas.ward_name(ward) or str(ward)
        yield [pid, wards[ward], day, words.slot.get(slot, slot), _local(at),
               words.channel.get(channel, channel), temperature, spo2, pulse, rate, systolic,
               diastolic, ", ".join(words.symptom(s) for s in symptoms or ()),
               words.tier.get(tier, tier) if tier else None,
               None if alert is None else (words.yes if alert else words.no)]


def default_report_days(now: datetime, days: int = 7) -> tuple[date, date]:
    """The reports line list's range when none is asked for: the last `days` days."""
    last = local_date(now)
    return last - timedelta(days=days - 1), last

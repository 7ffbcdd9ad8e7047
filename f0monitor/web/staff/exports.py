"""The coordinators' line lists: patients, and daily reports, of their area as CSV or XLSX.

Personal data (Decree 13/2023): only coordinators and admins download them; each download is
recorded in the audit trail once, when it starts (with its filters and format, no patient);
the filters in the query string are a status, a ward and a tier, never a name or a phone.
The file is streamed from a server-side cursor (``services.exports``), however many rows.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, stream_with_context
from flask import request as flask_request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from ...data.session import get_session
from ...domain.clock import local_date, utcnow
from ...http.access import access
from ...http.audit import audit_line_list
from ...http.labels import REPORT_CHANNEL_LABELS, STATUS_LABELS, symptom_label
from ...http.queryargs import line_list_args, report_list_args
from ...services import exports
from . import bp

COORDINATING = ("coordinator", "admin")


def words() -> exports.Words:
    """The words of the cells in the reader's language."""
    return exports.Words(
        status={k: str(v) for k, v in STATUS_LABELS.items()},
        sex={"female": _("Female"), "male": _("Male"), "other": _("Other")},
        tier={"green": _("green"), "yellow": _("yellow"), "orange": _("orange"), "red": _("red")},
        yes=_("yes"), no=_("no"),
        slot={"morning": _("morning"), "afternoon": _("afternoon")},
        channel={k: str(v) for k, v in REPORT_CHANNEL_LABELS.items()},
        symptom=symptom_label,
    )


def line_list_header() -> list[str]:
    """The line list's column headings (``exports.LINE_LIST_COLUMNS``), translated."""
    return [_("Patient number"), _("Full name"), _("Date of birth"), _("Age"), _("Sex"),
            _("Phone number"), _("Ward"), _("Registered"), _("Date of the positive test"), _("Status"),
            _("Tier"), _("Last report"), _("Alert"), _("Assigned")]


def report_header() -> list[str]:
    """The reports line list's column headings (``exports.REPORT_COLUMNS``), translated."""
    return [_("Patient number"), _("Ward"), _("Day"), _("Time"), _("When"), _("Channel"),
            _("Temperature (°C)"), _("SpO2 (%)"), _("Pulse (beats per minute)"), _("Breaths per minute"),
            _("Blood pressure, upper number (mmHg)"), _("Blood pressure, lower number (mmHg)"),
            _("Symptoms"), _("Tier"), _("Alert")]


def bad_filter(exc: ValidationError) -> Response:
    """Answer 400 with the messages of the filters refused (plain text: this is a download)."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
    text = "\n".join(f"{field}: {' '.join(map(str, msgs))}" if field else " ".join(map(str, msgs))
                     for field, msgs in messages.items())
    return Response(text + "\n", status=400, mimetype="text/plain")


def download(fmt: str, filename: str, body: Iterator[bytes]) -> Response:
    """A streamed download of `body` (a generator of chunks), not to be stored by caches.

    The request's contexts are popped (and its session closed) once the view returns, then
    pushed again around the streaming: so `body` opens the session it reads with from within
    (``get_session()`` at its first step), and that one is closed when the stream ends or is
    abandoned. A session taken in the view would reconnect after its close and be left open.
    """
    return Response(
        stream_with_context(body),
        mimetype=exports.mimetype(fmt),
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@bp.route("/line-list.csv", defaults={"fmt": "csv"})
@bp.route("/line-list.xlsx", defaults={"fmt": "xlsx"})
@access(*COORDINATING)
def line_list(fmt: str):
    """Download the line list of the patients of the user's area: one row per patient."""
    try:
        filters = line_list_args(flask_request.args, current_user)
    except ValidationError as exc:
        return bad_filter(exc)
    session = get_session()
    now = utcnow()
    audit_line_list(session, "export_line_list", filters.describe(), fmt)
    session.commit()
    user, cells, header = current_user._get_current_object(), words(), line_list_header()

    def body() -> Iterator[bytes]:
        rows = exports.line_list_rows(get_session(), user, filters, cells, now=now)
        yield from exports.chunks(fmt, header, rows, sheet=_("Patients"))

    return download(fmt, f"line-list-{local_date(now).isoformat()}", body())


@bp.route("/reports.csv", defaults={"fmt": "csv"})
@bp.route("/reports.xlsx", defaults={"fmt": "xlsx"})
@access(*COORDINATING)
def report_list(fmt: str):
    """Download the daily reports of the user's area over some days (no names: patient numbers)."""
    now = utcnow()
    try:
        filters = report_list_args(flask_request.args, current_user, local_date(now))
    except ValidationError as exc:
        return bad_filter(exc)
    session = get_session()
    audit_line_list(session, "export_report_list", filters.describe(), fmt)
    session.commit()
    user, cells, header = current_user._get_current_object(), words(), report_header()

    def body() -> Iterator[bytes]:
        rows = exports.report_rows(get_session(), user, filters, cells)
        yield from exports.chunks(fmt, header, rows, sheet=_("Reports"))

    return download(fmt, f"reports-{filters.first.isoformat()}-{filters.last.isoformat()}", body())


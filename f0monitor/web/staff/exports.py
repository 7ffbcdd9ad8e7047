"""The coordinators' line lists: patients, and daily reports, of their area as CSV or XLSX.

Personal data (Decree 13/2023): only coordinators and admins download them; each download is
recorded in the audit trail once, when it starts (with its filters and format, no patient);
the filters in the query string are a status, a ward and a tier, never a name or a phone.
The file is streamed from a server-side cursor (``services.exports``), however many rows.
"""

from __future__ import annotations

from typing import Any

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
    return [_("Patient number"), _("Full name"), _("Date of birth"), _("Age"), _("Sex"), _("Phone"),
            _("Ward"), _("Registered"), _("Positive test date"), _("Status"), _("Current tier"),
            _("Last report at"), _("Open alert"), _("Assigned to")]


def report_header() -> list[str]:
    """The reports line list's column headings (``exports.REPORT_COLUMNS``), translated."""
    return [_("Patient number"), _("Ward"), _("Report date"), _("Slot"), _("Reported at"), _("Channel"),
            _("Temperature (°C)"), _("SpO₂ (%)"), _("Pulse (/min)"), _("Respiratory rate (/min)"),
            _("Systolic BP (mmHg)"), _("Diastolic BP (mmHg)"), _("Symptoms"), _("Tier"), _("Alert")]


def bad_filter(exc: ValidationError) -> Response:
    """Answer 400 with the messages of the filters refused (plain text: this is a download)."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
    text = "\n".join(f"{field}: {' '.join(map(str, msgs))}" if field else " ".join(map(str, msgs))
                     for field, msgs in messages.items())
    return Response(text + "\n", status=400, mimetype="text/plain")


def download(fmt: str, filename: str, body: Any) -> Response:
    """A streamed download of `body` (an iterator of chunks), not to be stored by caches."""
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
    rows = exports.line_list_rows(session, current_user, filters, words(), now=now)
    body = exports.chunks(fmt, line_list_header(), rows, sheet=_("Patients"))
    return download(fmt, f"line-list-{local_date(now).isoformat()}", body)


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
    rows = exports.report_rows(session, current_user, filters, words())
    body = exports.chunks(fmt, report_header(), rows, sheet=_("Reports"))
    return download(fmt, f"reports-{filters.first.isoformat()}-{filters.last.isoformat()}", body)


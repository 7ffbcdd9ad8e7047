"""Department endpoints: the caseload by ward and day (api.md, Department); aggregates only."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from ..data.session import get_session
from ..domain.clock import local_date, utcnow
from ..http.access import access
from ..http.errors import api_error
from ..services import audit
from ..services.caseload import AGGREGATE_ROLES, MAX_DAYS, Area, BadArea, area_for, caseload
from ..services.scope import OutOfScope
from . import bp, page_args

CSV_COLUMNS = (
    "date", "ward_code", "active", "new", "recovered", "transferred", "deceased",
    "by_tier_green", "by_tier_yellow", "by_tier_orange", "by_tier_red",
    "overdue", "alerts_opened", "median_minutes_to_acknowledge",
)
DEFAULT_DAYS = 14


def _date_arg(args: Any, name: str, errors: dict[str, list[str]]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = [_("Not a valid date (YYYY-MM-DD).")]
        return None


def _code_arg(args: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        errors[name] = [_("Not a valid code.")]
        return None
    return int(raw)


def caseload_args(args: Any, user: Any, today: date) -> tuple[Area, date, date]:
    """Read and check from / to / province / ward; default to the last 14 days.

    :raise ValidationError: naming the field (a 422); OutOfScope for an area outside the
        user's own (a 404).
    """
    errors: dict[str, list[str]] = {}
    first = _date_arg(args, "from", errors)
    last = _date_arg(args, "to", errors)
    province = _code_arg(args, "province", errors)
    ward = _code_arg(args, "ward", errors)
    if errors:
        raise ValidationError(errors)
    last = last or today
    first = first or (last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise ValidationError({"from": [_("The first day must not be after the last day.")]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError({"to": [_("The range may not be longer than %(n)s days.", n=MAX_DAYS)]})
    try:
        area = area_for(user, province, ward)
    except BadArea as exc:
        message = _("Unknown province.") if exc.field == "province" else (
            _("Unknown ward.") if str(exc) == "unknown ward" else _("This ward is not in the province.")
        )
        raise ValidationError({exc.field: [message]}) from None
    return area, first, last


def csv_text(items: list[Any]) -> str:
    """Return the items as CSV, one line per day and ward, by_tier flattened."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow(
            [item.date.isoformat(), item.ward_code, item.active, item.new, item.recovered,
             item.transferred, item.deceased, *(item.by_tier[t] for t in ("green", "yellow", "orange", "red")),
             item.overdue, item.alerts_opened,
             "" if item.median_minutes_to_acknowledge is None else item.median_minutes_to_acknowledge]
        )
    return out.getvalue()


def audit_export(session: Any, first: date, last: date, area: Area) -> None:
    """Record that the current user exported the caseload (no patient: aggregates)."""
    detail = f"{first.isoformat()}..{last.isoformat()} province={area.province_code} wards={','.join(map(str, area.ward_codes))}"
    audit.record(
        session,
        user_id=current_user.id,
        patient_id=None,
        action="export_caseload",
        now=utcnow(),
        ip=(request.remote_addr or "")[:45] or None,
        detail=detail[:255],
    )


def wants_csv() -> bool:
    """Tell whether the client asked for CSV rather than JSON."""
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


@bp.route("/caseload", methods=("GET",))
@access(*AGGREGATE_ROLES)
def caseload_list():
    """Return the caseload by day and ward (paginated JSON, or all of it as CSV)."""
    now = utcnow()
    try:
        area, first, last = caseload_args(request.args, current_user, local_date(now))
    except OutOfScope:
        return api_error(404, _("This page does not exist, or you may not see it."))
    session = get_session()
    items = caseload(session, area, first, last, now=now)
    if wants_csv():
        audit_export(session, first, last, area)
        session.commit()
        filename = f"caseload-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(
            csv_text(items),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    page, per_page = page_args()
    start = (page - 1) * per_page
    return jsonify(
        {
            "items": [item.as_dict() for item in items[start : start + per_page]],
            "page": page,
            "per_page": per_page,
            "total": len(items),
        }
    )

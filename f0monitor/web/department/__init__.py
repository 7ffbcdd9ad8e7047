"""The health department's pages: today's figures, trends, the caseload by ward, the export.

Aggregates only (design §5): no page here names a patient. The export (CSV or XLSX) is\naudited and streamed.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from ...data.models import TIERS
from ...data.session import get_session
from ...domain.clock import local_date, utcnow
from ...http.access import access
from ...http.audit import audit_export
from ...http.queryargs import DEFAULT_DAYS, caseload_args
from ...services import areas, exports
from ...services.caseload import (
    AGGREGATE_ROLES,
    CSV_COLUMNS,
    caseload,
    daily_series,
    today_totals,
    ward_table,
)
from ...services.dailyreport import EpiSettings, daily_report, ward_totals
from ...services.publication import for_publication, publication_total
from ...services.scope import OutOfScope
from ..common import charts

bp = Blueprint("department", __name__, url_prefix="/department")

SORTS = ("ward", "active", "red", "orange", "yellow", "green", "overdue", "new", "recovered",
         "transferred", "deceased", "alerts_opened", "median_minutes_to_acknowledge")


def _tier_names() -> dict[str, str]:
    return {"green": _("green"), "yellow": _("yellow"), "orange": _("orange"), "red": _("red")}


def _area_and_range(args: Any) -> tuple[Any, Any, Any, dict[str, list[str]]]:
    """Read the form; on bad input show the messages and the default range instead.

    :raise 404: for a province or ward outside the user's area.
    """
    today = local_date(utcnow())
    errors: dict[str, list[str]] = {}
    try:
        area, first, last = caseload_args(args, current_user, today)
    except OutOfScope:
        abort(404)
    except ValidationError as exc:
        errors = exc.messages if isinstance(exc.messages, dict) else {"from": exc.messages}
        kept = {k: v for k, v in args.items() if k in ("province", "ward") and k not in errors}
        try:
            area, first, last = caseload_args(kept, current_user, today)
        except (OutOfScope, ValidationError):
            area, first, last = caseload_args({}, current_user, today)
    return area, first, last, errors


def _ward_choices(area: Any) -> list[tuple[int, str]]:
    own = list(getattr(current_user, "ward_codes", None) or [])
    if own:
        return sorted(((w, areas.ward_name(w)) for w in own), key=lambda item: item[1])
    province = current_user.province_code or area.province_code
    return list(areas.wards(province)) if province else []


def _sorted_table(rows: list[dict[str, Any]], sort: str, descending: bool) -> list[dict[str, Any]]:
    """Sort the ward table by a column; wards without a figure (no alert acknowledged) last."""
    for row in rows:
        row["name"] = areas.ward_name(row["ward_code"]) or str(row["ward_code"])
    if sort == "ward":
        return sorted(rows, key=lambda row: areas._sort_key(row["name"]), reverse=descending)
    present = sorted((r for r in rows if r[sort] is not None), key=lambda r: r[sort], reverse=descending)
    return present + [r for r in rows if r[sort] is None]


@bp.route("/")
@access(*AGGREGATE_ROLES)
def index():
    """Show the department's dashboard: today, the last days' trends, the caseload by ward."""
    session = get_session()
    now = utcnow()
    area, first, last, errors = _area_and_range(request.args)
    today = today_totals(session, area, now=now, counts=current_app.extensions["f0monitor.department_counts"])
    items = caseload(session, area, first, last, now=now, overdue_now=today.overdue_by_ward)
    series = daily_series(items)
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "active"
    descending = request.args.get("dir", "asc" if sort == "ward" else "desc") != "asc"
    table = _sorted_table(ward_table(items), sort, descending)
    names = _tier_names()
    report = daily_report(session, area, first, last, _epi_settings(),
                          closed=current_app.extensions["f0monitor.department_waits"])
    days = _report_rows(report, series)
    figures = []
    if series:
        figures = [
            {"name": "tiers", "label": _("Active patients by tier, at the end of each day"),
             "json": charts.tier_series_figure(series, _("Active patients by tier"), names)},
            {"name": "new", "label": _("New registrations per day"),
             "json": charts.new_cases_figure(series, _("New registrations per day"), _("New"))},
        ]
    report_figures = _report_figures(days) if days else []
    form_args = {"from": first.isoformat(), "to": last.isoformat()}
    if len(area.ward_codes) == 1:
        form_args["ward"] = str(area.ward_codes[0])
    if area.province_code is not None and current_user.province_code is None:
        form_args["province"] = str(area.province_code)

    def sort_url(column: str) -> str:
        same = sort == column
        direction = ("asc" if descending else "desc") if same else ("asc" if column == "ward" else "desc")
        return url_for("department.index", **form_args, sort=column, dir=direction)

    return render_template(
        "department/index.html",
        today=today,
        series=series,
        table=table,
        totals=ward_totals(table, report),
        figures=figures,
        report=report,
        days=days,
        report_figures=report_figures,
        errors=errors,
        first=first,
        last=last,
        area=area,
        form_args=form_args,
        wards=_ward_choices(area),
        province_name=areas.province_name(area.province_code) if area.province_code else _("All provinces"),
        tiers=TIERS,
        tier_names=names,
        sort=sort,
        descending=descending,
        sort_url=sort_url,
        default_days=DEFAULT_DAYS,
        now=now,
    )


def _epi_settings() -> EpiSettings:
    cfg = current_app.config
    return EpiSettings(si_mean=float(cfg["EPI_SERIAL_INTERVAL_MEAN"]),
                       si_sd=float(cfg["EPI_SERIAL_INTERVAL_SD"]), window=int(cfg["EPI_RT_WINDOW"]))


def _report_rows(report: Any, series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join the daily report's rows with the caseload's overdue rate of the same days."""
    by_day = {row["date"]: row for row in series}
    rows = report.rows()
    for row in rows:
        day = by_day.get(row["date"], {})
        active = day.get("active", 0)
        row["active"] = active
        row["overdue"] = day.get("overdue", 0)
        row["overdue_rate"] = round(100.0 * row["overdue"] / active, 1) if active else None
    return rows


def _report_figures(days: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"name": "epicurve", "label": _("New cases per day by date of positive test, with the 7-day average"),
         "json": charts.epidemic_curve_figure(days, _("Epidemic curve: new cases per day"),
                                              bars=_("New cases"), average=_("7-day average"))},
        {"name": "rt", "label": _("Instantaneous reproduction number with its %(p)s%% credible interval", p=95),
         "json": charts.rt_figure(days, _("Reproduction number R(t)"), estimate=_("R(t)"),
                                  interval=_("%(p)s%% credible interval", p=95), threshold=_("R = 1"))},
        {"name": "overdue", "label": _("Share of active patients overdue at the end of each day"),
         "json": charts.rate_figure(days, "overdue_rate", _("Overdue rate"), _("Overdue"))},
        {"name": "ack", "label": _("Minutes from alert to acknowledgement: median and 90th percentile"),
         "json": charts.response_time_figure(days, _("Time to acknowledge an alert (minutes)"),
                                             median=_("Median"), p90=_("90th percentile"))},
    ]


@bp.route("/daily")
@access(*AGGREGATE_ROLES)
def daily():
    """Show the one-page printable daily summary for the ministry (the last day of the range)."""
    session = get_session()
    now = utcnow()
    area, first, last, errors = _area_and_range(request.args)
    if errors:
        abort(400)
    # The summary speaks of `last`, with the 14 days before it for the trend and R(t).
    first = min(first, last)
    items = caseload(session, area, first, last, now=now)
    series = daily_series(items)
    report = daily_report(session, area, first, last, _epi_settings(),
                          closed=current_app.extensions["f0monitor.department_waits"])
    days = _report_rows(report, series)
    table = _sorted_table(ward_table(items), "ward", False)
    return render_template(
        "department/daily.html",
        day=days[-1] if days else None,
        previous=days[-2] if len(days) > 1 else None,
        days=days,
        report=report,
        table=table,
        totals=ward_totals(table, report),
        tiers=TIERS,
        tier_names=_tier_names(),
        province_name=areas.province_name(area.province_code) if area.province_code else _("All provinces"),
        first=first,
        last=last,
        now=now,
    )


@bp.route("/caseload.csv", defaults={"fmt": "csv"})
@bp.route("/caseload.xlsx", defaults={"fmt": "xlsx"})
@access(*AGGREGATE_ROLES)
def export(fmt: str = "csv"):
    """Download the caseload by day and ward as CSV or XLSX (recorded in the audit trail).

    ``publication=1`` shows counts of 1–4 as "<5". The file is streamed as it is written.
    """
    session = get_session()
    now = utcnow()
    area, first, last, errors = _area_and_range(request.args)
    if errors:
        abort(400)
    items = caseload(session, area, first, last, now=now)
    publication = request.args.get("publication") == "1"
    audit_export(session, first, last, area, publication=publication, fmt=fmt)
    session.commit()
    kind = "caseload-publication" if publication else "caseload"
    filename = f"{kind}-{first.isoformat()}-{last.isoformat()}.{fmt}"
    rows = exports.caseload_rows(items, CSV_COLUMNS, publication=publication)
    # CSV starts with a byte-order mark so that spreadsheet programs read it as UTF-8.
    body = exports.chunks(fmt, CSV_COLUMNS, rows, sheet=_("Caseload"))
    return Response(
        stream_with_context(body),
        mimetype=exports.mimetype(fmt),
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.route("/summary")
@access(*AGGREGATE_ROLES)
def summary():
    """A printable summary of one day by ward; ``publication=1`` shows counts of 1–4 as "<5"."""
    session = get_session()
    now = utcnow()
    args = {k: v for k, v in request.args.items() if k in ("province", "ward")}
    day_arg = request.args.get("date") or ""
    try:
        from datetime import date as _date

        day = min(_date.fromisoformat(day_arg), local_date(now)) if day_arg else local_date(now)
    except ValueError:
        day = local_date(now)
    args.update({"from": day.isoformat(), "to": day.isoformat()})
    area, first, _last, errors = _area_and_range(args)
    items = caseload(session, area, first, first, now=now)
    rows = _sorted_table(ward_table(items), "ward", False)
    totals: dict[str, Any] = {"name": _("Total")}
    for column in ("active", "new", "recovered", "transferred", "deceased", "overdue", "alerts_opened", *TIERS):
        totals[column] = sum(row[column] for row in rows)
    publication = request.args.get("publication") == "1"
    if publication:
        rows = [for_publication(row) for row in rows]
        totals = {k: v if k == "name" else publication_total(v, (row[k] for row in rows))
                  for k, v in totals.items()}
        audit_export(session, first, first, area, publication=True, action="print_summary")
        session.commit()
    return render_template(
        "department/summary.html",
        day=first,
        rows=rows,
        totals=totals,
        tiers=TIERS,
        tier_names=_tier_names(),
        publication=publication,
        errors=errors,
        province_name=areas.province_name(area.province_code) if area.province_code else _("All provinces"),
        now=now,
        area_args={k: v for k, v in args.items() if k in ("province", "ward")},
    )

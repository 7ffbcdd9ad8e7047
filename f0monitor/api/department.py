"""Department endpoints: the caseload by ward and day (api.md, Department); aggregates only."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from ..data.session import get_session
from ..domain.clock import local_date, utcnow
from ..http.access import access
from ..http.audit import audit_export
from ..http.errors import api_error
from ..http.queryargs import caseload_args
from ..services import exports
from ..services.caseload import AGGREGATE_ROLES, CSV_COLUMNS, caseload
from ..services.publication import for_publication
from ..services.scope import OutOfScope
from . import bp, documented, page_args
from .schemas import CaseloadArgs, CaseloadItemOut


def wants_csv() -> bool:
    """Tell whether the client asked for CSV rather than JSON."""
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


@bp.route("/caseload", methods=("GET",))
@access(*AGGREGATE_ROLES)
@documented(response=CaseloadItemOut, paginated=True, query=CaseloadArgs, errors=(404,),
            alternatives=("text/csv",))
def caseload_list():
    """Return the caseload by day and ward (paginated JSON, or all of it as CSV)."""
    now = utcnow()
    try:
        area, first, last = caseload_args(request.args, current_user, local_date(now))
    except OutOfScope:
        return api_error(404, _("This page does not exist, or you may not see it."))
    session = get_session()
    items = caseload(session, area, first, last, now=now, counts=current_app.extensions["f0monitor.department_counts"])
    # ?publication=1: the figures are meant to leave the department, counts of 1–4 become "<5".
    publication = request.args.get("publication") == "1"
    if wants_csv():
        audit_export(session, first, last, area, publication=publication)
        session.commit()
        filename = f"caseload-{first.isoformat()}-{last.isoformat()}.csv"
        # Streamed as written; no byte-order mark here (a program reads it, not a spreadsheet).
        rows = exports.caseload_rows(items, CSV_COLUMNS, publication=publication)
        return Response(
            stream_with_context(exports.csv_chunks(CSV_COLUMNS, rows, bom=False)),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    page, per_page = page_args()
    start = (page - 1) * per_page
    return jsonify(
        {
            "items": [for_publication(item.as_dict()) if publication else item.as_dict()
                      for item in items[start : start + per_page]],
            "page": page,
            "per_page": per_page,
            "total": len(items),
        }
    )
